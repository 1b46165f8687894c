"""Fixtures for intake's service and integration tests: a running intake container on the real RabbitMQ
(its own vhost), its own PostgreSQL database and the local S3 server, and a queue that records every event
intake publishes."""
import uuid

import pytest

from intake.service import IntakeService
from shared.testing.events import EventTap
from shared.testing.http import ApiClient, sponsor_token, token
from shared.testing.samples import ACCESS, png, unit_filing


@pytest.fixture
def intake_config(rabbit_config, web_config, database_factory, s3_server):
    return {
        **rabbit_config,
        **web_config,
        **s3_server,
        "DB_URL": database_factory("intake"),
        "PROVIDER_ID": "provider-test",
        "INTAKE_BUCKET": f"intake-{uuid.uuid4().hex[:12]}",
    }


@pytest.fixture
def event_tap(intake_config):
    tap = EventTap(intake_config["AMQP_URI"], "intake")
    yield tap
    tap.close()


@pytest.fixture
def intake(container_factory, intake_config, event_tap):
    container = container_factory(IntakeService, intake_config)
    container.start()
    yield container
    container.stop()  # before the database fixture drops the database under the relay


@pytest.fixture
def api(intake, web_config_port):
    """A signed-in sponsor (the sample filings' mobile)."""
    return ApiClient(f"http://127.0.0.1:{web_config_port}", sponsor_token("13800138000"))


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
