"""Fixtures for audit's tests: an audit container on the real RabbitMQ and PostgreSQL, one per test module (its 32
trail handlers and their dead-letter queues are declared once per module, not once per test), each test starting
from an empty database and empty queues (shared.testing.containers); a tap on its events, and publishers of other
services' events as their producers would send them."""
import copy
import uuid

import pytest
from sqlalchemy import create_engine

from audit.service import AuditService
from shared.contracts.bureau import FILING_APPROVED
from shared.contracts.intake import personal_paths
from shared.kernel.network import validate_domain
from shared.platform.crypto import CryptoConfig
from shared.platform.sealing import seal
from shared.testing.events import EventTap, publisher
from shared.testing.http import ApiClient, token
from shared.testing.samples import ACCESS, unit_filing


@pytest.fixture(scope="module")
def audit_config(run_vhost, run_database, module_web_config):
    return {**run_vhost, **module_web_config, "DB_URL": run_database("audit")}


@pytest.fixture(scope="module")
def crypto(audit_config):
    return CryptoConfig.from_config(audit_config)


@pytest.fixture
def audit_tap(audit_config):
    tap = EventTap(audit_config["AMQP_URI"], "audit")
    yield tap
    tap.close()


@pytest.fixture(scope="module")
def audit_container(module_container, audit_config):
    return module_container(AuditService, audit_config)


@pytest.fixture
def audit(audit_container, audit_config, clean_slate, audit_tap):
    clean_slate(audit_container, audit_config)
    return audit_container


@pytest.fixture
def api(audit, audit_config):
    client = ApiClient(f"http://{audit_config['WEB_SERVER_ADDRESS']}", token("auditor", "auditor-1"))
    yield client
    client.http.close()  # an idle keep-alive connection would hold the web server's shutdown


@pytest.fixture(scope="module")
def engine(audit_config):
    engine = create_engine(audit_config["DB_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def send(audit, audit_config):
    return publisher(audit_config["AMQP_URI"])


def approved_data(crypto, *, person: dict | None = None, provider_id: str = "provider-test", province: str = "京",
                  approved_at: str = "2026-11-20T09:30:00+08:00", domain: str = "www.example.com.cn") -> dict:
    """A ``filing_approved.v1`` as the bureau publishes it: the filing's personal fields sealed with the exchange
    ring (docs/decisions/0001)."""
    filing = unit_filing()
    filing["responsible_person"].update(person or {})
    filing["sponsor"]["province"] = province
    filing["websites"] = [{**filing["websites"][0], "domains": [domain]}]
    filing["sponsor"].setdefault("unit_type", None)
    filing["contacts"].setdefault("home_phone", None)
    for site in filing["websites"]:
        site["domains"] = [{"unicode": d.unicode, "ascii": d.ascii} for d in map(validate_domain, site["domains"])]
    sealed = seal(filing, personal_paths("unit"), crypto.exchange(), "exchange")
    filing_id = str(uuid.uuid4())
    return {
        "filing_id": filing_id, "version": 1, "provider_id": provider_id, "province": province, "change_of": None,
        "filing_number": f"{province}ICP备2026{uuid.uuid4().int % 1_000_000:06d}号",
        "website_numbers": {validate_domain(domain).ascii: "x-1"}, "approved_at": approved_at,
        "approved_by": f"bureau:{province}:reviewer-1", "filing": {**sealed, "access": copy.deepcopy(ACCESS)},
    }


@pytest.fixture
def approve(send, crypto):
    """``approve(**approved_data kwargs, event_id=None) -> (data, envelope)``."""

    def approve_one(event_id=None, **kwargs):
        data = approved_data(crypto, **kwargs)
        return data, send("bureau", FILING_APPROVED, data, data["filing_id"], event_id=event_id)

    return approve_one
