"""The whole workflow end to end (issue 10): all six services as ``nameko run`` processes on the real broker,
PostgreSQL and the local S3 server, driven only through their public HTTP interfaces by
:mod:`shared.testing.journey`, the staff's steps automated.

The happy path, then each detour: a precheck failure and the resubmission, an on-site mismatch not accepted and
one corrected on site, a bureau return and the re-verification, an unused window running out, a change (备案变更)
and a cancellation (注销). The last tests check what must hold after all of them: every filing in its expected
state with exactly the SMS it should have had, unique filing numbers, an intact audit chain holding every event,
no dead letters, and no personal data in any log line, message body or dead letter (issue 8).

Tests run in file order and share one deployment: each records in ``ledger`` the state its filings must end in
and the SMS each must have received.
"""
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from precheck.domain import CURRENT_RULEBOOK
from shared.i18n import error_text
from shared.testing.journey import (
    APPROVED,
    CANCELLED,
    CONTACT_CODE,
    EXPIRED,
    FAILED,
    MIIT_CODE,
    MINUTE,
    ONSITE_REJECTED,
    PASSED,
    REASONS,
    RETURNED,
    SIGN_IN,
    Filing,
    Journey,
    originals_of,
)
from shared.testing.samples import SECOND_RESIDENT_ID, unit_filing
from shared.testing.system import PII, REPO, WINDOW_SECONDS, personal_values, wait_until

pytestmark = pytest.mark.system

CODE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")
NUMBER = re.compile(r"^京ICP备2[0-9]{3}[0-9]{6}号$")


def approved(number: str) -> str:
    return APPROVED.format(number=number)


@pytest.fixture(scope="module")
def journey(deployment):
    journey = Journey.of(deployment)
    yield journey
    journey.close()  # an idle keep-alive connection would hold the web servers' shutdown


@pytest.fixture(scope="module")
def ledger() -> dict:
    """filing id -> (Filing, the intake state it must end in, the SMS texts it must have received)."""
    return {}


@pytest.fixture(scope="module", autouse=True)
def expiring(journey, ledger) -> Filing:
    """A filing whose responsible person never comes (P3): started first, so that its shortened window runs out
    while the other tests run, and checked near the end."""
    filing = journey.new_filing()
    journey.sign_in(filing)
    journey.draft(filing)
    journey.submit(filing)
    journey.confirm_contacts(filing)
    journey.await_state(filing, "precheck_passed")
    ledger[filing.id] = (filing, "onsite_window_expired", [SIGN_IN, CONTACT_CODE, PASSED, EXPIRED])
    return filing


def texts(journey: Journey, filing: Filing) -> list[str]:
    """The SMS the filing's sponsor received, codes as {code}, oldest first (the MIIT code's expiry as
    {expires_at}, an on-site refusal's reasons as {reasons})."""
    return [REASONS.sub("{reasons}", MINUTE.sub("{expires_at}", CODE.sub("{code}", m["text"])))
            for m in journey.sms_to(filing)]


def states(journey: Journey, filing: Filing) -> list[str]:
    return [entry["state"] for entry in journey.timeline(filing)]


@pytest.mark.req("P1")
@pytest.mark.req("P2")
@pytest.mark.req("P4")
@pytest.mark.req("P5")
@pytest.mark.req("P6")
@pytest.mark.req("P7")
@pytest.mark.req("P8")
@pytest.mark.req("P9")
def test_happy_path_from_sign_in_to_filing_number(journey, deployment, ledger):
    filing = journey.happy_path()
    assert NUMBER.match(filing.number)
    sms = journey.sms_to(filing)
    assert sms[2]["text"] == PASSED  # P2, verbatim
    assert texts(journey, filing) == [SIGN_IN, CONTACT_CODE, PASSED, MIIT_CODE, approved(filing.number)]
    assert [CODE.sub("{code}", m["text"]) for m in journey.emails_to(filing)] == [
        "您好：\n\n您正在确认网站备案的联系电子邮箱，验证码为：{code}\n\n验证码24小时内有效，请勿告知他人。如非本人操作，请忽略本邮件。\n"]
    timeline = journey.timeline(filing)
    assert [e["state"] for e in timeline] == ["draft", "submitted", "precheck_passed", "onsite_verified",
                                              "in_bureau_review", "approved"]
    # X7: the scans (the licence, the ID card) say what was entered: passed on its own, no finding at all
    assert timeline[2]["actor"] == f"precheck:auto:{CURRENT_RULEBOOK}"
    assert journey.precheck_case(filing)["findings"] == []
    assert timeline[3]["actor"] == "onsite_verifier:verifier-1"  # W1: the staff member who verified
    assert timeline[-1]["note"] == f"filing number {filing.number}"
    # the bureau's public query finds the site under its number (P8)
    public = requests.get(f"{deployment.url('bureau')}/public/filings", params={"domain": filing.domains[0]},
                          timeout=10)
    assert public.status_code == 200 and filing.number in public.text
    # P9: the filing center checked the approved filing's ID automatically, and it passed
    audit = journey.client("audit", journey.auditor_token)
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    report = wait_until("the automatic ID check", lambda: [
        p for p in audit.get(f"/reports/monthly/{month}").json()["providers"] if p["filings"] >= 1], timeout=15)
    assert report[0]["provider_id"] == journey.provider and report[0]["id_check_failed"] == 0
    metrics = requests.get(f"{deployment.url('audit')}/metrics", timeout=10).text
    assert re.search(r'icp_audit_id_checks_total\{outcome="pass"\} [1-9]', metrics)
    trail = audit.get("/trail/verification").json()
    assert trail["intact"] and trail["checked"] > 0
    ledger[filing.id] = (filing, "approved", texts(journey, filing))


@pytest.mark.req("X1")
def test_a_draft_of_an_approved_unit_is_typed_a_new_website_by_the_register(journey, ledger):
    """intake asks the bureau of 京 over HTTP, by the sponsor's key (ADR 0006), while the sponsor drafts."""
    [number] = {filing.number for filing, state, _ in ledger.values() if state == "approved"}
    second = journey.new_filing()
    journey.sign_in(second, by_sms=False)
    journey.draft(second)
    typed = journey.client("intake", second.token).get(f"/filings/{second.id}/type")
    assert typed.status_code == 200, typed.text
    assert typed.json()["type"] == "new_website" and typed.json()["sponsor_number"] == number
    assert typed.json()["websites"] == [{"domain": second.domains[0], "website_number": None, "outcome": "new"}]


@pytest.mark.req("P2")
def test_precheck_failure_then_resubmission(journey, ledger):
    data = unit_filing()
    data["sponsor"]["name"] = "有限公司"  # not a full unit name: precheck staff review it
    filing = journey.new_filing(data, documents=unit_filing())  # its licence has the full name
    journey.sign_in(filing)
    journey.draft(filing)
    journey.submit(filing)
    journey.confirm_contacts(filing)
    assert {(f["field"], f["code"]) for f in journey.precheck_case(filing)["findings"]} == {
        ("sponsor.name", "not_full_name"), ("sponsor.name", "scan_differs")}  # X7: the licence says otherwise
    reason = {"field": "sponsor.name", "code": "incomplete_name", "message": "单位名称不完整", "rule": "P2"}
    journey.precheck_decide(filing, "fail", [reason])
    failed = journey.await_state(filing, "precheck_failed")
    assert failed["filing_number"] is None
    wait_until("the fail SMS", lambda: FAILED in texts(journey, filing))
    # the sponsor reads the catalogue's sentence for the staff's code, in Chinese by default (X6)
    assert journey.timeline(filing)[-1]["reasons"] == [{**reason, "message": error_text(reason)}]

    journey.edit(filing, {"sponsor": {"name": unit_filing()["sponsor"]["name"]}})
    journey.submit(filing)  # contacts confirmed before: no new codes, the clean filing (as its scans) passes alone
    journey.await_state(filing, "precheck_passed")
    journey.verify_on_site(filing)
    assert journey.decide_on_site(filing)["state"] == "sent_to_bureau"
    journey.approve(filing)
    assert states(journey, filing) == ["draft", "submitted", "precheck_failed", "submitted", "precheck_passed",
                                       "onsite_verified", "in_bureau_review", "approved"]
    expected = [SIGN_IN, CONTACT_CODE, FAILED, PASSED, MIIT_CODE, approved(filing.number)]
    assert wait_until("the filing number SMS", lambda: texts(journey, filing) == expected and expected)
    ledger[filing.id] = (filing, "approved", expected)


@pytest.mark.req("P5")
@pytest.mark.req("P6")
@pytest.mark.req("X7")
def test_mismatch_on_site_is_not_accepted_and_a_typo_is_corrected_on_site(journey, ledger):
    # someone else's originals: not accepted (不予受理), back with the sponsor
    other = journey.new_filing()
    journey.sign_in(other)
    journey.draft(other)
    journey.submit(other)
    journey.confirm_contacts(other)
    journey.await_state(other, "precheck_passed")
    wrong = originals_of(other.data)
    wrong["responsible_person"] = {"name": "李四", "document_type": "resident_id",
                                   "document_number": SECOND_RESIDENT_ID}
    case = journey.verify_on_site(other, originals=wrong)
    assert {d["field"] for d in case["originals"]["differences"]} >= {"responsible_person.name"}
    assert journey.decide_on_site(other)["state"] == "rejected"
    rejected = journey.await_state(other, "onsite_rejected")
    assert rejected["filing_number"] is None
    refusal = wait_until("the refusal SMS (X4)", lambda: [m["text"] for m in journey.sms_to(other)
                                                            if "现场核验，不予受理" in m["text"]])
    assert "负责人姓名" in refusal[0]  # with its reasons, as the catalogue reads them
    ledger[other.id] = (other, "onsite_rejected", [SIGN_IN, CONTACT_CODE, PASSED, ONSITE_REJECTED])

    # the sponsor typed the name wrongly: staff correct it from the originals, it is recorded on the form (P6)
    data = unit_filing()
    data["responsible_person"]["name"] = "张叁"
    typo = journey.new_filing(data, documents=unit_filing())
    journey.sign_in(typo)
    journey.draft(typo)
    journey.submit(typo)
    journey.confirm_contacts(typo)
    # X7: the ID card and the licence (its legal representative) say 张三: one finding naming the field, masked;
    # OCR decides nothing, staff pass it on to the counter, where the originals settle it
    [finding] = [f for f in journey.precheck_case(typo)["findings"] if f["requirement"] == "X7"]
    assert (finding["field"], finding["code"], finding["severity"]) == ("responsible_person.name", "scan_differs",
                                                                       "review")
    assert "张叁" not in str(finding) and "张三" not in str(finding)
    journey.precheck_decide(typo, "pass")
    journey.await_state(typo, "precheck_passed")
    case = journey.verify_on_site(typo, originals=originals_of(unit_filing()))
    assert [d["field"] for d in case["originals"]["differences"]] == ["responsible_person.name"]
    assert case["outstanding"]  # not accepted as it stands
    assert journey.correct(typo, "responsible_person.name", "张三")["outstanding"] == []
    assert journey.decide_on_site(typo)["state"] == "sent_to_bureau"
    journey.approve(typo)
    verified = next(e for e in journey.timeline(typo) if e["state"] == "onsite_verified")
    assert verified["note"] == "1 field(s) corrected on site (P6)"
    assert [c["field"] for c in journey.review(typo)["corrections"]] == ["responsible_person.name"]
    ledger[typo.id] = (typo, "approved", [SIGN_IN, CONTACT_CODE, PASSED, MIIT_CODE, approved(typo.number)])


@pytest.mark.req("P8")
@pytest.mark.req("X2")
@pytest.mark.req("X4")
def test_bureau_return_then_reverification(journey, ledger):
    filing = journey.new_filing()
    journey.sign_in(filing)
    journey.draft(filing)
    journey.submit(filing)
    journey.confirm_contacts(filing)
    journey.await_state(filing, "precheck_passed")
    journey.verify_on_site(filing)
    journey.decide_on_site(filing)
    journey.return_(filing)
    returned = journey.await_state(filing, "returned_by_bureau")
    assert returned["filing_number"] is None
    case = journey.await_window(filing)  # the provider verifies again (P8)
    assert case["sending"] == 2 and case["returned"][0]["reasons"][0]["rule"] == "B1"
    journey.verify_on_site(filing)
    assert journey.decide_on_site(filing)["state"] == "sent_to_bureau"
    journey.approve(filing, submission=2)
    assert states(journey, filing) == ["draft", "submitted", "precheck_passed", "onsite_verified",
                                       "in_bureau_review", "returned_by_bureau", "onsite_verified",
                                       "in_bureau_review", "approved"]
    assert journey.review(filing)["submission"] == 2
    ledger[filing.id] = (filing, "approved", [SIGN_IN, CONTACT_CODE, PASSED, MIIT_CODE, RETURNED, MIIT_CODE,
                                              approved(filing.number)])


@pytest.mark.req("P8")
@pytest.mark.req("W5")
def test_change_of_an_approved_filing_keeps_its_number(journey, ledger):
    filing = journey.happy_path()
    number = filing.number
    site = {**filing.data["websites"][0], "name": "示例科技新官网"}
    journey.change(filing, {"websites": [site]})
    journey.await_state(filing, "precheck_passed")  # contacts confirmed before: no new codes
    journey.verify_on_site(filing)
    assert journey.decide_on_site(filing)["state"] == "sent_to_bureau"
    review = journey.await_review(filing)
    assert review["version"] == 2 and review["change_of"] == number
    assert journey.approve(filing) == number
    view = journey.intake_view(filing)
    assert view["version"] == 2 and view["filing_number"] == number
    expected = [SIGN_IN, CONTACT_CODE, PASSED, MIIT_CODE, approved(number), PASSED, MIIT_CODE, approved(number)]
    assert wait_until("the change's SMS", lambda: texts(journey, filing) == expected and expected)
    ledger[filing.id] = (filing, "approved", expected)


@pytest.mark.req("P8")
@pytest.mark.req("X4")
def test_cancellation_retires_the_number(journey, deployment, ledger):
    filing = journey.happy_path()
    cancelled = journey.cancel(filing)
    assert cancelled["state"] == "cancelled"
    public = f"{deployment.url('bureau')}/public/filings"
    wait_until("the number retired at the bureau", lambda: filing.number not in requests.get(
        public, params={"domain": filing.domains[0]}, timeout=10).text)
    sites = journey.client("intake", journey.supervisor_token).get("/approved-sites").json()["sites"]
    assert filing.domains[0] not in str(sites)  # the provider no longer connects it
    told = [SIGN_IN, CONTACT_CODE, PASSED, MIIT_CODE, approved(filing.number), CANCELLED.format(number=filing.number)]
    assert wait_until("the cancellation SMS (X4)", lambda: texts(journey, filing) == told and told)
    ledger[filing.id] = (filing, "cancelled", told)


@pytest.mark.req("P3")
@pytest.mark.clock
def test_an_unused_window_runs_out_and_the_sponsor_is_told(journey, expiring):
    # started with the module; its window is WINDOW_SECONDS long and the timer looks every 5 s
    journey.timeout = WINDOW_SECONDS + 30
    try:
        expired = journey.await_state(expiring, "onsite_window_expired")
    finally:
        journey.timeout = 30.0
    assert expired["filing_number"] is None
    assert journey.case(expiring)["state"] == "expired"
    assert wait_until("the expiry SMS", lambda: EXPIRED in texts(journey, expiring))
    refused = journey.client("verification", journey.verifier_token).post(f"/filings/{expiring.id}/decision")
    assert refused.status_code == 409


# --- what must hold after all of the above --------------------------------------------------------------------


@pytest.mark.req("X1")
def test_every_filing_ends_where_expected_with_each_sms_once(journey, deployment, ledger):
    assert len(ledger) == 8
    for filing, state, expected in ledger.values():
        assert journey.intake_view(filing)["state"] == state, filing.id
        assert Counter(texts(journey, filing)) == Counter(expected), filing.id
    # every journey files the same sample unit: one sponsor number (X1), one website number per site, never two (P8)
    numbers = [f.number for f, state, _ in ledger.values() if f.number]
    assert len(numbers) == 6 and len(set(numbers)) == 1
    approvals = [data for m in deployment.tap.messages() if m["routing_key"].startswith("filing_approved.v1")
                 and (data := json.loads(m["body"])["data"])["filing_id"] in ledger]  # not the other modules' filings
    sites = {}
    for approval in approvals:
        for domain, website_number in approval["website_numbers"].items():
            assert sites.setdefault(domain, website_number) == website_number  # a change keeps it
    assert len(set(sites.values())) == len(sites) == 6


def test_the_audit_chain_holds_every_event_and_is_intact(journey, deployment):
    events = {m["body"] for m in deployment.tap.messages() if m["exchange"].endswith(".events")}
    audit = journey.client("audit", journey.auditor_token)
    trail = wait_until("every event in the audit trail",
                       lambda: (t := audit.get("/trail/verification").json())["checked"] >= len(events) and t)
    assert trail == {"checked": len(events), "intact": True, "first_broken": None}
    cli = subprocess.run([sys.executable, "-m", "audit.cli", "verify-trail", "--db-url", deployment.databases["audit"]],
                         capture_output=True, text=True, cwd=REPO / "services" / "audit", timeout=60)
    assert cli.returncode == 0, cli.stdout + cli.stderr


def test_no_dead_letters(deployment):
    assert {name: len(bodies) for name, bodies in deployment.dead_letters().items() if bodies} == {}


@pytest.mark.req("W4")
def test_no_personal_data_in_any_log_line_message_or_dead_letter(deployment, ledger):
    """Issue 8: every log line of the six services, every message any of them published (events, RPC requests
    and replies, tapped on every topic exchange since start) and every dead letter: no ID number, mobile or
    e-mail address in plaintext, neither the sample values nor any filing's own."""
    values = set(personal_values())
    for filing, _state, _texts in ledger.values():
        values |= {filing.mobile, filing.email, filing.data["responsible_person"]["document_number"],
                   filing.data["contacts"]["postal_address"]}
    sources = {f"{service} log": lines for service, lines in deployment.log_lines().items()}
    messages = deployment.tap.messages()
    assert {"nameko-rpc", "intake.events", "notify.events"} <= set(deployment.tap.exchanges)
    assert len(messages) > 100 and any(m["exchange"] == "nameko-rpc" for m in messages)  # events and RPC alike
    sources["messages"] = [m["body"] for m in messages]
    sources["dead letters"] = [body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
                               for bodies in deployment.dead_letters().values() for body in bodies]
    hits = {}
    for source, lines in sources.items():
        found = [line[:300] for line in lines if PII.search(line) or any(v in line for v in values)]
        if found:
            hits[source] = found[:3]
    assert hits == {}
