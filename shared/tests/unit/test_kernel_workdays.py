"""shared.kernel.workdays: statutory working days in Asia/Shanghai, the basis of the 5-working-day
pre-verification deadline (P2) and the 20-working-day review deadline (P8), requirements §4, design.md §6.

The expected days are those of the State Council General Office's notices 国务院办公厅关于2025年部分节假日安排的通知
(国办发明电〔2024〕12号) and 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04), as printed in them.
"""

import copy
import importlib.util
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from shared.kernel.errors import InvalidValue
from shared.kernel.workdays import (
    SHANGHAI,
    Deadline,
    WorkingCalendar,
    YearSchedule,
    parse_schedule,
    shanghai_date,
)

RULE = "P2"
REPO = Path(__file__).resolve().parents[3]
CALENDAR = WorkingCalendar.shipped()


def d(text: str) -> date:
    return date.fromisoformat(text)


def sh(text: str) -> datetime:
    """A wall-clock time in Asia/Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# An illustrative 2027 update in the administrator's format: NOT the official 2027 notice (not yet published
# when this was written); the dates only need to differ from the provisional rule.
UPDATE_2027 = {
    "year": 2027,
    "holidays": [{"date": "2027-01-01", "name": "元旦"}]
    + [{"date": f"2027-02-{day:02d}", "name": "春节"} for day in range(5, 13)],
    "workdays": ["2027-02-13"],
    "source": "test data in the format of 国务院办公厅关于2027年部分节假日安排的通知",
}


# --- the shipped data --------------------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("P2")
def test_the_shipped_data_has_official_schedules_up_to_2026_and_none_for_2027():
    assert CALENDAR.official_years == tuple(range(2004, 2027))
    assert CALENDAR.has_official(2025) and CALENDAR.has_official(2026)
    assert not CALENDAR.has_official(2027)
    assert WorkingCalendar.shipped() is CALENDAR  # read once
    schedule = CALENDAR.schedule(2025)
    assert "2025" in schedule.source and "国务院办公厅" in schedule.source


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        # 元旦: 1 January (Wednesday), no adjustment.
        ("2025-01-01", False, "元旦"),
        ("2025-01-02", True, "ordinary Thursday"),
        # 春节: 28 January (除夕, Tuesday) to 4 February (Tuesday) off; Sunday 26 January, Saturday 8 February on.
        ("2025-01-25", False, "ordinary Saturday"),
        ("2025-01-26", True, "adjusted working Sunday"),
        ("2025-01-27", True, "Monday before 除夕"),
        ("2025-01-28", False, "除夕"),
        ("2025-01-29", False, "正月初一"),
        ("2025-02-01", False, "Saturday inside the holiday"),
        ("2025-02-03", False, "Monday inside the holiday"),
        ("2025-02-04", False, "last day of 春节"),
        ("2025-02-05", True, "first working day after 春节"),
        ("2025-02-08", True, "adjusted working Saturday"),
        ("2025-02-09", False, "ordinary Sunday"),
        # 清明节: 4 (Friday) to 6 April off.
        ("2025-04-04", False, "清明节"),
        ("2025-04-07", True, "Monday after 清明节"),
        # 劳动节: 1 (Thursday) to 5 May (Monday) off; Sunday 27 April on.
        ("2025-04-27", True, "adjusted working Sunday"),
        ("2025-05-02", False, "劳动节 (statutory since 2025)"),
        ("2025-05-05", False, "劳动节, Monday"),
        ("2025-05-06", True, "Tuesday after 劳动节"),
        # 端午节: 31 May (Saturday) to 2 June (Monday) off, no adjustment.
        ("2025-06-02", False, "端午节, Monday"),
        ("2025-06-03", True, "Tuesday after 端午节"),
        # 国庆节 and 中秋节: 1 (Wednesday) to 8 October off; Sunday 28 September, Saturday 11 October on.
        ("2025-09-27", False, "ordinary Saturday"),
        ("2025-09-28", True, "adjusted working Sunday"),
        ("2025-09-30", True, "Tuesday before 国庆节"),
        ("2025-10-01", False, "国庆节"),
        ("2025-10-06", False, "中秋节, Monday"),
        ("2025-10-08", False, "last day of 国庆节, Wednesday"),
        ("2025-10-09", True, "first working day after 国庆节"),
        ("2025-10-11", True, "adjusted working Saturday"),
        ("2025-10-12", False, "ordinary Sunday"),
        ("2025-12-31", True, "ordinary Wednesday"),
    ],
)
def test_the_2025_official_schedule(day, working, why):
    assert CALENDAR.is_working_day(d(day)) is working, why


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        # 元旦: 1 (Thursday) to 3 January (Saturday) off; Sunday 4 January on.
        ("2026-01-01", False, "元旦"),
        ("2026-01-02", False, "元旦, Friday"),
        ("2026-01-04", True, "adjusted working Sunday"),
        ("2026-01-05", True, "ordinary Monday"),
        # 春节: 15 (Sunday) to 23 February (Monday) off; Saturdays 14 and 28 February on.
        ("2026-02-14", True, "adjusted working Saturday"),
        ("2026-02-15", False, "first day of 春节, Sunday"),
        ("2026-02-16", False, "除夕, Monday"),
        ("2026-02-20", False, "Friday inside the holiday"),
        ("2026-02-23", False, "last day of 春节, Monday"),
        ("2026-02-24", True, "first working day after 春节"),
        ("2026-02-28", True, "adjusted working Saturday"),
        ("2026-03-01", False, "ordinary Sunday"),
        # 清明节: 4 (Saturday) to 6 April (Monday) off.
        ("2026-04-06", False, "清明节, Monday"),
        # 劳动节: 1 (Friday) to 5 May (Tuesday) off; Saturday 9 May on.
        ("2026-05-04", False, "劳动节, Monday"),
        ("2026-05-05", False, "劳动节, Tuesday"),
        ("2026-05-06", True, "Wednesday after 劳动节"),
        ("2026-05-09", True, "adjusted working Saturday"),
        # 端午节: 19 (Friday) to 21 June off.
        ("2026-06-19", False, "端午节, Friday"),
        # 中秋节: 25 (Friday) to 27 September off.
        ("2026-09-25", False, "中秋节, Friday"),
        # 国庆节: 1 (Thursday) to 7 October (Wednesday) off; Sunday 20 September, Saturday 10 October on.
        ("2026-09-20", True, "adjusted working Sunday"),
        ("2026-10-01", False, "国庆节"),
        ("2026-10-07", False, "last day of 国庆节, Wednesday"),
        ("2026-10-08", True, "first working day after 国庆节"),
        ("2026-10-10", True, "adjusted working Saturday"),
        ("2026-10-11", False, "ordinary Sunday"),
        ("2026-12-31", True, "ordinary Thursday"),
    ],
)
def test_the_2026_official_schedule(day, working, why):
    assert CALENDAR.is_working_day(d(day)) is working, why


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("day", "name"),
    [
        ("2025-01-28", "春节"),
        ("2025-04-04", "清明节"),
        ("2025-05-31", "端午节"),
        ("2025-10-01", "国庆节"),
        ("2025-10-06", "中秋节"),
        ("2026-09-25", "中秋节"),
        ("2026-10-09", None),
        ("2027-01-01", None),
    ],
)
def test_holidays_carry_the_notice_names(day, name):
    assert CALENDAR.holiday_name(d(day)) == name


# --- deadlines -----------------------------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("start", "n", "deadline", "why"),
    [
        # 30 Sep (1), 1-8 Oct off, 9 (2), 10 (3), Saturday 11 (4), 13 (5).
        (sh("2025-09-29T10:00"), 5, "2025-10-14", "spans National Day, with its working Saturday"),
        # Sunday 28 Sep (1), 29 (2), 30 (3), 9 Oct (4), 10 (5).
        (sh("2025-09-26T17:30"), 5, "2025-10-11", "the adjusted working Sunday counts"),
        # Day of submission never counts: 9, 10, 11, 13, 14 Oct.
        (sh("2025-10-03T11:00"), 5, "2025-10-15", "submitted on a holiday"),
        (sh("2025-10-12T09:00"), 1, "2025-10-14", "submitted on a Sunday: Monday 13 is the first day"),
        (sh("2025-09-29T23:59"), 5, "2025-10-14", "late evening of the 29th"),
        # 26 Jan (Sunday, working) (1), 27 (2), 28 Jan-4 Feb off, 5 (3), 6 (4), 7 (5).
        (sh("2025-01-24T22:00"), 5, "2025-02-08", "Friday evening before Spring Festival"),
        # 13 Feb (1), Saturday 14 Feb (working) (2), 15-23 off, 24, 25, 26.
        (sh("2026-02-12T09:00"), 5, "2026-02-27", "spans Spring Festival 2026"),
        (sh("2026-09-28T09:00"), 5, "2026-10-11", "29, 30 Sep, 8, 9 Oct, Saturday 10 Oct"),
    ],
)
def test_a_5_working_day_deadline_is_the_end_of_the_fifth_working_day_after_submission(start, n, deadline, why):
    result = CALENDAR.add_working_days(start, n)
    assert result.at == sh(deadline + "T00:00"), why
    assert result.at.tzinfo is SHANGHAI
    assert not result.provisional


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("start", "deadline", "why"),
    [
        # 23:59 on 29 Sep in Shanghai is 15:59 UTC: the day of submission is the 29th.
        (utc("2025-09-29T15:59"), "2025-10-14", "23:59 in Shanghai, still 29 Sep"),
        # 16:30 UTC on 29 Sep is 00:30 on 30 Sep in Shanghai: 9, 10, 11, 13, 14 Oct.
        (utc("2025-09-29T16:30"), "2025-10-15", "00:30 on 30 Sep in Shanghai"),
        # 14:00 UTC on Friday 24 Jan is 22:00 in Shanghai, the same day.
        (utc("2025-01-24T14:00"), "2025-02-08", "Friday evening in Shanghai"),
        # 17:00 UTC on Saturday 7 Feb 2026 is 01:00 on Sunday 8 Feb: 9, 10, 11, 12, 13 Feb.
        (utc("2026-02-07T17:00"), "2026-02-14", "after midnight in Shanghai, a Sunday"),
    ],
)
def test_the_day_of_submission_is_the_day_in_shanghai(start, deadline, why):
    assert CALENDAR.add_working_days(start, 5).at == sh(deadline + "T00:00"), why


@pytest.mark.unit
@pytest.mark.req("P8")
@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        # Sun 28 Sep (1), 29, 30, 9 Oct, 10, Sat 11 (6), 13-17 (11), 20-24 (16), 27-30 Oct (20).
        (sh("2025-09-26T15:00"), "2025-10-31"),
        # 10-13 Feb (4), Sat 14 (5), 15-23 off, 24-27 (9), Sat 28 (10), 2-6 Mar (15), 9-13 Mar (20).
        (sh("2026-02-09T10:00"), "2026-03-14"),
    ],
)
def test_the_20_working_day_review_deadline(start, deadline):
    result = CALENDAR.add_working_days(start, 20)
    assert result == Deadline(sh(deadline + "T00:00"), False, (start.year,))


@pytest.mark.unit
@pytest.mark.req("P2")
def test_deadline_near_is_the_start_of_the_last_working_day():
    start = sh("2025-09-29T10:00")
    deadline = CALENDAR.add_working_days(start, 5)
    assert CALENDAR.near_time(start, 5) == sh("2025-10-13T00:00") == deadline.near
    assert deadline.last_day == d("2025-10-13")
    # The last day before the holiday: the near time is the start of the working Saturday.
    assert CALENDAR.near_time(sh("2025-10-09T08:00"), 2) == sh("2025-10-11T00:00")


@pytest.mark.unit
@pytest.mark.req("X4")
@pytest.mark.parametrize(
    ("deadline", "reminder"),
    [
        (sh("2025-12-04T09:30"), "2025-12-01"),  # Thursday: Monday leaves Tue, Wed, Thu
        (sh("2025-12-05T00:00"), "2025-12-01"),  # the end of Thursday: the same
        (sh("2025-10-14T10:00"), "2025-10-10"),  # the working Saturday 11 Oct counts: 11, 13, 14
        (sh("2025-10-10T10:00"), "2025-09-29"),  # across the National Day holiday: 30 Sep, 9 and 10 Oct
    ],
)
def test_when_n_working_days_are_left(deadline, reminder):
    at = CALENDAR.when_left(deadline, 3)
    assert at == sh(reminder + "T00:00")
    assert CALENDAR.working_days_left(at, deadline) == 3
    assert CALENDAR.working_days_left(at - timedelta(microseconds=1), deadline) == 4


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("now", "left"),
    [
        (sh("2025-09-29T10:00"), 5),  # the moment of submission
        (sh("2025-09-30T09:00"), 4),  # 9, 10, 11, 13 Oct still to come
        (sh("2025-10-05T12:00"), 4),  # during the holiday
        (sh("2025-10-11T12:00"), 1),  # the working Saturday: Monday 13 is left
        (sh("2025-10-12T12:00"), 1),
        (sh("2025-10-13T00:00"), 0),  # the last day: due by its end
        (sh("2025-10-13T23:59"), 0),
        (sh("2025-10-14T00:00"), 0),  # passed
        (utc("2025-10-20T00:00"), 0),
    ],
)
def test_working_days_left(now, left):
    deadline = CALENDAR.add_working_days(sh("2025-09-29T10:00"), 5)
    assert CALENDAR.working_days_left(now, deadline) == left
    assert CALENDAR.working_days_left(now, deadline.at) == left
    if left:
        assert CALENDAR.add_working_days(now, left).at == deadline.at


# --- years without official data -----------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        ("2027-01-01", False, "元旦, fixed date"),
        ("2027-01-04", True, "Monday"),
        ("2027-02-05", True, "除夕 2027 is lunar: not known without the notice"),
        ("2027-02-06", False, "Saturday"),
        ("2027-02-08", True, "Monday in Spring Festival week: unknown without the notice"),
        ("2027-10-01", False, "国庆节, fixed date"),
        ("2027-10-04", True, "Monday after 1-3 Oct"),
        ("2028-05-01", False, "劳动节, fixed date"),
        ("2028-05-02", False, "劳动节 second day, fixed date since 2025"),
        ("2028-05-03", True, "Wednesday after 1-2 May"),
        ("2028-10-03", False, "国庆节 third day, fixed date"),
        ("2028-10-07", False, "Saturday: no adjusted working weekends without the notice"),
    ],
)
def test_without_official_data_weekends_and_fixed_date_holidays_are_off(day, working, why):
    assert not CALENDAR.has_official(d(day).year)
    assert CALENDAR.is_working_day(d(day)) is working, why


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("start", "deadline", "provisional", "years"),
    [
        # 29, 30, 31 Dec; 1 Jan 2027 off (fixed date); 4, 5 Jan 2027.
        (sh("2026-12-28T10:00"), "2027-01-06", True, (2026, 2027)),
        # 25, 28, 29, 30, 31 Dec: ends at the start of 2027 but depends on 2026 only.
        (sh("2026-12-24T10:00"), "2027-01-01", False, (2026,)),
        # The day of submission (31 Dec 2026) does not count: 4-8 Jan 2027.
        (sh("2026-12-31T10:00"), "2027-01-09", True, (2027,)),
        (sh("2027-02-01T10:00"), "2027-02-09", True, (2027,)),
    ],
)
def test_a_deadline_in_a_year_without_official_data_is_provisional(start, deadline, provisional, years):
    assert CALENDAR.add_working_days(start, 5) == Deadline(sh(deadline + "T00:00"), provisional, years)


@pytest.mark.unit
@pytest.mark.req("P2")
def test_loading_the_year_recomputes_and_clears_provisional():
    schedule = parse_schedule(UPDATE_2027)
    updated = CALENDAR.with_schedule(schedule)
    assert updated.has_official(2027) and not CALENDAR.has_official(2027)  # a new calendar
    assert updated.official_years == tuple(range(2004, 2028))
    assert updated.holiday_name(d("2027-02-08")) == "春节"

    crossing = CALENDAR.add_working_days(sh("2026-12-28T10:00"), 5)
    assert 2027 in crossing.years  # found among the open deadlines to recompute
    assert updated.add_working_days(sh("2026-12-28T10:00"), 5) == Deadline(sh("2027-01-06T00:00"), False, (2026, 2027))

    # 2, 3, 4 Feb; 5-12 Feb off; Saturday 13 Feb working (4); Monday 15 Feb (5).
    before = CALENDAR.add_working_days(sh("2027-02-01T10:00"), 5)
    after = updated.add_working_days(sh("2027-02-01T10:00"), 5)
    assert before == Deadline(sh("2027-02-09T00:00"), True, (2027,))
    assert after == Deadline(sh("2027-02-16T00:00"), False, (2027,))
    assert updated.near_time(sh("2027-02-01T10:00"), 5) == sh("2027-02-15T00:00")
    assert updated.is_working_day(d("2027-02-13")) and not CALENDAR.is_working_day(d("2027-02-13"))


@pytest.mark.unit
@pytest.mark.req("P2")
def test_a_loaded_schedule_replaces_its_year():
    corrected = {
        "year": 2026,
        "holidays": [{"date": "2026-01-01", "name": "元旦"}],
        "workdays": [],
        "source": "test correction",
    }
    updated = CALENDAR.with_schedule(parse_schedule(corrected))
    assert updated.schedule(2026).source == "test correction"
    assert updated.is_working_day(d("2026-10-01"))  # gone with the replaced schedule
    assert not CALENDAR.is_working_day(d("2026-10-01"))
    assert updated.schedule(2025) == CALENDAR.schedule(2025)


# --- administrator updates -----------------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("P2")
def test_a_valid_update_parses_to_its_schedule():
    schedule = parse_schedule(UPDATE_2027)
    assert schedule.year == 2027
    assert schedule.holidays == frozenset({d("2027-01-01")} | {date(2027, 2, day) for day in range(5, 13)})
    assert schedule.workdays == frozenset({d("2027-02-13")})
    assert schedule.source == UPDATE_2027["source"]
    assert schedule.names[d("2027-01-01")] == "元旦"
    assert parse_schedule(json.loads(json.dumps(UPDATE_2027, ensure_ascii=False))) == schedule


def _update(**changes):
    update = copy.deepcopy(UPDATE_2027)
    for key, value in changes.items():
        if value is ...:
            del update[key]
        else:
            update[key] = value
    return update


_HOLIDAYS = UPDATE_2027["holidays"]


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("update", "code"),
    [
        ([UPDATE_2027], "schedule_not_object"),
        ("2027", "schedule_not_object"),
        (_update(source=...), "missing_field"),
        (_update(workdays=...), "missing_field"),
        (_update(notes="x"), "unknown_field"),
        (_update(year="2027"), "invalid_year"),
        (_update(year=True), "invalid_year"),
        (_update(year=1999), "invalid_year"),
        (_update(year=2101), "invalid_year"),
        (_update(source=""), "invalid_source"),
        (_update(source=2027), "invalid_source"),
        (_update(holidays={"2027-01-01": "元旦"}), "invalid_list"),
        (_update(workdays="2027-02-13"), "invalid_list"),
        (_update(holidays=["2027-01-01"]), "invalid_holiday"),
        (_update(holidays=[{"date": "2027-01-01"}]), "invalid_holiday"),
        (_update(holidays=[{"date": "2027-01-01", "name": " "}]), "invalid_holiday"),
        (_update(holidays=[{"date": "2027-01-01", "name": "元旦", "days": 1}]), "invalid_holiday"),
        (_update(holidays=[{"date": "2027/01/01", "name": "元旦"}]), "invalid_date"),
        (_update(holidays=[{"date": "20270101", "name": "元旦"}]), "invalid_date"),
        (_update(holidays=[{"date": "2027-02-30", "name": "春节"}]), "invalid_date"),
        (_update(holidays=[{"date": 20270101, "name": "元旦"}]), "invalid_date"),
        (_update(workdays=["2027-2-13"]), "invalid_date"),
        (_update(holidays=[*_HOLIDAYS, {"date": "2026-12-31", "name": "元旦"}]), "date_outside_year"),
        (_update(workdays=["2028-01-01"]), "date_outside_year"),
        (_update(workdays=["2026-12-26"]), "date_outside_year"),
        (_update(workdays=["2027-02-15"]), "workday_not_weekend"),
        (_update(workdays=["2027-02-06"]), "holiday_is_workday"),
        (_update(holidays=[*_HOLIDAYS, {"date": "2027-01-01", "name": "元旦"}]), "duplicate_date"),
        (_update(workdays=["2027-02-13", "2027-02-13"]), "duplicate_date"),
        (_update(holidays=[]), "no_holidays"),
    ],
)
def test_an_invalid_update_is_refused_with_its_code(update, code):
    with pytest.raises(InvalidValue) as caught:
        parse_schedule(update)
    assert (caught.value.code, caught.value.rule) == (code, RULE)


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("holidays", "workdays", "code"),
    [
        ({d("2027-01-01")}, {d("2027-02-08")}, "workday_not_weekend"),
        ({d("2027-01-01")}, {d("2026-12-26")}, "date_outside_year"),
        ({d("2027-02-06")}, {d("2027-02-06")}, "holiday_is_workday"),
        (set(), set(), "no_holidays"),
    ],
)
def test_a_schedule_checks_its_dates_however_it_is_built(holidays, workdays, code):
    with pytest.raises(InvalidValue) as caught:
        YearSchedule(2027, frozenset(holidays), frozenset(workdays), "test")
    assert (caught.value.code, caught.value.rule) == (code, RULE)


# --- misuse ------------------------------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("P2")
def test_times_must_be_aware_and_counts_positive():
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(datetime(2025, 9, 29, 10), 5)
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(sh("2025-09-29T10:00"), 0)
    with pytest.raises(TypeError):
        CALENDAR.is_working_day(sh("2025-09-29T10:00"))
    with pytest.raises(ValueError):
        WorkingCalendar([CALENDAR.schedule(2025), CALENDAR.schedule(2025)])
    assert shanghai_date(utc("2025-09-30T16:00")) == d("2025-10-01")
    assert shanghai_date(sh("2025-10-01T00:00") - timedelta(microseconds=1)) == d("2025-09-30")


# --- the build tool, where the package is installed (a development dependency) ------------------------------------


def _build_tool():
    spec = importlib.util.spec_from_file_location("build_holidays", REPO / "tools" / "build_holidays.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.unit
@pytest.mark.req("P2")
def test_the_shipped_file_is_what_the_package_gives_and_the_package_stops_at_2026():
    chinese_calendar = pytest.importorskip("chinese_calendar")
    tool = _build_tool()
    assert tool.render(tool.build()) == tool.TARGET.read_text(encoding="utf-8")
    day = date(2004, 1, 1)
    while day.year <= 2026:
        assert CALENDAR.is_working_day(day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.parametrize(("today", "left"), [
    ("2026-12-07", 25),  # the days an operator has to load next year's notice
    ("2026-12-31", 1),
    ("2027-03-01", 0),  # the year itself has no schedule: every deadline counted in it is provisional
    ("2025-05-01", 0),  # nor has this calendar 2025
])
def test_official_days_left_counts_to_the_first_year_without_a_schedule(today, left):
    calendar = WorkingCalendar([CALENDAR.schedule(2026)])
    assert calendar.official_days_left(d(today)) == left


@pytest.mark.unit
@pytest.mark.req("P2")
def test_official_days_left_runs_through_every_loaded_year():
    calendar = WorkingCalendar([CALENDAR.schedule(2026)]).with_schedule(
        YearSchedule(2027, frozenset({d("2027-01-01")}), frozenset(), "test data"))
    assert calendar.official_days_left(d("2026-12-07")) == 390


@pytest.mark.unit
@pytest.mark.req("P2")
@pytest.mark.req("P8")
@pytest.mark.clock
def test_a_deadline_from_the_tests_clock_is_provisional_exactly_when_it_reaches_a_year_without_a_schedule(clock):
    """Run today a 5-day span ends inside the shipped data; run ahead (CI: 400 days) it counts days of a year
    without one, and says so."""
    first_unofficial = CALENDAR.official_years[-1] + 1
    for days in (5, 20):
        deadline = CALENDAR.add_working_days(clock(), days)
        assert deadline.provisional == (deadline.last_day.year >= first_unofficial), (clock(), days)
        assert deadline.provisional == (first_unofficial in deadline.years or shanghai_date(clock()).year
                                        >= first_unofficial)
