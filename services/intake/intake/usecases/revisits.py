"""W5: regular revisits of approved sponsors, their answers, escalation to staff, and the provider's view of them.
Conventions of :mod:`intake.usecases.filings`.

A revisit is scheduled ``revisit_interval`` after each approval (and after each answer); the timer opens it when
due (``revisit_requested.v1``: notify asks the sponsor by SMS and e-mail to confirm or update its data by
``answer_by``), and escalates it to staff when unanswered by then (``revisit_escalated.v1``, and the provider's
``GET /revisits``). The sponsor answers ``confirmed`` (nothing changed) or ``update`` (a change draft is opened,
which it edits and submits as ``filing_changed.v1``).
"""

import uuid
from datetime import datetime, timedelta

from intake.domain import revisits as rules
from intake.domain.filing import Filing, FilingState, confirmed
from intake.domain.revisits import Revisit, RevisitConflict, RevisitState
from intake.repository import IntakeUnitOfWork
from intake.usecases.filings import Viewer, apply, load, view
from intake.usecases.submission import start_change
from shared.contracts.errors import Conflict, FieldError, NotFound, field_errors
from shared.contracts.intake import REVISIT_ESCALATED, REVISIT_REQUESTED, SEAL_CONTEXT
from shared.platform.sealing import seal

DUE_BATCH = 200
LISTED = 100


def schedule_revisit(uow: IntakeUnitOfWork, filing: Filing, after: datetime, interval: timedelta) -> None:
    """W5: the filing's next revisit, ``interval`` after ``after``, unless one is already pending."""
    if not uow.revisits.pending(filing.id):
        uow.revisits.add(rules.schedule(str(uuid.uuid4()), filing.id, filing.provider_id, after, interval))


def _payload(revisit: Revisit, filing: Filing) -> dict:
    return {"revisit_id": revisit.id, "filing_id": filing.id, "provider_id": filing.provider_id,
            "province": filing.province, "filing_number": filing.filing_number,
            "opened_at": revisit.opened_at.isoformat(), "answer_by": revisit.answer_by.isoformat()}


def run_revisits(uow: IntakeUnitOfWork, cipher, provider_id: str, at: datetime, answer_within: timedelta) -> dict:
    """The timer's step: open the revisits that are due and escalate the unanswered ones; each event once.
    Returns ``{"opened": n, "escalated": m}``."""
    opened = escalated = 0
    for revisit, filing in uow.revisits.due(provider_id, RevisitState.SCHEDULED, "due_at", at, DUE_BATCH):
        if filing.state == FilingState.CANCELLED or filing.filing_number is None:
            uow.revisits.save(rules.close(revisit))
            continue
        contacts = uow.filings.data(filing.id, filing.approved_version)["contacts"]
        sealed = seal({"contacts": {"mobile": contacts["mobile"], "email": contacts.get("email")}},
                      ("contacts.mobile", "contacts.email"), cipher, SEAL_CONTEXT)
        revisit = rules.open_(revisit, at, answer_within)
        uow.revisits.save(revisit)
        uow.emit(REVISIT_REQUESTED, {**_payload(revisit, filing), **sealed}, filing.id)
        opened += 1
    for revisit, filing in uow.revisits.due(provider_id, RevisitState.OPEN, "answer_by", at, DUE_BATCH):
        revisit = rules.escalate(revisit, at)
        uow.revisits.save(revisit)
        uow.emit(REVISIT_ESCALATED, {**_payload(revisit, filing), "escalated_at": at.isoformat()}, filing.id)
        escalated += 1
    return {"opened": opened, "escalated": escalated}


def revisit_view(revisit: Revisit, filing_number: str | None = None, *, numbered: bool = False) -> dict:
    out = {"id": revisit.id, "filing_id": revisit.filing_id, "state": revisit.state,
           "due_at": revisit.due_at.isoformat()}
    for key in ("opened_at", "answer_by", "escalated_at", "answered_at"):
        value = getattr(revisit, key)
        out[key] = value.isoformat() if value else None
    out["answered_by"] = revisit.answered_by
    if numbered:
        out["filing_number"] = filing_number
    return out


def filing_revisits(uow: IntakeUnitOfWork, viewer: Viewer, filing_id: str) -> dict:
    """A filing's revisits, newest first (the sponsor sees which one waits for its answer)."""
    filing = load(uow, viewer, filing_id)
    return {"filing_id": filing.id, "revisits": [revisit_view(r) for r in uow.revisits.of_filing(filing.id)]}


def _unknown_revisit() -> NotFound:
    return NotFound("no such revisit", field_errors(
        FieldError("revisit_id", "unknown", "No revisit with this id exists for this filing.", "W5")))


def answer(uow: IntakeUnitOfWork, viewer: Viewer, actor: str, filing_id: str, revisit_id: str, reply: str,
           at: datetime, interval: timedelta) -> dict:
    """W5: the sponsor answers an open (or escalated) revisit: ``confirmed`` (its data is still right) or
    ``update`` (a change draft opens for it to edit and submit). The next revisit is scheduled from now."""
    filing = load(uow, viewer, filing_id, lock=True)
    try:
        revisit = uow.revisits.get(str(uuid.UUID(revisit_id)), filing.id, lock=True)
    except ValueError:
        raise _unknown_revisit() from None
    if revisit is None:
        raise _unknown_revisit()
    try:
        revisit = rules.answer(revisit, reply, actor, at)
    except RevisitConflict as exc:
        raise Conflict(exc.message, field_errors(FieldError("state", "conflict", exc.message, "W5"))) from None
    if reply == "update":
        if filing.state != FilingState.APPROVED:
            message = f"the filing is {filing.state}: a change is already under way or it cannot change now"
            raise Conflict(message, field_errors(FieldError("state", "conflict", message, "W5")))
        filing = start_change(uow, filing, actor, at)
    else:
        filing = apply(uow, confirmed(filing, actor, at, "data confirmed at the regular revisit (W5)"))
    uow.revisits.save(revisit)
    schedule_revisit(uow, filing, at, interval)
    return {"revisit": revisit_view(revisit), "filing": view(uow, viewer, filing, at)}


def status(uow: IntakeUnitOfWork, provider_id: str, at: datetime) -> dict:
    """W5: the provider's revisits at a glance: how many in each state, when the next one is due, and the
    escalated and open ones (soonest answer time first, at most ``LISTED`` each) for staff to follow up."""
    next_due = uow.revisits.next_due(provider_id)

    def listed(state: RevisitState) -> list[dict]:
        return [revisit_view(r, number, numbered=True) for r, number in uow.revisits.listed(provider_id, state, LISTED)]

    return {"provider_id": provider_id, "at": at.isoformat(), "counts": uow.revisits.counts(provider_id),
            "next_due_at": next_due.isoformat() if next_due else None,
            "escalated": listed(RevisitState.ESCALATED), "open": listed(RevisitState.OPEN)}
