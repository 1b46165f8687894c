"""The clocks (P8, A1): review deadlines near and breached, rectification orders overdue, each raised once; the
counts the metrics show; a year's State Council schedule loaded, open review deadlines following it."""

from collections.abc import Callable
from datetime import datetime

from bureau import domain
from bureau.domain import DeadlineEvent
from bureau.repository import SERVICE, BureauUnitOfWork
from bureau.usecases.common import Scope
from shared.contracts.bureau import RECTIFICATION_OVERDUE, REVIEW_DEADLINE_BREACHED, REVIEW_DEADLINE_NEAR
from shared.kernel.workdays import SHANGHAI
from shared.platform.calendar import reschedule

_REVIEW_EVENTS = {DeadlineEvent.NEAR: REVIEW_DEADLINE_NEAR, DeadlineEvent.BREACHED: REVIEW_DEADLINE_BREACHED}


def raise_deadline_events(uow: BureauUnitOfWork, *, scope: Scope, now: Callable[[], datetime]) -> int:
    """P8: ``review_deadline_approached.v1`` one working day before and ``review_deadline_breached.v1`` after the
    deadline, each once per review; A1: ``rectification_deadline_passed.v1`` once per overdue order. How many
    events were raised."""
    at = now()
    raised = 0
    for review in uow.reviews.due(at):
        payload = {"filing_id": review.filing_id, "version": review.version, "submission": review.submission,
                   **scope.of(review.provider_id), "received_at": review.received_at.isoformat(),
                   "deadline": review.deadline_at.isoformat(), "provisional": review.deadline_provisional}
        for event in domain.deadline_events(review.near_raised_at is not None, review.breached_raised_at is not None,
                                            review.near_at, review.deadline_at, at):
            if event is DeadlineEvent.NEAR:
                review.near_raised_at = at
            else:
                review.breached_raised_at = at
            uow.emit(_REVIEW_EVENTS[event], payload, review.filing_id)
            raised += 1
    for penalty in uow.penalties.overdue(at):
        state = domain.penalty_overdue(penalty.state, penalty.rectify_by, at)
        if state is None:
            continue
        penalty.state, penalty.overdue_raised_at = state, at
        uow.emit(RECTIFICATION_OVERDUE, {
            "penalty_id": penalty.id, **scope.of(penalty.provider_id),
            "rectify_by": penalty.rectify_by.isoformat(), "at": at.isoformat(), "by": SERVICE,
        }, penalty.id)
        raised += 1
    return raised


def open_counts(uow: BureauUnitOfWork, *, now: Callable[[], datetime]) -> dict:
    """Open reviews, how many are past their deadline and how many deadlines are provisional (a year without
    the State Council's schedule), and how many days of official schedules are left; for metrics."""
    opened, breached, provisional = uow.reviews.open_counts()
    days_left = uow.calendar.working().official_days_left(now().astimezone(SHANGHAI).date())
    return {"open": opened, "breached": breached, "provisional": provisional, "official_days_left": days_left}


def load_calendar_year(uow: BureauUnitOfWork, schedule: dict, actor: str, *, review_days: int,
                       now: Callable[[], datetime]) -> dict:
    """An administrator loads a year's State Council schedule (P8: the 20 working days follow it); the open
    reviews whose deadline counted days of that year by the provisional rule are recomputed from their receipt."""
    parsed = uow.calendar.store(schedule, actor, now())
    recomputed = reschedule(uow.reviews.open(), parsed.year, uow.calendar.working(),
                            lambda review: review.received_at, review_days)
    return {"year": parsed.year, "recomputed_deadlines": recomputed}
