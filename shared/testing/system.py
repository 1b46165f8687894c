"""The services as real ``nameko run`` processes, for the README's main command (``tools/demo.py``) and the system
tests (``tests/system``): one RabbitMQ virtual host of their own, a database per service at its migration head,
a local S3 server, notify's file sinks standing for the sponsor's phone and mailbox.

Nothing here reaches into a service: processes are driven through their public HTTP and RPC interfaces only.
"""
from __future__ import annotations

import ast
import contextlib
import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.platform.migrations import upgrade
from shared.testing.containers import RUN_COUNTS
from shared.testing.databases import ADMIN_URL
from shared.testing.s3 import start_moto_server, stop_server

REPO = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/").rstrip("/")
MANAGEMENT = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
ALL_SERVICES = ("intake", "precheck", "verification", "bureau", "audit", "notify")
# The pages (issue 19): no database, no broker; started after the services it calls (list it last).
PORTAL = "portal"
PORTAL_BACKENDS = ("intake", "precheck", "verification", "bureau", "audit")
STOP_GRACE = 20.0
# The on-site window (P3) of the system tests' deployment, shortened by verification's test-only setting (honoured
# with development keys only) so that a window runs out while test_workflow.py's other tests run (they take longer
# than this, so its test of the expiry waits little); every other filing is verified a few requests after its
# window opens, well inside it.
WINDOW_SECONDS = 25

# Personal data in plaintext (issue 8): a mainland mobile, a resident ID number, an e-mail address. Digits and
# letters around a number make it part of something else (a hex digest, a base64 token), not a number.
PII = re.compile(r"(?<![0-9A-Za-z])(1[3-9][0-9]{9}|[0-9]{17}[0-9Xx])(?![0-9A-Za-z])"
                 r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}")


def personal_values() -> list[str]:
    """The sample filings' personal data in plaintext: none of it may appear in a log line or a message."""
    from shared.testing.samples import INDIVIDUAL_FILING, UNIT_FILING

    values = []
    for filing in (UNIT_FILING, INDIVIDUAL_FILING):
        person, contacts = filing["responsible_person"], filing["contacts"]
        values += [person["document_number"], contacts["mobile"], contacts["email"], contacts["postal_address"]]
        values += [v for v in (contacts.get("office_phone"), contacts.get("home_phone")) if v]
    return values


class Vhost:
    """A RabbitMQ virtual host of one's own (management API ``management``), removed on exit.

    A failed ``__enter__`` removes it too (``with`` calls no ``__exit__`` then): the broker may have made the
    vhost although the answer to the create request was lost (a timeout, a dropped connection)."""

    def __init__(self, prefix: str = "icp", management: str = MANAGEMENT):
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.api = f"{management}/api"

    def __enter__(self) -> str:
        RUN_COUNTS["vhosts_created"] += 1
        try:
            requests.put(f"{self.api}/vhosts/{self.name}", timeout=120).raise_for_status()
            requests.put(f"{self.api}/permissions/{self.name}/guest",
                         json={"configure": ".*", "write": ".*", "read": ".*"}, timeout=30).raise_for_status()
        except BaseException:
            with contextlib.suppress(requests.RequestException):  # the creation's error is the one to report
                self.__exit__()
            raise
        return f"{BROKER}/{self.name}"

    def queues(self) -> list[dict]:
        answer = requests.get(f"{self.api}/queues/{self.name}", timeout=30)
        answer.raise_for_status()
        return answer.json()

    def __exit__(self, *exc) -> None:
        requests.delete(f"{self.api}/vhosts/{self.name}", timeout=120)


class BusTap:
    """A queue bound with ``#`` to every topic exchange of ``vhost`` (each service's ``<name>.events``, declared
    here if no service has yet, and nameko's RPC exchange): a copy of every message published from now on, events,
    RPC requests and replies alike, for checks over all of them (issue 8: no personal data in any message body).
    Direct exchanges (the dead-letter exchanges) are not tapped: read their queues instead."""

    def __init__(self, amqp_uri: str, vhost: Vhost, services: tuple[str, ...] = ALL_SERVICES):
        from kombu import Connection, Exchange, Queue

        self.connection = Connection(amqp_uri, connect_timeout=30)
        channel = self.connection.default_channel
        for name in services:
            Exchange(f"{name}.events", type="topic", durable=True)(channel).declare()
        answer = requests.get(f"{vhost.api}/exchanges/{vhost.name}", timeout=30)
        answer.raise_for_status()
        topics = [e["name"] for e in answer.json() if e["type"] == "topic" and e["name"] and
                  not e["name"].startswith("amq.")]
        self.queue = Queue(f"bus-tap-{uuid.uuid4().hex[:8]}", durable=False, auto_delete=False)
        bound = self.queue(channel)
        bound.declare()
        for exchange in topics:
            bound.bind_to(exchange=exchange, routing_key="#")
        self.exchanges = topics
        self._seen: list[dict] = []

    def messages(self) -> list[dict]:
        """Everything tapped so far: ``{"exchange", "routing_key", "body"}`` (body as text), oldest first. Read on
        a connection of its own each time: the tap's queue outlives a connection the broker closed."""
        with self.connection.clone() as connection:
            bound = self.queue(connection.default_channel)
            while (message := bound.get(no_ack=True)) is not None:
                self._seen.append({"exchange": message.delivery_info["exchange"],
                                   "routing_key": message.delivery_info["routing_key"],
                                   "body": message.body.decode("utf-8", "replace") if isinstance(message.body, bytes)
                                   else str(message.body)})
        return list(self._seen)

    def close(self) -> None:
        self.connection.release()


def on_shared_deployment(item) -> bool:
    """Whether the pytest ``item`` drives the system tier's shared deployment (``tests/system/conftest.py``): a
    test using ``deployment`` in a module of :func:`shares_the_deployment`."""
    return "deployment" in getattr(item, "fixturenames", ()) and shares_the_deployment(Path(item.path))


@functools.cache
def shares_the_deployment(module: Path) -> bool:
    """Whether the test module at ``module`` is on the system tier's shared deployment: in ``tests/system`` and not
    declaring ``OWN_DEPLOYMENT = True`` (read without importing it: the shard plugin asks before collection)."""
    if module.parent != REPO / "tests" / "system":
        return False
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if (isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "OWN_DEPLOYMENT" for t in node.targets)
                and isinstance(node.value, ast.Constant)):
            return not node.value.value
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_until(what: str, probe: Callable, timeout: float = 30.0, interval: float = 0.2):
    """``probe()``'s first truthy answer, or ``TimeoutError`` naming what did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Deployment:
    """``services`` started in ``work`` against ``amqp_uri``; ``database_url(service)`` names each database (it is
    migrated here); ``env`` adds settings for every service, ``service_env`` for one; ``s3`` (the ``S3_*``
    settings of a running server) spares the deployment an S3 server of its own."""

    services: tuple[str, ...]
    work: Path
    amqp_uri: str
    database_url: Callable[[str], str]
    env: dict = field(default_factory=dict)
    service_env: dict = field(default_factory=dict)
    ports: dict = field(default_factory=dict)
    databases: dict = field(default_factory=dict)
    processes: dict = field(default_factory=dict)
    s3: dict = field(default_factory=dict)
    _moto: subprocess.Popen | None = None

    @property
    def sms_sink(self) -> Path:
        return self.work / "sms.jsonl"

    @property
    def email_sink(self) -> Path:
        return self.work / "email.jsonl"

    def log(self, service: str) -> Path:
        return self.work / f"{service}.log"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self) -> Deployment:
        return self.launch().await_healthy()

    def launch(self) -> Deployment:
        """Migrate each database and start each process, without waiting for the processes to be ready. The S3
        server starts meanwhile (a thread: a green one under eventlet's patch); each process starts as soon as its
        database is migrated and the S3 server answers, so that the processes load while the rest migrate.
        Migrations run one at a time (Alembic's ``context`` is global)."""
        self.work.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=1) as pool:
            s3 = pool.submit(self._s3_server)
            waiting = []
            try:
                for name in self.services:
                    if (REPO / "services" / name / "alembic.ini").exists():  # the portal has no database
                        db_url = self.databases[name] = self.database_url(name)
                        upgrade(REPO / "services" / name, db_url)
                    self.ports.setdefault(name, free_port())  # a port given beforehand is kept
                    waiting.append(name)
                    if s3.done():
                        self._spawn_waiting(s3, waiting)
            finally:
                self._moto, self.s3 = s3.result()  # stop() ends the S3 server whatever failed here
            self._spawn_waiting(s3, waiting)
        return self

    def _s3_server(self) -> tuple[subprocess.Popen | None, dict]:
        return (None, self.s3) if self.s3 else start_moto_server(self.work / "s3.log")

    def _spawn_waiting(self, s3: Future, waiting: list[str]) -> None:
        self._moto, self.s3 = s3.result()
        while waiting:
            self._spawn(waiting.pop(0))

    def await_healthy(self) -> Deployment:
        for name in self.services:
            self._wait_healthy(name)
        return self

    def kill(self, name: str) -> None:
        """SIGKILL the service, as the kernel's OOM killer or a lost node would: no clean-up of any kind."""
        process = self.processes[name]
        process.kill()
        process.wait(timeout=10)

    def restart(self, name: str) -> None:
        """Start a killed (or stopped) service again on its port and database, and wait until it is healthy."""
        self._spawn(name)
        self._wait_healthy(name)

    def _spawn(self, name: str) -> None:
        # glibc's malloc gives each of a process's threads (eventlet's tpool: 20) an arena of its own, which grows
        # and is not handed back: two arenas keep verification's memory flat under load, as in the image (issue 23).
        env = {"MALLOC_ARENA_MAX": "2", **os.environ, **self.s3, "AMQP_URI": self.amqp_uri,
               **({f"{name.upper()}_DB_URL": self.databases[name]} if name in self.databases else {}),
               **({f"PORTAL_{b.upper()}_URL": self.url(b) for b in PORTAL_BACKENDS if b in self.ports}
                  if name == PORTAL else {}),
               f"{name.upper()}_HTTP_ADDRESS": f"127.0.0.1:{self.ports[name]}",
               "NOTIFY_SINK_PATH": str(self.sms_sink), "NOTIFY_EMAIL_SINK_PATH": str(self.email_sink),
               **self.env, **self.service_env.get(name, {})}
        with self.log(name).open("ab") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", str(REPO / "services" / name / "config.yaml"),
                 f"{name}.service:{name.capitalize()}Service"],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )

    def _wait_healthy(self, name: str, timeout: float = 60.0) -> None:
        process, url = self.processes[name], f"{self.url(name)}/healthz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited during start-up:\n{self.log(name).read_text()[-4000:]}")
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or too busy starting to answer within 1 s
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not become healthy at {url}:\n{self.log(name).read_text()[-4000:]}")

    def stop(self) -> list[str]:
        """SIGTERM every service, wait for it, kill what does not stop; returns what went wrong."""
        problems = []
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                process.kill()
                problems.append(f"{name} did not stop within {STOP_GRACE:.0f} s; killed")
        if self._moto is not None:
            stop_server(self._moto)
        return problems

    def dead_letters(self) -> dict[str, list[bytes]]:
        """Every event dead-letter queue of the deployment's vhost with the bodies it holds (left in place)."""
        from kombu import Connection

        from shared.platform.events import is_dead_letter_queue

        found = {}
        with Connection(self.amqp_uri, connect_timeout=30) as connection:
            channel = connection.channel()
            names = [q["name"] for q in requests.get(f"{MANAGEMENT}/api/queues/{self.amqp_uri.rsplit('/', 1)[1]}",
                                                     timeout=30).json() if is_dead_letter_queue(q["name"])]
            for name in names:
                bodies, held = [], []
                while (message := channel.basic_get(name, no_ack=False)) is not None:
                    bodies.append(message.body)
                    held.append(message)
                for message in held:
                    channel.basic_reject(message.delivery_tag, requeue=True)
                found[name] = bodies
        return found

    def log_lines(self) -> dict[str, list[str]]:
        return {name: self.log(name).read_text(encoding="utf-8", errors="replace").splitlines()
                for name in self.services if self.log(name).exists()}

    def sms(self) -> list[dict]:
        return read_jsonl(self.sms_sink)

    def emails(self) -> list[dict]:
        return read_jsonl(self.email_sink)


class PostgresDatabases:
    """Empty PostgreSQL databases of one's own on the local server (``TEST_PG_URL``'s), dropped on exit, for a
    deployment that uses PostgreSQL where SQLite cannot serve: ``make(service)`` answers a new database's URL."""

    def __init__(self, prefix: str = "icp"):
        self.prefix, self.admin_url = prefix, ADMIN_URL
        self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.made: list[str] = []

    def make(self, service: str) -> str:
        name = f"{self.prefix}_{service}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def __enter__(self) -> PostgresDatabases:
        return self

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as connection:
            for name in self.made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


class SandboxRegistry:
    """The sandbox RDAP and WHOIS server (``python -m shared.testing.registry``) as a process of its own on two
    free loopback ports; ``verification_env`` points verification's domain-owner lookups (P5) at it."""

    def __init__(self, log: Path):
        self.log, self.process = log, None
        self.rdap_port, self.whois_port = free_port(), free_port()

    @property
    def verification_env(self) -> dict[str, str]:
        return {"RDAP_SERVERS": f"*=http://127.0.0.1:{self.rdap_port}",
                "WHOIS_SERVERS": f"*=127.0.0.1:{self.whois_port}"}

    def __enter__(self) -> SandboxRegistry:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "shared.testing.registry", "--port", str(self.rdap_port),
                 "--whois-port", str(self.whois_port)],
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        for port in (self.rdap_port, self.whois_port):
            wait_until(f"the sandbox registry on port {port}", lambda port=port: self._answers(port), timeout=20)
        return self

    def _answers(self, port: int) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"the sandbox registry exited:\n{self.log.read_text()[-2000:]}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
