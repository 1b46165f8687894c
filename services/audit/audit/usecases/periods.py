"""Time as audit reads it: the months and quarters of the reports, in Beijing time (C1, C2, C4; a malformed one
is a 400 naming it), and the instants events carry."""

from __future__ import annotations

from datetime import datetime, time

from audit import domain
from shared.contracts.errors import BadRequest
from shared.kernel.workdays import SHANGHAI


def month_range(month: str) -> tuple[datetime, datetime]:
    """``"2026-11"`` -> [its first instant, the next month's) in Asia/Shanghai."""
    try:
        start, end = domain.month_bounds(month)
    except ValueError:
        raise BadRequest.about("month", "format", "A month looks like 2026-11.", "C1") from None
    return (datetime.combine(start, time(), SHANGHAI), datetime.combine(end, time(), SHANGHAI))


def quarter_end(quarter: str) -> datetime:
    """``"2026Q4"`` -> the first instant after it in Asia/Shanghai."""
    try:
        _start, end = domain.quarter_bounds(quarter)
    except ValueError:
        raise BadRequest.about("quarter", "format", "A quarter looks like 2026Q4.", "P10") from None
    return datetime.combine(end, time(), SHANGHAI)


def aware(value) -> datetime:
    """An instant as an event carries it (ISO 8601 with its offset), or as already read."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
