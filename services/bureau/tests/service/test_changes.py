"""Changes (备案变更) and cancellations (注销) at the bureau (P8, requirements §4): a change keeps the filing number
and its websites' numbers, new websites get new numbers and removed ones are retired; a cancelled filing's number
is retired and never issued again."""
import time

import pytest

from shared.contracts.bureau import FILING_APPROVED, FILING_NUMBER_RETIRED
from shared.contracts.intake import FILING_CANCELLED
from shared.kernel.filing_numbers import parse_filing_number
from shared.testing.events import publisher

pytestmark = pytest.mark.service


class Seen:
    """Every event the tap delivered so far (draining consumes them, whatever their type)."""

    def __init__(self, tap):
        self.tap, self.all = tap, []

    def of(self, event_type, count, timeout=10.0):
        """The data of every ``event_type`` event so far, waiting until there are ``count``."""
        deadline = time.monotonic() + timeout
        while True:
            got = [e["data"] for e in self.all if e["meta"]["type"] == event_type]
            if len(got) >= count or time.monotonic() > deadline:
                return got
            self.all += self.tap.drain(timeout=0.2)


def two_sites(name_a="a-site.cn", name_b="b-site.cn"):
    from shared.testing.samples import unit_filing

    filing = unit_filing()
    site = filing["websites"][0]
    filing["websites"] = [{**site, "name": "A", "domains": [name_a]}, {**site, "name": "B", "domains": [name_b]}]
    return filing


@pytest.mark.req("P8")
def test_a_change_keeps_the_number_and_retires_a_removed_websites_number(api, send_filing, bureau_tap, wait_review):
    filing_id = send_filing(filing=two_sites())
    wait_review(api, filing_id)
    seen = Seen(bureau_tap)
    number = api.post(f"/reviews/{filing_id}/approval").json()["filing_number"]
    first = seen.of(FILING_APPROVED, 1)[0]
    assert first["website_numbers"] == {"a-site.cn": f"{number}-1", "b-site.cn": f"{number}-2"}

    send_filing(filing_id=filing_id, version=2, change_of=number, filing=two_sites("a-site.cn", "c-site.cn"))
    review = wait_review(api, filing_id, version=2)
    assert review["change_of"] == number
    changed = api.post(f"/reviews/{filing_id}/approval")
    assert changed.status_code == 200 and changed.json()["filing_number"] == number
    approved = seen.of(FILING_APPROVED, 2)[1]
    assert approved["change_of"] == number and approved["version"] == 2
    assert approved["website_numbers"] == {"a-site.cn": f"{number}-1", "c-site.cn": f"{number}-3"}
    retired = seen.of(FILING_NUMBER_RETIRED, 1)
    assert [r["filing_number"] for r in retired] == [f"{number}-2"]


@pytest.mark.req("P8")
def test_a_cancelled_filings_number_is_retired_and_never_issued_again(api, send_filing, bureau_tap, bureau_config,
                                                                      wait_review):
    filing_id = send_filing(filing=two_sites())
    wait_review(api, filing_id)
    seen = Seen(bureau_tap)
    number = api.post(f"/reviews/{filing_id}/approval").json()["filing_number"]
    send = publisher(bureau_config["AMQP_URI"])
    cancellation = {"filing_id": filing_id, "provider_id": "provider-test", "province": "京",
                    "filing_number": number, "reason": "website closed",
                    "cancelled_at": "2026-11-25T10:00:00+08:00", "cancelled_by": "sponsor"}
    envelope = send("intake", FILING_CANCELLED, cancellation, filing_id)
    retired = seen.of(FILING_NUMBER_RETIRED, 1)
    assert retired[0]["filing_number"] == number and "website closed" in retired[0]["reason"]
    send("intake", FILING_CANCELLED, cancellation, filing_id, event_id=envelope["meta"]["id"])  # redelivered
    assert len(seen.of(FILING_NUMBER_RETIRED, 2, timeout=1.5)) == 1
    assert api.get("/public/filings", params={"number": number}).status_code == 404
    # the next approval takes the next serial: the retired one is never reissued
    other = send_filing(filing=two_sites("d-site.cn", "e-site.cn"))
    wait_review(api, other)
    following = api.post(f"/reviews/{other}/approval").json()["filing_number"]
    assert parse_filing_number(following).serial == parse_filing_number(number).serial + 1


@pytest.mark.req("P8")
def test_a_filing_cancelled_during_review_leaves_the_queue(api, send_filing, bureau_config, wait_review):
    filing_id = send_filing()
    wait_review(api, filing_id)
    publisher(bureau_config["AMQP_URI"])("intake", FILING_CANCELLED, {
        "filing_id": filing_id, "provider_id": "provider-test", "province": "京", "filing_number": None,
        "reason": "sponsor withdrew", "cancelled_at": "2026-11-25T10:00:00+08:00", "cancelled_by": "sponsor"},
        filing_id)
    wait_review(api, filing_id, state="cancelled")
    assert api.get("/reviews").json()["items"] == []
    assert api.post(f"/reviews/{filing_id}/approval").status_code == 409
