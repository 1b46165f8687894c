"""The bureau's repositories on PostgreSQL answer as their in-memory fakes do (``tests/fakes.py``), so that the
unit tests on the fakes speak for the service: the same records stored in both, the same questions asked."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from bureau.domain import PenaltyState, ReviewState
from bureau.models import EvidenceAccess, FilingNumberRecord, Inspection, Penalty, Review, Website
from bureau.repository import BureauUnitOfWork
from shared.kernel.workdays import SHANGHAI
from shared.platform.db import make_engine
from shared.testing.clock import first_unofficial_year, sample_schedule

from ..fakes import FakeBureauUnitOfWork

pytestmark = pytest.mark.integration

T0 = datetime(2026, 9, 28, 10, tzinfo=SHANGHAI)
FILINGS = ["00000000-0000-4000-8000-00000000000" + str(i) for i in range(3)]


def review(n: int, filing: str, submission: int, state: str, provider: str = "p-1") -> Review:
    received = T0 + timedelta(days=n)
    return Review(id=f"r-{n}", filing_id=filing, version=1, attempt=1, submission=submission, provider_id=provider,
                  province="京", change_of=None, state=state, filing={}, evidence={}, corrections=[], form_check={},
                  sent_at=received, sent_by="v", verified_by="v", received_at=received,
                  deadline_at=received + timedelta(days=30 - 5 * n), near_at=received + timedelta(days=29 - 5 * n),
                  deadline_provisional=n == 2, deadline_years=[2026], reasons=[],
                  breached_raised_at=received if n == 1 else None)


def fill(uow) -> None:
    for n, (filing, submission, state) in enumerate([(FILINGS[0], 1, ReviewState.SUPERSEDED),
                                                     (FILINGS[0], 2, ReviewState.PENDING),
                                                     (FILINGS[1], 1, ReviewState.PENDING),
                                                     (FILINGS[2], 1, ReviewState.APPROVED)]):
        uow.reviews.add(review(n, filing, submission, state, provider="p-2" if n == 3 else "p-1"))
    uow.numbers.add(FilingNumberRecord(number="京ICP备2026000001号", filing_id=FILINGS[2], provider_id="p-2",
                                       sponsor_kind="unit", sponsor_name="X", highest_site=2, version=1,
                                       approved_at=T0))
    uow.flush()
    for domain, k in (("b.cn", 1), ("a.cn", 2), ("www.b.cn", 1)):
        uow.websites.add(Website(domain_ascii=domain, domain_unicode=domain, filing_number="京ICP备2026000001号",
                                 website_number=f"京ICP备2026000001号-{k}", name="site", approved_at=T0))
    for n in (2, 1):
        uow.accesses.add(EvidenceAccess(id=f"a-{n}", review_id="r-1", filing_id=FILINGS[0], item="photo",
                                        bucket="b", key="k", viewer="v", accessed_at=T0 + timedelta(hours=n),
                                        expires_in=300))
    for n, recorded in ((1, T0 + timedelta(days=2)), (2, T0 + timedelta(days=1)), (3, None)):
        uow.inspections.add(Inspection(id=f"i-{n}", provider_id="p-1", kind="random", year=2026, seed="s",
                                       population=1, sample=[], planned_by="r", planned_at=T0, recorded_at=recorded,
                                       score=float(10 * n) if recorded else None))
    for n, state in ((1, PenaltyState.OPEN), (2, PenaltyState.OPEN), (3, PenaltyState.CLOSED)):
        uow.penalties.add(Penalty(id=f"p-{n}", provider_id="p-1" if n < 3 else "p-2", kind="warning", reason="r",
                                  rule="A1", state=state, issued_by="r", issued_at=T0 - timedelta(days=n),
                                  rectify_by=T0 + timedelta(days=10 * n)))
    uow.flush()


def ids(rows) -> list[str]:
    return [r.id for r in rows]


def answers(uow) -> dict:
    now = T0 + timedelta(days=26)
    year = first_unofficial_year()
    stored = uow.calendar.store(sample_schedule(year), "ops", T0).year
    return {
        "newest": [uow.reviews.newest_submission(f) for f in [*FILINGS, "none"]],
        "open_of": ids(uow.reviews.open_of(FILINGS[0])),
        "current": [getattr(uow.reviews.current(f), "id", None) for f in [*FILINGS, "none"]],
        "open": ids(uow.reviews.open()),
        "due": sorted(ids(uow.reviews.due(now))),
        "counts": uow.reviews.open_counts(),
        "filings_of": uow.reviews.filings_of("p-1", T0, T0 + timedelta(days=2)),
        "serials": [uow.numbers.next_serial("京", 2026), uow.numbers.next_serial("京", 2026),
                    uow.numbers.next_serial("京", 2027)],
        "number": [getattr(uow.numbers.get("京ICP备2026000001号"), "filing_id", None),
                   getattr(uow.numbers.of_filing(FILINGS[2]), "number", None), uow.numbers.get("none")],
        "websites": [w.domain_ascii for w in uow.websites.active_of("京ICP备2026000001号")],
        "website": uow.websites.get("a.cn").website_number,
        "accesses": ids(uow.accesses.of_filing(FILINGS[0])),
        "scores": uow.inspections.scores("p-1", 2026),
        "overdue": sorted(ids(uow.penalties.overdue(T0 + timedelta(days=15)))),
        "states": uow.penalties.states("p-1"),
        "listed": [ids(uow.penalties.listed(None)), ids(uow.penalties.listed("p-2"))],
        "calendar": (stored, uow.calendar.working().official_days_left(T0.date())),
    }


def test_the_repositories_answer_as_their_fakes_do(database_factory):
    engine = make_engine(database_factory("bureau"))
    with Session(engine, expire_on_commit=False) as session:
        sql = BureauUnitOfWork(session)
        fill(sql)
        expected = answers(sql)
        sql.websites.retire_all("京ICP备2026000001号", T0)
        expected["retired"] = sql.websites.active_of("京ICP备2026000001号")
        session.commit()
    engine.dispose()
    fake = FakeBureauUnitOfWork()
    fill(fake)
    got = answers(fake)
    fake.websites.retire_all("京ICP备2026000001号", T0)
    got["retired"] = fake.websites.active_of("京ICP备2026000001号")
    assert got == expected
    assert expected["open"] == ["r-2", "r-1"] and expected["serials"] == [1, 2, 1]  # the data asks something
