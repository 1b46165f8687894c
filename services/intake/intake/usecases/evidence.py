"""W4, B1: staff and reviewers open what a filing holds — a scan by a short-lived link, one personal value in
full — and every opening is recorded (who, role, which, when) in the same transaction. Conventions of
:mod:`intake.usecases.filings`."""

from datetime import datetime, timedelta

from intake.repository import IntakeUnitOfWork
from intake.usecases.filings import Viewer, load, scan_view
from shared.contracts.errors import FieldError, NotFound, field_errors
from shared.contracts.intake import personal_paths
from shared.platform.sealing import value_at
from shared.platform.storage import ObjectStore

DOCUMENT_LINK_LIFE = timedelta(seconds=300)
"""design.md §5: a presigned link lives at most 300 s."""


def document_link(uow: IntakeUnitOfWork, viewer: Viewer, store: ObjectStore, actor: str, role: str, filing_id: str,
                  document_id: str, at: datetime) -> dict:
    """W4, B1: a short-lived link to one scan of a filing in the caller's scope (a reviewer: its province's),
    with the access recorded. A scan that is not this filing's answers like an unknown filing."""
    filing = load(uow, viewer, filing_id)
    scan = next((s for s in uow.filings.scans(filing.id) if s.id == document_id), None)
    if scan is None:
        raise NotFound("no such document", field_errors(
            FieldError("document_id", "unknown", "No document with this id exists or is open to you.", "W4")))
    uow.filings.document_opened(scan, actor, role, at)
    url = store.presigned_get(scan.bucket, scan.key, DOCUMENT_LINK_LIFE, scan.version_id)
    return {"document": scan_view(scan), "url": url, "expires_in": int(DOCUMENT_LINK_LIFE.total_seconds())}


def open_personal_value(uow: IntakeUnitOfWork, viewer: Viewer, actor: str, role: str, filing_id: str, field: str,
                        at: datetime) -> dict:
    """W4, B1 (issue 17): one personal value of a filing in the caller's scope, in full, as the current version
    holds it; the opening is recorded (who, role, which field of which version, when), like a scan's. ``field`` is
    one of the filing's personal paths (``contacts.mobile``, ``responsible_person.document_number``, …); any other
    answers 404 naming ``field``."""
    filing = load(uow, viewer, filing_id)
    data = uow.filings.data(filing.id, filing.version)
    paths = personal_paths((data.get("sponsor") or {}).get("kind") or "individual")
    if field not in paths:
        raise NotFound("no such personal field", field_errors(FieldError(
            "field", "unknown", f"Personal fields of this filing: {', '.join(paths)}.", "W4")))
    uow.filings.value_opened(filing, field, actor, role, at)
    return {"filing_id": filing.id, "version": filing.version, "field": field, "value": value_at(data, field),
            "opened_at": at.isoformat()}
