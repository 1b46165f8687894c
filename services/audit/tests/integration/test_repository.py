"""audit's repositories on PostgreSQL and their in-memory stand-ins (``tests/fakes.py``) behave alike: the same
calls give the same answers on both, so that the unit tests on the fakes say something about the service."""
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from audit import domain
from audit.repository import AuditUnitOfWork
from shared.contracts.bureau import RECTIFICATION_CLOSED, RECTIFICATION_OVERDUE
from shared.testing.containers import truncate

from ..fakes import FakeAuditUnitOfWork

pytestmark = pytest.mark.integration

NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "postgresql"])
def uow(request):
    if request.param == "memory":
        yield FakeAuditUnitOfWork()
        return
    url = request.getfixturevalue("run_database")("audit")
    truncate(url)
    engine = create_engine(url)
    with Session(engine) as session:
        yield AuditUnitOfWork(session)
        session.rollback()
    engine.dispose()


def _filing(filing_id: str, provider: str, approved_at: datetime, sites=("www.example.cn",)) -> domain.StockFiling:
    return domain.StockFiling(
        filing_id=filing_id, version=1, filing_number=f"京ICP备2026{filing_id[-6:]}号", provider_id=provider,
        province="京", sponsor_kind="unit", unit_type=None, approved_at=approved_at, document_type="resident_id",
        id_key_version=1, id_sealed=b"\x00" * 46, id_hmac="h" * 64, name_token="t", mobile_token="t", sites=list(sites))


def test_the_trail_appends_in_order_and_finds_a_penalty_s_entries(uow):
    assert uow.trail.tip() is None
    uow.trail.lock()
    tip = None
    for n, (event_type, penalty) in enumerate([(RECTIFICATION_CLOSED, "p-1"), ("other.v1", "p-1"),
                                               (RECTIFICATION_OVERDUE, "p-2"), (RECTIFICATION_OVERDUE, "p-1")]):
        entry = domain.chain_after(tip, f"00000000-0000-4000-8000-00000000000{n}", event_type, "bureau", "c",
                                   "2026-11-20T09:30:00+08:00", {"penalty_id": penalty, "at": "2026-12-01"})
        uow.trail.append(entry, NOV)
        uow.flush()
        tip = uow.trail.tip()
        assert tip == (entry.seq, entry.entry_hash)
    assert uow.trail.has("00000000-0000-4000-8000-000000000002") and not uow.trail.has("no-such-event")
    entries = list(uow.trail.entries(batch=3))
    assert [e.seq for e in entries] == [1, 2, 3, 4] and domain.verify_chain(entries) == (4, None)
    found = uow.trail.penalty_entries([RECTIFICATION_CLOSED, RECTIFICATION_OVERDUE], "p-1")
    assert sorted(event_type for event_type, _body in found) == [RECTIFICATION_CLOSED, RECTIFICATION_OVERDUE]


def test_stock_samples_and_phone_checks_round_trip(uow):
    first = uow.stock.add(_filing("filing-000001", "provider-a", NOV, sites=("WWW.Example.cn",)))
    uow.stock.add(_filing("filing-000002", "provider-b", datetime(2026, 11, 30, 23, 59, tzinfo=UTC)))
    uow.stock.add(_filing("filing-000003", "provider-a", DEC))
    assert first.pk is not None and uow.stock.get(first.pk) == first
    assert sorted(f.filing_id for f in uow.stock.approved_between(NOV, DEC)) == ["filing-000001", "filing-000002"]

    in_month = uow.stock.approved_between(NOV, DEC)
    sample = domain.Sample(id="8f9c4d2e-0000-4000-8000-000000000001", month="2026-11", seed=7,
                           rules_version="2026.1", population=2, size=2, drawn_by="auditor:a", drawn_at=DEC)
    uow.samples.add(sample, [domain.SampleItem(sample_id=sample.id, stock_pk=f.pk, stratum=f"京|{f.provider_id}",
                                               rules_version="2026.1") for f in reversed(in_month)])
    assert uow.samples.find("2026-11", 7, "2026.1") == sample == uow.samples.get(sample.id)
    assert uow.samples.find("2026-11", 8, "2026.1") is None and uow.samples.get("no-such-sample") is None
    rows = uow.samples.items_with_filings(sample.id)
    assert [(item.stratum, stock.filing_id) for item, stock in rows] == [
        ("京|provider-a", "filing-000001"), ("京|provider-b", "filing-000002")]

    item = rows[0][0]
    assert uow.samples.item(item.id) == item and item.phone_result is None
    uow.samples.save_item(replace(item, phone_result="confirmed", checked_by="auditor:a", checked_at=DEC))
    assert uow.samples.item(item.id).phone_result == "confirmed"
    assert uow.samples.item(item.id + 1000) is None


def test_findings_are_found_by_filing_version_check_and_rules(uow):
    stock = uow.stock.add(_filing("filing-000001", "provider-a", NOV))
    uow.checks.add(domain.CheckResult(stock.pk, domain.ID_CHECK, "fail", "check_digit", "2026.1", NOV))
    finding = domain.Finding("7d1c0c5e-0000-4000-8000-000000000001", stock.filing_id, 1, "provider-a", "京",
                             domain.ID_CHECK, "2026.1", [{"code": "check_digit"}], NOV)
    assert not uow.checks.finding_exists(stock.filing_id, 1, domain.ID_CHECK, "2026.1")
    uow.checks.add_finding(finding)
    uow.flush()
    assert uow.checks.finding_exists(stock.filing_id, 1, domain.ID_CHECK, "2026.1")
    assert not uow.checks.finding_exists(stock.filing_id, 1, domain.SPOT_CHECK, "2026.1")
    assert not uow.checks.finding_exists(stock.filing_id, 1, domain.ID_CHECK, "2027.1")


def test_penalties_are_followed(uow):
    penalty = domain.Penalty("3d0f6f3e-0000-4000-8000-000000000001", "provider-a", "京", "warning", "A1", NOV, DEC)
    assert uow.penalties.get(penalty.penalty_id) is None
    uow.penalties.add(penalty)
    uow.flush()
    assert uow.penalties.get(penalty.penalty_id) == penalty
    closed = domain.follow_up(penalty, "closed", DEC)
    uow.penalties.save(closed)
    assert uow.penalties.get(penalty.penalty_id) == closed
