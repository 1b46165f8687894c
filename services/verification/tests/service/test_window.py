"""P3: the on-site window opens on a pre-verification pass (precheck_passed.v2), on exactly the submission it
passed. W6: a stock filing's window runs to the plan's deadline, the timer marks it overdue. The rules (warning,
expiry, cancellation, a pass opening once) are unit tests on the use cases (tests/unit/test_window_usecases.py)."""
import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from shared.contracts.intake import REVERIFICATION_REQUESTED
from shared.testing.http import token
from shared.testing.samples import filing_submitted_data, unit_filing

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
@pytest.mark.req("P5")
def test_the_window_opens_on_exactly_the_passed_attempts_data(open_window, pass_filing, staff, crypto, tap, wait,
                                                              clock):
    """A resubmission (attempt 2, the sponsor's corrected data) passes after attempt 1's window opened: the new
    window opens on the data the pass carries, from nothing else (no intake event is needed, so none can arrive
    late), and the earlier window is superseded. On-site staff compare the originals with what was passed."""
    filing_id = open_window()
    corrected = unit_filing()
    corrected["contacts"]["postal_address"] = "北京市海淀区中关村大街99号"
    second = filing_submitted_data(crypto.cipher(), crypto.hasher(), corrected, filing_id=filing_id, attempt=2,
                                   submitted_at=clock.iso(hours=-2))
    pass_filing(filing_id, second)
    assert wait(lambda: staff.get(f"/filings/{filing_id}").json()["attempt"] == 2), "the pass opened nothing"
    case = staff.get(f"/filings/{filing_id}").json()
    assert (case["state"], case["version"]) == ("window_open", 1)
    assert case["filing"]["contacts"]["postal_address"] != unit_filing()["contacts"]["postal_address"]
    assert [c["attempt"] for c in staff.get("/cases").json()["items"]] == [2]
    opened = [e["data"] for e in tap.wait_for(2) if e["meta"]["type"] == "onsite_window_opened.v1"]
    assert [(o["filing_id"], o["attempt"]) for o in opened] == [(filing_id, 1), (filing_id, 2)]
    supervisor = staff.as_(token("supervisor", "head-1", provider="provider-test"))
    exported = supervisor.get(f"/archive/{case['sponsor_ref']}/export")
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(exported.content)).read("manifest.json"))
    filed = {c["attempt"]: c["filing"] for c in manifest["cases"]}
    assert filed[2]["contacts"]["postal_address"] == "北京市海淀区中关村大街99号"
    assert filed[1]["contacts"]["postal_address"] == unit_filing()["contacts"]["postal_address"]


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
