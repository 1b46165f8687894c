"""Intake's repositories on PostgreSQL (issue 18), and the in-memory fakes the unit tests use held to the same
answers: one filing's life run through the use cases on either unit of work reads back the same — timeline, sites,
revisits, events — and on PostgreSQL its personal data is sealed at rest."""
import copy
import json
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from intake.domain.filing import Scan
from intake.domain.guide import CONTRACT_CLAUSE_SHA256
from intake.repository import IntakeUnitOfWork
from intake.usecases import drafts, filings, revisits, sites, status, submission
from intake.usecases.filings import Viewer
from services.intake.tests.fakes import FakeIntakeUnitOfWork
from shared.contracts import EVENTS
from shared.contracts.bureau import FILING_APPROVED
from shared.platform.crypto import CryptoConfig
from shared.testing.containers import truncate
from shared.testing.samples import ACCESS, unit_filing

pytestmark = [pytest.mark.integration, pytest.mark.clock]

VIEWER = Viewer("provider-test", in_full=True)
YEAR = timedelta(days=365)


@pytest.fixture(scope="module")
def crypto():
    return CryptoConfig.from_config({})


@pytest.fixture
def db_url(run_database):
    url = run_database("intake")
    truncate(url)
    return url


def _life(uow, crypto, clock) -> tuple[str, dict]:
    """Draft, scans, clause, submission, approval with two sites, a revisit opened when due, cancellation."""
    at = clock()
    filing_id = filings.create_draft(uow, VIEWER, "sponsor:owner", unit_filing(), at)["id"]
    filings.set_access(uow, VIEWER, filing_id, ACCESS, at)
    for n, kind in enumerate(("sponsor_document", "responsible_person_document")):
        uow.filings.add_scan(Scan(f"00000000-0000-4000-8000-00000000000{n}", filing_id, 1, kind, "b",
                                  f"filings/{filing_id}/{n}", None, "0" * 64, "image/png", 10, "sponsor:owner",
                                  at + timedelta(seconds=n)))
    filings.accept_contract(uow, VIEWER, "sponsor:owner", filing_id, CONTRACT_CLAUSE_SHA256, at)
    submission.submit(uow, VIEWER, crypto.cipher(), crypto.hasher(), "sponsor:owner", filing_id, at)
    envelope = copy.deepcopy(EVENTS.get(FILING_APPROVED).sample_envelope())
    envelope["data"].update(filing_id=filing_id, version=1, filing_number="京ICP备2026000123号",
                            website_numbers={"a.example.cn": "京ICP备2026000123号-1",
                                             "b.example.cn": "京ICP备2026000123号-2"},
                            approved_at=clock.iso())
    status.record_approval(uow, "provider-test", EVENTS.load(envelope), at, YEAR)
    opened = revisits.run_revisits(uow, crypto.cipher(), "provider-test", clock.advance(days=366), timedelta(days=30))
    submission.cancel(uow, VIEWER, "supervisor:s-1", filing_id, "网站关闭", clock(), cipher=crypto.cipher())
    return filing_id, {
        "opened": opened,
        "filing": {k: v for k, v in filings.get_filing(uow, VIEWER, filing_id, clock()).items()
                   if k not in ("id", "documents")},
        "timeline": [(s["state"], s["actor"], s["note"]) for s in
                     filings.get_timeline(uow, VIEWER, filing_id)["timeline"]],
        "sites": sites.approved_sites(uow)["revision"],
        "revisits": [r["state"] for r in revisits.filing_revisits(uow, VIEWER, filing_id)["revisits"]],
        "status": revisits.status(uow, "provider-test", clock())["counts"],
    }


def test_the_sql_repositories_and_the_fakes_read_one_life_back_the_same(db_url, crypto, clock):
    engine = create_engine(db_url)
    start = clock()
    with Session(engine) as session:
        uow = IntakeUnitOfWork(session, crypto.cipher())
        filing_id, on_sql = _life(uow, crypto, clock)
        session.commit()
        events = [row for row in session.execute(text("SELECT event_type FROM outbox ORDER BY created_at, id"))
                  .scalars()]
    clock.set(start)
    fake = FakeIntakeUnitOfWork()
    _, in_memory = _life(fake, crypto, clock)
    assert on_sql == in_memory
    assert on_sql["timeline"][-1] == ("cancelled", "supervisor:s-1", "网站关闭")
    assert on_sql["revisits"] == ["closed"] and on_sql["opened"] == {"opened": 1, "escalated": 0}
    assert sorted(events) == sorted(fake.outbox.types)
    with engine.connect() as connection:
        stored = json.dumps(connection.execute(text("SELECT data FROM filing_versions")).scalars().all(),
                            ensure_ascii=False)
    engine.dispose()
    assert filing_id and "13800138000" not in stored and "zhangsan@example.com.cn" not in stored


def _stale_draft(uow, crypto, clock) -> list:
    """X4: a draft left 45 days, the timer run at 30, 40 and 45 days: what each run did, and the draft's state."""
    at = clock()
    filing_id = filings.create_draft(uow, VIEWER, "sponsor:owner", unit_filing(), at)["id"]
    runs = [drafts.run_drafts(uow, crypto.cipher(), "provider-test", at + timedelta(days=days))
            for days in (29, 30, 40, 45, 46)]
    return [runs, filings.get_filing(uow, VIEWER, filing_id, at + timedelta(days=46))["state"], uow.filings.timeline(
        filing_id)[-1].note]


@pytest.mark.req("X4")
def test_a_stale_draft_expires_after_two_reminders_on_postgresql_as_in_memory(db_url, crypto, clock):
    engine = create_engine(db_url)
    start = clock()
    with Session(engine) as session:
        on_sql = _stale_draft(IntakeUnitOfWork(session, crypto.cipher()), crypto, clock)
        session.commit()
        events = session.execute(text("SELECT event_type FROM outbox ORDER BY created_at, id")).scalars().all()
    engine.dispose()
    clock.set(start)
    assert on_sql == _stale_draft(FakeIntakeUnitOfWork(), crypto, clock)
    assert [sum(run.values()) for run in on_sql[0]] == [0, 1, 1, 1, 0] and on_sql[1] == "cancelled"
    assert events == ["draft_expiry_announced.v1", "draft_expiry_announced.v1", "draft_expired.v1"]
