"""X4 across verification and notify on the real RabbitMQ and PostgreSQL (and the local S3 server): 3 working days
before an unused on-site window closes, the sponsor gets one SMS saying when it closes; a window whose verification
happened gets none; the schedule run twice sends once. The clock is set (verification's settings read the test's
clock, moved to the day 3 working days are left), never waited for."""
import json
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_hook
from nameko.testing.utils import find_free_port

from notify.service import NotifyService
from shared.contracts.precheck import PRECHECK_PASSED_V2
from shared.contracts.verification import ONSITE_WINDOW_EXPIRING
from shared.kernel.workdays import SHANGHAI, WorkingCalendar
from shared.platform.crypto import CryptoConfig
from shared.testing.clock import Clock, service_clock
from shared.testing.events import EventTap, publisher
from shared.testing.faces import backdrop_photo
from shared.testing.http import ApiClient, token
from shared.testing.samples import RESIDENT_ID, filing_submitted_data, png, unit_filing, uscc
from verification import domain
from verification.service import VerificationService

pytestmark = [pytest.mark.service, pytest.mark.clock]

REMINDED, VERIFIED = "13800138000", "13900139000"
ACCESS = {"provider_name": "示例云计算有限公司", "access_method": "cloud_server", "server_location": "北京市海淀区",
          "ip_addresses": ["111.13.100.91"]}


def wait_until(what: str, probe, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            assert value, f"timed out waiting for {what}"
            return value
        time.sleep(0.1)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def registry():
    """The sandbox registry (RDAP on loopback): ``example.com.cn`` belongs to the sample unit sponsor."""
    port = find_free_port()
    process = subprocess.Popen([sys.executable, "-m", "shared.testing.registry", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until("the sandbox registry", lambda: _listening(port), timeout=15)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def configs(run_vhost, run_database, s3_server, registry, tmp_path_factory) -> dict[str, dict]:
    sinks = tmp_path_factory.mktemp("window-reminder")

    def config(name: str, **more) -> dict:
        return {**run_vhost, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}", "DB_URL": run_database(name),
                "PROVIDER_ID": "provider-test", **more}

    return {"notify": config("notify", NOTIFY_SINK_PATH=str(sinks / "sms.jsonl"),
                             NOTIFY_EMAIL_SINK_PATH=str(sinks / "email.jsonl"), NOTIFY_POLL_SECONDS="0.2"),
            "verification": config("verification", **s3_server, VERIFICATION_BUCKET=f"verif-{uuid.uuid4().hex[:12]}",
                                   PROVIDER_IP_RANGES="111.13.100.0/24", RDAP_SERVERS=f"*={registry}",
                                   DOMAIN_LOOKUP_TIMEOUT="2")}


@pytest.fixture(scope="module")
def containers(module_container, configs) -> dict:
    return {name: module_container(cls, configs[name]) for name, cls in (
        ("notify", NotifyService), ("verification", VerificationService))}


def _pass(configs: dict, filing_id: str, mobile: str, decided_at: datetime) -> None:
    """Precheck's pass (``precheck_passed.v2``) of the sample filing with ``mobile``, as precheck publishes it."""
    crypto = CryptoConfig.from_config(configs["verification"])
    cipher = crypto.cipher()
    data = unit_filing()
    data["contacts"]["mobile"] = mobile
    submission = filing_submitted_data(cipher, crypto.hasher(), data, filing_id=filing_id)
    publisher(configs["verification"]["AMQP_URI"])("precheck", PRECHECK_PASSED_V2, {
        "filing_id": filing_id, "version": 1, "attempt": 1, "decided_at": decided_at.isoformat(),
        "decided_by": "precheck:auto", "reasons": [], "mobile": cipher.encrypt(mobile, context="event.mobile"),
        "rulebook_version": "2026.1", "submission": submission}, filing_id)


def _verify(verifier: ApiClient, filing_id: str) -> None:
    """Every on-site step, then the decision: verified and sent to the bureau."""
    assert verifier.post(f"/filings/{filing_id}/photo", data=backdrop_photo(faces=(43,))).status_code == 200
    for subject in ("sponsor", "responsible_person"):
        assert verifier.post(f"/filings/{filing_id}/copies/{subject}", data=png()).status_code == 200
    originals = {"sponsor": {"name": unit_filing()["sponsor"]["name"], "document_type": "business_licence",
                             "document_number": uscc()},
                 "responsible_person": {"name": "张三", "document_type": "resident_id", "document_number": RESIDENT_ID},
                 "person_present_confirmed": True}
    assert verifier.post(f"/filings/{filing_id}/originals", json=originals).status_code == 200
    assert verifier.post(f"/filings/{filing_id}/domain-checks").status_code == 200
    assert verifier.put(f"/filings/{filing_id}/access", json=ACCESS).status_code == 200
    assert verifier.post(f"/filings/{filing_id}/agreement", json={"signed_by": "张三", "signature": "c2lnbmVk"}).ok
    decided = verifier.post(f"/filings/{filing_id}/decision")
    assert decided.status_code == 200 and decided.json()["state"] == "sent_to_bureau", decided.text


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
            _pass(configs, verified, VERIFIED, clock())
            for filing_id in (reminded, verified):
                wait_until("the window", lambda f=filing_id: verifier.get(f"/filings/{f}").status_code == 200)
            _verify(verifier, verified)
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
