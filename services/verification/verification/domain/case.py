"""The on-site case (P3–P8, W6): its window — open one calendar month from the pre-verification pass (P3), or
to the stock plan's deadline (W6) — and its lifecycle: each move's new state and what the move raises, and what
the window timer does with an open case. Pure."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.kernel.workdays import SHANGHAI, WorkingCalendar

WINDOW_MONTHS = 1
"""P3: the responsible person comes in person within 1 month of the pre-verification pass."""

REMIND_WORKING_DAYS = 3
"""X4: the sponsor is reminded (and staff warned, P3) when this many working days are left of an unused window."""


class CaseState(StrEnum):
    WINDOW_OPEN = "window_open"  # waiting for the responsible person (P3)
    REVERIFIED = "reverified"  # a stock filing verified on site (W6): already approved, nothing goes to the bureau
    EXPIRED = "expired"  # nobody came within the month: back to the sponsor
    REJECTED = "rejected"  # not accepted on site (P5)
    SENT = "sent_to_bureau"  # verified, sealed and submitted (P6, P7)
    CANCELLED = "cancelled"  # the sponsor cancelled while the window was open
    SUPERSEDED = "superseded"  # a newer submission of the filing took over


OPEN_STATES = (CaseState.WINDOW_OPEN,)
DEADLINE_KIND = "onsite_window_1_month"  # the ``kind`` of icp_deadlines_open/_breached (deploy/monitoring)


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime
    warn_at: datetime


def add_months(moment: datetime, months: int) -> datetime:
    """The same wall-clock time ``months`` calendar months later in Asia/Shanghai; a day that the target month
    lacks (31 January + 1 month) becomes that month's last day."""
    local = moment.astimezone(SHANGHAI)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def warn_time(opens_at: datetime, closes_at: datetime, calendar: WorkingCalendar) -> datetime:
    """X4, P3: when the sponsor is reminded and staff warned: the start of the day from which
    :data:`REMIND_WORKING_DAYS` working days are left (``calendar``: the service's, with the years loaded), never
    before the window opens."""
    return max(opens_at, calendar.when_left(closes_at, REMIND_WORKING_DAYS))


def onsite_window(passed_at: datetime, calendar: WorkingCalendar, length: timedelta | None = None) -> Window:
    """P3: the window opens when pre-verification passes and closes one calendar month later; the reminder is
    due :data:`REMIND_WORKING_DAYS` working days before (X4). ``length`` stands in for the month in development
    and system tests only (``VERIFICATION_WINDOW_SECONDS``): a window of seconds has no working days to remind
    of, so it runs out unannounced (the system tests' SMS do not depend on how long a journey takes)."""
    if length is not None:
        return Window(passed_at, passed_at + length, passed_at + length)
    closes = add_months(passed_at, WINDOW_MONTHS)
    return Window(passed_at, closes, warn_time(passed_at, closes, calendar))


def stock_window(requested_at: datetime, deadline: datetime, calendar: WorkingCalendar) -> Window:
    """W6: a stock filing's window runs from the re-verification request to the plan's deadline; the sponsor is
    reminded as for P3 (X4). Past the deadline the filing is overdue but still verified."""
    return Window(requested_at, deadline, warn_time(requested_at, deadline, calendar))


# --- the case's lifecycle (P3–P8, W6) ---------------------------------------------------------------------------


class Move(StrEnum):
    """What happens to an on-site case."""

    SUPERSEDE = "supersede"  # a newer submission of the filing passed pre-verification (P3)
    CANCEL = "cancel"  # the sponsor cancelled
    EXPIRE = "expire"  # nobody came within the month (P3)
    REJECT = "reject"  # not accepted on site (P5)
    VERIFY = "verify"  # verified on site (P6, P7; W6 for a stock filing)
    RETURN = "return"  # the bureau returned the verified filing (P8)


class Raised(StrEnum):
    """What a move tells other services (the use cases send each under its contract type)."""

    WINDOW_OPENED = "window_opened"
    WINDOW_EXPIRED = "window_expired"
    REJECTED = "rejected"
    VERIFIED = "verified"
    SENT_TO_BUREAU = "sent_to_bureau"


_MOVES: dict[tuple[CaseState, Move], tuple[CaseState, tuple[Raised, ...]]] = {
    (CaseState.WINDOW_OPEN, Move.SUPERSEDE): (CaseState.SUPERSEDED, ()),
    (CaseState.WINDOW_OPEN, Move.CANCEL): (CaseState.CANCELLED, ()),
    (CaseState.WINDOW_OPEN, Move.EXPIRE): (CaseState.EXPIRED, (Raised.WINDOW_EXPIRED,)),
    (CaseState.WINDOW_OPEN, Move.REJECT): (CaseState.REJECTED, (Raised.REJECTED,)),
    (CaseState.WINDOW_OPEN, Move.VERIFY): (CaseState.SENT, (Raised.VERIFIED, Raised.SENT_TO_BUREAU)),
    (CaseState.SENT, Move.RETURN): (CaseState.WINDOW_OPEN, (Raised.WINDOW_OPENED,)),
}


def moved(state: str, move: Move, *, stock: bool = False) -> tuple[CaseState, tuple[Raised, ...]]:
    """The case's state after ``move`` and what the move raises. A stock filing (W6) verified on site is
    re-verified: approved long ago, nothing goes to the bureau. A move the state does not allow raises
    ``ValueError`` (the use cases look at the state first: reaching it is a bug, never the caller's error)."""
    try:
        target, raised = _MOVES[(CaseState(state), move)]
    except KeyError:
        raise ValueError(f"a {state} case cannot {move}") from None
    if stock and move is Move.VERIFY:
        return CaseState.REVERIFIED, (Raised.VERIFIED,)
    return target, raised


class Due(StrEnum):
    """What the window timer does with an open case past its warning time."""

    WARN = "warn"  # 3 working days before the window closes, once (P3, X4)
    EXPIRE = "expire"  # closed: back to the sponsor (P3)
    OVERDUE = "overdue"  # a stock filing past the plan's deadline: still verified, reported by intake (W6)


def due(stock: bool, closes_at: datetime, warned_at: datetime | None, now: datetime) -> Due | None:
    """P3/W6: the timer's move for an open, unexpired case whose warning time has come; None: nothing (already
    warned, not yet closed)."""
    if now >= closes_at:
        return Due.OVERDUE if stock else Due.EXPIRE
    return Due.WARN if warned_at is None else None
