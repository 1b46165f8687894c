"""In-memory stand-ins for verification's repositories (verification.repository), each keeping its contract (the
orders, the filters, ``current`` skipping superseded cases), and a unit of work built on
:class:`shared.testing.fakes.FakeUnitOfWork`, so that the use cases' rules run in unit tests in milliseconds."""

from __future__ import annotations

from datetime import datetime

from shared.testing.fakes import FakeCalendar, FakeUnitOfWork
from verification.domain import OPEN_STATES, CaseState
from verification.models import Case, Evidence, EvidenceAccess, QualityRecord, StaffMember, Step, Submission
from verification.repository import KeptPhoto, StepOfProvider


class _Rows:
    def __init__(self):
        self.rows: dict[str, object] = {}

    def add(self, row) -> None:
        self.rows[self._key(row)] = row

    def _key(self, row) -> str:
        return row.id

    def get(self, key: str):
        return self.rows.get(key)

    def where(self, **values) -> list:
        return [r for r in self.rows.values() if all(getattr(r, k) == v for k, v in values.items())]


class FakeSubmissions(_Rows):
    def get(self, submission_id: str) -> Submission:
        return self.rows[submission_id]

    def find(self, filing_id: str, version: int, attempt: int) -> Submission | None:
        return next(iter(self.where(filing_id=filing_id, version=version, attempt=attempt)), None)


class FakeCases(_Rows):
    def of_filing(self, filing_id: str) -> list[Case]:
        return sorted(self.where(filing_id=filing_id), key=lambda c: c.created_at)

    def current(self, filing_id: str, *, lock: bool) -> Case | None:
        live = [c for c in self.of_filing(filing_id) if c.state != CaseState.SUPERSEDED]
        return live[-1] if live else None

    def opened_for(self, submission_id: str) -> bool:
        return bool(self.where(submission_id=submission_id))

    def in_state(self, state: str) -> list[Case]:
        return sorted(self.where(state=state), key=lambda c: c.closes_at)

    def of_sponsor(self, sponsor_ref: str) -> list[Case]:
        return sorted(self.where(sponsor_hmac=sponsor_ref), key=lambda c: c.created_at)

    def due(self, now: datetime) -> list[Case]:
        return [c for c in self.rows.values()
                if c.state in OPEN_STATES and c.warn_at <= now and c.expired_at is None]

    def deadline_counts(self, now: datetime, exempt_purpose: str) -> tuple[int, int]:
        opened = [c for c in self.rows.values() if c.state in OPEN_STATES]
        return len(opened), sum(1 for c in opened if c.closes_at <= now and c.purpose != exempt_purpose)


class FakeEvidence(_Rows):
    def of_case(self, case_id: str) -> list[Evidence]:
        return self.where(case_id=case_id)

    def of_sponsor(self, sponsor_ref: str) -> list[Evidence]:
        return sorted(self.where(sponsor_hmac=sponsor_ref), key=lambda e: (e.created_at, e.id))

    def photos_of_other_filings(self, filing_id: str) -> list[KeptPhoto]:
        return [KeptPhoto(e.filing_id, e.sha256, e.phash) for e in self.where(kind="photo_original")
                if e.filing_id != filing_id]


class FakeSteps(_Rows):
    def __init__(self, cases: FakeCases, submissions: FakeSubmissions):
        super().__init__()
        self.cases, self.submissions = cases, submissions

    def of_filing(self, filing_id: str) -> list[Step]:
        return sorted(self.where(filing_id=filing_id), key=lambda s: (s.at, s.id))

    def in_period(self, since: datetime, until: datetime) -> list[StepOfProvider]:
        found = []
        for step in self.rows.values():
            if since <= step.at < until:
                submission = self.submissions.get(self.cases.get(step.case_id).submission_id)
                found.append(StepOfProvider(step.actor, step.step, step.outcome, submission.provider_id,
                                            submission.province))
        return found


class FakeQuality(_Rows):
    def in_period(self, since: datetime, until: datetime) -> list[QualityRecord]:
        return [r for r in self.rows.values() if since <= r.at < until]

    def last_decision(self, filing_id: str, kind: str, outcome: str, before: datetime) -> QualityRecord | None:
        found = [r for r in self.where(filing_id=filing_id, kind=kind, outcome=outcome) if r.at <= before]
        return max(found, key=lambda r: r.at) if found else None


class FakeStaff(_Rows):
    def _key(self, row: StaffMember) -> str:
        return row.staff_id

    def get(self, staff_id: str, *, lock: bool = False) -> StaffMember | None:
        return self.rows.get(staff_id)

    def all(self) -> list[StaffMember]:
        return sorted(self.rows.values(), key=lambda m: m.staff_id)

    def one_led_by(self, supervisor_id: str) -> str | None:
        return next((m.staff_id for m in self.where(supervisor_id=supervisor_id, active=True)), None)


class FakeAccesses(_Rows):
    def of_sponsor(self, sponsor_ref: str) -> list[EvidenceAccess]:
        return sorted(self.where(sponsor_hmac=sponsor_ref), key=lambda a: (a.at, a.id))


class FakeVerificationUnitOfWork(FakeUnitOfWork):
    """Verification's unit of work in memory: its repositories and a recording outbox."""

    def __init__(self):
        super().__init__("verification")
        self.submissions = FakeSubmissions()
        self.cases = FakeCases()
        self.evidence = FakeEvidence()
        self.steps = FakeSteps(self.cases, self.submissions)
        self.quality = FakeQuality()
        self.staff = FakeStaff()
        self.accesses = FakeAccesses()
        self.calendar = FakeCalendar()
