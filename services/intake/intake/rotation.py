"""Intake's personal data at rest, for the key rotation job (``icp-rotate-keys intake``, issue 8): the sealed
fields of every filing version (the personal paths of both kinds of sponsor), under intake's store context, and
what OCR read of each identity document's scan (X7), under its own."""
from intake.models import DocumentScan, FilingVersion
from intake.repository import ALL_PERSONAL_PATHS, READING_CONTEXT, STORE_CONTEXT
from shared.contracts.intake import READING_PATHS
from shared.platform.rotation import sealed_json

SEALED = [sealed_json(FilingVersion.__table__, "data", ALL_PERSONAL_PATHS, STORE_CONTEXT),
          sealed_json(DocumentScan.__table__, "reading", READING_PATHS, READING_CONTEXT)]
