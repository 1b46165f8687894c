"""A verified filing received by the bureau and a filing cancelled (P8, B1, R2.1, ADR 0001), on the in-memory
unit of work: what is kept of a submission, which submissions open a review, what a cancellation retires."""
import json
import uuid

import pytest

from bureau.usecases import receipt, review
from bureau.usecases.common import CORRECTION_CONTEXT, Scope
from shared.contracts.bureau import FILING_NUMBER_RETIRED
from shared.kernel.provinces import province_by_abbr
from shared.platform.events import PoisonEvent

from ..conftest import filing_sent_data
from .conftest import REVIEWER

pytestmark = pytest.mark.unit


def cancellation(filing_id: str, province: str = "京") -> dict:
    return {"filing_id": filing_id, "provider_id": "provider-test", "province": province, "filing_number": None,
            "reason": "website closed", "cancelled_at": "2026-11-25T10:00:00+08:00", "cancelled_by": "sponsor"}


@pytest.mark.req("B1")
def test_personal_data_and_corrections_are_resealed_with_the_bureaus_keys(uow, keys, scope, receive):
    exchange = keys.exchange
    before = exchange.encrypt("13800138001", context="exchange.correction")
    corrections = [{"field": "contacts.mobile", "before": before,
                    "after": exchange.encrypt("13800138000", context="exchange.correction"),
                    "by": "verifier-1", "at": "2026-11-10T09:50:00+08:00"}]
    filing_id, data = receive(corrections=corrections)
    [stored] = uow.reviews.items
    text = json.dumps([stored.filing, stored.corrections], ensure_ascii=False)
    for token in (before, data["filing"]["contacts"]["mobile"], data["filing"]["responsible_person"]["name"]):
        assert token not in text  # never the exchange ring's tokens
    for plain in ("13800138000", "13800138001", "张三", "11010519491231002X"):
        assert plain not in text
    assert keys.cipher.decrypt(stored.corrections[0]["before"], context=CORRECTION_CONTEXT) == "13800138001"
    assert keys.cipher.decrypt(stored.filing["contacts"]["mobile"], context="bureau.filing.contacts.mobile") \
        == "13800138000"
    seen = review.get_review(uow, filing_id, scope=scope, keys=keys)
    assert seen["state"] == "pending" and seen["form_check"]["valid"] is True
    assert seen["corrections"] == [{"field": "contacts.mobile", "by": "verifier-1", "at": "2026-11-10T09:50:00+08:00"}]
    assert seen["filing"]["responsible_person"]["document_number"] == "110105********002X"  # masked (B1)


@pytest.mark.req("P8")
def test_the_same_or_an_older_submission_adds_nothing_and_a_newer_one_supersedes(uow, receive):
    filing_id, _ = receive()
    receive(filing_id=filing_id)  # the same submission under another event id
    assert len(uow.reviews.items) == 1
    receive(filing_id=filing_id, submission=3)
    receive(filing_id=filing_id, submission=2)  # older, arriving late
    assert [(r.submission, r.state) for r in uow.reviews.items] == [(1, "superseded"), (3, "pending")]


@pytest.mark.req("R2.1")
def test_events_for_another_province_are_refused_and_nothing_is_stored(uow, keys, at, evidence, form_check):
    beijing = Scope(province_by_abbr("京"))
    filing_id = str(uuid.uuid4())
    data = filing_sent_data(keys.exchange, evidence, filing_id=filing_id, province="粤")
    with pytest.raises(PoisonEvent):
        receipt.on_sent_to_bureau(uow, data, scope=beijing, keys=keys, check_form=form_check, review_days=20,
                                  now=at)
    with pytest.raises(PoisonEvent):
        receipt.on_cancelled(uow, cancellation(filing_id, "粤"), scope=beijing, now=at)
    assert uow.reviews.items == [] and uow.outbox.envelopes == []


@pytest.mark.req("P8")
def test_a_filing_cancelled_during_review_ends_it_and_nothing_is_retired(uow, keys, at, scope, receive):
    filing_id, _ = receive()
    receipt.on_cancelled(uow, cancellation(filing_id), scope=scope, now=at)
    assert [r.state for r in uow.reviews.items] == ["cancelled"]
    assert uow.reviews.open() == [] and uow.outbox.envelopes == []


@pytest.mark.req("P8")
def test_a_cancelled_filings_number_is_retired_once_and_never_issued_again(uow, keys, at, scope, receive):
    filing_id, _ = receive()
    number = review.approve(uow, filing_id, REVIEWER, scope=scope, keys=keys, now=at)["filing_number"]
    receipt.on_cancelled(uow, cancellation(filing_id), scope=scope, now=at)
    receipt.on_cancelled(uow, cancellation(filing_id), scope=scope, now=at)  # the same cancellation again
    [retired] = uow.outbox.of_type(FILING_NUMBER_RETIRED)
    assert retired["filing_number"] == number and retired["reason"] == "cancelled: website closed"
    assert uow.websites.active_of(number) == []
    other, _ = receive(domains=["other-site.cn"])
    following = review.approve(uow, other, REVIEWER, scope=scope, keys=keys, now=at)["filing_number"]
    assert following == number.replace("000001", "000002")
