"""W5 use cases: regular revisits of approved sponsors, their answers, escalation to staff, and the provider's
view of them. Same conventions as :mod:`intake.usecases` (collaborators in ``Deps``; the entrypoint commits).

A revisit is scheduled ``revisit_interval`` after each approval (and after each answer); the timer opens it when
due (``revisit_requested.v1``: notify asks the sponsor by SMS and e-mail to confirm or update its data by
``answer_by``), and escalates it to staff when unanswered by then (``revisit_escalated.v1``, and the provider's
``GET /revisits``). The sponsor answers ``confirmed`` (nothing changed) or ``update`` (a change draft is opened,
which it edits and submits as ``filing_changed.v1``).
"""

import uuid

from sqlalchemy import func, select

from intake import domain
from intake.domain import FilingState, RevisitState
from intake.models import Filing, Revisit, outbox
from intake.usecases import SERVICE, Deps, _load, _plain, _record, _schedule_revisit, _start_change, _version, view
from shared.contracts.envelope import make_envelope
from shared.contracts.errors import Conflict, FieldError, NotFound, field_errors
from shared.contracts.intake import REVISIT_ESCALATED, REVISIT_REQUESTED, SEAL_CONTEXT
from shared.platform.outbox import enqueue
from shared.platform.sealing import seal

DUE_BATCH = 200
LISTED = 100


def _payload(revisit: Revisit, filing: Filing) -> dict:
    return {"revisit_id": revisit.id, "filing_id": filing.id, "provider_id": filing.provider_id,
            "province": filing.province, "filing_number": filing.filing_number,
            "opened_at": revisit.opened_at.isoformat(), "answer_by": revisit.answer_by.isoformat()}


def _due(deps: Deps, *conditions):
    query = select(Revisit, Filing).join(Filing, Filing.id == Revisit.filing_id).where(
        Revisit.provider_id == deps.provider_id, *conditions).order_by(Revisit.due_at).limit(DUE_BATCH)
    if deps.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Revisit, skip_locked=True)  # several replicas never open one twice
    return deps.session.execute(query).all()


def run_revisits(deps: Deps) -> dict:
    """The timer's step: open the revisits that are due and escalate the unanswered ones; each event once.
    Returns ``{"opened": n, "escalated": m}``."""
    now = deps.now()
    opened = escalated = 0
    for revisit, filing in _due(deps, Revisit.state == RevisitState.SCHEDULED, Revisit.due_at <= now):
        if filing.state == FilingState.CANCELLED or filing.filing_number is None:
            revisit.state = RevisitState.CLOSED
            continue
        data = _plain(deps, _version(deps, filing, filing.approved_version))
        contacts = seal({"contacts": {"mobile": data["contacts"]["mobile"], "email": data["contacts"].get("email")}},
                        ("contacts.mobile", "contacts.email"), deps.cipher, SEAL_CONTEXT)
        revisit.state, revisit.opened_at, revisit.answer_by = RevisitState.OPEN, now, now + deps.revisit_answer
        enqueue(deps.session, outbox, make_envelope(REVISIT_REQUESTED, SERVICE,
                                                    {**_payload(revisit, filing), **contacts}, filing.id))
        opened += 1
    for revisit, filing in _due(deps, Revisit.state == RevisitState.OPEN, Revisit.answer_by <= now):
        revisit.state, revisit.escalated_at = RevisitState.ESCALATED, now
        enqueue(deps.session, outbox, make_envelope(REVISIT_ESCALATED, SERVICE, {
            **_payload(revisit, filing), "escalated_at": now.isoformat()}, filing.id))
        escalated += 1
    return {"opened": opened, "escalated": escalated}


def _revisit_view(revisit: Revisit, filing: Filing | None = None) -> dict:
    out = {"id": revisit.id, "filing_id": revisit.filing_id, "state": revisit.state,
           "due_at": revisit.due_at.isoformat()}
    for key in ("opened_at", "answer_by", "escalated_at", "answered_at"):
        value = getattr(revisit, key)
        out[key] = value.isoformat() if value else None
    out["answered_by"] = revisit.answered_by
    if filing is not None:
        out["filing_number"] = filing.filing_number
    return out


def filing_revisits(deps: Deps, filing_id: str) -> dict:
    """A filing's revisits, newest first (the sponsor sees which one waits for its answer)."""
    filing = _load(deps, filing_id)
    rows = deps.session.execute(select(Revisit).where(Revisit.filing_id == filing.id)
                                .order_by(Revisit.due_at.desc())).scalars()
    return {"filing_id": filing.id, "revisits": [_revisit_view(r) for r in rows]}


def answer(deps: Deps, actor: str, filing_id: str, revisit_id: str, reply: str) -> dict:
    """W5: the sponsor answers an open (or escalated) revisit: ``confirmed`` (its data is still right) or
    ``update`` (a change draft opens for it to edit and submit). The next revisit is scheduled from now."""
    filing = _load(deps, filing_id, lock=True)
    revisit = deps.session.execute(select(Revisit).where(
        Revisit.id == _uuid(revisit_id), Revisit.filing_id == filing.id).with_for_update()).scalar_one_or_none()
    if revisit is None:
        raise NotFound("no such revisit", field_errors(
            FieldError("revisit_id", "unknown", "No revisit with this id exists for this filing.", "W5")))
    if revisit.state not in domain.ANSWERABLE:
        message = f"the revisit is {revisit.state}; only an open or escalated revisit is answered"
        raise Conflict(message, field_errors(FieldError("state", "conflict", message, "W5")))
    now = deps.now()
    if reply == "update":
        if filing.state != FilingState.APPROVED:
            message = f"the filing is {filing.state}: a change is already under way or it cannot change now"
            raise Conflict(message, field_errors(FieldError("state", "conflict", message, "W5")))
        _start_change(deps, filing, actor, {})
    else:
        _record(deps, filing, filing.state, actor, "data confirmed at the regular revisit (W5)")
    revisit.state = RevisitState.UPDATED if reply == "update" else RevisitState.CONFIRMED
    revisit.answered_at, revisit.answered_by = now, actor
    deps.session.flush()
    _schedule_revisit(deps, filing, now)
    return {"revisit": _revisit_view(revisit), "filing": view(deps, filing)}


def _uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise NotFound("no such revisit", field_errors(
            FieldError("revisit_id", "unknown", "No revisit with this id exists for this filing.", "W5"))) from None


def status(deps: Deps) -> dict:
    """W5: the provider's revisits at a glance: how many in each state, how many open ones are past their answer
    time, and the escalated and open ones (oldest first, at most ``LISTED`` each) for staff to follow up."""
    now = deps.now()
    counts = dict.fromkeys((s.value for s in RevisitState), 0)
    for state, count in deps.session.execute(select(Revisit.state, func.count()).where(
            Revisit.provider_id == deps.provider_id).group_by(Revisit.state)):
        counts[state] = count

    def listed(state: RevisitState) -> list[dict]:
        rows = deps.session.execute(select(Revisit, Filing).join(Filing, Filing.id == Revisit.filing_id).where(
            Revisit.provider_id == deps.provider_id, Revisit.state == state)
            .order_by(Revisit.answer_by).limit(LISTED)).all()
        return [_revisit_view(r, f) for r, f in rows]

    next_due = deps.session.execute(select(func.min(Revisit.due_at)).where(
        Revisit.provider_id == deps.provider_id, Revisit.state == RevisitState.SCHEDULED)).scalar_one()
    return {"provider_id": deps.provider_id, "at": now.isoformat(), "counts": counts,
            "next_due_at": next_due.isoformat() if next_due else None,
            "escalated": listed(RevisitState.ESCALATED), "open": listed(RevisitState.OPEN)}
