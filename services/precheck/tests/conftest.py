"""Fixtures for precheck's service tests: a precheck container on the real RabbitMQ and PostgreSQL, one per test
module, each test starting from an empty database and empty queues (shared.testing.containers); a tap on its
events, and a publisher of intake's events."""
import uuid

import pytest

from precheck.service import PrecheckService
from shared.contracts.intake import FILING_SUBMITTED
from shared.platform.crypto import CryptoConfig
from shared.testing.events import EventTap, publisher
from shared.testing.http import ApiClient, sponsor_token, token
from shared.testing.samples import filing_submitted_data


@pytest.fixture(scope="module")
def precheck_config(run_vhost, run_database, module_web_config):
    return {**run_vhost, **module_web_config, "DB_URL": run_database("precheck"), "PRECHECK_AUTO_PASS": "true",
            "PROVIDER_ID": "provider-test"}


@pytest.fixture(scope="module")
def crypto(precheck_config):
    return CryptoConfig.from_config(precheck_config)


@pytest.fixture
def precheck_tap(precheck_config):
    tap = EventTap(precheck_config["AMQP_URI"], "precheck")
    yield tap
    tap.close()


@pytest.fixture(scope="module")
def precheck_container(module_container, precheck_config):
    return module_container(PrecheckService, precheck_config)


@pytest.fixture
def precheck(precheck_container, precheck_config, clean_slate, precheck_tap):
    clean_slate(precheck_container, precheck_config)
    return precheck_container


@pytest.fixture
def api(precheck, precheck_config):
    """The sponsor of the sample filings (its mobile proved at sign-in)."""
    client = ApiClient(f"http://{precheck_config['WEB_SERVER_ADDRESS']}", sponsor_token("13800138000"))
    yield client
    client.http.close()  # an idle keep-alive connection would hold the web server's shutdown


@pytest.fixture
def staff(api):
    """Precheck staff of the sample filings' provider."""
    return api.as_(token("precheck", "precheck-1", provider="provider-test"))


@pytest.fixture
def submit(precheck, precheck_config, crypto):
    """``submit(data=None, filing_id=None, attempt=1, event_id=None, submitted_at=None) -> filing id``: intake's
    event, submitted now unless ``submitted_at`` says when."""
    send = publisher(precheck_config["AMQP_URI"])

    def submit_one(data=None, filing_id=None, attempt=1, event_id=None, submitted_at=None):
        filing_id = filing_id or str(uuid.uuid4())
        payload = filing_submitted_data(crypto.cipher(), crypto.hasher(), data, filing_id=filing_id, attempt=attempt,
                                        submitted_at=submitted_at)
        send("intake", FILING_SUBMITTED, payload, filing_id, event_id=event_id)
        return filing_id

    return submit_one


@pytest.fixture
def open_sealed(crypto):
    """Open a sealed field of a precheck event (the provider's services share the keys)."""
    return lambda token, field: crypto.cipher().decrypt(token, context=f"event.{field}")
