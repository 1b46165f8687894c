"""Intake's personal data at rest, for the key rotation job (``icp-rotate-keys intake``, issue 8): the sealed
fields of every filing version (the personal paths of both kinds of sponsor), under intake's store context."""
from intake.models import FilingVersion
from intake.usecases import STORE_CONTEXT, _all_personal_paths
from shared.platform.rotation import sealed_json

SEALED = [sealed_json(FilingVersion.__table__, "data", _all_personal_paths(), STORE_CONTEXT)]
