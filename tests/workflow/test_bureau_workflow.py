"""The bureau and notify together on the real RabbitMQ, PostgreSQL and the local S3 server (P8): the provider's
filing arrives routed to 京's bureau, a reviewer approves it, and the sponsor gets exactly one SMS with the filing
number (the mobile crosses from the bureau to notify sealed with the exchange ring, ADR 0001)."""
import copy
import io
import json
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from nameko.testing.utils import find_free_port
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from reportlab.pdfgen import canvas

from bureau.forms import DEV_SEAL_CERT
from bureau.service import BureauService
from notify.service import NotifyService
from shared.contracts.intake import personal_paths
from shared.contracts.verification import FILING_SENT_TO_BUREAU
from shared.kernel.network import validate_domain
from shared.platform.crypto import CryptoConfig
from shared.platform.sealing import seal
from shared.testing.events import publisher
from shared.testing.http import ApiClient, token
from shared.testing.samples import ACCESS, png, unit_filing

pytestmark = pytest.mark.service

APPROVED_TEXT = "您的网站备案已通过通信管理局审核，备案号为{}，请在网站首页底部标注备案号并链接至工业和信息化部政务服务平台"  # noqa: E501 - verbatim


def sealed_form() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 760, "verification form")
    page.save()
    signer = signers.SimpleSigner.load(str(DEV_SEAL_CERT.with_name("dev_seal_key.pem")), str(DEV_SEAL_CERT))
    return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(buffer.getvalue())),
                            signers.PdfSignatureMetadata(field_name="ProviderSeal"), signer=signer).getvalue()


def sent_to_bureau(exchange, evidence: dict, filing_id: str, at: datetime) -> dict:
    """The event verification publishes when it sends ``filing_id``, verified five minutes before ``at``."""
    filing = unit_filing()
    filing["contacts"].setdefault("home_phone", None)
    for site in filing["websites"]:
        site["domains"] = [{"unicode": d.unicode, "ascii": d.ascii} for d in map(validate_domain, site["domains"])]
    filing["access"] = copy.deepcopy(ACCESS)
    return {"filing_id": filing_id, "version": 1, "attempt": 1, "submission": 1, "provider_id": "provider-test",
            "province": "京", "change_of": None, "sent_at": at.isoformat(), "sent_by": "verifier-1",
            "verified_at": (at - timedelta(minutes=5)).isoformat(), "verified_by": "verifier-1",
            "filing": seal(filing, personal_paths("unit"), exchange, "exchange"), "evidence": evidence,
            "corrections": []}


@pytest.fixture(scope="module")
def configs(run_vhost, run_database, s3_server, tmp_path_factory) -> dict[str, dict]:
    sinks = tmp_path_factory.mktemp("bureau-workflow")

    def config(name: str, **more) -> dict:
        return {**run_vhost, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}", "DB_URL": run_database(name),
                **more}

    return {"notify": config("notify", NOTIFY_SINK_PATH=str(sinks / "sms.jsonl"),
                             NOTIFY_EMAIL_SINK_PATH=str(sinks / "email.jsonl"), NOTIFY_POLL_SECONDS="0.2"),
            "bureau": config("bureau", **s3_server, BUREAU_PROVINCE="京")}


@pytest.fixture(scope="module")
def containers(module_container, configs) -> dict:
    return {name: module_container(cls, configs[name])
            for name, cls in (("notify", NotifyService), ("bureau", BureauService))}


@pytest.fixture
def system(containers, configs, clean_slate, object_store):
    for name, container in containers.items():
        clean_slate(container, configs[name])
    sms = Path(configs["notify"]["NOTIFY_SINK_PATH"])
    sms.write_text("")  # the sponsor's phone holds this test's messages only
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    object_store.ensure_bucket(bucket)
    refs = {name: object_store.put(bucket, f"f/{name}", content, kind).to_dict() for name, content, kind in (
        ("form.pdf", sealed_form(), "application/pdf"), ("photo.png", png(80, 60), "image/png"))}
    evidence = {"form_provider_copy": refs["form.pdf"], "form_bureau_copy": refs["form.pdf"],
                "photo": refs["photo.png"], "document_copies": [], "domain_lookups": [],
                "security_agreement": refs["form.pdf"]}
    reviewer = ApiClient(f"http://{configs['bureau']['WEB_SERVER_ADDRESS']}",
                         token("reviewer", "reviewer-1", province="京"))
    yield reviewer, evidence, sms
    reviewer.http.close()  # an idle keep-alive connection would hold the web server's shutdown


def texts(sms) -> list[dict]:
    return [json.loads(line) for line in sms.read_text().splitlines()] if sms.exists() else []


@pytest.mark.req("P8")
def test_an_approved_filings_sponsor_gets_one_sms_with_the_number(system, configs, clock):
    reviewer, evidence, sms = system
    exchange = CryptoConfig.from_config({"ALLOW_DEV_KEYS": True}).exchange()
    filing_id = str(uuid.uuid4())
    publisher(configs["bureau"]["AMQP_URI"])("verification", FILING_SENT_TO_BUREAU,
                                         sent_to_bureau(exchange, evidence, filing_id, clock()), filing_id)
    deadline = time.monotonic() + 15
    while reviewer.get(f"/reviews/{filing_id}").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    approval = reviewer.post(f"/reviews/{filing_id}/approval", key="approve-once")
    assert approval.status_code == 200, approval.text
    number = approval.json()["filing_number"]
    assert reviewer.post(f"/reviews/{filing_id}/approval", key="approve-once").json()["filing_number"] == number
    deadline = time.monotonic() + 15
    while not texts(sms) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # a second message, if any, would arrive by now
    assert [(m["to"], m["text"]) for m in texts(sms)] == [("13800138000", APPROVED_TEXT.format(number))]
