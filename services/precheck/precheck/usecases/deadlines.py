"""P2's deadline of 5 working days: near and breached events, the open counts for metrics, and an administrator's
State Council schedule that recomputes the deadlines depending on it (design.md §6)."""

from collections.abc import Callable
from datetime import datetime

from precheck import domain
from precheck.repository import PrecheckUnitOfWork
from shared.contracts.precheck import (
    PRECHECK_DEADLINE_BREACHED,
    PRECHECK_DEADLINE_NEAR,
)
from shared.kernel.workdays import SHANGHAI
from shared.platform.calendar import reschedule


def raise_deadline_events(uow: PrecheckUnitOfWork, now: Callable[[], datetime]) -> int:
    """Raise ``precheck_deadline_near.v1`` one working day before and ``precheck_deadline_breached.v1`` after
    the deadline, each once per case (P2). Returns how many events were raised."""
    at = now()
    raised = 0
    for case in uow.cases.deadline_due(at):
        payload = {
            "filing_id": case.filing_id,
            "version": case.version,
            "submitted_at": case.submitted_at.isoformat(),
            "deadline": case.deadline_at.isoformat(),
            "provisional": case.deadline_provisional,
            "claimed_by": case.claimed_by,  # W1: whose breach it is
        }
        for announced in domain.deadline_due(case.near_raised_at is not None, case.breached_raised_at is not None,
                                             case.near_at, case.deadline_at, at):
            if announced is domain.Announce.DEADLINE_NEAR:
                case.near_raised_at = at
                uow.emit(PRECHECK_DEADLINE_NEAR, payload, case.filing_id)
            else:
                case.breached_raised_at = at
                uow.emit(PRECHECK_DEADLINE_BREACHED, payload, case.filing_id)
            raised += 1
    return raised


def open_deadlines(uow: PrecheckUnitOfWork, now: Callable[[], datetime]) -> dict:
    """How many cases are open, how many of them are past their deadline and how many deadlines are provisional
    (a year without the State Council's schedule), and how many days of official schedules are left; for
    metrics and staff."""
    open_cases, breached, provisional = uow.cases.open_counts()
    today = now().astimezone(SHANGHAI).date()
    return {"open": open_cases, "breached": breached, "provisional": provisional,
            "official_days_left": uow.calendar.working().official_days_left(today)}


def load_calendar_year(uow: PrecheckUnitOfWork, schedule: dict, actor: str, now: Callable[[], datetime]) -> dict:
    """An administrator loads a year's official schedule; open deadlines that depend on it are recomputed."""
    parsed = uow.calendar.store(schedule, actor, now())
    recomputed = reschedule(uow.cases.open(), parsed.year, uow.calendar.working(), lambda case: case.submitted_at,
                            domain.PRECHECK_WORKING_DAYS)
    return {"year": parsed.year, "recomputed_deadlines": recomputed}
