"""Monthly samples and phone checks on the in-memory unit of work (C1, C3): the month's new filings by approval time
in Beijing, stratified by the published rule, the same sample for the same seed, and each phone check recorded
once, a result other than ``confirmed`` raising a spot-check finding."""
from datetime import UTC, datetime

import pytest

from audit.domain import SPOT_CHECK, StockFiling, shipped_rules
from audit.usecases.spot_checks import draw_monthly_sample, record_phone_check, sample_view
from shared.contracts.audit import AUDIT_FINDING_RAISED
from shared.contracts.errors import BadRequest, Conflict, NotFound

from ..fakes import FakeAuditUnitOfWork

pytestmark = pytest.mark.unit

RULES = shipped_rules("2026.1")
NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
AUDITOR = "auditor:auditor-1"


def _stock(uow, provider: str, province: str, approved_at: datetime, n: int = 1) -> None:
    for _ in range(n):
        uow.stock.add(StockFiling(
            filing_id=f"filing-{len(uow.stock.filings):03d}", version=1, filing_number="京ICP备2026000001号",
            provider_id=provider, province=province, sponsor_kind="unit", unit_type=None, approved_at=approved_at,
            document_type="resident_id", id_key_version=1, id_sealed=b"", id_hmac="h", name_token="t",
            mobile_token="t", sites=[]))


@pytest.fixture
def uow():
    """Five November filings of provider-a in 京, two of provider-b in 粤; one approved at 00:30 on 1 December in
    Beijing (still 30 November in UTC), which belongs to December."""
    uow = FakeAuditUnitOfWork()
    _stock(uow, "provider-a", "京", datetime(2026, 11, 20, 1, 30, tzinfo=UTC), 5)
    _stock(uow, "provider-b", "粤", datetime(2026, 11, 2, tzinfo=UTC), 2)
    _stock(uow, "provider-a", "京", datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    return uow


def _draw(uow, seed=42) -> dict:
    return draw_monthly_sample(uow, "2026-11", seed, AUDITOR, rules=RULES, now=NOW)


@pytest.mark.req("C1")
@pytest.mark.req("C3")
def test_the_sample_is_stratified_and_drawn_again_from_its_seed(uow):
    sample = _draw(uow)
    assert (sample["population"], sample["size"], sample["rules_version"], sample["seed"]) == (7, 4, "2026.1", 42)
    assert sorted(item["stratum"] for item in sample["items"]) == ["京|provider-a"] * 2 + ["粤|provider-b"] * 2
    assert sample["drawn_by"] == AUDITOR
    assert _draw(uow) == sample and len(uow.samples.samples) == 1
    assert _draw(uow, seed=None)["seed"] != 42
    with pytest.raises(BadRequest):
        draw_monthly_sample(uow, "2026-13", 1, AUDITOR, rules=RULES, now=NOW)
    with pytest.raises(NotFound):
        sample_view(uow, "no-such-sample")


@pytest.mark.req("C1")
def test_a_phone_check_is_recorded_once_and_a_wrong_person_raises_a_finding(uow):
    sample = _draw(uow)
    items = {item["stratum"]: item["item_id"] for item in sample["items"]}
    sample_id = sample["sample_id"]

    def phone(item_id, result):
        return record_phone_check(uow, sample_id, item_id, result, AUDITOR, rules=RULES, now=NOW)

    confirmed = {i["item_id"]: i for i in phone(items["粤|provider-b"], "confirmed")["items"]}
    assert (confirmed[items["粤|provider-b"]]["phone_result"], confirmed[items["粤|provider-b"]]["checked_by"]) == (
        "confirmed", AUDITOR)
    phone(items["京|provider-a"], "wrong_person")
    assert phone(items["京|provider-a"], "wrong_person")["sample_id"] == sample_id  # the same again: nothing new
    with pytest.raises(Conflict):
        phone(items["京|provider-a"], "confirmed")
    with pytest.raises(BadRequest):
        phone(items["京|provider-a"], "maybe")
    with pytest.raises(NotFound):
        record_phone_check(uow, "another-sample", items["京|provider-a"], "confirmed", AUDITOR, rules=RULES, now=NOW)

    assert [(r.check, r.outcome, r.codes) for r in uow.checks.results] == [
        (SPOT_CHECK, "pass", ""), (SPOT_CHECK, "fail", "phone_wrong_person")]
    (finding,) = uow.outbox.of_type(AUDIT_FINDING_RAISED)
    assert finding["check"] == SPOT_CHECK and finding["provider_id"] == "provider-a"
    assert finding["reasons"][0] | {"message": ""} == {"field": "contacts.mobile", "code": "phone_wrong_person",
                                                       "message": "", "rule": "C1"}
