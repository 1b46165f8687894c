"""Fixtures for audit's tests: an audit container on the real RabbitMQ and PostgreSQL, one per test module (its 32
trail handlers and their dead-letter queues are declared once per module, not once per test), each test starting
from an empty database and empty queues (shared.testing.containers); a tap on its events, and publishers of other
services' events as their producers would send them."""
import pytest
from sqlalchemy import create_engine

from audit.service import AuditService
from shared.contracts.bureau import FILING_APPROVED
from shared.platform.crypto import CryptoConfig
from shared.testing.approvals import approved_data
from shared.testing.events import EventTap, publisher
from shared.testing.http import ApiClient, token


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


@pytest.fixture
def approve(send, crypto):
    """``approve(**approved_data kwargs, event_id=None) -> (data, envelope)``."""

    def approve_one(event_id=None, **kwargs):
        data = approved_data(crypto, **kwargs)
        return data, send("bureau", FILING_APPROVED, data, data["filing_id"], event_id=event_id)

    return approve_one
