"""W5's wiring over the real broker and PostgreSQL: the timer revisits each approved sponsor on its schedule (here
a revisit every 1.5 s, 1 s to answer); the revisit asks it (sealed contacts for notify), an unanswered one
escalates to staff and shows in the provider's status; the sponsor answers over HTTP. The rules (confirming,
updating, hosting changes) are unit tests on the in-memory unit of work
(``tests/unit/test_stewardship_usecases.py``)."""
import json
import time
from datetime import UTC, datetime

import pytest

from shared.contracts import EVENTS
from shared.contracts.bureau import FILING_APPROVED
from shared.contracts.intake import FILING_CHANGED, REVISIT_ESCALATED, REVISIT_REQUESTED
from shared.contracts.precheck import PRECHECK_PASSED
from shared.platform.crypto import CryptoConfig
from shared.testing.events import publisher

pytestmark = [pytest.mark.service, pytest.mark.clock]

MOBILE = "13800138000"


@pytest.fixture(scope="module")
def intake_config(intake_config):
    return {**intake_config, "REVISIT_INTERVAL_DAYS": str(1.5 / 86400), "REVISIT_ANSWER_DAYS": str(1 / 86400),
            "REVISIT_TIMER_SECONDS": "0.2"}


@pytest.fixture
def approved(api, complete_draft, intake_config):
    """``make() -> filing id``: a filing submitted, prechecked and approved by the bureau just now."""
    publish = publisher(intake_config["AMQP_URI"])

    def make() -> str:
        filing_id = complete_draft()
        assert api.post(f"/filings/{filing_id}/submit").status_code == 200
        publish("precheck", PRECHECK_PASSED, {
            "filing_id": filing_id, "version": 1, "attempt": 1, "decided_at": "2026-11-23T09:00:00+08:00",
            "decided_by": "precheck:staff-7", "reasons": [], "mobile": "v1:sealed", "rulebook_version": "2026.1"},
            filing_id)
        _wait(lambda: api.get(f"/filings/{filing_id}").json()["state"] == "precheck_passed")
        publish("bureau", FILING_APPROVED, {
            **EVENTS.get(FILING_APPROVED).sample, "filing_id": filing_id, "version": 1,
            "filing_number": "京ICP备2026000123号", "website_numbers": {"www.example.com.cn": "京ICP备2026000123号-1"},
            "approved_at": datetime.now(UTC).isoformat(), "approved_by": "bureau:京:reviewer-2"}, filing_id)
        _wait(lambda: api.get(f"/filings/{filing_id}").json()["state"] == "approved")
        return filing_id

    return make


def _wait(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return value


def _next_event(tap, event_type: str, seen: list, timeout: float = 10.0) -> dict:
    """The first ``event_type`` event published so far (collected in ``seen`` across calls)."""
    def find():
        seen.extend(tap.drain(timeout=0.1))
        return next((e for e in seen if e["meta"]["type"] == event_type), None)
    return _wait(find, timeout)


@pytest.mark.req("W5")
def test_an_unanswered_revisit_escalates_to_staff_and_the_sponsor_then_updates(api, staff, approved, event_tap,
                                                                                intake_config):
    filing_id = approved()
    seen: list = []

    requested = _next_event(event_tap, REVISIT_REQUESTED, seen)
    data = requested["data"]
    assert (data["filing_id"], data["filing_number"], data["province"]) == (filing_id, "京ICP备2026000123号", "京")
    cipher = CryptoConfig.from_config(intake_config).cipher()
    assert cipher.decrypt(data["contacts"]["mobile"], context="event.contacts.mobile") == MOBILE
    assert MOBILE not in json.dumps(requested, ensure_ascii=False)
    listed = api.get(f"/filings/{filing_id}/revisits").json()["revisits"]
    assert [(r["id"], r["state"]) for r in listed] == [(data["revisit_id"], "open")]

    escalated = _next_event(event_tap, REVISIT_ESCALATED, seen)
    assert escalated["data"]["revisit_id"] == data["revisit_id"]
    assert api.get("/revisits").status_code == 403  # staff's view, not a sponsor's
    status = staff.get("/revisits").json()
    assert status["provider_id"] == "provider-test" and status["counts"]["escalated"] >= 1
    assert [(r["id"], r["filing_number"]) for r in status["escalated"]] == [(data["revisit_id"], "京ICP备2026000123号")]

    answered = api.post(f"/filings/{filing_id}/revisits/{data['revisit_id']}/answer", json={"answer": "update"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["revisit"]["state"] == "updated"
    assert answered.json()["filing"]["state"] == "change_draft"
    assert api.patch(f"/filings/{filing_id}", json={"contacts": {"email": "new@example.com.cn"}}).status_code == 200
    clause = api.get("/contract-clause").json()["clause_sha256"]
    assert api.post(f"/filings/{filing_id}/contract-acceptance",
                    json={"clause_sha256": clause, "accepted": True}).status_code == 200
    assert api.post(f"/filings/{filing_id}/submit").status_code == 200
    changed = _next_event(event_tap, FILING_CHANGED, seen)
    assert (changed["data"]["version"], changed["data"]["filing_number"]) == (2, "京ICP备2026000123号")
    again = api.post(f"/filings/{filing_id}/revisits/{data['revisit_id']}/answer", json={"answer": "confirmed"})
    assert again.status_code == 409 and again.json()["error"]["errors"][0]["rule"] == "W5"
