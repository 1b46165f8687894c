"""The filing's life as intake shows it: status events from precheck and the bureau, resubmission after a
failure, a change (备案变更) of an approved filing, cancellation (注销), and the timeline."""
import time
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from shared.contracts import EVENTS
from shared.contracts.bureau import FILING_APPROVED, FILING_RETURNED
from shared.contracts.errors import NotFound
from shared.contracts.intake import APPROVED_SITES_CHANGED, FILING_CANCELLED, FILING_CHANGED, FILING_SUBMITTED
from shared.contracts.precheck import PRECHECK_FAILED, PRECHECK_PASSED
from shared.contracts.verification import (
    FILING_SENT_TO_BUREAU,
    ONSITE_REJECTED,
    ONSITE_VERIFIED,
    ONSITE_WINDOW_EXPIRED,
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


@pytest.mark.req("P2")
def test_failed_precheck_then_resubmission_with_only_the_changed_field(api, complete_draft, publish, event_tap):
    filing_id = complete_draft()
    assert api.post(f"/filings/{filing_id}/submit").status_code == 200
    reasons = [{"field": "contacts.email", "code": "not_confirmed", "message": "E-mail not confirmed.", "rule": "P2"}]

    publish("precheck", PRECHECK_FAILED, outcome(filing_id, 1, reasons), filing_id)

    wait_for_state(api, filing_id, "precheck_failed")
    assert api.patch(f"/filings/{filing_id}", json={"contacts": {"email": "new@example.com.cn"}}).status_code == 200
    filing = api.get(f"/filings/{filing_id}").json()
    assert filing["data"]["contacts"]["mobile"] == "13800138000"  # kept, not re-entered (its sponsor sees it in full)
    assert api.post(f"/filings/{filing_id}/submit").status_code == 200
    events = event_tap.drain()
    while len(events) < 2:
        events += event_tap.drain()
    assert [(e["meta"]["type"], e["data"]["attempt"]) for e in events] == [(FILING_SUBMITTED, 1), (FILING_SUBMITTED, 2)]
    timeline = api.get(f"/filings/{filing_id}/timeline").json()["timeline"]
    assert [e["state"] for e in timeline] == ["draft", "submitted", "precheck_failed", "submitted"]
    assert timeline[2]["reasons"] == reasons and timeline[2]["actor"] == "precheck:staff-7"


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
    assert timeline[5]["reasons"] == returned["reasons"]
    assert timeline[6]["actor"] == "verifier-1"  # the re-verification, implied by the second sending


@pytest.mark.req("P6")
@pytest.mark.req("P7")
def test_a_sending_that_overtakes_its_verification_keeps_both_steps(api, complete_draft, publish):
    filing_id = complete_draft()
    api.post(f"/filings/{filing_id}/submit")
    publish("precheck", PRECHECK_PASSED, outcome(filing_id, 1, []), filing_id)
    wait_for_state(api, filing_id, "precheck_passed")
    corrections = [{"field": "responsible_person.name", "by": "verifier-1", "at": "2026-11-03T10:00:00+08:00"}]
    publish("verification", FILING_SENT_TO_BUREAU, step(FILING_SENT_TO_BUREAU, filing_id, corrections=corrections),
            filing_id)
    wait_for_state(api, filing_id, "in_bureau_review")
    publish("verification", ONSITE_VERIFIED, step(ONSITE_VERIFIED, filing_id, corrections=1), filing_id)
    publish("bureau", FILING_APPROVED, approval(filing_id, 1), filing_id)
    wait_for_state(api, filing_id, "approved")  # the late verification finds the filing moved on: no entry
    timeline = api.get(f"/filings/{filing_id}/timeline").json()["timeline"]
    assert [(e["state"], e["note"]) for e in timeline][2:5] == [
        ("precheck_passed", None), ("onsite_verified", "1 field(s) corrected on site (P6)"),
        ("in_bureau_review", "sent to the 京 bureau")]
    assert [e["state"] for e in timeline].count("onsite_verified") == 1


@pytest.mark.req("P3")
@pytest.mark.req("P5")
@pytest.mark.parametrize(("event_type", "state"), [(ONSITE_WINDOW_EXPIRED, "onsite_window_expired"),
                                                    (ONSITE_REJECTED, "onsite_rejected")])
def test_a_filing_back_from_the_counter_can_be_edited_and_resubmitted(api, complete_draft, publish, event_type, state):
    filing_id = complete_draft()
    api.post(f"/filings/{filing_id}/submit")
    publish("precheck", PRECHECK_PASSED, outcome(filing_id, 1, []), filing_id)
    wait_for_state(api, filing_id, "precheck_passed")
    publish("verification", event_type, step(event_type, filing_id), filing_id)

    wait_for_state(api, filing_id, state)
    assert api.patch(f"/filings/{filing_id}", json={"contacts": {"email": "x@example.com.cn"}}).status_code == 200
    assert api.post(f"/filings/{filing_id}/submit").status_code == 200


@pytest.mark.req("P8")
def test_change_of_an_approved_filing_is_a_new_version_then_cancellation(api, complete_draft, publish, event_tap):
    filing_id = complete_draft()
    api.post(f"/filings/{filing_id}/submit")
    publish("bureau", FILING_APPROVED, approval(filing_id, 1), filing_id)
    wait_for_state(api, filing_id, "approved")

    change = api.post(f"/filings/{filing_id}/changes")
    assert change.status_code == 201 and change.json()["version"] == 2
    assert change.json()["state"] == "change_draft"
    assert change.json()["problems"] == [
        {"field": "contract_acceptance", "code": "not_accepted",
         "message": "Read and accept the contract clause before submitting.", "rule": "W3"}
    ]
    api.patch(f"/filings/{filing_id}", json={"websites": [{"name": "新名字", "domains": ["www.example.com.cn"],
                                                           "service_content": ["企业官网"]}]})
    clause = api.get("/contract-clause").json()["clause_sha256"]
    api.post(f"/filings/{filing_id}/contract-acceptance", json={"clause_sha256": clause, "accepted": True})
    assert api.post(f"/filings/{filing_id}/submit").status_code == 200

    cancelled = api.post(f"/filings/{filing_id}/cancellation", json={"reason": "网站关闭"})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    events = []
    deadline = time.monotonic() + 5
    while len(events) < 3 and time.monotonic() < deadline:
        events += [e for e in event_tap.drain(timeout=0.5) if e["meta"]["type"] != APPROVED_SITES_CHANGED]
    assert [e["meta"]["type"] for e in events] == [FILING_SUBMITTED, FILING_CHANGED, FILING_CANCELLED]
    changed = events[1]["data"]
    assert changed["version"] == 2 and changed["previous_version"] == 1
    assert changed["filing_number"] == "京ICP备2026000123号"
    assert changed["websites"][0]["name"] == "新名字"
    assert events[2]["data"]["filing_number"] == "京ICP备2026000123号"
    assert api.post(f"/filings/{filing_id}/changes").status_code == 409


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
    from shared.contracts.intake import APPROVED_SITES_CHANGED
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
