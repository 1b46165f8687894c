"""In-memory repositories of precheck (``precheck.repository``'s port) for the unit tier: the same methods, order
and filters as the SQL ones, over lists of the same records, so that a use case runs without a database."""

from __future__ import annotations

from datetime import datetime

from precheck.domain import OPEN_STATES, CaseState
from precheck.models import Case, Confirmation
from shared.testing.fakes import FakeCalendar, FakeUnitOfWork


class FakeCases:
    def __init__(self):
        self.rows: list[Case] = []

    def add(self, case: Case) -> None:
        if self.of_submission(case.filing_id, case.version, case.attempt) is not None:
            raise AssertionError("one case per submission (the unique constraint)")
        self.rows.append(case)

    def of_submission(self, filing_id: str, version: int, attempt: int) -> Case | None:
        return next((c for c in self.rows if (c.filing_id, c.version, c.attempt) == (filing_id, version, attempt)),
                    None)

    def of_filing(self, filing_id: str) -> list[Case]:
        return [c for c in self.rows if c.filing_id == filing_id]

    def current(self, filing_id: str, *, lock: bool = False) -> Case | None:
        cases = [c for c in self.of_filing(filing_id) if c.state != CaseState.SUPERSEDED]
        return max(cases, key=lambda c: c.created_at, default=None)

    def mobile_used_by_other_sponsor(self, mobile_hmac: str, sponsor_hmac: str) -> bool:
        return any(c.mobile_hmac == mobile_hmac and c.sponsor_hmac != sponsor_hmac for c in self.rows)

    def in_review(self) -> list[Case]:
        return sorted((c for c in self.rows if c.state == CaseState.NEEDS_REVIEW),
                      key=lambda c: (c.deadline_at, c.created_at))

    def open(self) -> list[Case]:
        return [c for c in self.rows if c.state in OPEN_STATES]

    def deadline_due(self, now: datetime) -> list[Case]:
        return [c for c in self.open() if (c.near_raised_at is None and c.near_at <= now)
                or (c.breached_raised_at is None and c.deadline_at <= now)]

    def open_counts(self) -> tuple[int, int, int]:
        cases = self.open()
        return (len(cases), sum(c.breached_raised_at is not None for c in cases),
                sum(bool(c.deadline_provisional) for c in cases))


class FakeConfirmations:
    def __init__(self):
        self.rows: list[Confirmation] = []

    def add(self, confirmation: Confirmation) -> None:
        self.rows.append(confirmation)

    def of_case(self, case_id: str) -> list[Confirmation]:
        return sorted((c for c in self.rows if c.case_id == case_id), key=lambda c: c.channel)

    def confirmed_recipients(self, case_ids: list[str]) -> set[str]:
        return {c.recipient_hmac for c in self.rows if c.case_id in case_ids and c.confirmed_at is not None}


class FakePrecheckUnitOfWork(FakeUnitOfWork):
    def __init__(self):
        super().__init__("precheck")
        self.cases = FakeCases()
        self.confirmations = FakeConfirmations()
        self.calendar = FakeCalendar()
