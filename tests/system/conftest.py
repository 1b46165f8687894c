"""All services as separate ``nameko run`` processes (issue 10) on the real RabbitMQ (a vhost of their own), real
PostgreSQL (a database each) and the local S3 server, driven only through their public HTTP and RPC interfaces.

One deployment serves every module that leaves the services as they are (starting six processes and stopping
them costs tens of seconds on a small machine, issue 18): each test there makes filings and requests of its own. A
module that kills, stops or reconfigures services sets ``OWN_DEPLOYMENT = True`` (with its
``VERIFICATION_WINDOW_SECONDS`` and ``DEPLOYMENT_ENV``) and gets six processes of its own.
``tests/system/test_workflow.py`` ends by checking what must hold after everything the shared deployment did: no
dead letters, no personal data in any log line, message body or dead letter (``shared.testing.system.PII``). The
broker is ``AMQP_URI`` / ``RABBIT_API_URI`` (default: the local one on 5672/15672).
"""
import contextlib
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.testing.databases import ADMIN_URL
from shared.testing.system import (
    ALL_SERVICES,
    REPO,
    WINDOW_SECONDS,
    BusTap,
    Deployment,
    Vhost,
    free_port,
    on_shared_deployment,
    wait_until,
)

# Every test here queries the public register from 127.0.0.1 (X9 limits a client a minute): far more than 30.
PUBLIC_QUERIES = "100000"
SERVICES = tuple(name for name in ALL_SERVICES if (REPO / "services" / name / "config.yaml").exists())


@pytest.fixture(scope="session")
def registry():
    """The sandbox domain registry (RDAP) as a process: verification's domain-owner check (P5) asks it."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "shared.testing.registry", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until("the sandbox registry", lambda: _answers(url), timeout=15)
    yield url
    process.terminate()
    process.wait(timeout=10)


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(f"{url}/domain/example.com.cn", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def pytest_collection_modifyitems(items):
    """The tests on the shared deployment run last and together, so that its processes are not idling beside a
    module's own deployment (file order is kept otherwise)."""
    items.sort(key=on_shared_deployment)


@pytest.fixture(scope="session")
def shared_deployment(tmp_path_factory, registry):
    """The six services with the default settings, for every module that does not set ``OWN_DEPLOYMENT``."""
    with _deployed(tmp_path_factory, registry, WINDOW_SECONDS, {}) as system:
        yield system


@pytest.fixture(scope="module")
def deployment(request, tmp_path_factory, registry):
    """The six services a module drives: the shared ones, or, for a module with ``OWN_DEPLOYMENT = True``, its own
    with its on-site window ``VERIFICATION_WINDOW_SECONDS`` (default ``WINDOW_SECONDS``, short enough to watch one
    run out) and the settings ``DEPLOYMENT_ENV`` adds."""
    if not getattr(request.module, "OWN_DEPLOYMENT", False):
        yield request.getfixturevalue("shared_deployment")
        return
    window = getattr(request.module, "VERIFICATION_WINDOW_SECONDS", WINDOW_SECONDS)
    with _deployed(tmp_path_factory, registry, window, getattr(request.module, "DEPLOYMENT_ENV", {})) as system:
        yield system


@contextlib.contextmanager
def _deployed(tmp_path_factory, registry: str, window: int, env: dict):
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    made = []

    def database(service: str) -> str:
        name = f"sys_{service}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    vhost = Vhost("icp-system")
    amqp_uri = vhost.__enter__()
    bureau_port = free_port()  # intake asks the register of 京 there (X1)
    system = Deployment(SERVICES, Path(tmp_path_factory.mktemp("system")), amqp_uri, database,
                        env={"NOTIFY_RETRY_BASE_SECONDS": "1", "LOG_LEVEL": "INFO", **env},
                        ports={"bureau": bureau_port},
                        service_env={"bureau": {"BUREAU_PROVINCE": "京", "PUBLIC_QUERY_LIMIT": PUBLIC_QUERIES},
                                     "intake": {"BUREAU_URLS": f"京=http://127.0.0.1:{bureau_port}"},
                                     "verification": {"RDAP_SERVERS": f"*={registry}",
                                                      "VERIFICATION_WINDOW_SECONDS": str(window)}})
    try:
        system.start()
        # issue 8: every message any service publishes is kept here, for the scans of test_workflow.py
        system.tap = BusTap(amqp_uri, vhost)
        yield system
    finally:
        problems = system.stop()
        try:
            if getattr(system, "tap", None) is not None:
                system.tap.close()
        finally:
            vhost.__exit__(None, None, None)
            with admin.connect() as connection:
                for name in made:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        assert problems == []
