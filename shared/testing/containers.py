"""Service tests on one running container per test module (issue 18): one RabbitMQ vhost and one migrated
database per service for the whole run, a container started once per module, and each test starting from a clean
state (the service's tables truncated, every queue of the vhost purged) instead of a new vhost, database and
container per test. Creating and deleting many vhosts at once is also what wedges RabbitMQ 3.10 (design.md §7).

A service's ``conftest.py`` uses it like this::

    @pytest.fixture(scope="module")
    def precheck_config(run_vhost, run_database, module_web_config):
        return {**run_vhost, **module_web_config, "DB_URL": run_database("precheck"), ...}

    @pytest.fixture(scope="module")
    def precheck_container(module_container, precheck_config):
        return module_container(PrecheckService, precheck_config)

    @pytest.fixture
    def precheck(precheck_container, precheck_config, clean_slate):
        clean_slate(precheck_container, precheck_config)
        return precheck_container

Start the container from a module-scoped fixture, as above: nameko's autouse ``fast_teardown`` tells every AMQP
consumer created *during a test* to stop when that test ends, which would leave a container started there deaf
for the rest of the module.

A test whose configuration differs from its module's (another setting, a container it stops or kills) keeps a
container of its own from nameko's ``container_factory`` on ``run_vhost`` (or, to kill the broker's side too,
``rabbit_config``).

:data:`RUN_COUNTS` counts container starts and vhosts created; the plugin prints them at the end of the run.
"""

from __future__ import annotations

import random
import string
import time
import uuid
from collections import Counter
from urllib.parse import urlparse

import pytest
import requests
from nameko.containers import ServiceContainer
from nameko.testing import rabbit
from nameko.testing.utils import find_free_port
from sqlalchemy import create_engine, inspect, text

from shared.testing.databases import ADMIN_URL, migrated_database

RUN_COUNTS: Counter = Counter()
"""``container_starts`` and ``vhosts_created`` in this run (printed by :mod:`shared.testing.plugin`)."""

_start = ServiceContainer.start
_create_vhost = rabbit.Client.create_vhost


def _counted_start(self, *args, **kwargs):
    RUN_COUNTS["container_starts"] += 1
    return _start(self, *args, **kwargs)


def _counted_create_vhost(self, *args, **kwargs):
    RUN_COUNTS["vhosts_created"] += 1
    return _create_vhost(self, *args, **kwargs)


ServiceContainer.start = _counted_start
rabbit.Client.create_vhost = _counted_create_vhost

QUIET_TIMEOUT = 10.0


@pytest.fixture(scope="session")
def run_vhost(request, rabbit_manager):
    """``{"AMQP_URI", "vhost"}`` of one vhost for the whole run, deleted at its end."""
    uri = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    vhost = "icp_run_" + "".join(random.choice(string.ascii_lowercase) for _ in range(10))
    rabbit_manager.create_vhost(vhost)
    rabbit_manager.set_vhost_permissions(vhost, uri.username, ".*", ".*", ".*")
    yield {"AMQP_URI": f"{uri.scheme}://{uri.netloc}/{vhost}", "vhost": vhost}
    rabbit_manager.delete_vhost(vhost)


@pytest.fixture(scope="session")
def run_database():
    """``make(service) -> url``: one database per service for the whole run, migrated to head; dropped at the
    end. The same service asked twice gets the same database."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    made: dict[str, str] = {}

    def make(service: str) -> str:
        if service not in made:
            made[service] = migrated_database(admin, service)
            _TABLES.emptied(made[service])  # what the migrations leave empty, before any test fills it
        return made[service]

    yield make
    with admin.connect() as connection:
        for url in made.values():
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def module_web_config():
    """A web server address of its own for the module's containers."""
    return {"WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}"}


@pytest.fixture(scope="module")
def module_container():
    """``get(service_cls, config) -> container``: started on first use in the module, on its database emptied of
    what earlier modules of the run left there (a container's timers and outbox relay would act on it before the
    first test's ``clean_slate``), stopped at its end. Call it from a module-scoped fixture (see the module's
    docstring)."""
    running: dict[tuple, ServiceContainer] = {}

    def get(service_cls, config: dict) -> ServiceContainer:
        key = (service_cls, tuple(sorted((k, str(v)) for k, v in config.items())))
        if key not in running:
            if config.get("DB_URL"):
                truncate(config["DB_URL"])
            container = ServiceContainer(service_cls, config)
            container.start()
            running[key] = container
        return running[key]

    yield get
    for container in running.values():
        container.stop()


class _Tables:
    """The tables of a service's database that its migrations leave empty: the ones a test may fill. Tables the
    migrations seed (reference data) and ``alembic_version`` are kept."""

    def __init__(self):
        self._by_url: dict[str, list[str]] = {}

    def emptied(self, url: str) -> list[str]:
        if url not in self._by_url:
            engine = create_engine(url)
            with engine.connect() as connection:
                names = [n for n in inspect(connection).get_table_names() if n != "alembic_version"]
                self._by_url[url] = [n for n in names if connection.execute(
                    text(f'SELECT NOT EXISTS (SELECT 1 FROM "{n}")')).scalar()]
            engine.dispose()
        return self._by_url[url]


_TABLES = _Tables()


def _wait_quiet(container: ServiceContainer) -> None:
    """Wait until no worker of ``container`` runs (a test's last event may still be handled)."""
    deadline = time.monotonic() + QUIET_TIMEOUT
    while container._worker_threads and time.monotonic() < deadline:
        time.sleep(0.02)


def truncate(url: str) -> None:
    """Empty every table of the database at ``url`` that its migrations leave empty."""
    tables = _TABLES.emptied(url)
    if not tables:
        return
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


def purge_queues(rabbit_api_uri: str, vhost: str) -> None:
    """Drop every message waiting in any queue of ``vhost`` (durable queues outlive the module that used them)."""
    api = rabbit_api_uri.rstrip("/")
    with requests.Session() as session:
        queues = session.get(f"{api}/api/queues/{requests.utils.quote(vhost, safe='')}", timeout=10).json()
        for queue in queues:
            if queue.get("messages"):
                session.delete(f"{api}/api/queues/{requests.utils.quote(vhost, safe='')}/"
                               f"{requests.utils.quote(queue['name'], safe='')}/contents", timeout=10)


@pytest.fixture
def clean_slate(request):
    """``reset(container, config)``: wait until ``container`` is idle, then empty its database and the vhost's
    queues, so that the test starts as on a fresh deployment."""

    def reset(container: ServiceContainer, config: dict) -> None:
        _wait_quiet(container)
        purge_queues(request.config.getoption("RABBIT_API_URI"), config.get("vhost") or _vhost_of(config))
        truncate(config["DB_URL"])

    return reset


def _vhost_of(config: dict) -> str:
    return urlparse(config["AMQP_URI"]).path.lstrip("/")


def unique(prefix: str = "") -> str:
    """A fresh identifier, for tests that share a module's database."""
    return f"{prefix}{uuid.uuid4()}"
