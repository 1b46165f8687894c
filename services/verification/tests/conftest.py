"""Fixtures for verification's service and integration tests: a verification container on the real RabbitMQ,
PostgreSQL and the local S3 server, one per test module, each test starting from an empty database and empty
queues (shared.testing.containers); a sandbox registry answering RDAP and WHOIS on loopback, a tap on its events,
and publishers of the events it reads (precheck's pass carries the submission passed, ``precheck_passed.v2``)."""
import socket
import subprocess
import sys
import time
import uuid

import pytest

from shared.contracts.precheck import PRECHECK_PASSED_V2
from shared.platform.crypto import CryptoConfig
from shared.testing.events import EventTap, publisher
from shared.testing.http import ApiClient, token
from shared.testing.samples import filing_submitted_data
from verification.service import VerificationService


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"sandbox registry did not start on {port}")


@pytest.fixture(scope="session")
def registry_server():
    """The sandbox registry (shared.testing.registry) as a process: RDAP and WHOIS on loopback ports; the
    sample domains belong to the sample sponsors, ``redacted.cn`` is redacted, ``other-owner.cn`` is someone
    else's."""
    rdap, whois = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.testing.registry", "--port", str(rdap), "--whois-port", str(whois),
         "--owner", "redacted.cn=REDACTED", "--owner", "other-owner.cn=上海别人的公司"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_port(rdap, process)
    _wait_port(whois, process)
    yield {"rdap": f"http://127.0.0.1:{rdap}", "whois": f"127.0.0.1:{whois}"}
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def verification_config(run_vhost, run_database, module_web_config, s3_server, registry_server):
    """One vhost and database for the run, a web address and an evidence bucket per module."""
    return {
        **run_vhost, **module_web_config, **s3_server,
        "DB_URL": run_database("verification"),
        "PROVIDER_ID": "provider-test",
        "VERIFICATION_BUCKET": f"verif-{uuid.uuid4().hex[:12]}",
        "PROVIDER_IP_RANGES": "111.13.100.0/24, 240e:e9:6002::/48",
        "RDAP_SERVERS": f"*={registry_server['rdap']}",
        "WHOIS_SERVERS": f"*={registry_server['whois']}",
        "DOMAIN_LOOKUP_TIMEOUT": "2",
    }


@pytest.fixture(scope="module")
def crypto(verification_config):
    return CryptoConfig.from_config(verification_config)


@pytest.fixture
def tap(verification_config):
    tap = EventTap(verification_config["AMQP_URI"], "verification")
    yield tap
    tap.close()


@pytest.fixture(scope="module")
def verification_container(module_container, verification_config):
    return module_container(VerificationService, verification_config)


@pytest.fixture
def verification(verification_container, verification_config, clean_slate, tap):
    """The module's container, its database and queues emptied for the test."""
    clean_slate(verification_container, verification_config)
    return verification_container


@pytest.fixture
def staff(verification, verification_config):
    """An on-site verifier of the sample filings' provider."""
    client = ApiClient(f"http://{verification_config['WEB_SERVER_ADDRESS']}",
                       token("onsite_verifier", "verifier-1", provider="provider-test"))
    yield client
    client.http.close()  # an idle keep-alive connection would hold the web server's shutdown


@pytest.fixture
def as_role(staff):
    """``as_role(role, subject, provider="provider-test", province=None) -> ApiClient`` for another caller."""
    return lambda role, subject="someone", provider="provider-test", province=None: staff.as_(
        token(role, subject, provider=provider if role in ("onsite_verifier", "supervisor", "precheck", "ops")
              else None, province=province))


@pytest.fixture
def send(verification, verification_config):
    return publisher(verification_config["AMQP_URI"])


def wait_until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


@pytest.fixture
def wait():
    """``wait(check, timeout=10)``: poll ``check()`` until it is truthy or the time is up; its last result."""
    return wait_until


def passed_data(crypto, clock, filing_id: str, submission: dict | None = None, attempt: int = 1,
                decided_at: str | None = None, decided_by: str = "precheck:auto") -> dict:
    """The ``data`` of a ``precheck_passed.v2`` passing ``submission`` (default: the sample filing's, as intake
    sealed it for the bus) of ``filing_id``."""
    cipher = crypto.cipher()
    submission = submission or filing_submitted_data(cipher, crypto.hasher(), filing_id=filing_id, attempt=attempt)
    mobile = cipher.decrypt(submission["contacts"]["mobile"], context="event.contacts.mobile")
    return {"filing_id": filing_id, "version": submission["version"], "attempt": submission["attempt"],
            "decided_at": decided_at or clock.iso(hours=-1), "decided_by": decided_by, "reasons": [],
            "mobile": cipher.encrypt(mobile, context="event.mobile"), "rulebook_version": "2026.1",
            "submission": submission}


@pytest.fixture
def pass_filing(send, crypto, clock):
    """``pass_filing(filing_id, submission=None, **outcome) -> data``: precheck's pass (``precheck_passed.v2``)
    of ``submission`` (default: the sample filing's), published."""

    def publish(filing_id: str, submission: dict | None = None, **outcome) -> dict:
        data = passed_data(crypto, clock, filing_id, submission, **outcome)
        send("precheck", PRECHECK_PASSED_V2, data, filing_id)
        return data

    return publish


@pytest.fixture
def open_window(pass_filing, staff, crypto):
    """``open(data=None, decided_at=None, decided_by="precheck:auto") -> filing id``: precheck's pass of the
    sample submission (or of ``data``), decided an hour before the test's clock unless ``decided_at`` says when;
    waits until the window is open."""

    def open_one(data=None, decided_at=None, filing_id=None, decided_by="precheck:auto"):
        filing_id = filing_id or str(uuid.uuid4())
        submission = filing_submitted_data(crypto.cipher(), crypto.hasher(), data, filing_id=filing_id)
        pass_filing(filing_id, submission, decided_at=decided_at, decided_by=decided_by)
        assert wait_until(lambda: staff.get(f"/filings/{filing_id}").status_code == 200), "window never opened"
        return filing_id

    return open_one
