"""Verification's records behind a port (issue 18; design.md §2): one repository per record kind, all on the unit of
work's session, so that the use cases hold no SQLAlchemy calls and run in unit tests on in-memory repositories
(``tests/fakes.py``) that keep the same contract.

Each reading returns the records (:mod:`verification.models`) in the order stated; a use case changes a record's
attributes and the unit of work's commit stores them.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from shared.platform.calendar import LoadedCalendar
from shared.platform.unit_of_work import SqlUnitOfWork
from verification.domain import OPEN_STATES, CaseState
from verification.models import (
    Case,
    Evidence,
    EvidenceAccess,
    QualityRecord,
    StaffMember,
    Step,
    Submission,
    calendar_years,
)

_OPEN = [s.value for s in OPEN_STATES]


class StepOfProvider(NamedTuple):
    """A step with the provider and province of its filing (W1: counted within the caller's scope)."""

    actor: str
    step: str
    outcome: str
    provider_id: str
    province: str


class KeptPhoto(NamedTuple):
    filing_id: str
    sha256: str
    phash: str | None


class Submissions:
    def __init__(self, session: Session):
        self.session = session

    def add(self, submission: Submission) -> None:
        self.session.add(submission)

    def get(self, submission_id: str) -> Submission:
        return self.session.get(Submission, submission_id)

    def find(self, filing_id: str, version: int, attempt: int) -> Submission | None:
        """The submission ``attempt`` of ``version`` of the filing, if kept."""
        return self.session.execute(select(Submission).where(
            Submission.filing_id == filing_id, Submission.version == version,
            Submission.attempt == attempt)).scalar_one_or_none()


class Cases:
    def __init__(self, session: Session):
        self.session = session

    def add(self, case: Case) -> None:
        self.session.add(case)

    def get(self, case_id: str) -> Case | None:
        return self.session.get(Case, case_id)

    def of_filing(self, filing_id: str) -> list[Case]:
        """Every case of the filing, oldest first."""
        return list(self.session.execute(select(Case).where(Case.filing_id == filing_id)
                                         .order_by(Case.created_at)).scalars())

    def current(self, filing_id: str, *, lock: bool) -> Case | None:
        """The filing's newest case not superseded; ``lock``: held until the commit (one on-site step at a
        time)."""
        query = select(Case).where(Case.filing_id == filing_id, Case.state != CaseState.SUPERSEDED)
        query = query.order_by(Case.created_at.desc()).limit(1)
        return self.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()

    def opened_for(self, submission_id: str) -> bool:
        """Whether a window was ever opened for the submission."""
        return self.session.execute(select(Case.id).where(Case.submission_id == submission_id)).first() is not None

    def in_state(self, state: str) -> list[Case]:
        """The cases in ``state``, the soonest-closing first."""
        return list(self.session.execute(select(Case).where(Case.state == state).order_by(Case.closes_at)).scalars())

    def of_sponsor(self, sponsor_ref: str) -> list[Case]:
        """The sponsor's cases (W4), oldest first."""
        return list(self.session.execute(select(Case).where(Case.sponsor_hmac == sponsor_ref)
                                         .order_by(Case.created_at)).scalars())

    def due(self, now: datetime) -> list[Case]:
        """Open cases past their warning time and not yet expired, locked so that two replicas never raise the
        same window event (rows another replica holds are skipped)."""
        query = select(Case).where(Case.state.in_(_OPEN), Case.warn_at <= now, Case.expired_at.is_(None))
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list(self.session.execute(query).scalars())

    def deadline_counts(self, now: datetime, exempt_purpose: str) -> tuple[int, int]:
        """How many cases are open, and how many of them closed by ``now`` (cases of ``exempt_purpose`` never
        count as closed)."""
        row = self.session.execute(
            select(func.count(), func.count().filter(Case.closes_at <= now, Case.purpose != exempt_purpose))
            .where(Case.state.in_(_OPEN))).one()
        return row[0], row[1]


class EvidenceStore:
    """The records of the objects kept for the sponsor's file (the objects themselves are in the object store)."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, evidence: Evidence) -> None:
        self.session.add(evidence)

    def get(self, evidence_id: str) -> Evidence | None:
        return self.session.get(Evidence, evidence_id)

    def of_case(self, case_id: str) -> list[Evidence]:
        return list(self.session.execute(select(Evidence).where(Evidence.case_id == case_id)).scalars())

    def of_sponsor(self, sponsor_ref: str) -> list[Evidence]:
        """The sponsor's objects in the order they were kept."""
        return list(self.session.execute(select(Evidence).where(Evidence.sponsor_hmac == sponsor_ref)
                                         .order_by(Evidence.created_at, Evidence.id)).scalars())

    def photos_of_other_filings(self, filing_id: str) -> list[KeptPhoto]:
        """P4: every original counter photo kept for another filing."""
        rows = self.session.execute(select(Evidence.filing_id, Evidence.sha256, Evidence.phash).where(
            Evidence.kind == "photo_original", Evidence.filing_id != filing_id)).all()
        return [KeptPhoto(*row) for row in rows]


class Steps:
    def __init__(self, session: Session):
        self.session = session

    def add(self, step: Step) -> None:
        self.session.add(step)

    def of_filing(self, filing_id: str) -> list[Step]:
        return list(self.session.execute(select(Step).where(Step.filing_id == filing_id)
                                         .order_by(Step.at, Step.id)).scalars())

    def in_period(self, since: datetime, until: datetime) -> list[StepOfProvider]:
        """W1: the steps taken in ``[since, until)``."""
        rows = self.session.execute(
            select(Step.actor, Step.step, Step.outcome, Submission.provider_id, Submission.province)
            .join(Case, Case.id == Step.case_id).join(Submission, Submission.id == Case.submission_id)
            .where(Step.at >= since, Step.at < until)).all()
        return [StepOfProvider(*row) for row in rows]


class QualityRecords:
    def __init__(self, session: Session):
        self.session = session

    def add(self, record: QualityRecord) -> None:
        self.session.add(record)

    def in_period(self, since: datetime, until: datetime) -> list[QualityRecord]:
        """W1: the facts of ``[since, until)``."""
        return list(self.session.execute(select(QualityRecord).where(
            QualityRecord.at >= since, QualityRecord.at < until)).scalars())

    def last_decision(self, filing_id: str, kind: str, outcome: str, before: datetime) -> QualityRecord | None:
        """The latest fact of ``kind`` and ``outcome`` on the filing at or before ``before``."""
        return self.session.execute(select(QualityRecord).where(
            QualityRecord.filing_id == filing_id, QualityRecord.kind == kind, QualityRecord.outcome == outcome,
            QualityRecord.at <= before).order_by(QualityRecord.at.desc()).limit(1)).scalar_one_or_none()


class Staff:
    def __init__(self, session: Session):
        self.session = session

    def add(self, member: StaffMember) -> None:
        self.session.add(member)

    def get(self, staff_id: str, *, lock: bool = False) -> StaffMember | None:
        return self.session.get(StaffMember, staff_id, with_for_update=lock or None)

    def all(self) -> list[StaffMember]:
        return list(self.session.execute(select(StaffMember).order_by(StaffMember.staff_id)).scalars())

    def one_led_by(self, supervisor_id: str) -> str | None:
        """An active member ``supervisor_id`` is responsible for, if any."""
        return self.session.execute(select(StaffMember.staff_id).where(
            StaffMember.supervisor_id == supervisor_id, StaffMember.active.is_(True))).scalars().first()


class Accesses:
    """W4: the record of every reading of a sponsor's file."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, access: EvidenceAccess) -> None:
        self.session.add(access)

    def of_sponsor(self, sponsor_ref: str) -> list[EvidenceAccess]:
        return list(self.session.execute(select(EvidenceAccess).where(EvidenceAccess.sponsor_hmac == sponsor_ref)
                                         .order_by(EvidenceAccess.at, EvidenceAccess.id)).scalars())


class VerificationUnitOfWork(SqlUnitOfWork):
    """The session, its outbox and verification's repositories on it."""

    def __init__(self, session: Session, outbox: Table, source: str):
        super().__init__(session, outbox, source)
        self.submissions = Submissions(session)
        self.cases = Cases(session)
        self.evidence = EvidenceStore(session)
        self.steps = Steps(session)
        self.quality = QualityRecords(session)
        self.staff = Staff(session)
        self.accesses = Accesses(session)
        self.calendar = LoadedCalendar(session, calendar_years)
