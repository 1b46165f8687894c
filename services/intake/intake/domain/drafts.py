"""X4: a draft nobody touched for 45 days expires, after reminders at 30 and 40 days (pure rules)."""

from datetime import datetime, timedelta
from enum import StrEnum

DRAFT_EXPIRY_DAYS = 45
DRAFT_REMINDER_DAYS = (30, 40)


class DraftDue(StrEnum):
    REMIND = "remind"
    EXPIRE = "expire"


def expires_at(updated_at: datetime) -> datetime:
    return updated_at + timedelta(days=DRAFT_EXPIRY_DAYS)


def draft_due(updated_at: datetime, reminders: int, now: datetime) -> DraftDue | None:
    """What the timer owes a draft last touched at ``updated_at`` that got ``reminders`` reminders: the next
    reminder once its day has come, expiry only after both reminders (a timer that was down sends the one it
    missed first, so a draft never expires unannounced)."""
    age = now - updated_at
    if reminders < len(DRAFT_REMINDER_DAYS):
        return DraftDue.REMIND if age >= timedelta(days=DRAFT_REMINDER_DAYS[reminders]) else None
    return DraftDue.EXPIRE if age >= timedelta(days=DRAFT_EXPIRY_DAYS) else None
