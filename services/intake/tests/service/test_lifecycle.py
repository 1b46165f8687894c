"""The wiring of the filing's life over the real broker, PostgreSQL and HTTP: the status events from precheck,
verification and the bureau reach the timeline, once per event; RPC answers with wire errors; the approved sites
follow approvals and cancellations, also as an nginx map. The rules themselves are unit tests on the in-memory unit
of work (``tests/unit/test_filing_usecases.py``)."""
import time
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from shared.contracts import EVENTS
from shared.contracts.bureau import FILING_APPROVED, FILING_RETURNED
from shared.contracts.errors import NotFound
from shared.contracts.intake import APPROVED_SITES_CHANGED
from shared.contracts.precheck import PRECHECK_PASSED
from shared.contracts.verification import (
    FILING_SENT_TO_BUREAU,
    ONSITE_VERIFIED,
)
from shared.testing.events import publisher
from shared.testing.http import token

pytestmark = pytest.mark.service


@pytest.fixture
def publish(intake_config):
    return publisher(intake_config["AMQP_URI"])


def wait_for_state(api, filing_id: str, state: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        filing = api.get(f"/filings/{filing_id}").json()
        if filing["state"] == state or time.monotonic() > deadline:
            assert filing["state"] == state, filing
            return filing
        time.sleep(0.05)


def outcome(filing_id: str, version: int, reasons: list) -> dict:
    return {"filing_id": filing_id, "version": version, "attempt": 1, "decided_at": "2026-11-23T09:00:00+08:00",
            "decided_by": "precheck:staff-7", "reasons": reasons, "mobile": "v1:sealed", "rulebook_version": "2026.1"}


def approval(filing_id: str, version: int, number: str = "京ICP备2026000123号") -> dict:
    return {**EVENTS.get(FILING_APPROVED).sample, "filing_id": filing_id, "version": version,
            "filing_number": number, "website_numbers": {"www.example.com.cn": number + "-1"},
            "approved_at": "2026-12-01T09:00:00+08:00", "approved_by": "bureau:京:reviewer-2"}


def step(event_type: str, filing_id: str, **changes) -> dict:
    return {**EVENTS.get(event_type).sample, "filing_id": filing_id, **changes}


@pytest.mark.req("P8")
def test_redelivered_status_event_is_recorded_once(api, complete_draft, publish):
    filing_id = complete_draft()
    api.post(f"/filings/{filing_id}/submit")
    event_id = str(uuid.uuid4())
    publish("precheck", PRECHECK_PASSED, outcome(filing_id, 1, []), filing_id, event_id=event_id)
    publish("precheck", PRECHECK_PASSED, outcome(filing_id, 1, []), filing_id, event_id=event_id)
    publish("bureau", FILING_APPROVED, approval(filing_id, 1), filing_id)

    filing = wait_for_state(api, filing_id, "approved")

    assert filing["filing_number"] == "京ICP备2026000123号"
    states = [e["state"] for e in api.get(f"/filings/{filing_id}/timeline").json()["timeline"]]
    assert states == ["draft", "submitted", "precheck_passed", "approved"]


@pytest.mark.req("P7")
@pytest.mark.req("P8")
def test_on_site_and_bureau_steps_show_on_the_timeline(api, complete_draft, publish):
    """Every handler of the steps after pre-verification, wired to its queue."""
    filing_id = complete_draft()
    api.post(f"/filings/{filing_id}/submit")
    publish("precheck", PRECHECK_PASSED, outcome(filing_id, 1, []), filing_id)
    wait_for_state(api, filing_id, "precheck_passed")
    publish("verification", ONSITE_VERIFIED, step(ONSITE_VERIFIED, filing_id, corrections=1), filing_id)
    wait_for_state(api, filing_id, "onsite_verified")  # events of different types may overtake each other
    publish("verification", FILING_SENT_TO_BUREAU, step(FILING_SENT_TO_BUREAU, filing_id), filing_id)
    wait_for_state(api, filing_id, "in_bureau_review")
    returned = step(FILING_RETURNED, filing_id)
    publish("bureau", FILING_RETURNED, returned, filing_id)
    wait_for_state(api, filing_id, "returned_by_bureau")
    assert api.patch(f"/filings/{filing_id}", json={"contacts": {"email": "x@example.com.cn"}}).status_code == 409
    publish("verification", FILING_SENT_TO_BUREAU, step(FILING_SENT_TO_BUREAU, filing_id, submission=2), filing_id)
    wait_for_state(api, filing_id, "in_bureau_review")
    publish("bureau", FILING_APPROVED, approval(filing_id, 1), filing_id)
    wait_for_state(api, filing_id, "approved")

    timeline = api.get(f"/filings/{filing_id}/timeline").json()["timeline"]
    assert [e["state"] for e in timeline] == ["draft", "submitted", "precheck_passed", "onsite_verified",
                                              "in_bureau_review", "returned_by_bureau", "onsite_verified",
                                              "in_bureau_review", "approved"]
    assert timeline[3]["note"] == "1 field(s) corrected on site (P6)"
    machine = [{k: r[k] for k in ("field", "code", "rule")} for r in returned["reasons"]]
    assert [{k: r[k] for k in ("field", "code", "rule")} for r in timeline[5]["reasons"]] == machine
    assert timeline[5]["reasons"][0]["message"] == "证件复印件无法辨认。"  # read in Chinese by its code (issue 19)
    assert timeline[6]["actor"] == "verifier-1"  # the re-verification, implied by the second sending


@pytest.mark.req("P1")
def test_rpc_answers_status_and_unknown_filings_with_wire_errors(intake_config, api, complete_draft):
    filing_id = complete_draft()
    with ClusterRpcProxy({"AMQP_URI": intake_config["AMQP_URI"]}, timeout=10) as rpc:
        assert rpc.intake.get_filing(filing_id)["state"] == "draft"
        assert [e["state"] for e in rpc.intake.get_timeline(filing_id)["timeline"]] == ["draft"]
        with pytest.raises(NotFound):
            rpc.intake.get_filing(str(uuid.uuid4()))


@pytest.mark.req("P2")
def test_an_outcome_for_another_providers_filing_is_dropped_not_requeued(api, complete_draft, publish, intake_config):
    stranger = str(uuid.uuid4())
    publish("precheck", PRECHECK_PASSED, outcome(stranger, 1, []), stranger)
    filing_id = complete_draft()
    api.post(f"/filings/{filing_id}/submit")
    publish("precheck", PRECHECK_PASSED, outcome(filing_id, 1, []), filing_id)

    wait_for_state(api, filing_id, "precheck_passed")
    engine = create_engine(intake_config["DB_URL"])
    with engine.connect() as connection:
        handled = connection.execute(text("SELECT count(*) FROM processed_events")).scalar_one()
    engine.dispose()
    assert handled == 2  # the stranger's event was consumed once, not redelivered in a loop


@pytest.mark.req("P8")
def test_approved_sites_follow_approvals_and_cancellations(api, complete_draft, publish, intake_config):
    ops = api.as_(token("ops", "ops-1", provider=intake_config["PROVIDER_ID"]))
    from shared.contracts.bureau import FILING_NUMBER_RETIRED
    from shared.testing.events import EventTap

    tap = EventTap(intake_config["AMQP_URI"], "intake")
    first, second = complete_draft(), complete_draft()
    for filing_id in (first, second):
        api.post(f"/filings/{filing_id}/submit")
    assert ops.get("/approved-sites").json() == {"revision": 0, "changed_at": None, "sites": []}

    approved = approval(first, 1, "京ICP备2026000123号")
    approved["website_numbers"] = {"www.example.com.cn": "京ICP备2026000123号-1",
                                   "xn--fsqu00a.xn--fiqs8s": "京ICP备2026000123号-2"}
    event = publish("bureau", FILING_APPROVED, approved, first)
    publish("bureau", FILING_APPROVED, approved, first, event_id=event["meta"]["id"])  # redelivered
    wait_for_state(api, first, "approved")
    publish("bureau", FILING_APPROVED, {**approval(second, 1, "京ICP备2026000124号"),
                                        "website_numbers": {"other.example.cn": "京ICP备2026000124号-1"}}, second)
    wait_for_state(api, second, "approved")

    sites = ops.get("/approved-sites").json()
    assert sites["revision"] == 2
    assert [(s["domain"], s["website_number"]) for s in sites["sites"]] == [
        ("other.example.cn", "京ICP备2026000124号-1"), ("www.example.com.cn", "京ICP备2026000123号-1"),
        ("xn--fsqu00a.xn--fiqs8s", "京ICP备2026000123号-2")]
    nginx = ops.get("/approved-sites?format=nginx")
    assert nginx.headers["X-Sites-Revision"] == "2"
    assert nginx.text.splitlines() == [
        "# approved sites, revision 2", "map $host $icp_filing_number {", '    default "";',
        '    other.example.cn "京ICP备2026000124号-1";', '    www.example.com.cn "京ICP备2026000123号-1";',
        '    xn--fsqu00a.xn--fiqs8s "京ICP备2026000123号-2";', "}"]

    assert api.post(f"/filings/{first}/cancellation", json={"reason": "网站关闭"}).status_code == 200
    assert [s["domain"] for s in ops.get("/approved-sites").json()["sites"]] == ["other.example.cn"]
    retired = {**EVENTS.get(FILING_NUMBER_RETIRED).sample, "filing_id": second}
    publish("bureau", FILING_NUMBER_RETIRED, retired, second)
    deadline = time.monotonic() + 5
    while ops.get("/approved-sites").json()["sites"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ops.get("/approved-sites").json()["revision"] == 4

    changes = [e["data"] for e in tap.wait_for(20, timeout=3) if e["meta"]["type"] == APPROVED_SITES_CHANGED]
    tap.close()
    assert [(c["revision"], c["added"], c["removed"], c["count"]) for c in changes] == [
        (1, ["www.example.com.cn", "xn--fsqu00a.xn--fiqs8s"], [], 2),
        (2, ["other.example.cn"], [], 3),
        (3, [], ["www.example.com.cn", "xn--fsqu00a.xn--fiqs8s"], 1),
        (4, [], ["other.example.cn"], 0),
    ]
