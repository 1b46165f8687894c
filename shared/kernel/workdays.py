"""Working days of the State Council's holiday schedule, time zone Asia/Shanghai (P2, P8, requirements §4).

Deadlines in the filing process count statutory working days: pre-verification within **5 working days** of
submission (P2), the bureau's review within **20 working days** (P8; a province may set more). The numbers are
constants beside the rules that use them (design.md §6); this module only counts.

A working day is Monday to Friday, except the holidays of the State Council General Office's yearly notice
(国务院办公厅关于{year}年部分节假日安排的通知), plus the Saturdays and Sundays that notice makes working days
(调休上班). Each year's notice is data, a :class:`YearSchedule`:

- the shipped file ``shared/kernel/data/holidays.json``, built by ``tools/build_holidays.py`` from the
  ``chinesecalendar`` package (a build tool only, never imported at run time), holds every year it covers;
- an administrator loads a later year without a release: :func:`parse_schedule` checks the JSON object of the
  notice and :meth:`WorkingCalendar.with_schedule` returns a calendar that has it (and replaces that year if it
  was there, e.g. to correct it).

**Provisional rule.** A year without official data (the notice for year Y appears in November or December of
Y-1) counts Monday to Friday except the fixed-date statutory holidays of the 全国年节及纪念日放假办法 in force
since 2025-01-01: 1 January, 1 and 2 May, 1 to 3 October. The lunar holidays (除夕 and 春节, 清明, 端午, 中秋) and
the adjusted working weekends are not known in advance, so such a day count can be off in either direction: a
:class:`Deadline` that counted or skipped a day of such a year is ``provisional`` and names the ``years`` it
depends on; when a year's schedule is loaded, the service recomputes the open deadlines whose ``years`` contain
it (from their start and working-day count, with the new calendar).

Pure: standard library only, no clock; times are aware datetimes, days are dates in Asia/Shanghai.
"""

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from importlib import resources
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from shared.kernel.errors import InvalidValue

RULE = "P2"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# (month, day) of the statutory holidays on fixed Gregorian dates, 全国年节及纪念日放假办法 as revised in
# November 2024, in force since 2025-01-01: 元旦 1 Jan, 劳动节 1-2 May, 国庆节 1-3 Oct. Used only for years
# without official data (the provisional rule).
FIXED_DATE_HOLIDAYS: frozenset[tuple[int, int]] = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})

# Years a schedule may be given for: the package's data starts in 2004; the upper bound catches typos.
MIN_YEAR, MAX_YEAR = 2000, 2100

_ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FIELDS = frozenset({"year", "holidays", "workdays", "source"})


def _invalid(code: str, message: str) -> InvalidValue:
    return InvalidValue(code, message, RULE)


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: the days off (``holidays``, weekend days inside a holiday period included)
    and the adjusted working Saturdays and Sundays (``workdays``), with the ``source`` it comes from.

    ``names`` maps each holiday to its name (春节, 国庆节, ...), for display; it takes no part in comparisons.
    Construction checks the dates (InvalidValue, rule P2): ``invalid_year``, ``date_outside_year``,
    ``workday_not_weekend``, ``holiday_is_workday``, ``no_holidays``, ``invalid_source``.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str
    names: Mapping[date, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not MIN_YEAR <= self.year <= MAX_YEAR:
            raise _invalid("invalid_year", f"The year must be a whole number from {MIN_YEAR} to {MAX_YEAR}.")
        if not isinstance(self.source, str) or not self.source.strip():
            raise _invalid("invalid_source", "Name the notice the schedule comes from in 'source'.")
        if not self.holidays:
            raise _invalid("no_holidays", f"The schedule for {self.year} lists no holidays.")
        for day in sorted(self.holidays | self.workdays):
            if day.year != self.year:
                raise _invalid("date_outside_year", f"{day.isoformat()} is not in {self.year}.")
        for day in sorted(self.workdays):
            if day.weekday() < 5:
                raise _invalid(
                    "workday_not_weekend",
                    f"{day.isoformat()} is a weekday: only a Saturday or Sunday can be an adjusted working day.",
                )
        both = sorted(self.holidays & self.workdays)
        if both:
            message = f"{both[0].isoformat()} is listed both as a holiday and a working day."
            raise _invalid("holiday_is_workday", message)
        object.__setattr__(self, "names", MappingProxyType(dict(self.names)))


def _parse_date(value: Any, what: str) -> date:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise _invalid("invalid_date", f"Each {what} must be a date written YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _invalid("invalid_date", f"{value} is not a calendar date.") from None


def parse_schedule(obj: Any) -> YearSchedule:
    """Check an administrator's schedule for one year and return it (rule P2; InvalidValue otherwise).

    The JSON object of the year's notice::

        {"year": 2027,
         "holidays": [{"date": "2027-01-01", "name": "元旦"}, ...],
         "workdays": ["2027-02-07", ...],
         "source": "国务院办公厅关于2027年部分节假日安排的通知"}

    ``holidays`` are all days off of the notice's holiday periods (weekend days inside them may be listed),
    ``workdays`` the adjusted working Saturdays and Sundays. Codes: ``schedule_not_object``,
    ``missing_field``, ``unknown_field``, ``invalid_year``, ``invalid_source``, ``invalid_list``,
    ``invalid_holiday`` (an entry that is not ``{"date", "name"}`` with a name), ``invalid_date``,
    ``date_outside_year``, ``duplicate_date``, ``workday_not_weekend``, ``holiday_is_workday``, ``no_holidays``.
    An adjusted working day of the notice that falls in the previous year (e.g. a Saturday in late December) is
    loaded as a corrected schedule of that previous year.
    """
    if not isinstance(obj, dict):
        raise _invalid("schedule_not_object", "A schedule is a JSON object with year, holidays, workdays, source.")
    missing = sorted(_FIELDS - obj.keys())
    if missing:
        raise _invalid("missing_field", f"The schedule lacks: {', '.join(missing)}.")
    unknown = sorted(str(key) for key in obj.keys() - _FIELDS)
    if unknown:
        raise _invalid("unknown_field", f"The schedule has unknown fields: {', '.join(unknown)}.")
    year = obj["year"]
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise _invalid("invalid_year", f"The year must be a whole number from {MIN_YEAR} to {MAX_YEAR}.")
    for key in ("holidays", "workdays"):
        if not isinstance(obj[key], list):
            raise _invalid("invalid_list", f"'{key}' must be a list.")

    names: dict[date, str] = {}
    for entry in obj["holidays"]:
        if not isinstance(entry, dict) or set(entry) != {"date", "name"}:
            raise _invalid("invalid_holiday", 'Each holiday must be an object {"date": ..., "name": ...}.')
        name = entry["name"]
        if not isinstance(name, str) or not name.strip():
            raise _invalid("invalid_holiday", "Each holiday needs a name (e.g. 春节).")
        day = _parse_date(entry["date"], "holiday date")
        if day.year != year:
            raise _invalid("date_outside_year", f"{day.isoformat()} is not in {year}.")
        if day in names:
            raise _invalid("duplicate_date", f"{day.isoformat()} is listed more than once.")
        names[day] = name.strip()
    workdays: set[date] = set()
    for value in obj["workdays"]:
        day = _parse_date(value, "working day")
        if day.year != year:
            raise _invalid("date_outside_year", f"{day.isoformat()} is not in {year}.")
        if day in workdays:
            raise _invalid("duplicate_date", f"{day.isoformat()} is listed more than once.")
        workdays.add(day)
    source = obj["source"]
    return YearSchedule(
        year=year,
        holidays=frozenset(names),
        workdays=frozenset(workdays),
        source=source.strip() if isinstance(source, str) else source,
        names=names,
    )


def shanghai_date(moment: datetime) -> date:
    """The calendar day in Asia/Shanghai of an aware ``moment`` (ValueError for a naive one)."""
    if not isinstance(moment, datetime):
        raise TypeError("expected a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime has no day in Asia/Shanghai: give it a time zone")
    return moment.astimezone(SHANGHAI).date()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Deadline:
    """The end of a span of working days: ``at``, aware in Asia/Shanghai, is 00:00 of the day after the last
    working day. ``provisional``: a day counted or skipped lies in a year without official data, so ``at`` is an
    estimate to recompute when that year's schedule is loaded; ``years`` are the years of those days (sorted),
    the ones whose schedule decides ``at``.
    """

    at: datetime
    provisional: bool
    years: tuple[int, ...]

    @property
    def last_day(self) -> date:
        """The last working day of the span (the deadline is its end)."""
        return shanghai_date(self.at - timedelta(microseconds=1))

    @property
    def near(self) -> datetime:
        """The start of the last working day: one working day before the deadline (the "deadline near" time)."""
        return _start_of(self.last_day)


class WorkingCalendar:
    """Statutory working days: official schedules for the years that have one, the provisional rule otherwise.

    Immutable: :meth:`with_schedule` returns a new calendar. :meth:`shipped` is the calendar of the shipped data.
    """

    def __init__(self, schedules: Iterable[YearSchedule] = ()) -> None:
        by_year: dict[int, YearSchedule] = {}
        for schedule in schedules:
            if not isinstance(schedule, YearSchedule):
                raise TypeError("expected YearSchedule")
            if schedule.year in by_year:
                raise ValueError(f"two schedules for {schedule.year}")
            by_year[schedule.year] = schedule
        self._schedules: Mapping[int, YearSchedule] = MappingProxyType(dict(sorted(by_year.items())))

    def __repr__(self) -> str:
        years = self.official_years
        span = f"{years[0]}..{years[-1]}" if years else "none"
        return f"WorkingCalendar(official={span}, {len(years)} years)"

    @classmethod
    def shipped(cls) -> "WorkingCalendar":
        """The calendar of ``shared/kernel/data/holidays.json`` (read once, then cached)."""
        return _shipped()

    def with_schedule(self, schedule: YearSchedule) -> "WorkingCalendar":
        """A new calendar with ``schedule`` as its year's official data (replacing any it had for that year)."""
        if not isinstance(schedule, YearSchedule):
            raise TypeError("expected YearSchedule")
        return WorkingCalendar({**self._schedules, schedule.year: schedule}.values())

    @property
    def official_years(self) -> tuple[int, ...]:
        """The years with an official schedule, ascending."""
        return tuple(self._schedules)

    def official_days_left(self, today: date) -> int:
        """Days from ``today`` (a date in Asia/Shanghai) to the first day of the first year after ``today``'s
        without an official schedule: 0 when ``today``'s own year has none. Deadlines that reach that day are
        provisional, so operators load the next notice before this reaches 0."""
        year = today.year
        while self.has_official(year):
            year += 1
        return max((date(year, 1, 1) - today).days, 0)

    def schedule(self, year: int) -> YearSchedule | None:
        """The official schedule of ``year``, or None."""
        return self._schedules.get(year)

    def has_official(self, year: int) -> bool:
        """Whether ``year`` has an official schedule (else its days follow the provisional rule)."""
        return year in self._schedules

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (a date in Asia/Shanghai) is a statutory working day.

        With the year's official schedule: holidays are off, adjusted working weekends are on, other days Monday
        to Friday. Without it, the provisional rule: Monday to Friday except 1 Jan, 1-2 May and 1-3 Oct.
        """
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError("expected a date (use shanghai_date() for a datetime)")
        schedule = self._schedules.get(day.year)
        if schedule is None:
            return day.weekday() < 5 and (day.month, day.day) not in FIXED_DATE_HOLIDAYS
        if day in schedule.holidays:
            return False
        return day in schedule.workdays or day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        """The official holiday ``day`` belongs to (e.g. 国庆节), or None (also for years without official data)."""
        schedule = self._schedules.get(day.year)
        return None if schedule is None else schedule.names.get(day)

    def _count(self, start: datetime, n: int) -> tuple[date, tuple[int, ...]]:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError("the number of working days must be a whole number of at least 1")
        day = shanghai_date(start)
        years: set[int] = set()
        counted = 0
        while counted < n:
            day += _ONE_DAY
            years.add(day.year)
            if self.is_working_day(day):
                counted += 1
        return day, tuple(sorted(years))

    def add_working_days(self, start: datetime, n: int) -> Deadline:
        """The deadline ``n`` working days after ``start``: the end of the n-th working day after the day (in
        Asia/Shanghai) of ``start``, i.e. 00:00 of the next calendar day. The day of ``start`` itself never
        counts, whatever the hour, and whether or not it is a working day.

        Used with n = 5 for pre-verification (P2) and n = 20 for the bureau's review (P8).
        """
        last, years = self._count(start, n)
        return Deadline(
            at=_start_of(last + _ONE_DAY),
            provisional=any(not self.has_official(year) for year in years),
            years=years,
        )

    def near_time(self, start: datetime, n: int) -> datetime:
        """The start (00:00, Asia/Shanghai) of the n-th working day after ``start``: one working day before the
        deadline of :meth:`add_working_days`, when a timer raises "deadline near" (P2, P8)."""
        last, _ = self._count(start, n)
        return _start_of(last)

    def working_days_left(self, now: datetime, deadline: Deadline | datetime) -> int:
        """Whole working days after today (Asia/Shanghai) up to ``deadline``.

        Equals n at the start of an ``add_working_days(start, n)`` span (on the day of ``start``), and is 0 on
        the last working day (due by its end) and once the deadline has passed (compare ``now`` with it to tell
        which). Whenever it is k >= 1, ``add_working_days(now, k).at`` is the deadline.
        """
        at = deadline.at if isinstance(deadline, Deadline) else deadline
        today = shanghai_date(now)
        last = shanghai_date(at - timedelta(microseconds=1))
        if now >= at:
            return 0
        left = 0
        day = today + _ONE_DAY
        while day <= last:
            if self.is_working_day(day):
                left += 1
            day += _ONE_DAY
        return left

    def when_left(self, deadline: datetime, n: int) -> datetime:
        """The start (00:00, Asia/Shanghai) of the first day from which at most ``n`` working days are left before
        ``deadline`` by :meth:`working_days_left`: when a reminder "n working days before" is due (X4: 3 before
        the on-site window closes). That day is a working day, with n working days after it up to the deadline's
        last day (a deadline on Thursday: Monday)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError("the number of working days must be a whole number of at least 1")
        day = shanghai_date(deadline - timedelta(microseconds=1))
        counted = 0
        while counted + self.is_working_day(day) <= n:
            counted += self.is_working_day(day)
            day -= _ONE_DAY
        return _start_of(day)


def schedules_from_shipped(obj: Any) -> list[YearSchedule]:
    """The schedules of the shipped file's object ``{"source": ..., "schedules": [<parse_schedule object>...]}``."""
    if not isinstance(obj, dict) or not isinstance(obj.get("schedules"), list):
        raise _invalid("schedule_not_object", "The holiday file must be an object with a list of schedules.")
    return [parse_schedule(item) for item in obj["schedules"]]


@functools.cache
def _shipped() -> WorkingCalendar:
    text = resources.files("shared.kernel.data").joinpath("holidays.json").read_text(encoding="utf-8")
    return WorkingCalendar(schedules_from_shipped(json.loads(text)))
