"""Fixtures for the bureau's tests: a running bureau container for 京 on the real RabbitMQ, PostgreSQL and the
local S3 server, one per test module, each test starting from an empty database and empty queues
(shared.testing.containers); a verification form sealed with the DEVELOPMENT provider seal; and ``send_filing``,
which publishes ``filing_sent_to_bureau.v1`` as the verification service would."""
import copy
import io
import time
import uuid

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from reportlab.pdfgen import canvas

from bureau.forms import DEV_SEAL_CERT
from bureau.service import BureauService
from shared.contracts.intake import personal_paths
from shared.contracts.verification import FILING_SENT_TO_BUREAU
from shared.kernel.network import validate_domain
from shared.platform.crypto import CryptoConfig
from shared.platform.sealing import seal
from shared.testing.events import EventTap, publisher
from shared.testing.http import ApiClient, token
from shared.testing.samples import ACCESS, png, unit_filing

DEV_SEAL_KEY = DEV_SEAL_CERT.with_name("dev_seal_key.pem")
EVIDENCE_BUCKET = "verification-evidence"


def blank_pdf(text: str = "网站备案信息真实性核验单") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 760, text.encode("ascii", "replace").decode())
    page.save()
    return buffer.getvalue()


def sealed_pdf(pdf: bytes) -> bytes:
    """``pdf`` signed with the DEVELOPMENT provider seal, as the verification service seals the form (P6)."""
    signer = signers.SimpleSigner.load(str(DEV_SEAL_KEY), str(DEV_SEAL_CERT))
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)),
                           signers.PdfSignatureMetadata(field_name="ProviderSeal"), signer=signer)
    return out.getvalue()


@pytest.fixture(scope="session")
def sealed_form() -> bytes:
    return sealed_pdf(blank_pdf())


@pytest.fixture(scope="module")
def bureau_config(run_vhost, run_database, module_web_config, s3_server):
    return {**run_vhost, **module_web_config, **s3_server, "DB_URL": run_database("bureau"),
            "BUREAU_PROVINCE": "京", "EVENT_RETRY_DELAY": 0.05}


@pytest.fixture(scope="session")
def crypto():
    """The DEVELOPMENT keys, which the tests' containers hold too (no FIELD_KEYS in their configuration)."""
    return CryptoConfig.from_config({})


@pytest.fixture
def bureau_tap(bureau_config):
    tap = EventTap(bureau_config["AMQP_URI"], "bureau")
    yield tap
    tap.close()


@pytest.fixture(scope="module")
def bureau_container(module_container, bureau_config):
    return module_container(BureauService, bureau_config)


@pytest.fixture
def bureau(bureau_container, bureau_config, clean_slate, bureau_tap):
    clean_slate(bureau_container, bureau_config)
    return bureau_container


@pytest.fixture
def base_url(bureau_config) -> str:
    return f"http://{bureau_config['WEB_SERVER_ADDRESS']}"


def reviewer(subject: str = "reviewer-1", province: str = "京") -> str:
    """A reviewer's bearer token (DEVELOPMENT key pair) for ``province``'s bureau."""
    return token("reviewer", subject, province=province)


@pytest.fixture
def api(bureau, base_url):
    """The 京 bureau's HTTP interface as reviewer-1 of 京."""
    client = ApiClient(base_url, reviewer())
    yield client
    client.http.close()  # an idle keep-alive connection would hold the web server's shutdown


def put(store, key: str, content: bytes, content_type: str) -> dict:
    store.ensure_bucket(EVIDENCE_BUCKET)
    ref = store.put(EVIDENCE_BUCKET, key, content, content_type)
    return ref.to_dict()


def filing_sent_data(exchange, evidence: dict, *, filing_id: str, province: str = "京", filing: dict | None = None,
                     submission: int = 1, version: int = 1, change_of: str | None = None,
                     domains: list[str] | None = None, provider_id: str = "provider-test") -> dict:
    """The ``data`` of a ``filing_sent_to_bureau.v1`` for ``filing`` (default: the unit sample, or with one website
    of ``domains``), personal fields sealed with the exchange ring (ADR 0001)."""
    filing = copy.deepcopy(filing or unit_filing())
    if domains is not None:
        filing["websites"] = [{**filing["websites"][0], "domains": domains}]
    filing["sponsor"]["province"] = province
    filing["sponsor"].setdefault("unit_type", None)
    filing["contacts"].setdefault("office_phone", None)
    filing["contacts"].setdefault("home_phone", None)
    for site in filing["websites"]:
        site["domains"] = [{"unicode": d.unicode, "ascii": d.ascii} for d in map(validate_domain, site["domains"])]
    filing["access"] = copy.deepcopy(ACCESS)
    return {
        "filing_id": filing_id, "version": version, "attempt": 1, "submission": submission,
        "provider_id": provider_id, "province": province, "change_of": change_of,
        "sent_at": "2026-11-10T10:05:00+08:00", "sent_by": "verifier-1",
        "verified_at": "2026-11-10T10:00:00+08:00", "verified_by": "verifier-1",
        "filing": seal(filing, personal_paths(filing["sponsor"]["kind"]), exchange, "exchange"),
        "evidence": evidence, "corrections": [],
    }


@pytest.fixture
def evidence(object_store, sealed_form):
    """Evidence in the provider's store: the sealed form, a photo, a document copy, a lookup and the agreement."""
    prefix = f"filings/{uuid.uuid4().hex[:8]}"
    form = put(object_store, f"{prefix}/form-bureau.pdf", sealed_form, "application/pdf")
    return {
        "form_provider_copy": form,
        "form_bureau_copy": form,
        "photo": put(object_store, f"{prefix}/photo.png", png(80, 60), "image/png"),
        "document_copies": [put(object_store, f"{prefix}/copy-sponsor.png", png(), "image/png")],
        "domain_lookups": [put(object_store, f"{prefix}/rdap.json", b"{}", "application/json")],
        "security_agreement": put(object_store, f"{prefix}/agreement.pdf", blank_pdf("agreement"), "application/pdf"),
    }


@pytest.fixture
def make_filing_data(crypto):
    """``filing_sent_data`` with this test's exchange ring."""
    return lambda evidence, **kwargs: filing_sent_data(crypto.exchange(), evidence, **kwargs)


@pytest.fixture
def send_filing(bureau_config, crypto, evidence):
    """``send_filing(filing_id=None, event_id=None, **kw) -> filing id``: verification's event, published."""
    send = publisher(bureau_config["AMQP_URI"])

    def send_one(filing_id=None, event_id=None, evidence_override=None, **kwargs):
        filing_id = filing_id or str(uuid.uuid4())
        data = filing_sent_data(crypto.exchange(), evidence_override or evidence, filing_id=filing_id, **kwargs)
        send("verification", FILING_SENT_TO_BUREAU, data, filing_id, event_id=event_id)
        return filing_id

    return send_one


@pytest.fixture
def store_object(object_store):
    """``store_object(key, content, content_type) -> object reference`` in the provider's evidence bucket."""
    return lambda key, content, content_type: put(object_store, key, content, content_type)


def wait_for_review(api, filing_id, state="pending", timeout=10.0, **expected):
    """The review of ``filing_id`` once it is in ``state`` with the ``expected`` field values."""
    deadline = time.monotonic() + timeout
    while True:
        answer = api.get(f"/reviews/{filing_id}")
        body = answer.json() if answer.status_code == 200 else {}
        if body.get("state") == state and all(body.get(k) == v for k, v in expected.items()):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"review of {filing_id} not {state} {expected}: {answer.status_code} {body}")
        time.sleep(0.1)


@pytest.fixture
def wait_review():
    return wait_for_review
