"""The working-day calendar in force in a service: the shipped State Council schedules plus the years an
administrator loaded (design.md §6; P2, P8).

Each service that counts working days (precheck: 5, P2; bureau: 20, P8) keeps the loaded years in a
``calendar_years`` table of its own (:func:`calendar_years_table`) and recomputes its open deadlines when a year
arrives. ``icp-ops calendar load NOTICE.json`` loads one notice into every such service of a deployment.
"""
from datetime import datetime

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, select
from sqlalchemy.orm import Session

from shared.contracts.errors import ValidationFailed
from shared.kernel.errors import InvalidValue
from shared.kernel.workdays import WorkingCalendar, YearSchedule, parse_schedule
from shared.platform.db import UtcDateTime


def calendar_years_table(metadata: MetaData) -> Table:
    """The schedules administrators loaded, one row a year (the notice's JSON object, as loaded)."""
    return Table(
        "calendar_years",
        metadata,
        Column("year", Integer, primary_key=True, autoincrement=False),
        Column("schedule", JSON, nullable=False),
        Column("loaded_by", String(120), nullable=False),
        Column("loaded_at", UtcDateTime(), nullable=False),
    )


def working_calendar(session: Session, table: Table) -> WorkingCalendar:
    """The shipped schedules, each loaded year replacing or adding its own."""
    calendar = WorkingCalendar.shipped()
    for schedule in session.execute(select(table.c.schedule).order_by(table.c.year)).scalars():
        calendar = calendar.with_schedule(parse_schedule(schedule))
    return calendar


def store_schedule(session: Session, table: Table, schedule: object, actor: str, now: datetime) -> YearSchedule:
    """Check an administrator's schedule (``shared.kernel.workdays.parse_schedule``) and keep it, replacing the
    year's earlier one; ValidationFailed on field ``schedule`` with the kernel's code otherwise (P2)."""
    try:
        parsed = parse_schedule(schedule)
    except InvalidValue as exc:
        raise ValidationFailed.about("schedule", exc.code, exc.message, exc.rule) from None
    values = {"schedule": schedule, "loaded_by": actor, "loaded_at": now}
    updated = session.execute(table.update().where(table.c.year == parsed.year).values(**values))
    if updated.rowcount == 0:
        session.execute(table.insert().values(year=parsed.year, **values))
    return parsed


class LoadedCalendar:
    """A service's working calendar as a repository over its ``calendar_years`` table (P2, P8): ``working()``
    is the calendar in force, ``store`` keeps an administrator's schedule (``store_schedule``)."""

    def __init__(self, session: Session, table: Table):
        self.session, self.table = session, table

    def working(self) -> WorkingCalendar:
        return working_calendar(self.session, self.table)

    def store(self, schedule: object, actor: str, now: datetime) -> YearSchedule:
        return store_schedule(self.session, self.table, schedule, actor, now)


def deadline_fields(calendar: WorkingCalendar, start: datetime, working_days: int) -> dict:
    """The columns a record with a working-day deadline keeps (``deadline_at``, ``near_at``,
    ``deadline_provisional``, ``deadline_years``), for a span of ``working_days`` after ``start``; the same
    values recompute it when a year's schedule is loaded."""
    deadline = calendar.add_working_days(start, working_days)
    return {"deadline_at": deadline.at, "near_at": calendar.near_time(start, working_days),
            "deadline_provisional": deadline.provisional, "deadline_years": list(deadline.years)}


def reschedule(records, year: int, calendar: WorkingCalendar, start_of, working_days: int) -> int:
    """Recompute the deadlines of the ``records`` that depend on ``year`` (its days were counted or skipped by
    the provisional rule) with ``calendar``, each from ``start_of(record)``; how many were recomputed."""
    recomputed = 0
    for record in records:
        if year in record.deadline_years:
            for name, value in deadline_fields(calendar, start_of(record), working_days).items():
                setattr(record, name, value)
            recomputed += 1
    return recomputed
