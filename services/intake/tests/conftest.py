"""Fixtures for intake's service and integration tests: an intake container on the real RabbitMQ, PostgreSQL and
the local S3 server, one per test module, each test starting from an empty database and empty queues
(shared.testing.containers); a queue that records every event intake publishes."""
import uuid

import pytest

from intake.service import IntakeService
from shared.testing.events import EventTap
from shared.testing.http import ApiClient, sponsor_token, token
from shared.testing.samples import ACCESS, png, unit_filing


@pytest.fixture(scope="module")
def intake_config(run_vhost, run_database, module_web_config, s3_server):
    return {
        **run_vhost,
        **module_web_config,
        **s3_server,
        "DB_URL": run_database("intake"),
        "PROVIDER_ID": "provider-test",
        "INTAKE_BUCKET": f"intake-{uuid.uuid4().hex[:12]}",
    }


@pytest.fixture
def event_tap(intake_config):
    tap = EventTap(intake_config["AMQP_URI"], "intake")
    yield tap
    tap.close()


@pytest.fixture(scope="module")
def intake_container(module_container, intake_config):
    return module_container(IntakeService, intake_config)


@pytest.fixture
def intake(intake_container, intake_config, clean_slate, event_tap):
    clean_slate(intake_container, intake_config)
    return intake_container


@pytest.fixture
def api(intake, intake_config):
    """A signed-in sponsor (the sample filings' mobile)."""
    client = ApiClient(f"http://{intake_config['WEB_SERVER_ADDRESS']}", sponsor_token("13800138000"))
    yield client
    client.http.close()  # an idle keep-alive connection would hold the web server's shutdown


@pytest.fixture
def staff(api, intake_config):
    """An on-site verifier of this intake's provider."""
    return api.as_(token("onsite_verifier", "verifier-1", provider=intake_config["PROVIDER_ID"]))


@pytest.fixture
def complete_draft(api, staff):
    """``make(data=None) -> filing id``: a draft with everything submit needs (data, access information,
    scans, the accepted clause)."""
    return lambda data=None: _complete_draft(api, staff, data)


def _complete_draft(api: ApiClient, staff: ApiClient, data: dict | None) -> str:
    created = api.post("/filings", json=data or unit_filing())
    assert created.status_code == 201, created.text
    filing_id = created.json()["id"]
    assert staff.put(f"/filings/{filing_id}/access", json=ACCESS).status_code == 200
    for kind in ("sponsor_document", "responsible_person_document"):
        upload = api.post(f"/filings/{filing_id}/documents?kind={kind}", data=png(),
                          headers={"Content-Type": "image/png"})
        assert upload.status_code == 201, upload.text
    clause = api.get("/contract-clause").json()
    accepted = api.post(f"/filings/{filing_id}/contract-acceptance",
                        json={"clause_sha256": clause["clause_sha256"], "accepted": True})
    assert accepted.status_code == 200, accepted.text
    return filing_id
