"""W6 across intake, notify and verification on the real RabbitMQ and PostgreSQL (and the local S3 server): a
stock filing imported at intake invites its responsible person by SMS, opens an on-site window at verification
that runs to the plan's deadline, and once verified on site (``onsite_verified.v1``, same filing id, nothing
sent to the bureau) intake's progress report counts it done."""
import json
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from intake.service import IntakeService
from notify.service import NotifyService
from shared.contracts.verification import FILING_SENT_TO_BUREAU, ONSITE_VERIFIED
from shared.testing.events import EventTap
from shared.testing.faces import backdrop_photo
from shared.testing.http import ApiClient, token
from shared.testing.samples import RESIDENT_ID, UNIT_FILING, png, uscc
from shared.testing.stock import stock_csv, stock_row
from shared.testing.system import wait_until
from verification.service import VerificationService

pytestmark = [pytest.mark.service, pytest.mark.clock]

ACCESS = {"provider_name": "示例云计算有限公司", "access_method": "cloud_server", "server_location": "北京市海淀区",
          "ip_addresses": ["111.13.100.91"]}


@pytest.fixture(scope="module")
def configs(service_config, s3_server, registry, tmp_path_factory) -> dict[str, dict]:
    sinks = tmp_path_factory.mktemp("stock-reverification")
    return {"notify": service_config("notify", NOTIFY_SINK_PATH=str(sinks / "sms.jsonl"),
                                     NOTIFY_EMAIL_SINK_PATH=str(sinks / "email.jsonl"), NOTIFY_POLL_SECONDS="0.2"),
            "verification": service_config(
                "verification", **s3_server, VERIFICATION_BUCKET=f"verif-{uuid.uuid4().hex[:12]}",
                PROVIDER_IP_RANGES="111.13.100.0/24", RDAP_SERVERS=f"*={registry}", DOMAIN_LOOKUP_TIMEOUT="2"),
            "intake": service_config("intake", **s3_server, INTAKE_BUCKET=f"intake-{uuid.uuid4().hex[:12]}")}


@pytest.fixture(scope="module")
def containers(module_container, configs) -> dict:
    return {name: module_container(cls, configs[name]) for name, cls in (
        ("notify", NotifyService), ("verification", VerificationService), ("intake", IntakeService))}


@pytest.fixture
def system(containers, configs, clean_slate):
    for name, container in containers.items():
        clean_slate(container, configs[name])
    sms = Path(configs["notify"]["NOTIFY_SINK_PATH"])
    sms.write_text("")  # the responsible person's phone holds this test's messages only
    tap = EventTap(configs["verification"]["AMQP_URI"], "verification")
    clients = []

    def client(name: str, role: str, subject: str) -> ApiClient:
        clients.append(ApiClient(f"http://{configs[name]['WEB_SERVER_ADDRESS']}",
                                 token(role, subject, provider="provider-test")))
        return clients[-1]

    yield client, sms, tap
    tap.close()
    for each in clients:
        each.http.close()  # an idle keep-alive connection would hold the web server's shutdown


@pytest.mark.req("W6")
def test_a_stock_filing_verified_on_site_is_done_in_intakes_progress(system, clock):
    client, sms, tap = system
    deadline = clock.day(days=120)
    supervisor, verifier = client("intake", "supervisor", "head-1"), client("verification", "onsite_verifier", "v-1")
    sponsor = UNIT_FILING["sponsor"]
    row = {**stock_row(0, prefix="77"), "sponsor_name": sponsor["name"], "sponsor_document_number": uscc(),
           "person_name": "张三", "person_document_number": RESIDENT_ID}  # as the sandbox sources know them

    imported = supervisor.post(f"/stock/imports?deadline={deadline}", data=stock_csv([row]).encode(),
                               headers={"Content-Type": "text/csv"})
    assert imported.status_code == 201 and imported.json()["imported"] == 1, imported.text
    invitation = wait_until("the SMS invitation", lambda: sms.exists() and sms.read_text().splitlines())
    assert [json.loads(line)["to"] for line in invitation] == [row["mobile"]]
    cases = wait_until("the on-site window", lambda: verifier.get("/cases").json()["items"])
    case = cases[0]
    filing_id = case["filing_id"]
    assert (len(cases), case["purpose"], case["attempt"]) == (1, "stock", 0)
    assert datetime.fromisoformat(case["closes_at"]) == datetime.fromisoformat(f"{deadline}T23:59:59+08:00")
    before = supervisor.get("/stock/progress").json()
    assert (before["planned"], before["done"], before["pending"], before["overdue"]) == (1, 0, 1, 0)

    assert verifier.post(f"/filings/{filing_id}/photo", data=backdrop_photo(faces=(41,))).status_code == 200
    for subject in ("sponsor", "responsible_person"):
        assert verifier.post(f"/filings/{filing_id}/copies/{subject}", data=png()).status_code == 200
    originals = {"sponsor": {"name": sponsor["name"], "document_type": "business_licence",
                             "document_number": uscc()},
                 "responsible_person": {"name": "张三", "document_type": "resident_id", "document_number": RESIDENT_ID},
                 "person_present_confirmed": True}
    assert verifier.post(f"/filings/{filing_id}/originals", json=originals).status_code == 200
    assert verifier.post(f"/filings/{filing_id}/domain-checks").status_code == 200
    assert verifier.put(f"/filings/{filing_id}/access", json=ACCESS).status_code == 200
    signed = verifier.post(f"/filings/{filing_id}/agreement", json={"signed_by": "张三", "signature": "c2lnbmVk"})
    assert signed.json()["outstanding"] == [], signed.text
    decided = verifier.post(f"/filings/{filing_id}/decision")
    assert decided.status_code == 200 and decided.json()["state"] == "reverified", decided.text

    after = wait_until("the progress report", lambda: (p := supervisor.get("/stock/progress").json())["done"] and p)
    assert (after["planned"], after["done"], after["pending"], after["overdue"]) == (1, 1, 0, 0)
    events = [e for e in tap.drain(timeout=1.0) if e["meta"]["type"] in (ONSITE_VERIFIED, FILING_SENT_TO_BUREAU)]
    assert [(e["meta"]["type"], e["data"]["filing_id"]) for e in events] == [(ONSITE_VERIFIED, filing_id)]
    timeline = supervisor.get(f"/filings/{filing_id}/timeline")
    assert timeline.status_code == 200 and "stock filing verified on site (W6)" in timeline.text, timeline.text
