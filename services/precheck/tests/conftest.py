"""Fixtures for precheck's service tests: a running precheck container on the real RabbitMQ (its own vhost)
and PostgreSQL database, a tap on its events, and a publisher of intake's events."""
import uuid

import pytest

from precheck.service import PrecheckService
from shared.contracts.intake import FILING_SUBMITTED
from shared.platform.crypto import CryptoConfig
from shared.testing.events import EventTap, publisher
from shared.testing.http import ApiClient, sponsor_token, token
from shared.testing.samples import filing_submitted_data


@pytest.fixture
def precheck_config(rabbit_config, web_config, database_factory):
    return {**rabbit_config, **web_config, "DB_URL": database_factory("precheck"), "PRECHECK_AUTO_PASS": "true",
            "PROVIDER_ID": "provider-test"}


@pytest.fixture
def crypto(precheck_config):
    return CryptoConfig.from_config(precheck_config)


@pytest.fixture
def precheck_tap(precheck_config):
    tap = EventTap(precheck_config["AMQP_URI"], "precheck")
    yield tap
    tap.close()


@pytest.fixture
def precheck(container_factory, precheck_config, precheck_tap):
    container = container_factory(PrecheckService, precheck_config)
    container.start()
    yield container
    container.stop()


@pytest.fixture
def api(precheck, web_config_port):
    """The sponsor of the sample filings (its mobile proved at sign-in)."""
    client = ApiClient(f"http://127.0.0.1:{web_config_port}", sponsor_token("13800138000"))
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
