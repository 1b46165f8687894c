"""P2, W1: staff work the queue of filings that need a human: claim one, then pass or fail it with reasons."""

from collections.abc import Callable
from datetime import datetime

from precheck import domain
from precheck.repository import PrecheckUnitOfWork
from precheck.usecases.common import MaySee, current_case, everyone, refusals, view, visible
from precheck.usecases.outcome import record_decision


def work_queue(uow: PrecheckUnitOfWork, may_see: MaySee = everyone) -> list[dict]:
    """Filings that need a human, oldest deadline first."""
    official = uow.calendar.working()  # read once for the whole queue, not once per provisional deadline
    return [view(uow, c, official) for c in uow.cases.in_review() if visible(may_see, c)]


def claim(uow: PrecheckUnitOfWork, filing_id: str, actor: str, *, now: Callable[[], datetime],
          may_see: MaySee = everyone) -> dict:
    case = current_case(uow, filing_id, may_see, lock=True)
    with refusals():
        case.claimed_by = domain.claim(case.state, case.claimed_by, actor)
    case.claimed_at = now()
    return view(uow, case)


def decide(uow: PrecheckUnitOfWork, filing_id: str, actor: str, decision: str, reasons: list[dict], *, cipher,
           now: Callable[[], datetime], may_see: MaySee = everyone) -> dict:
    """Staff pass or fail a filing in review; a fail needs field-level reasons (P2)."""
    case = current_case(uow, filing_id, may_see, lock=True)
    with refusals():
        transition = domain.staff_decision(case.state, case.claimed_by, actor, decision, reasons)
    record_decision(uow, cipher, case, transition, reasons=reasons, actor=actor, at=now())
    return view(uow, case)
