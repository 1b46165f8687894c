"""The register (X1) on the in-memory unit of work: one number per sponsor (a second filing of the same unit brings
its website under the same number), a new access keeping the site's number, each kind of cancellation, and what a
provider's intake is told when it asks by sponsor key. Concurrent approvals on PostgreSQL:
tests/integration/test_one_number_per_sponsor.py."""
import pytest

from bureau.usecases import receipt, register, review
from shared.contracts.bureau import FILING_APPROVED, FILING_NUMBER_RETIRED, sponsor_key
from shared.testing.samples import unit_filing

from .conftest import REVIEWER
from .test_receipt import cancellation
from .test_review import other_unit

pytestmark = pytest.mark.unit


def unit(domains):
    filing = unit_filing()
    filing["websites"][0]["domains"] = domains
    return filing


def sites_cancelled(filing_id, domains, provider_id="provider-test"):
    return {**cancellation(filing_id), "provider_id": provider_id, "domains": domains}


@pytest.fixture
def approve(uow, keys, at, scope, receive):
    """``approve(filing, provider_id=...) -> (filing id, approval view)``: received and approved."""

    def approve_one(filing, **kwargs):
        filing_id, _ = receive(filing=filing, **kwargs)
        return filing_id, review.approve(uow, filing_id, REVIEWER, scope=scope, keys=keys, now=at)

    return approve_one


def active_sites(uow, number):
    return {w.domain_ascii: w.website_number for w in uow.websites.active_of(number)}


@pytest.mark.req("X1")
def test_a_second_filing_of_the_same_unit_gets_the_same_number_and_the_next_website(uow, approve):
    _, first = approve(unit(["first-site.cn"]))
    _, second = approve(unit(["second-site.cn"]))
    number = first["filing_number"]
    assert second["filing_number"] == number
    assert active_sites(uow, number) == {"first-site.cn": f"{number}-1", "second-site.cn": f"{number}-2"}
    assert [e["website_numbers"] for e in uow.outbox.of_type(FILING_APPROVED)] == [
        {"first-site.cn": f"{number}-1"}, {"second-site.cn": f"{number}-2"}]
    assert len(uow.numbers.records) == 1 and uow.numbers.counters == {("京", 2026): 1}
    _, stranger = approve(other_unit(["stranger.cn"]))
    assert stranger["filing_number"] != number


@pytest.mark.req("X1")
def test_a_new_access_keeps_the_sites_number_and_both_providers_host_it(uow, approve):
    _, first = approve(unit(["moving.cn"]), provider_id="provider-a")
    number = first["filing_number"]
    _, moved = approve(unit(["moving.cn"]), provider_id="provider-b")
    assert moved["filing_number"] == number
    assert active_sites(uow, number) == {"moving.cn": f"{number}-1"}
    assert [h.provider_id for h in uow.hosts.of("moving.cn")] == ["provider-a", "provider-b"]


@pytest.mark.req("X1")
def test_cancelling_access_retires_a_site_only_when_no_provider_hosts_it(uow, approve, at, scope):
    first_id, first = approve(unit(["shared.cn", "own.cn"]), provider_id="provider-a")
    number = first["filing_number"]
    second_id, _ = approve(unit(["shared.cn"]), provider_id="provider-b")
    register.on_sites_cancelled(uow, sites_cancelled(first_id, ["shared.cn"], "provider-a"), whole_website=False,
                                scope=scope, now=at())
    assert active_sites(uow, number) == {"shared.cn": f"{number}-1", "own.cn": f"{number}-1"}
    register.on_sites_cancelled(uow, sites_cancelled(second_id, ["shared.cn"], "provider-b"), whole_website=False,
                                scope=scope, now=at())
    assert uow.websites.get("shared.cn").retired_at is not None
    assert uow.numbers.records[number].retired_at is None  # own.cn is still hosted
    assert uow.outbox.of_type(FILING_NUMBER_RETIRED) == []


@pytest.mark.req("X1")
def test_cancelling_a_website_keeps_the_sponsor_until_its_last_website_goes(uow, approve, at, scope):
    first_id, first = approve(unit(["one.cn"]))
    second_id, _ = approve(unit(["two.cn"]))
    number = first["filing_number"]
    register.on_sites_cancelled(uow, sites_cancelled(first_id, ["one.cn"]), whole_website=True, scope=scope,
                                now=at())
    assert active_sites(uow, number) == {"two.cn": f"{number}-2"}
    assert uow.numbers.records[number].retired_at is None
    register.on_sites_cancelled(uow, sites_cancelled(second_id, ["two.cn"]), whole_website=True, scope=scope,
                                now=at())
    assert uow.numbers.records[number].retired_at is not None
    assert {e["filing_id"] for e in uow.outbox.of_type(FILING_NUMBER_RETIRED)} == {first_id, second_id}
    # a new filing of the same unit now gets a new number; the old one is never issued again
    _, again = approve(unit(["three.cn"]))
    assert again["filing_number"] != number and again["filing_number"].endswith("000002号")


@pytest.mark.req("X1")
def test_cancelling_the_sponsor_retires_its_number_and_every_website_and_tells_every_filing(uow, approve, at, scope):
    first_id, first = approve(unit(["a.cn"]), provider_id="provider-a")
    second_id, _ = approve(unit(["b.cn"]), provider_id="provider-b")
    number = first["filing_number"]
    receipt.on_cancelled(uow, cancellation(second_id), scope=scope, now=at)
    assert active_sites(uow, number) == {} and uow.numbers.records[number].retired_at is not None
    told = {(e["filing_id"], e["provider_id"]) for e in uow.outbox.of_type(FILING_NUMBER_RETIRED)}
    assert told == {(first_id, "provider-a"), (second_id, "provider-b")}
    assert uow.hosts.items == {}


@pytest.mark.req("X1")
def test_the_register_tells_a_provider_what_a_sponsor_and_its_domains_are(uow, approve, keys, scope):
    key = sponsor_key(keys.lookup, "unit", unit_filing()["sponsor"]["document_number"])
    nothing = register.lookup(uow, key, ["new.cn"], "provider-b", scope)
    assert nothing == {"province": "京", "sponsor_number": None,
                       "websites": [{"domain": "new.cn", "website_number": None, "filed": "not_filed",
                                     "hosted_by_caller": False}]}
    _, first = approve(unit(["hosted.cn"]), provider_id="provider-a")
    approve(other_unit(["elsewhere.cn"]))
    number = first["filing_number"]
    answer = register.lookup(uow, key, ["HOSTED.cn", "elsewhere.cn", "new.cn"], "provider-a", scope)
    assert answer["sponsor_number"] == number
    assert [(w["filed"], w["hosted_by_caller"]) for w in answer["websites"]] == [
        ("this_sponsor", True), ("another_sponsor", False), ("not_filed", False)]
    assert register.lookup(uow, key, ["hosted.cn"], "provider-b", scope)["websites"][0]["hosted_by_caller"] is False

