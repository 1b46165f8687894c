"""The hash-chained audit trail (P9) and the penalty summary that follows the bureaus' events into it (C4)."""

from __future__ import annotations

from datetime import datetime

from audit import domain
from audit.repository import AuditUnitOfWork
from audit.usecases.periods import aware
from shared.contracts.bureau import PENALTY_ISSUED, RECTIFICATION_CLOSED, RECTIFICATION_OVERDUE

FOLLOW_UP_OF = {RECTIFICATION_CLOSED: "closed", RECTIFICATION_OVERDUE: "overdue"}


def record_event(uow: AuditUnitOfWork, envelope: dict, now: datetime) -> bool:
    """Append ``envelope`` to the hash-chained trail once (a redelivery adds nothing); True if appended.

    The entry keeps the envelope's data as published: producers seal every personal field (design.md §5), so the
    trail holds no plaintext personal data. Appends are serialised (``TrailRepository.lock``), so each entry links
    to exactly the one before it; the entry is its own once-per-event record.
    """
    meta = envelope["meta"]
    uow.trail.lock()
    event_id = str(meta["id"])
    if uow.trail.has(event_id):
        return False
    uow.trail.append(domain.chain_after(uow.trail.tip(), event_id, meta["type"], meta["source"],
                                        meta["correlation_id"], str(meta["occurred_at"]), envelope["data"]), now)
    _follow_penalties(uow, meta["type"], envelope["data"])
    return True


def _follow_penalties(uow: AuditUnitOfWork, event_type: str, data: dict) -> None:
    """The penalty summary (C4) follows the bureaus' penalty events as they enter the trail. Events of different
    types may overtake each other on the broker: a closure or overdue notice recorded before its penalty is applied
    when the penalty arrives."""
    if event_type == PENALTY_ISSUED and uow.penalties.get(data["penalty_id"]) is None:
        penalty = domain.Penalty(
            penalty_id=data["penalty_id"], provider_id=data["provider_id"], province=data["province"],
            kind=data["kind"], rule=data["rule"], issued_at=aware(data["issued_at"]),
            rectify_by=aware(data["rectify_by"]))
        for earlier_type, body in uow.trail.penalty_entries(FOLLOW_UP_OF, data["penalty_id"]):
            penalty = domain.follow_up(penalty, FOLLOW_UP_OF[earlier_type], aware(body["at"]))
        uow.penalties.add(penalty)
    elif event_type in FOLLOW_UP_OF:
        penalty = uow.penalties.get(data["penalty_id"])
        if penalty is not None:
            uow.penalties.save(domain.follow_up(penalty, FOLLOW_UP_OF[event_type], aware(data["at"])))


def verify_trail(uow: AuditUnitOfWork) -> dict:
    """P9: ``{checked, intact, first_broken: {seq, event_id, problem} | None}``, walking the chain from its first
    entry."""
    checked, broken = domain.verify_chain(uow.trail.entries())
    return {"checked": checked, "intact": broken is None, "first_broken": broken.to_dict() if broken else None}
