"""Intake's personal data at rest, for the key rotation job (``icp-rotate-keys intake``, issue 8): the sealed
fields of every filing version (the personal paths of both kinds of sponsor), under intake's store context."""
from intake.models import FilingVersion
from intake.repository import ALL_PERSONAL_PATHS, STORE_CONTEXT
from shared.platform.rotation import sealed_json

SEALED = [sealed_json(FilingVersion.__table__, "data", ALL_PERSONAL_PATHS, STORE_CONTEXT)]
