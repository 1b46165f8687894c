"""Reviewers' decisions on the in-memory unit of work (P8, B1, P6): approval with the filing number and website
numbers, a second decision refused, a form whose seal failed returned, a return and re-send, a change (备案变更)
keeping its number, and another province's reviewer seeing nothing."""
import re

import pytest

from bureau.forms import FormCheck
from bureau.usecases import review
from bureau.usecases.common import Scope
from shared.contracts.bureau import FILING_APPROVED, FILING_RETURNED
from shared.contracts.errors import Conflict, NotFound, ValidationFailed
from shared.kernel.filing_numbers import parse_filing_number
from shared.kernel.provinces import province_by_abbr
from shared.platform.auth import Principal
from shared.testing.samples import unit_filing, uscc

from .conftest import REVIEWER

pytestmark = pytest.mark.unit

NUMBER = re.compile(r"京ICP备2026[0-9]{6}号")
REASON = {"field": "sponsor.document_number", "code": "unreadable_copy",
          "message": "The copy of the business licence is unreadable.", "rule": "B1"}


def other_unit(domains, body="MA02D4J8", name="北京另一家科技有限公司"):
    """Another unit (another credit code): another sponsor, so another number (X1)."""
    filing = unit_filing()
    filing["sponsor"].update(document_number=uscc(body=body), name=name)
    filing["websites"][0]["domains"] = domains
    return filing


def two_sites(name_a="a-site.cn", name_b="b-site.cn"):
    filing = unit_filing()
    site = filing["websites"][0]
    filing["websites"] = [{**site, "name": "A", "domains": [name_a]}, {**site, "name": "B", "domains": [name_b]}]
    return filing


@pytest.mark.req("P8")
def test_approval_issues_consecutive_well_formed_numbers_once(uow, keys, at, scope, receive):
    first, _ = receive()
    second, _ = receive(filing=other_unit(["second-site.cn"]))
    approved = review.approve(uow, first, REVIEWER, scope=scope, keys=keys, now=at)
    number = approved["filing_number"]
    assert NUMBER.fullmatch(number) and str(parse_filing_number(number)) == number
    assert approved["state"] == "approved" and approved["decided_by"] == REVIEWER
    with pytest.raises(Conflict) as again:
        review.approve(uow, first, REVIEWER, scope=scope, keys=keys, now=at)
    assert again.value.errors[0]["code"] == "decided" and number in again.value.errors[0]["message"]
    following = review.approve(uow, second, REVIEWER, scope=scope, keys=keys, now=at)["filing_number"]
    assert parse_filing_number(following).serial == parse_filing_number(number).serial + 1
    [event, _] = uow.outbox.of_type(FILING_APPROVED)
    assert event["filing_number"] == number and event["approved_by"] == REVIEWER
    assert event["website_numbers"] == {"www.example.com.cn": f"{number}-1", "xn--fsqu00a.xn--fiqs8s": f"{number}-1"}
    assert "13800138000" not in str(event)  # the mobile travels sealed with the exchange ring
    assert keys.exchange.decrypt(event["filing"]["contacts"]["mobile"], context="exchange.contacts.mobile") \
        == "13800138000"


@pytest.mark.req("B1")
def test_a_filing_whose_form_seal_failed_cannot_be_approved_but_can_be_returned(uow, keys, at, scope, receive,
                                                                                 form_check):
    form_check.verdict = FormCheck(False, None, [{"field": "evidence.form_bureau_copy", "code": "tampered",
                                                  "message": "Seal broken.", "rule": "P6"}])
    filing_id, _ = receive()
    with pytest.raises(Conflict) as refused:
        review.approve(uow, filing_id, REVIEWER, scope=scope, keys=keys, now=at)
    assert refused.value.errors[0]["code"] == "form_not_valid"
    assert review.return_filing(uow, filing_id, REVIEWER, [REASON], scope=scope, keys=keys, now=at)["state"] \
        == "returned"
    assert uow.outbox.of_type(FILING_APPROVED) == [] and uow.numbers.records == {}


@pytest.mark.req("P8")
def test_a_returned_filing_sent_again_is_approved(uow, keys, at, scope, receive):
    filing_id, _ = receive()
    with pytest.raises(ValidationFailed):
        review.return_filing(uow, filing_id, REVIEWER, [], scope=scope, keys=keys, now=at)
    returned = review.return_filing(uow, filing_id, REVIEWER, [REASON], scope=scope, keys=keys, now=at)
    assert returned["state"] == "returned" and returned["reasons"] == [REASON]
    [event] = uow.outbox.of_type(FILING_RETURNED)
    assert event["reasons"] == [REASON] and event["submission"] == 1 and event["returned_by"] == REVIEWER
    with pytest.raises(Conflict):
        review.return_filing(uow, filing_id, REVIEWER, [REASON], scope=scope, keys=keys, now=at)
    at.advance(days=1)
    receive(filing_id=filing_id, submission=2)  # the provider verifies again and sends it anew
    assert review.get_review(uow, filing_id, scope=scope, keys=keys)["submission"] == 2
    assert NUMBER.fullmatch(review.approve(uow, filing_id, REVIEWER, scope=scope, keys=keys, now=at)["filing_number"])


@pytest.mark.req("P8")
def test_a_change_keeps_the_number_and_retires_a_removed_websites_number(uow, keys, at, scope, receive):
    filing_id, _ = receive(filing=two_sites())
    number = review.approve(uow, filing_id, REVIEWER, scope=scope, keys=keys, now=at)["filing_number"]
    assert uow.outbox.of_type(FILING_APPROVED)[0]["website_numbers"] == {"a-site.cn": f"{number}-1",
                                                                         "b-site.cn": f"{number}-2"}
    at.advance(days=30)
    receive(filing_id=filing_id, version=2, change_of=number, filing=two_sites("a-site.cn", "c-site.cn"))
    assert review.get_review(uow, filing_id, scope=scope, keys=keys)["change_of"] == number
    assert review.approve(uow, filing_id, REVIEWER, scope=scope, keys=keys, now=at)["filing_number"] == number
    changed = uow.outbox.of_type(FILING_APPROVED)[1]
    assert changed["change_of"] == number and changed["version"] == 2
    # b-site's -2 is retired, never reissued: c-site takes -3
    assert changed["website_numbers"] == {"a-site.cn": f"{number}-1", "c-site.cn": f"{number}-3"}
    assert [(w.domain_ascii, w.website_number) for w in uow.websites.active_of(number)] == [
        ("a-site.cn", f"{number}-1"), ("c-site.cn", f"{number}-3")]
    assert uow.websites.get("b-site.cn").retired_at is not None


@pytest.mark.req("P8")
def test_a_domain_filed_under_another_number_is_not_approved_again(uow, keys, at, scope, receive):
    first, _ = receive(domains=["taken.cn"])
    number = review.approve(uow, first, REVIEWER, scope=scope, keys=keys, now=at)["filing_number"]
    second, _ = receive(filing=other_unit(["taken.cn"]))
    with pytest.raises(Conflict) as refused:
        review.approve(uow, second, REVIEWER, scope=scope, keys=keys, now=at)
    assert refused.value.errors[0]["code"] == "domain_filed" and number in refused.value.errors[0]["message"]


@pytest.mark.req("B1")
@pytest.mark.req("R2.1")
def test_another_provinces_reviewer_finds_nothing_exactly_as_for_an_unknown_filing(uow, keys, at, receive):
    filing_id, _ = receive()
    guangdong = Scope(province_by_abbr("京"), Principal("reviewer-9", "reviewer", province="粤").may_see)
    assert review.review_queue(uow, scope=guangdong, keys=keys) == []
    with pytest.raises(NotFound) as hidden:
        review.get_review(uow, filing_id, scope=guangdong, keys=keys)
    with pytest.raises(NotFound) as unknown:
        review.get_review(uow, "00000000-0000-4000-8000-000000000000", scope=guangdong, keys=keys)
    assert hidden.value.errors == unknown.value.errors
    with pytest.raises(NotFound):
        review.approve(uow, filing_id, "bureau:京:reviewer-9", scope=guangdong, keys=keys, now=at)
    assert uow.outbox.envelopes == []
