"""The clock a test sets (DEVELOPERS.md: a test never depends on today's date; the suite passes a year ahead).

Two ways to set it, both derived from one :class:`Clock`:

- a use case takes ``now`` as a collaborator (``Deps.now``): give it a :class:`Clock` set to the moment the test
  needs, and move it with :meth:`Clock.set` or :meth:`Clock.advance`;
- a service running in a container reads the process clock: the ``clock`` fixture starts at the process clock's
  now, and the test derives every time it sends (a pass decided an hour ago, a review received yesterday) from it;
  or, for a container running in the test's process, :func:`service_clock` makes its settings' ``now`` a
  :class:`Clock` the test moves (a window 3 working days from closing, a site failing for days).
  CI runs the tests marked ``clock`` again with the process clock 400 days ahead (``faketime -f '+400d'``), so
  a date written into a test that silently expires shows there, not on the day it expires.

A test whose outcome depends on a window, a deadline or a retention period carries ``@pytest.mark.clock``.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from shared.kernel.workdays import SHANGHAI, WorkingCalendar


class Clock:
    """A settable ``now`` (aware, UTC unless set otherwise): callable, so it serves as ``Deps.now``."""

    def __init__(self, at: datetime | str | None = None) -> None:
        self.at = datetime.now(UTC)
        if at is not None:
            self.set(at)

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime | str) -> None:
        """Move to ``at`` (an aware datetime or its ISO 8601 text)."""
        at = datetime.fromisoformat(at) if isinstance(at, str) else at
        if at.tzinfo is None:
            raise ValueError("a test clock is set to an aware time")
        self.at = at

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``; the new now."""
        self.at += timedelta(**delta)
        return self.at

    def iso(self, **delta: float) -> str:
        """``now + timedelta(**delta)`` as Beijing time in ISO 8601, as events carry times."""
        return (self.at + timedelta(**delta)).astimezone(SHANGHAI).isoformat()

    def day(self, **delta: float) -> str:
        """The Beijing calendar day of ``now + timedelta(**delta)``, ``YYYY-MM-DD``, as people enter dates."""
        return (self.at + timedelta(**delta)).astimezone(SHANGHAI).date().isoformat()


@pytest.fixture
def clock() -> Clock:
    """A :class:`Clock` at the process clock's now (shifted by ``faketime`` in CI's run ahead)."""
    return Clock()


@contextmanager
def service_clock(container, clock: Clock) -> Iterator[Clock]:
    """Inside the block, every settings dependency of ``container`` (a nameko container started in this process)
    that offers ``now`` reads ``clock`` instead of the process clock; its own ``now`` is back afterwards."""
    settings = [ext.settings for ext in container.extensions if callable(getattr(getattr(ext, "settings", None),
                                                                                    "now", None))]
    for each in settings:
        each.now = clock
    try:
        yield clock
    finally:
        for each in settings:
            del each.now


def first_unofficial_year() -> int:
    """The first year after the shipped State Council schedules: a deadline that reaches into it is provisional
    until an administrator loads its notice (derived from the data, so tests follow when a year is added)."""
    return WorkingCalendar.shipped().official_years[-1] + 1


def sample_schedule(year: int) -> dict:
    """A schedule an administrator could load for ``year`` (the JSON object of a notice): test data, not the
    State Council's: 1 to 5 January off, no adjusted working days."""
    return {"year": year, "holidays": [{"date": f"{year}-01-0{day}", "name": "元旦"} for day in range(1, 6)],
            "workdays": [], "source": f"测试数据：{year}年节假日安排（非官方）"}
