"""P1: a sponsor's draft filing — started, edited, completed with the access information (R1.8), its scans (P5,
W4) and the accepted clause (W3) — and the filing and its timeline as the caller may see them.

Every use case reads load -> decide (:mod:`intake.domain.filing`) -> save on the unit of work, and never commits:
the entrypoint commits once, with the stored idempotent answer and the outbox row (design.md §4).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from intake.domain import filing as lifecycle
from intake.domain.filing import Acceptance, Filing, Scan
from intake.domain.filing_data import SCAN_KINDS, normalise_typed, validate_filing
from intake.domain.provinces import province_problems
from intake.repository import IntakeUnitOfWork
from shared.contracts.errors import BadRequest, Conflict, FieldError, NotFound, field_errors
from shared.contracts.intake import personal_paths
from shared.kernel.province_rules import shipped_province_rules
from shared.platform import uploads
from shared.platform.sealing import mask
from shared.platform.storage import ObjectStore, evidence_retain_until

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_SCAN_BYTES = uploads.MAX_BYTES


@dataclass(frozen=True)
class Viewer:
    """Whose view a use case answers in: the provider this intake serves, the caller's tenant scope
    (``shared.platform.auth.Caller.may_see``; events and internal RPC see all) and whether the caller sees personal
    data in full — the sponsor, its own filing, to proofread what it typed (issue 17); staff see it masked and open
    a full value with ``evidence.open_personal_value``, which is recorded."""

    provider_id: str
    may_see: Callable[..., bool] = lambda **_scope: True
    in_full: bool = False


def load(uow: IntakeUnitOfWork, viewer: Viewer, filing_id: str, *, lock: bool = False) -> Filing:
    """The filing, or ``NotFound``; a filing out of the caller's scope answers exactly like an unknown one, so that
    nobody learns which filings exist (issue 8)."""
    try:
        uuid.UUID(filing_id)
    except ValueError:
        raise NotFound("no such filing", field_errors(_unknown_filing())) from None
    filing = uow.filings.get(filing_id, viewer.provider_id, lock=lock)
    if filing is None or not viewer.may_see(provider=filing.provider_id, province=filing.province,
                                            owner=filing.created_by, mobile_hmac=filing.mobile_hmac):
        raise NotFound("no such filing", field_errors(_unknown_filing()))
    return filing


def _unknown_filing() -> FieldError:
    return FieldError("filing_id", "unknown", "No filing with this id exists or is open to you.", "P1")


def decided(decide, *args, **kwargs):
    """Run a transition; its ``StateConflict`` is the wire's 409 naming the state (P1)."""
    try:
        return decide(*args, **kwargs)
    except lifecycle.StateConflict as exc:
        raise Conflict(exc.message, field_errors(FieldError("state", "conflict", exc.message, "P1"))) from None


def apply(uow: IntakeUnitOfWork, change: lifecycle.Change) -> Filing:
    """Save what a transition decided: the filing, its timeline steps, its events (one transaction)."""
    uow.filings.save(change.filing)
    for step in change.steps:
        uow.filings.record(change.filing.id, step)
    for event_type, data in change.events:
        uow.emit(event_type, data, change.filing.id)
    return change.filing


def create_draft(uow: IntakeUnitOfWork, viewer: Viewer, actor: str, data: dict, at: datetime) -> dict:
    """P1: a sponsor starts a filing; the draft may be incomplete. What is stored (here and in every edit) is
    the typed data normalised once (``normalise_typed``, issue 17)."""
    change = lifecycle.new_draft(str(uuid.uuid4()), viewer.provider_id, actor, at)
    uow.filings.add(change.filing, normalise_typed(data))
    return view(uow, viewer, apply(uow, change), at)


def _edit(uow: IntakeUnitOfWork, viewer: Viewer, filing_id: str, action: str, patch: dict, at: datetime) -> dict:
    filing = load(uow, viewer, filing_id, lock=True)
    filing = decided(lifecycle.edited, filing, action, at)
    current = uow.filings.data(filing.id, filing.version)
    uow.filings.put_data(filing.id, filing.version, lifecycle.merge(current, normalise_typed(patch)))
    uow.filings.save(filing)
    return view(uow, viewer, filing, at)


def edit_draft(uow: IntakeUnitOfWork, viewer: Viewer, filing_id: str, patch: dict, at: datetime) -> dict:
    """Merge a partial edit; after a failed precheck only the changed fields need re-entry."""
    return _edit(uow, viewer, filing_id, "edit", patch, at)


def set_access(uow: IntakeUnitOfWork, viewer: Viewer, filing_id: str, access: dict, at: datetime) -> dict:
    """R1.8: provider staff enter the access information as the provider hosts the site."""
    return _edit(uow, viewer, filing_id, "enter access information for", {"access": access}, at)


def upload_scan(uow: IntakeUnitOfWork, viewer: Viewer, store: ObjectStore, bucket: str, actor: str, filing_id: str,
                kind: str | None, body: bytes, at: datetime, *,
                read: Callable[[str, bytes], dict | None] | None) -> dict:
    """Store a document scan in object storage under retention (W4) and attach it to the filing: the original
    bytes, once they decode in full as the JPEG, PNG or PDF they claim to be (:mod:`shared.platform.uploads`).
    X7: ``read`` (:func:`intake.ocr.reading_of`, or None where intake does not read scans) reads an identity
    document by OCR; what it says goes to pre-verification with the submission, never into the answer, a log or
    an event in the clear."""
    if kind not in SCAN_KINDS:
        raise BadRequest("unknown scan kind", field_errors(
            FieldError("kind", "choice", f"kind must be one of {list(SCAN_KINDS)}.", "P5")))
    if not body:
        raise BadRequest("empty upload", field_errors(FieldError("body", "required", "The upload is empty.", "P5")))
    # Decoded in full as the type it claims, off the hub, before the filing is locked (issue 17.5); an identity
    # document is read by OCR there too (X7), its reading kept sealed for pre-verification to compare.
    content_type = uploads.accept(body).content_type
    reading = read(kind, body) if read else None
    filing = load(uow, viewer, filing_id, lock=True)
    filing = decided(lifecycle.edited, filing, "upload documents for", at)
    scan_id = str(uuid.uuid4())
    ref = store.put(bucket, f"filings/{filing.id}/{scan_id}", body, content_type,
                    retain_until=evidence_retain_until(at))
    scan = Scan(scan_id, filing.id, filing.version, kind, ref.bucket, ref.key, ref.version_id, ref.sha256,
                ref.content_type, ref.size, actor, at, reading)
    uow.filings.add_scan(scan)
    uow.filings.save(filing)
    return scan_view(scan)


def accept_contract(uow: IntakeUnitOfWork, viewer: Viewer, actor: str, filing_id: str, clause_sha256: str,
                    at: datetime) -> dict:
    """W3: record who accepted the clause, for which version, and when (the first acceptance counts)."""
    filing = load(uow, viewer, filing_id, lock=True)
    decided(lifecycle.ensure_state, "accept the contract for", filing.state, lifecycle.EDITABLE)
    if uow.filings.acceptance(filing.id, filing.version) is None:
        uow.filings.accept(Acceptance(filing.id, filing.version, clause_sha256, actor, at))
    return view(uow, viewer, filing, at)


def problems(uow: IntakeUnitOfWork, filing: Filing, data: dict, at: datetime) -> list[FieldError]:
    """Every problem that keeps the filing's current version from being submitted (P1, R1.1–R1.8, W3), and the
    breaches of its province's own rules (X3)."""
    acceptance = uow.filings.acceptance(filing.id, filing.version)
    today = at.astimezone(SHANGHAI).date()
    return validate_filing(data, [s.kind for s in uow.filings.scans(filing.id)],
                           acceptance.clause_sha256 if acceptance else None, today) \
        + province_problems(shipped_province_rules(), data, today)


def view(uow: IntakeUnitOfWork, viewer: Viewer, filing: Filing, at: datetime) -> dict:
    """The filing as a sponsor or staff member sees it, open problems listed: the sponsor in full (its own, to
    proofread), anybody else with personal data masked (issue 17, design.md §5)."""
    data = uow.filings.data(filing.id, filing.version)
    open_problems = problems(uow, filing, data, at) if filing.state in lifecycle.EDITABLE else []
    kind = (data.get("sponsor") or {}).get("kind") or "individual"
    return {
        "id": filing.id,
        "state": filing.state,
        "version": filing.version,
        "attempt": filing.attempt,
        "provider_id": filing.provider_id,
        "filing_number": filing.filing_number,
        "data": data if viewer.in_full else mask(data, personal_paths(kind)),
        "documents": [scan_view(s) for s in uow.filings.scans(filing.id)],
        "contract_accepted": uow.filings.acceptance(filing.id, filing.version) is not None,
        "problems": [p.to_dict() for p in open_problems],
        "created_at": filing.created_at.isoformat(),
        "updated_at": filing.updated_at.isoformat(),
    }


def scan_view(scan: Scan) -> dict:
    return {"id": scan.id, "kind": scan.kind, "content_type": scan.content_type, "size": scan.size,
            "sha256": scan.sha256, "uploaded_at": scan.uploaded_at.isoformat(), "uploaded_by": scan.uploaded_by}


def get_filing(uow: IntakeUnitOfWork, viewer: Viewer, filing_id: str, at: datetime) -> dict:
    return view(uow, viewer, load(uow, viewer, filing_id), at)


def get_timeline(uow: IntakeUnitOfWork, viewer: Viewer, filing_id: str) -> dict:
    """Every state change with time and actor, oldest first."""
    filing = load(uow, viewer, filing_id)
    return {"id": filing.id, "state": filing.state, "timeline": [
        {"at": e.at.isoformat(), "state": e.state, "version": e.version, "actor": e.actor, "note": e.note,
         "reasons": e.reasons} for e in uow.filings.timeline(filing.id)]}
