"""Fixtures for notify's tests: a notify container on the real RabbitMQ and PostgreSQL, one per test module (or
one per test, for a test that needs its own settings), each test starting from an empty database, empty queues
and empty file sinks (shared.testing.containers), a tap on its events, a publisher of precheck's events sealed
with the provider's keys, and loopback fakes of an HTTP SMS gateway and an SMTP server."""

import json
import socketserver
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from notify.gateways import FileSink
from notify.service import NotifyService
from shared.contracts.precheck import CONTACT_CONFIRMATION_REQUESTED, PRECHECK_FAILED, PRECHECK_PASSED
from shared.platform.crypto import CryptoConfig
from shared.testing.containers import purge_queues, truncate
from shared.testing.events import EventTap, publisher
from shared.testing.http import ApiClient, token

MOBILE = "13800138000"
EMAIL = "zhangsan@example.com.cn"


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    """``predicate()``'s first truthy value, or an AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last value {value!r})")
        time.sleep(interval)


@pytest.fixture(name="wait_until")
def wait_until_fixture():
    return wait_until


# --- the service ------------------------------------------------------------------------------------------


def _settings(sinks: Path) -> dict:
    return {
        "NOTIFY_SINK_PATH": str(sinks / "sms.jsonl"),
        "NOTIFY_EMAIL_SINK_PATH": str(sinks / "email.jsonl"),
        "NOTIFY_POLL_SECONDS": "0.1",
        "NOTIFY_RETRY_BASE_SECONDS": "0.1",
        "NOTIFY_RETRY_MAX_SECONDS": "0.4",
        "PROVIDER_ID": "provider-test",
    }


@pytest.fixture(scope="module")
def notify_config(run_vhost, run_database, module_web_config, tmp_path_factory):
    """The module's notify: the run's vhost and database, file sinks in a folder of the module's."""
    return {**run_vhost, **module_web_config, "DB_URL": run_database("notify"),
            **_settings(tmp_path_factory.mktemp("notify-sinks"))}


@pytest.fixture(scope="module")
def crypto(notify_config):
    return CryptoConfig.from_config(notify_config)


@pytest.fixture
def seal(crypto):
    """``seal(value, context)``: a token as precheck (``event.<field>``) or an RPC caller (``rpc.<field>``)
    makes it with the provider's keys."""
    cipher = crypto.cipher()
    return lambda value, context: cipher.encrypt(value, context=context)


@pytest.fixture
def notify_tap(notify_config):
    tap = EventTap(notify_config["AMQP_URI"], "notify")
    yield tap
    tap.close()


def _empty_sinks(config: dict) -> None:
    for name in ("NOTIFY_SINK_PATH", "NOTIFY_EMAIL_SINK_PATH"):
        Path(config[name]).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def notify_container(module_container, notify_config):
    return module_container(NotifyService, notify_config)


@pytest.fixture
def notify(notify_container, notify_config, clean_slate, notify_tap):
    """The module's notify container, on an empty database, empty queues and empty sinks."""
    clean_slate(notify_container, notify_config)
    _empty_sinks(notify_config)
    return notify_container


@pytest.fixture
def notify_address(notify_config):
    """Where the test's notify serves HTTP: the module container's address. A module whose tests start containers
    of their own gives each test an address of its own (``web_config``): a stopped container's listening socket
    may outlive it on the port, and the kernel would hand it some of the next container's connections."""
    return notify_config["WEB_SERVER_ADDRESS"]


@pytest.fixture
def start_notify(request, container_factory, notify_config, notify_address, notify_tap):
    """``start(**settings) -> container``: a notify container of the test's own, with ``settings`` over the
    module's configuration, on an empty database, empty queues and empty sinks. A module that uses it starts no
    module container (the two would share the queues); nameko stops the test's containers at its end."""
    purge_queues(request.config.getoption("RABBIT_API_URI"), notify_config["vhost"])
    truncate(notify_config["DB_URL"])
    _empty_sinks(notify_config)

    def start(**settings):
        container = container_factory(NotifyService,
                                      {**notify_config, "WEB_SERVER_ADDRESS": notify_address, **settings})
        container.start()
        return container

    return start


class NotifyApi(ApiClient):
    """Notify's HTTP API as ops, with the message list of a filing."""

    def messages(self, filing_id: str) -> list[dict]:
        answer = self.get(f"/messages?correlation_id={filing_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()["messages"]

    def settled(self, filing_id: str, count: int = 1):
        """A predicate: the filing's ``count`` messages, once none of them is pending, sending or waiting."""

        def check():
            messages = self.messages(filing_id)
            if len(messages) == count and all(m["state"] in ("delivered", "failed", "unknown") for m in messages):
                return messages
            return None

        return check


@pytest.fixture
def api(notify_address):
    client = NotifyApi(f"http://{notify_address}",
                       token("ops", "ops-1", provider="provider-test"))
    yield client
    client.http.close()  # an idle keep-alive connection would hold the web server's shutdown


@pytest.fixture
def sms_inbox(notify_config):
    """``read() -> [{"to", "text", "message_id", ...}]``: what reached the SMS file sink (the 'phone')."""
    return FileSink(notify_config["NOTIFY_SINK_PATH"]).read


@pytest.fixture
def email_inbox(notify_config):
    return FileSink(notify_config["NOTIFY_EMAIL_SINK_PATH"]).read


@pytest.fixture
def publish(notify_config):
    return publisher(notify_config["AMQP_URI"])


@pytest.fixture
def precheck_events(publish, seal):
    """Publish precheck's events as precheck does, personal fields sealed under ``event.<field>``."""

    class PrecheckEvents:
        @staticmethod
        def outcome(passed: bool, filing_id: str, mobile: str = MOBILE, event_id: str | None = None) -> dict:
            reasons = [] if passed else [{"field": "contacts.email", "code": "not_confirmed",
                                          "message": "E-mail not confirmed.", "rule": "P2"}]
            data = {"filing_id": filing_id, "version": 1, "attempt": 1, "decided_at": "2026-11-23T09:00:00+08:00",
                    "decided_by": "precheck:auto:2026.1", "reasons": reasons, "mobile": seal(mobile, "event.mobile"),
                    "rulebook_version": "2026.1"}
            event_type = PRECHECK_PASSED if passed else PRECHECK_FAILED
            return publish("precheck", event_type, data, filing_id, event_id=event_id)

        @staticmethod
        def code(filing_id: str, channel: str, recipient: str, code: str, event_id: str | None = None) -> dict:
            data = {"filing_id": filing_id, "confirmation_id": f"{uuid.uuid4()}:1", "channel": channel,
                    "recipient": seal(recipient, "event.recipient"), "code": seal(code, "event.code"),
                    "expires_at": "2026-11-24T09:00:00+08:00"}
            return publish("precheck", CONTACT_CONFIRMATION_REQUESTED, data, filing_id, event_id=event_id)

    return PrecheckEvents()


# --- a loopback HTTP SMS gateway --------------------------------------------------------------------------


class FakeSmsGateway:
    """An HTTP server on 127.0.0.1 answering each POST by the next entry of ``script`` (a status code, or
    ``("sleep", seconds)`` to hang past the client's timeout), then ``200`` once the script is used up. Every
    request is recorded with its headers and body. ``GET /sms/status?message_id=`` is the send-status query:
    ``{"status": "delivered"}`` for a message id it accepted, 404 ``{"status": "no_record"}`` for another (each query's
    message id is recorded in ``status_queries``, its headers and query string in ``status_requests``)."""

    def __init__(self):
        self.script: list = []
        self.requests: list[dict] = []
        self.accepted: set[str] = set()
        self.status_queries: list[str] = []
        self.status_requests: list[dict] = []
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                path, _, query = self.path.partition("?")
                message_id = parse_qs(query).get("message_id", [""])[0]
                with gateway.lock:
                    gateway.status_queries.append(message_id)
                    gateway.status_requests.append({"headers": dict(self.headers), "query": query})
                    known = message_id in gateway.accepted
                status = "delivered" if known else "no_record"
                payload = json.dumps({"message_id": message_id, "status": status}).encode()
                if path != "/sms/status":
                    payload = b"<html>not found</html>"
                self.send_response(200 if known and path == "/sms/status" else 404)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with gateway.lock:
                    gateway.requests.append({"headers": dict(self.headers), "body": body})
                    step = gateway.script.pop(0) if gateway.script else 200
                if isinstance(step, tuple):
                    time.sleep(step[1])
                    step = 200
                if step < 300:
                    with gateway.lock:
                        gateway.accepted.add(json.loads(body)["message_id"])
                payload = json.dumps({"ok": step < 300}).encode()
                try:
                    self.send_response(step)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout)

            def log_message(self, *args):  # keep the test output to the service's own lines
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_gateway():
    gateway = FakeSmsGateway()
    yield gateway
    gateway.close()


# --- a loopback SMTP server -----------------------------------------------------------------------------


class FakeSmtpServer:
    """Just enough SMTP on 127.0.0.1: ``rcpt_reply`` answers RCPT TO; ``drop_during_data`` closes the
    connection after the message body arrives, before answering it. Received messages are kept as bytes."""

    def __init__(self):
        self.rcpt_reply = b"250 2.1.5 OK"
        self.drop_during_data = False
        self.messages: list[dict] = []
        smtp = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 fake.test ESMTP\r\n")
                envelope = {"from": None, "to": []}
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode("ascii", "replace").strip()
                    verb = command.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.wfile.write(b"250 fake.test\r\n")
                    elif verb == "MAIL":
                        envelope["from"] = command
                        self.wfile.write(b"250 2.1.0 OK\r\n")
                    elif verb == "RCPT":
                        envelope["to"].append(command)
                        self.wfile.write(smtp.rcpt_reply + b"\r\n")
                    elif verb == "DATA":
                        self.wfile.write(b"354 go ahead\r\n")
                        data = b""
                        while not data.endswith(b"\r\n.\r\n"):
                            chunk = self.rfile.readline()
                            if not chunk:
                                return
                            data += chunk
                        if smtp.drop_during_data:
                            return
                        smtp.messages.append({**envelope, "data": data[:-3]})
                        self.wfile.write(b"250 2.0.0 queued\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 OK\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp_server():
    server = FakeSmtpServer()
    yield server
    server.close()
