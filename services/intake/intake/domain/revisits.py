"""W5: the regular revisit of an approved sponsor, and its life: ``scheduled`` until due, then ``open`` (the
sponsor was asked to confirm or update its data by ``answer_by``), ``escalated`` to staff when unanswered by then,
``confirmed`` or ``updated`` once answered; ``closed`` when the filing ended first. Pure."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class RevisitState(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    ESCALATED = "escalated"
    CONFIRMED = "confirmed"
    UPDATED = "updated"
    CLOSED = "closed"


ANSWERABLE = {RevisitState.OPEN, RevisitState.ESCALATED}
PENDING = {RevisitState.SCHEDULED, *ANSWERABLE}
"""A filing with a revisit in one of these states is not scheduled another."""
REVISIT_ANSWERS = ("confirmed", "update")


class RevisitConflict(Exception):
    """The revisit is not open to an answer; ``message`` says why."""

    def __init__(self, state: str):
        super().__init__(f"the revisit is {state}; only an open or escalated revisit is answered")
        self.message = str(self)


@dataclass(frozen=True)
class Revisit:
    id: str
    filing_id: str
    provider_id: str
    state: RevisitState
    due_at: datetime
    opened_at: datetime | None = None
    answer_by: datetime | None = None
    escalated_at: datetime | None = None
    answered_at: datetime | None = None
    answered_by: str | None = None


def schedule(revisit_id: str, filing_id: str, provider_id: str, after: datetime, interval: timedelta) -> Revisit:
    """The filing's next revisit, ``interval`` after ``after`` (an approval, an answer, a verification on site)."""
    return Revisit(revisit_id, filing_id, provider_id, RevisitState.SCHEDULED, after + interval)


def open_(revisit: Revisit, at: datetime, answer_within: timedelta) -> Revisit:
    """Due: the sponsor is asked to confirm or update its data by ``at + answer_within``."""
    return replace(revisit, state=RevisitState.OPEN, opened_at=at, answer_by=at + answer_within)


def escalate(revisit: Revisit, at: datetime) -> Revisit:
    """Unanswered by ``answer_by``: staff follow up."""
    return replace(revisit, state=RevisitState.ESCALATED, escalated_at=at)


def close(revisit: Revisit) -> Revisit:
    """The filing ended (cancelled, or never numbered) before the revisit was answered."""
    return replace(revisit, state=RevisitState.CLOSED)


def answer(revisit: Revisit, reply: str, actor: str, at: datetime) -> Revisit:
    """``confirmed`` (the data is still right) or ``update`` (a change draft opens); :class:`RevisitConflict`
    unless the revisit is open or escalated."""
    if revisit.state not in ANSWERABLE:
        raise RevisitConflict(revisit.state)
    state = RevisitState.UPDATED if reply == "update" else RevisitState.CONFIRMED
    return replace(revisit, state=state, answered_at=at, answered_by=actor)
