"""P3: the on-site window opens on a pre-verification pass, is warned about and expires exactly once; a
cancellation closes it; redelivered passes open nothing new. W6: a stock filing's window runs to the plan's
deadline."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.contracts.intake import FILING_CANCELLED, FILING_SUBMITTED, REVERIFICATION_REQUESTED
from shared.contracts.precheck import PRECHECK_PASSED
from shared.testing.samples import filing_submitted_data

pytestmark = [pytest.mark.service, pytest.mark.clock]


def _types(events):
    return [e["meta"]["type"] for e in events]


@pytest.mark.req("P3")
def test_pass_opens_a_one_month_window(open_window, staff, tap):
    filing_id = open_window(decided_at="2026-01-31T10:00:00+08:00")
    case = staff.get(f"/filings/{filing_id}").json()
    assert case["state"] == "window_open"
    assert datetime.fromisoformat(case["closes_at"]) == datetime.fromisoformat("2026-02-28T10:00:00+08:00")
    opened = [e for e in tap.wait_for(1) if e["meta"]["type"] == "onsite_window_opened.v1"]
    assert opened[0]["data"]["filing_id"] == filing_id and opened[0]["data"]["attempt"] == 1


@pytest.mark.req("P3")
def test_redelivered_pass_opens_nothing_new(open_window, send, staff, tap, crypto, clock):
    filing_id = open_window()
    tap.wait_for(1)
    data = {"filing_id": filing_id, "version": 1, "attempt": 1, "decided_at": clock.iso(hours=-1),
            "decided_by": "precheck:auto", "reasons": [], "rulebook_version": "2026.1",
            "mobile": crypto.cipher().encrypt("13800138000", context="event.mobile")}
    send("precheck", PRECHECK_PASSED, data, filing_id)
    assert tap.drain(timeout=1.5) == []
    assert len(staff.get("/cases").json()["items"]) == 1


@pytest.mark.req("P3")
@pytest.mark.req("P5")
def test_a_resubmissions_pass_that_overtakes_its_submission_waits_for_it(send, staff, crypto, wait, clock):
    """The pass of attempt 2 arrives before attempt 2 itself (events of different types may overtake each other):
    the window opens on attempt 2's data once it is there, never on the failed attempt 1 it would otherwise find
    (on-site staff would then compare the originals with data the sponsor had corrected: 不予受理 for nothing)."""
    filing_id = str(uuid.uuid4())
    cipher = crypto.cipher()
    first = filing_submitted_data(cipher, crypto.hasher(), filing_id=filing_id)
    send("intake", FILING_SUBMITTED, first, filing_id)
    mobile = cipher.decrypt(first["contacts"]["mobile"], context="event.contacts.mobile")
    send("precheck", PRECHECK_PASSED, {
        "filing_id": filing_id, "version": 1, "attempt": 2, "decided_at": clock.iso(hours=-1),
        "decided_by": "precheck:auto", "reasons": [], "mobile": cipher.encrypt(mobile, context="event.mobile"),
        "rulebook_version": "2026.1"}, filing_id)
    assert not wait(lambda: staff.get(f"/filings/{filing_id}").status_code == 200, timeout=1.5)
    send("intake", FILING_SUBMITTED, filing_submitted_data(cipher, crypto.hasher(), filing_id=filing_id, attempt=2,
                                                           submitted_at=clock.iso(hours=-2)), filing_id)
    assert wait(lambda: staff.get(f"/filings/{filing_id}").status_code == 200, timeout=15), "window never opened"
    assert staff.get(f"/filings/{filing_id}").json()["attempt"] == 2
    assert len(staff.get("/cases").json()["items"]) == 1


@pytest.mark.req("P3")
def test_unused_window_warns_then_expires_exactly_once(open_window, staff, tap, crypto, clock):
    warned = open_window(decided_at=clock.iso(days=-29))
    expired = open_window(decided_at=clock.iso(days=-40))
    events = tap.wait_for(4, timeout=15)
    events += tap.drain(timeout=6)  # one more timer round: nothing is raised twice
    kinds = [(e["meta"]["type"], e["data"]["filing_id"]) for e in events]
    assert kinds.count(("onsite_window_nearly_expired.v1", warned)) == 1
    assert kinds.count(("onsite_window_expired.v1", expired)) == 1
    assert ("onsite_window_expired.v1", warned) not in kinds
    sealed = next(e for e in events if e["meta"]["type"] == "onsite_window_expired.v1")["data"]["mobile"]
    assert crypto.cipher().decrypt(sealed, context="event.mobile") == "13800138000"
    assert staff.get(f"/filings/{expired}").json()["state"] == "expired"
    refused = staff.post(f"/filings/{expired}/decision")
    assert refused.status_code == 409


@pytest.mark.req("P3")
def test_cancellation_closes_the_window(open_window, send, staff, wait, clock):
    filing_id = open_window()
    send("intake", FILING_CANCELLED, {"filing_id": filing_id, "provider_id": "provider-test", "province": "京",
                                      "filing_number": None, "reason": "changed mind",
                                      "cancelled_at": clock.iso(), "cancelled_by": "sponsor"},
         filing_id)
    assert wait(lambda: staff.get(f"/filings/{filing_id}").json()["state"] == "cancelled")


@pytest.mark.req("W6")
@pytest.mark.req("W1")
def test_a_stock_filing_past_its_deadline_is_overdue_but_still_verified(send, staff, tap, crypto, wait, as_role):
    """A stock filing's window runs to the plan's deadline; past it the filing stays open for verification (intake
    counts it overdue), the sponsor gets no "returned" text, and the breach counts once, for the department."""
    filing_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    submitted = filing_submitted_data(crypto.cipher(), crypto.hasher(), filing_id=filing_id)
    data = {**{k: v for k, v in submitted.items() if k not in ("attempt", "submitted_at", "documents",
                                                                 "contract_acceptance")},
            "filing_number": "京ICP备05000001号", "import_id": str(uuid.uuid4()),
            "requested_at": (now - timedelta(days=90)).isoformat(), "deadline": (now - timedelta(days=1)).isoformat()}
    envelope = send("intake", REVERIFICATION_REQUESTED, data, filing_id)
    assert wait(lambda: any(s["outcome"] == "overdue" for s in staff.get(f"/filings/{filing_id}/steps").json().get(
        "items", [])), timeout=15)  # 404 (no "items") until the window opens
    events = tap.drain(timeout=6)  # one more timer round: nothing is raised twice
    assert _types(events) == ["onsite_window_opened.v1"]  # no onsite_window_expired.v1: no SMS to the sponsor
    case = staff.get(f"/filings/{filing_id}").json()
    assert (case["state"], case["purpose"], case["attempt"]) == ("window_open", "stock", 0)
    booked = staff.post(f"/filings/{filing_id}/appointment", json={"at": (now + timedelta(hours=1)).isoformat()})
    assert booked.status_code == 200, booked.text  # overdue, not closed
    send("intake", REVERIFICATION_REQUESTED, data, filing_id, event_id=envelope["meta"]["id"])
    send("intake", REVERIFICATION_REQUESTED, data, filing_id)
    assert tap.drain(timeout=1.5) == [] and len(staff.get("/cases").json()["items"]) == 1
    period = {"since": "2020-01-01T00:00:00+08:00", "until": "2100-01-01T00:00:00+08:00"}
    report = as_role("supervisor", "head-1").get("/staff-quality", params=period).json()
    assert report["unassigned"]["deadlines_breached"] == 1
