"""X4 across verification and notify on the real RabbitMQ and PostgreSQL (and the local S3 server): 3 working days
before an unused on-site window closes, the sponsor gets one SMS saying when it closes; a window whose verification
happened gets none; the schedule run twice sends once. The clock is set (verification's settings read the test's
clock, moved to the day 3 working days are left), never waited for."""
import json
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_hook

from notify.service import NotifyService
from shared.contracts.precheck import PRECHECK_PASSED_V2
from shared.contracts.verification import ONSITE_WINDOW_EXPIRING
from shared.kernel.workdays import SHANGHAI, WorkingCalendar
from shared.platform.crypto import CryptoConfig
from shared.testing.clock import Clock, service_clock
from shared.testing.events import EventTap, publisher
from shared.testing.http import ApiClient, token
from shared.testing.journey import Filing, Journey
from shared.testing.samples import filing_submitted_data, unit_filing
from shared.testing.system import wait_until
from verification import domain
from verification.service import VerificationService

pytestmark = [pytest.mark.service, pytest.mark.clock]

REMINDED, VERIFIED = "13800138000", "13900139000"


@pytest.fixture(scope="module")
def configs(service_config, s3_server, registry, tmp_path_factory) -> dict[str, dict]:
    """Notify texts into a file sink (the sponsors' phones); verification looks domains up in the registry."""
    phones = tmp_path_factory.mktemp("window-reminder") / "sms.jsonl"
    return {"notify": service_config("notify", NOTIFY_SINK_PATH=str(phones), NOTIFY_POLL_SECONDS="0.2",
                                     NOTIFY_EMAIL_SINK_PATH=str(phones.with_name("email.jsonl"))),
            "verification": service_config(
                "verification", **s3_server, VERIFICATION_BUCKET=f"verif-{uuid.uuid4().hex[:12]}",
                PROVIDER_IP_RANGES="111.13.100.0/24, 240e:e9:6002::/48", RDAP_SERVERS=f"*={registry}",
                DOMAIN_LOOKUP_TIMEOUT="2")}


@pytest.fixture(scope="module")
def containers(module_container, configs) -> dict:
    return {name: module_container(cls, configs[name]) for name, cls in (
        ("notify", NotifyService), ("verification", VerificationService))}


def _pass(configs: dict, filing_id: str, mobile: str, decided_at: datetime) -> dict:
    """Precheck's pass (``precheck_passed.v2``) of the sample filing with ``mobile``, as precheck publishes it;
    the filing's data."""
    crypto = CryptoConfig.from_config(configs["verification"])
    cipher = crypto.cipher()
    data = unit_filing()
    data["contacts"]["mobile"] = mobile
    submission = filing_submitted_data(cipher, crypto.hasher(), data, filing_id=filing_id)
    publisher(configs["verification"]["AMQP_URI"])("precheck", PRECHECK_PASSED_V2, {
        "filing_id": filing_id, "version": 1, "attempt": 1, "decided_at": decided_at.isoformat(),
        "decided_by": "precheck:auto", "reasons": [], "mobile": cipher.encrypt(mobile, context="event.mobile"),
        "rulebook_version": "2026.1", "submission": submission}, filing_id)
    return data


def _verify(configs: dict, filing_id: str, data: dict) -> None:
    """Every on-site step, then the decision: verified and sent to the bureau (the journey's steps)."""
    journey = Journey({"verification": f"http://{configs['verification']['WEB_SERVER_ADDRESS']}"}, Path("/dev/null"),
                      Path("/dev/null"), provider="provider-test")
    try:
        filing = Filing(data=data, photo_seed=43, id=filing_id)
        assert journey.verify_on_site(filing)["outstanding"] == []
        assert journey.decide_on_site(filing)["state"] == "sent_to_bureau"
    finally:
        journey.close()


@pytest.mark.req("X4")
def test_one_reminder_3_working_days_before_an_unused_window_closes(containers, configs, clean_slate):
    for name, container in containers.items():
        clean_slate(container, configs[name])
    sms = Path(configs["notify"]["NOTIFY_SINK_PATH"])
    sms.write_text("")
    tap = EventTap(configs["verification"]["AMQP_URI"], "verification")
    verifier = ApiClient(f"http://{configs['verification']['WEB_SERVER_ADDRESS']}",
                         token("onsite_verifier", "v-1", provider="provider-test"))
    clock = Clock()
    try:
        with service_clock(containers["verification"], clock):
            reminded, verified = str(uuid.uuid4()), str(uuid.uuid4())
            _pass(configs, reminded, REMINDED, clock())
            data = _pass(configs, verified, VERIFIED, clock())
            wait_until("the window", lambda: verifier.get(f"/filings/{reminded}").status_code == 200)
            _verify(configs, verified, data)
            window = domain.onsite_window(clock(), WorkingCalendar.shipped())

            clock.set(window.warn_at)  # the start of the day from which 3 working days are left
            for _ in range(2):  # the schedule run twice (the timer may run it a third time on its own)
                with entrypoint_hook(containers["verification"], "check_windows") as check_windows:
                    check_windows()
            wait_until("the reminder", lambda: sms.read_text().splitlines())
            reminders = [e["data"] for e in tap.drain(timeout=2.0) if e["meta"]["type"] == ONSITE_WINDOW_EXPIRING]
    finally:
        tap.close()
        verifier.http.close()

    assert [r["filing_id"] for r in reminders] == [reminded]
    closes = datetime.fromisoformat(reminders[0]["closes_at"]).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    time.sleep(1.0)  # a second SMS would have reached the sink by now
    assert [(m["to"], m["text"]) for m in map(json.loads, sms.read_text().splitlines())] == [
        (REMINDED, f"您的网站备案现场核验办理期限将于{closes}届满，请网站负责人在此之前携带有关证件原件"
                   "到我单位备案现场办理核验手续")]
