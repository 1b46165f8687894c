"""Intake, precheck and notify together on the real RabbitMQ and PostgreSQL (and the local S3 server): the
P2 SMS texts reach the sponsor exactly once, reasons show at intake, resubmission is prechecked again, and a
redelivered event sends nothing more."""
import json
import re
import time
import uuid
from pathlib import Path

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.utils import find_free_port

from intake.service import IntakeService
from notify.service import NotifyService
from precheck.service import PrecheckService
from shared.contracts.intake import FILING_SUBMITTED
from shared.testing.documents import scans_of
from shared.testing.events import EventTap
from shared.testing.http import ApiClient, sponsor_token, token
from shared.testing.samples import ACCESS, unit_filing
from shared.testing.system import wait_until

pytestmark = pytest.mark.service

PASS_TEXT = "您提交的网站备案信息已通过预核验，请在1个月内由网站负责人本人携带有关证件原件到我单位备案现场办理核验手续"
FAIL_TEXT = "您提交的网站备案信息未通过预核验，请修改后重新提交"
CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")


class Sponsor:
    """The sponsor: a phone and a mailbox (notify's file sinks), intake and precheck over HTTP."""

    def __init__(self, intake: ApiClient, precheck: ApiClient, sinks: dict[str, Path]):
        self.intake, self.precheck, self.sinks = intake, precheck, sinks

    def inbox(self, channel: str) -> list[dict]:
        path = self.sinks[channel]
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def texts(self) -> list[str]:
        return [m["text"] for m in self.inbox("sms")]

    def file(self, data: dict) -> str:
        filing_id = self.intake.post("/filings", json=data).json()["id"]
        staff = self.intake.as_(token("onsite_verifier", "verifier-1", provider="provider-test"))
        assert staff.put(f"/filings/{filing_id}/access", json=ACCESS).status_code == 200
        for kind, scan in scans_of(data).items():  # they say what was entered (X7: read by OCR, compared)
            assert self.intake.post(f"/filings/{filing_id}/documents?kind={kind}", data=scan).status_code == 201
        self.accept_and_submit(filing_id)
        return filing_id

    def accept_and_submit(self, filing_id: str) -> None:
        clause = self.intake.get("/contract-clause").json()["clause_sha256"]
        self.intake.post(f"/filings/{filing_id}/contract-acceptance", json={"clause_sha256": clause, "accepted": True})
        response = self.intake.post(f"/filings/{filing_id}/submit")
        assert response.status_code == 200, response.text

    def confirm_contacts(self, filing_id: str, already: int = 0) -> None:
        for channel in ("sms", "email"):
            codes = wait_until(
                f"a {channel} code",
                lambda channel=channel: [CODE.search(m["text"])[1] for m in self.inbox(channel)
                                         if CODE.search(m["text"])][already:],
            )
            response = self.precheck.post(f"/filings/{filing_id}/contacts/{channel}/confirmation",
                                          json={"code": codes[-1]})
            assert response.status_code == 200, response.text

    def state(self, filing_id: str, state: str) -> dict:
        return wait_until(
            f"state {state}",
            lambda: (lambda f: f if f["state"] == state else None)(self.intake.get(f"/filings/{filing_id}").json()),
        )


@pytest.fixture(scope="module")
def configs(run_vhost, run_database, s3_server, tmp_path_factory) -> dict[str, dict]:
    sinks = tmp_path_factory.mktemp("precheck-workflow")

    def config(name: str, **more) -> dict:
        return {**run_vhost, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}", "DB_URL": run_database(name),
                **more}

    return {"notify": config("notify", NOTIFY_SINK_PATH=str(sinks / "sms.jsonl"),
                             NOTIFY_EMAIL_SINK_PATH=str(sinks / "email.jsonl"), NOTIFY_POLL_SECONDS="0.2"),
            "precheck": config("precheck", PRECHECK_AUTO_PASS="true"),
            "intake": config("intake", **s3_server, PROVIDER_ID="provider-test",
                             INTAKE_BUCKET=f"intake-{uuid.uuid4().hex[:12]}")}


@pytest.fixture(scope="module")
def containers(module_container, configs) -> dict:
    """The three services, started once for the module (each test starts from empty databases and queues)."""
    return {name: module_container(cls, configs[name])
            for name, cls in (("notify", NotifyService), ("precheck", PrecheckService), ("intake", IntakeService))}


@pytest.fixture
def system(containers, configs, clean_slate):
    for name, container in containers.items():
        clean_slate(container, configs[name])
    sinks = {channel: Path(configs["notify"][setting])
             for channel, setting in (("sms", "NOTIFY_SINK_PATH"), ("email", "NOTIFY_EMAIL_SINK_PATH"))}
    for sink in sinks.values():
        sink.write_text("")  # the sponsor's phone and mailbox hold this test's messages only
    tap = EventTap(configs["intake"]["AMQP_URI"], "intake")
    sponsor = Sponsor(ApiClient(f"http://{configs['intake']['WEB_SERVER_ADDRESS']}", sponsor_token()),
                      ApiClient(f"http://{configs['precheck']['WEB_SERVER_ADDRESS']}", sponsor_token()), sinks)
    yield sponsor, tap
    tap.close()
    for client in (sponsor.intake, sponsor.precheck):
        client.http.close()  # an idle keep-alive connection would hold the web server's shutdown


@pytest.mark.req("P2")
def test_clean_filing_gets_exactly_one_pass_sms_and_a_redelivery_sends_nothing(system, configs):
    sponsor, tap = system
    filing_id = sponsor.file(unit_filing())
    sponsor.confirm_contacts(filing_id)

    sponsor.state(filing_id, "precheck_passed")
    wait_until("the pass SMS", lambda: PASS_TEXT in sponsor.texts())

    submitted = [e for e in tap.wait_for(1) if e["meta"]["type"] == FILING_SUBMITTED]
    event_dispatcher({"AMQP_URI": configs["intake"]["AMQP_URI"]})("intake", FILING_SUBMITTED, submitted[0])
    time.sleep(2)
    assert sponsor.texts().count(PASS_TEXT) == 1
    assert len([t for t in sponsor.texts() if CODE.search(t)]) == 1  # one code, not resent by the redelivery
    timeline = [e["state"] for e in sponsor.intake.get(f"/filings/{filing_id}/timeline").json()["timeline"]]
    assert timeline == ["draft", "submitted", "precheck_passed"]


@pytest.mark.req("P2")
@pytest.mark.req("C3")
def test_failed_precheck_gets_one_fail_sms_reasons_at_intake_then_passes_after_resubmission(system):
    sponsor, _tap = system
    data = unit_filing()
    data["websites"][0]["name"] = "www.example.com.cn"  # intake accepts it; the rulebook (PC-WEB-1) does not
    filing_id = sponsor.file(data)

    failed = sponsor.state(filing_id, "precheck_failed")
    wait_until("the fail SMS", lambda: FAIL_TEXT in sponsor.texts())
    reasons = sponsor.intake.get(f"/filings/{filing_id}/timeline").json()["timeline"][-1]["reasons"]
    assert [(r["field"], r["code"], r["rule"]) for r in reasons] == [
        ("websites.0.name", "domain_as_name", "PC-WEB-1@2026.2")
    ]
    assert failed["problems"] == []  # intake's own rules are satisfied: only the correction is needed

    websites = [{**unit_filing()["websites"][0], "name": "示例科技官网"}]
    assert sponsor.intake.patch(f"/filings/{filing_id}", json={"websites": websites}).status_code == 200
    sponsor.accept_and_submit(filing_id)
    sponsor.confirm_contacts(filing_id)

    sponsor.state(filing_id, "precheck_passed")
    wait_until("the pass SMS", lambda: PASS_TEXT in sponsor.texts())
    time.sleep(1)
    assert [t for t in sponsor.texts() if not CODE.search(t)] == [FAIL_TEXT, PASS_TEXT]
