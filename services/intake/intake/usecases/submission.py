"""P1 and after: a complete draft submitted (``filing_submitted.v1``), a change (备案变更) of an approved filing —
asked for by its sponsor, or a hosting change staff record (W5) — submitted as ``filing_changed.v1``, and the
cancellation (注销, ``filing_cancelled.v1``). Conventions of :mod:`intake.usecases.filings`.
"""

from dataclasses import replace
from datetime import datetime

from intake.domain import filing as lifecycle
from intake.domain.filing import Acceptance, Filing, Scan
from intake.domain.filing_data import hosting_problems, normalise, normalise_typed
from intake.repository import IntakeUnitOfWork
from intake.usecases.filings import SHANGHAI, Viewer, apply, decided, load, problems, view
from intake.usecases.sites import set_sites
from shared.contracts.errors import ValidationFailed, field_errors
from shared.contracts.intake import READING_PATHS, SEAL_CONTEXT, personal_paths
from shared.platform.sealing import seal


def submit(uow: IntakeUnitOfWork, viewer: Viewer, cipher, hasher, actor: str, filing_id: str, at: datetime) -> dict:
    """P1: validate everything and, on success, store the filing and emit ``filing_submitted.v1`` (or
    ``filing_changed.v1`` for a change of an approved filing) through the outbox. On failure every problem
    is returned at once and nothing changes."""
    filing = load(uow, viewer, filing_id, lock=True)
    decided(lifecycle.ensure_state, "submit", filing.state, lifecycle.SUBMITTABLE)
    return view(uow, viewer, _submit_current(uow, cipher, hasher, filing, actor, at), at)


def _submit_current(uow: IntakeUnitOfWork, cipher, hasher, filing: Filing, actor: str, at: datetime) -> Filing:
    data = uow.filings.data(filing.id, filing.version)
    found = problems(uow, filing, data, at)
    if found:
        raise ValidationFailed(f"the filing has {len(found)} problem(s); nothing was submitted", field_errors(*found))
    # The draft stays as entered (so it can be edited after a failure); the event carries the canonical form.
    data = normalise(data, at.astimezone(SHANGHAI).date())
    change = decided(lifecycle.submit, filing, actor, at, sponsor_kind=data["sponsor"]["kind"],
                     province=data["sponsor"]["province"],
                     person_document_hmac=hasher.digest(data["responsible_person"]["document_number"],
                                                        kind="person_document"),
                     mobile_hmac=hasher.digest(data["contacts"]["mobile"], kind="mobile"))
    filing = change.filing
    uow.filings.mark_submitted(filing.id, filing.version, at)
    acceptance = uow.filings.acceptance(filing.id, filing.version)
    [(event_type, head)] = change.events
    payload = {
        **head,
        **seal(data, personal_paths(data["sponsor"]["kind"]), cipher, SEAL_CONTEXT),
        "documents": [_document(cipher, s) for s in uow.filings.scans(filing.id)],
        "lookups": {"responsible_person_document": filing.person_document_hmac, "mobile": filing.mobile_hmac},
        "contract_acceptance": {"clause_sha256": acceptance.clause_sha256,
                                "accepted_at": acceptance.accepted_at.isoformat(),
                                "accepted_by": acceptance.accepted_by},
    }
    return apply(uow, lifecycle.Change(filing, change.steps, ((event_type, payload),)))


def _document(cipher, scan: Scan) -> dict:
    """A scan as the submission event carries it: its object and, for an identity document, what OCR read of it
    (X7), sealed for the bus like the filing's personal fields."""
    document = {"kind": scan.kind, "object": scan.ref()}
    if scan.reading is not None:
        document["reading"] = seal(scan.reading, READING_PATHS, cipher, SEAL_CONTEXT)
    return document


def _start_change(uow: IntakeUnitOfWork, filing: Filing, actor: str, patch: dict, at: datetime,
                  action: str = "change") -> Filing:
    """A new draft version of an approved filing holding the approved data with ``patch`` merged in."""
    data = lifecycle.merge(uow.filings.data(filing.id, filing.version), patch)
    change = decided(lifecycle.start_change, filing, actor, at, action)
    uow.filings.put_data(change.filing.id, change.filing.version, data)
    return apply(uow, change)


def request_change(uow: IntakeUnitOfWork, viewer: Viewer, actor: str, filing_id: str, at: datetime) -> dict:
    """备案变更: an approved filing gets a new draft version holding the approved data to edit."""
    filing = load(uow, viewer, filing_id, lock=True)
    return view(uow, viewer, _start_change(uow, filing, actor, {}, at), at)


def start_change(uow: IntakeUnitOfWork, filing: Filing, actor: str, at: datetime) -> Filing:
    """W5: a revisit's sponsor asked to update its data: a change draft opens for it to edit and submit."""
    return _start_change(uow, filing, actor, {}, at)


def change_hosting(uow: IntakeUnitOfWork, viewer: Viewer, cipher, hasher, actor: str, filing_id: str, access: dict,
                   at: datetime) -> dict:
    """W5: the provider's hosting of an approved site changed (IP, location, access method): the access
    information is updated in a new version that goes out at once as a change (``filing_changed.v1``) toward the
    bureau, through pre-verification like every change. The sponsor's acceptance of the contract clause (W3)
    carries over: the clause is the same and the sponsor's own data did not change."""
    filing = load(uow, viewer, filing_id, lock=True)
    decided(lifecycle.ensure_state, "change the hosting of", filing.state, {lifecycle.FilingState.APPROVED})
    current = uow.filings.data(filing.id, filing.version).get("access") or {}
    found = hosting_problems(current, access)
    if found:
        raise ValidationFailed("the access information cannot be changed so", field_errors(*found))
    accepted = uow.filings.acceptance(filing.id, filing.version)
    filing = _start_change(uow, filing, actor, normalise_typed({"access": access}), at, "change the hosting of")
    if accepted is not None:
        uow.filings.accept(Acceptance(filing.id, filing.version, accepted.clause_sha256, accepted.accepted_by,
                                      accepted.accepted_at))
    return view(uow, viewer, _submit_current(uow, cipher, hasher, filing, actor, at), at)


def cancel(uow: IntakeUnitOfWork, viewer: Viewer, actor: str, filing_id: str, reason: str, at: datetime, *,
           cipher) -> dict:
    """注销: the filing ends, its sites are disconnected and its revisits closed; an approved filing's number is
    retired by the bureau (``filing_cancelled.v1``, carrying the sponsor's mobile and e-mail sealed under
    ``event.contacts.<field>`` for notify to tell it, X4)."""
    change = decided(lifecycle.cancel, load(uow, viewer, filing_id, lock=True), actor, reason, at)
    filing = apply(uow, replace(change, events=()))
    set_sites(uow, filing.provider_id, filing.id, {}, at, at)
    uow.revisits.close_pending(filing.id)
    for event_type, data in change.events:
        contacts = uow.filings.data(filing.id, filing.version)["contacts"]
        sealed = seal({"contacts": {"mobile": contacts["mobile"], "email": contacts.get("email")}},
                      ("contacts.mobile", "contacts.email"), cipher, SEAL_CONTEXT)
        uow.emit(event_type, {**data, **sealed}, filing.id)
    return view(uow, viewer, filing, at)
