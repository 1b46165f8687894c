"""Precheck's persistence behind a port (issue 18; design.md §2): the cases, their contact confirmations and the
loaded holiday schedules as SQLAlchemy repositories, and the unit of work that holds them with the outbox.

Use cases see only these methods; their tests use the in-memory repositories of ``tests/fakes.py``, which keep
the same contracts (order, filters, the one-case-per-submission rule).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from precheck.domain import OPEN_STATES, CaseState
from precheck.models import Case, Confirmation, calendar_years, outbox
from shared.platform.calendar import LoadedCalendar
from shared.platform.unit_of_work import SqlUnitOfWork

_OPEN = [s.value for s in OPEN_STATES]


class CaseRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, case: Case) -> None:
        self.session.add(case)
        self.session.flush()  # one case per submission: the unique constraint refuses a second one here

    def of_submission(self, filing_id: str, version: int, attempt: int) -> Case | None:
        return self.session.execute(select(Case).where(
            Case.filing_id == filing_id, Case.version == version, Case.attempt == attempt)).scalar_one_or_none()

    def of_filing(self, filing_id: str) -> list[Case]:
        return list(self.session.execute(select(Case).where(Case.filing_id == filing_id)).scalars())

    def current(self, filing_id: str, *, lock: bool = False) -> Case | None:
        """The filing's latest case that no resubmission superseded; ``lock`` holds it until the commit."""
        query = select(Case).where(Case.filing_id == filing_id, Case.state != CaseState.SUPERSEDED)
        query = query.order_by(Case.created_at.desc()).limit(1)
        return self.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()

    def mobile_used_by_other_sponsor(self, mobile_hmac: str, sponsor_hmac: str) -> bool:
        return self.session.execute(select(Case.id).where(
            Case.mobile_hmac == mobile_hmac, Case.sponsor_hmac != sponsor_hmac).limit(1)).first() is not None

    def in_review(self) -> list[Case]:
        """Cases that need a human, oldest deadline first."""
        return list(self.session.execute(select(Case).where(Case.state == CaseState.NEEDS_REVIEW)
                                         .order_by(Case.deadline_at, Case.created_at)).scalars())

    def open(self) -> list[Case]:
        return list(self.session.execute(select(Case).where(Case.state.in_(_OPEN))).scalars())

    def deadline_due(self, now: datetime) -> list[Case]:
        """Open cases whose near or breached deadline event is due and not raised; on PostgreSQL, rows another
        worker holds are skipped (it raises them)."""
        due = or_(and_(Case.near_raised_at.is_(None), Case.near_at <= now),
                  and_(Case.breached_raised_at.is_(None), Case.deadline_at <= now))
        query = select(Case).where(Case.state.in_(_OPEN), due)
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list(self.session.execute(query).scalars())

    def open_counts(self) -> tuple[int, int, int]:
        """Open cases: how many, how many past their deadline, how many with a provisional deadline."""
        row = self.session.execute(
            select(func.count(), func.count(Case.breached_raised_at),
                   func.count().filter(Case.deadline_provisional.is_(True))).where(Case.state.in_(_OPEN))).one()
        return row[0], row[1], row[2]


class ConfirmationRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, confirmation: Confirmation) -> None:
        self.session.add(confirmation)

    def of_case(self, case_id: str) -> list[Confirmation]:
        """A case's confirmations in channel order (email, sms)."""
        return list(self.session.execute(select(Confirmation).where(Confirmation.case_id == case_id)
                                         .order_by(Confirmation.channel)).scalars())

    def confirmed_recipients(self, case_ids: list[str]) -> set[str]:
        """The recipient HMACs confirmed in any of the cases ``case_ids``."""
        if not case_ids:
            return set()
        return set(self.session.execute(select(Confirmation.recipient_hmac).where(
            Confirmation.case_id.in_(case_ids), Confirmation.confirmed_at.is_not(None))).scalars())


class PrecheckUnitOfWork(SqlUnitOfWork):
    def __init__(self, session: Session):
        super().__init__(session, outbox, "precheck")
        self.cases = CaseRepository(session)
        self.confirmations = ConfirmationRepository(session)
        self.calendar = LoadedCalendar(session, calendar_years)
