"""Pre-verification over the real RabbitMQ and PostgreSQL: codes to confirm contacts, automatic pass and
fail by the rulebook, the staff queue, and redelivery doing nothing (P2, C3)."""
import time
from datetime import date, datetime

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.contracts import EVENTS
from shared.contracts.errors import Conflict
from shared.contracts.precheck import (
    CONTACT_CONFIRMATION_REQUESTED,
    PRECHECK_PASSED,
    PRECHECK_PASSED_V2,
)
from shared.testing.clock import first_unofficial_year, sample_schedule
from shared.testing.http import token
from shared.testing.samples import unit_filing

pytestmark = [pytest.mark.service, pytest.mark.clock]


def _types(events):
    return [e["meta"]["type"] for e in events]


def _codes(events, open_sealed) -> dict:
    return {
        e["data"]["channel"]: open_sealed(e["data"]["code"], "code")
        for e in events
        if e["meta"]["type"] == CONTACT_CONFIRMATION_REQUESTED
    }


@pytest.mark.req("P2")
def test_clean_filing_passes_once_both_contacts_are_confirmed(api, submit, precheck_tap, open_sealed):
    filing_id = submit()
    requests = precheck_tap.wait_for(2)
    assert sorted(_types(requests)) == [CONTACT_CONFIRMATION_REQUESTED] * 2
    for envelope in requests:
        EVENTS.validate_outgoing(envelope)
    recipients = {e["data"]["channel"]: open_sealed(e["data"]["recipient"], "recipient") for e in requests}
    assert recipients == {"sms": "13800138000", "email": "zhangsan@example.com.cn"}
    codes = _codes(requests, open_sealed)
    assert api.get(f"/filings/{filing_id}").json()["state"] == "awaiting_contacts"

    assert api.post(f"/filings/{filing_id}/contacts/sms/confirmation", json={"code": codes["sms"]}).status_code == 200
    assert precheck_tap.drain(timeout=0.5) == []
    response = api.post(f"/filings/{filing_id}/contacts/email/confirmation", json={"code": codes["email"]})

    assert response.status_code == 200, response.text
    assert response.json()["state"] == "passed"
    outcome = sorted(precheck_tap.wait_for(2), key=lambda e: e["meta"]["type"])
    assert _types(outcome) == [PRECHECK_PASSED, PRECHECK_PASSED_V2]
    for envelope in outcome:
        EVENTS.validate_outgoing(envelope)
        assert envelope["data"]["reasons"] == [] and envelope["data"]["rulebook_version"] == "2026.2"
        assert open_sealed(envelope["data"]["mobile"], "mobile") == "13800138000"
    assert open_sealed(outcome[1]["data"]["submission"]["contacts"]["mobile"], "contacts.mobile") == "13800138000"


@pytest.mark.req("P2")
def test_redelivered_submission_does_nothing_more(submit, precheck_tap):
    filing_id = submit(event_id="4f0e8d7c-1b2a-4c3d-9e8f-7a6b5c4d3e2f")
    assert len(precheck_tap.wait_for(2)) == 2
    submit(filing_id=filing_id, event_id="4f0e8d7c-1b2a-4c3d-9e8f-7a6b5c4d3e2f")
    submit(filing_id=filing_id)  # same submission, another event id: still one case
    assert precheck_tap.drain(timeout=1.0) == []


@pytest.mark.req("P2")
def test_a_refused_code_answers_with_the_field_and_why(api, submit, precheck_tap, open_sealed):
    """Wiring: the use case's refusals as HTTP answers (the limits themselves: tests/unit/test_usecases.py)."""
    filing_id = submit()
    code = _codes(precheck_tap.wait_for(2), open_sealed)["sms"]
    wrong = "000000" if code != "000000" else "111111"
    response = api.post(f"/filings/{filing_id}/contacts/sms/confirmation", json={"code": wrong})
    assert response.status_code == 422 and response.json()["error"]["errors"][0]["code"] == "wrong_code"
    assert api.post(f"/filings/{filing_id}/contacts/sms/resend").status_code == 200
    bad = api.post(f"/filings/{filing_id}/contacts/sms/confirmation", json={"code": "12ab"})
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["field"] == "code"


@pytest.mark.req("C3")
def test_the_rulebook_in_force_is_published(api):
    book = api.get("/rulebook").json()
    assert book["version"] == "2026.2"
    assert {r["requirement"] for r in book["rules"]} >= {"R1.2", "R1.3", "R1.5", "R1.6", "R1.7", "P2"}


@pytest.mark.req("P2")
@pytest.mark.req("W1")
def test_staff_work_the_queue_over_rpc_too(precheck_config, api, submit, precheck_tap, open_sealed):
    data = unit_filing()
    data["sponsor"]["name"] = "有限公司"  # not a full unit name: review, not fail
    filing_id = submit(data)
    for channel, code in _codes(precheck_tap.wait_for(2), open_sealed).items():
        api.post(f"/filings/{filing_id}/contacts/{channel}/confirmation", json={"code": code})

    with ClusterRpcProxy({"AMQP_URI": precheck_config["AMQP_URI"]}, timeout=10) as rpc:
        queue = rpc.precheck.work_queue()
        assert [(item["filing_id"], item["findings"][0]["code"]) for item in queue] == [(filing_id, "not_full_name")]
        assert rpc.precheck.claim(filing_id, "staff:precheck-2")["claimed_by"] == "staff:precheck-2"
        decided = rpc.precheck.decide(filing_id, "staff:precheck-2", "pass", [])
        assert decided["state"] == "passed" and decided["decided_by"] == "staff:precheck-2"
        with pytest.raises(Conflict):
            rpc.precheck.decide(filing_id, "staff:precheck-2", "fail", [])
    assert sorted(_types(precheck_tap.wait_for(2))) == [PRECHECK_PASSED, PRECHECK_PASSED_V2]
    metrics = api.get("/metrics").text
    assert "icp_entrypoint_seconds_count" in metrics


@pytest.mark.req("P2")
def test_breached_deadlines_show_in_the_queue_and_metrics(api, staff, submit, precheck_tap, open_sealed):
    filing_id = submit(submitted_at="2025-09-01T09:00:00+08:00")  # long past its 5 working days
    precheck_tap.wait_for(2)
    deadline = [e for e in precheck_tap.wait_for(1, timeout=10) if "deadline" in e["meta"]["type"]]
    assert [e["meta"]["type"] for e in deadline] == ["precheck_deadline_breached.v1"]
    assert deadline[0]["data"]["claimed_by"] is None  # nobody had claimed it: the department's breach (W1)
    case = api.get(f"/filings/{filing_id}").json()
    assert case["deadline_breached"] is True
    assert datetime.fromisoformat(case["deadline"]) == datetime.fromisoformat("2025-09-09T00:00:00+08:00")
    deadlines = staff.get("/queue").json()["deadlines"]
    assert (deadlines["open"], deadlines["breached"], deadlines["provisional"]) == (1, 1, 0)
    metrics = api.get("/metrics").text
    assert 'icp_deadlines_open{kind="precheck_5_working_days",service="precheck"} 1.0' in metrics
    assert 'icp_deadlines_breached{kind="precheck_5_working_days",service="precheck"} 1.0' in metrics


@pytest.mark.req("W4")
def test_no_phone_number_or_code_in_any_log_line(capsys, api, submit, precheck_tap, open_sealed):
    filing_id = submit()
    codes = _codes(precheck_tap.wait_for(2), open_sealed)
    api.post(f"/filings/{filing_id}/contacts/sms/confirmation", json={"code": "000000"})
    for channel, code in codes.items():
        api.post(f"/filings/{filing_id}/contacts/{channel}/confirmation", json={"code": code})
    precheck_tap.wait_for(1)

    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines
    for line in lines:
        for secret in ("13800138000", "zhangsan@example.com.cn", *codes.values()):
            assert secret not in line


@pytest.mark.req("P2")
def test_a_deadline_in_a_year_without_the_schedule_says_so_until_the_notice_is_loaded(api, staff, submit,
                                                                                       precheck_tap):
    """Submitted on 28 December of the last year with shipped data, the 5 working days reach into a year whose
    lunar holidays nobody knows yet: the sponsor reads that the deadline is provisional and why, in Chinese; an
    administrator's notice for that year recomputes it; a notice that breaks a rule is refused with its field and
    code and changes nothing."""
    year = first_unofficial_year()
    filing_id = submit(submitted_at=f"{year - 1}-12-28T10:00:00+08:00")
    precheck_tap.wait_for(2)
    provisional = api.get(f"/filings/{filing_id}").json()
    assert provisional["deadline_provisional"] is True
    assert f"{year}年的国务院节假日安排尚未载入" in provisional["deadline_note"]
    assert staff.get("/queue").json()["deadlines"]["provisional"] == 1
    series = 'icp_deadlines_provisional{kind="precheck_5_working_days",service="precheck"} 1.0'
    deadline = time.monotonic() + 15  # the deadline timer's next round counts it
    while series not in api.get("/metrics").text:
        assert time.monotonic() < deadline, f"no {series}"
        time.sleep(0.2)

    ops = api.as_(token("ops", "ops-1", provider="provider-test"))
    weekday = next(date(year, 1, day) for day in range(6, 10) if date(year, 1, day).weekday() < 5)
    wrong = {**sample_schedule(year), "workdays": [weekday.isoformat()]}
    refused = ops.post("/calendar/years", json=wrong)
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["error"]["errors"]] == [("schedule", "workday_not_weekend")]
    deadline_fields = ("deadline", "deadline_provisional", "deadline_note")
    assert [api.get(f"/filings/{filing_id}").json()[k] for k in deadline_fields] == [provisional[k]
                                                                                    for k in deadline_fields]

    loaded = ops.post("/calendar/years", json=sample_schedule(year))
    assert loaded.status_code == 200 and loaded.json() == {"year": year, "recomputed_deadlines": 1}
    official = api.get(f"/filings/{filing_id}").json()
    assert official["deadline_provisional"] is False and official["deadline_note"] is None
    assert datetime.fromisoformat(official["deadline"]) > datetime.fromisoformat(provisional["deadline"])


@pytest.mark.req("X3")
def test_province_rules_are_published_with_the_rulebook_and_fail_a_filing_that_breaks_them(api, submit,
                                                                                           precheck_tap):
    published = api.get("/rulebook").json()["province_rules"]
    assert published["version"] == "2026.1"
    zhejiang = [r for r in published["rules"] if r["province"] == "浙"]
    assert {r["check"] for r in zhejiang} >= {"review_period", "legal_representative", "minimum_age"}
    assert all(r["source"]["title"] and r["source"]["url"] and r["effective_from"] for r in published["rules"])

    data = unit_filing()
    data["sponsor"]["province"] = "浙"
    data["responsible_person"]["role"] = "department_head"
    filing_id = submit(data)
    [failed] = precheck_tap.wait_for(1)
    assert failed["meta"]["type"] == "precheck_failed.v1" and failed["data"]["filing_id"] == filing_id
    [reason] = failed["data"]["reasons"]
    assert (reason["code"], reason["rule"]) == ("province_legal_representative", "PRV-33-LEGAL@provinces-2026.1")
    shown = api.as_(token("precheck", "precheck-1", provider="provider-test")).get(f"/filings/{filing_id}").json()
    assert shown["state"] == "failed"
