"""The system's main job, as far as it exists: start the services as real processes on embedded defaults,
drive a sample filing through their public HTTP interfaces — file it, confirm the contacts with the codes the
sponsor received, pre-verification passes — and print its timeline and the SMS texts sent, then stop cleanly.

Embedded defaults: SQLite for the services' databases and a local S3 server (moto) for object storage;
RabbitMQ must be running (``bin/setup`` starts a local one; ``docker compose up`` is the alternative).
Run with ``bin/demo``.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from kombu import Connection, Exchange, Queue

from shared.platform.migrations import upgrade
from shared.testing.s3 import start_moto_server, stop_server
from shared.testing.samples import ACCESS, png, unit_filing

REPO = Path(__file__).resolve().parents[1]
BROKER = os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/").rstrip("/")
MANAGEMENT = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
SERVICES = ("intake", "precheck", "notify")
CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")


class Vhost:
    """The demo's own RabbitMQ virtual host, so that it never meets queues left by anything else."""

    def __init__(self):
        self.name = f"icp-demo-{uuid.uuid4().hex[:8]}"
        self.api = f"{MANAGEMENT}/api"

    def __enter__(self) -> str:
        requests.put(f"{self.api}/vhosts/{self.name}", timeout=10).raise_for_status()
        requests.put(f"{self.api}/permissions/{self.name}/guest", json={"configure": ".*", "write": ".*", "read": ".*"},
                     timeout=10).raise_for_status()
        return f"{BROKER}/{self.name}"

    def __exit__(self, *exc) -> None:
        requests.delete(f"{self.api}/vhosts/{self.name}", timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(name: str, env: dict, log_dir: Path) -> subprocess.Popen:
    log = (log_dir / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "nameko", "run", "--config", str(REPO / "services" / name / "config.yaml"),
         f"{name}.service:{name.capitalize()}Service"],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"service exited during start-up:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"service did not become healthy at {url}:\n{log.read_text()[-4000:]}")


class Client:
    def __init__(self, base: str, actor: str):
        self.base, self.actor = base, actor

    def call(self, method: str, path: str, **kwargs) -> dict:
        headers = {"X-Actor": self.actor, **kwargs.pop("headers", {})}
        if method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        response = requests.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
        if response.status_code >= 400:
            raise SystemExit(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json()


def drive(base: str) -> str:
    sponsor, staff = Client(base, "sponsor:demo"), Client(base, "staff:verifier-demo")
    guide = sponsor.call("GET", "/guide", params={"kind": "unit", "unit_type": "enterprise"})
    print("W2 documents to bring:", ", ".join(d["name_zh"] for d in guide["sponsor_documents"]))
    filing = sponsor.call("POST", "/filings", json=unit_filing())
    filing_id = filing["id"]
    print(f"draft {filing_id}: {len(filing['problems'])} open problem(s) before completion")
    staff.call("PUT", f"/filings/{filing_id}/access", json=ACCESS)
    for kind in ("sponsor_document", "responsible_person_document"):
        sponsor.call("POST", f"/filings/{filing_id}/documents", params={"kind": kind}, data=png(),
                     headers={"Content-Type": "image/png"})
    clause = sponsor.call("GET", "/contract-clause")
    print("W3 clause shown:", clause["clause"][:40] + "…")
    sponsor.call("POST", f"/filings/{filing_id}/contract-acceptance",
                 json={"clause_sha256": clause["clause_sha256"], "accepted": True})
    submitted = sponsor.call("POST", f"/filings/{filing_id}/submit")
    print("submitted: state", submitted["state"])
    return filing_id


def read_sink(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_until(what: str, probe, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def confirm_contacts(precheck: str, filing_id: str, sinks: dict[str, Path]) -> None:
    """P2: the sponsor reads the one-time codes on its phone and in its mailbox and enters them."""
    sponsor = Client(precheck, "sponsor:demo")
    for channel, sink in sinks.items():
        with_code = lambda sink=sink: [m for m in read_sink(sink) if CODE.search(m["text"])]  # noqa: E731
        message = wait_until(f"the {channel} code", with_code)
        code = CODE.search(message[-1]["text"])[1]
        state = sponsor.call("POST", f"/filings/{filing_id}/contacts/{channel}/confirmation", json={"code": code})
        print(f"{channel} confirmed with the code received: precheck state {state['state']}")


def main() -> int:
    with Vhost() as amqp_uri:
        return run(amqp_uri)


def run(amqp_uri: str) -> int:
    work = Path(tempfile.mkdtemp(prefix="icp-demo-"))
    moto, s3 = start_moto_server(work / "s3.log")
    processes: dict[str, subprocess.Popen] = {}
    sinks = {"sms": work / "sms.jsonl", "email": work / "email.jsonl"}
    connection = Connection(amqp_uri)
    tap = Queue(f"demo-tap-{uuid.uuid4().hex[:6]}", Exchange("intake.events", type="topic", durable=True),
                routing_key="#", auto_delete=True)
    try:
        tap(connection.default_channel).declare()
        ports = {}
        for name in SERVICES:
            db_url = f"sqlite:///{work / name}.db"
            upgrade(REPO / "services" / name, db_url)
            ports[name] = free_port()
            env = {**s3, f"{name.upper()}_DB_URL": db_url, f"{name.upper()}_HTTP_ADDRESS": f"127.0.0.1:{ports[name]}",
                   "AMQP_URI": amqp_uri, "NOTIFY_SINK_PATH": str(sinks["sms"]),
                   "NOTIFY_EMAIL_SINK_PATH": str(sinks["email"]), "NOTIFY_RETRY_BASE_SECONDS": "1"}
            processes[name] = start_service(name, env, work)
        for name, port in ports.items():
            wait_healthy(f"http://127.0.0.1:{port}/healthz", processes[name], work / f"{name}.log")
        intake = f"http://127.0.0.1:{ports['intake']}"
        filing_id = drive(intake)
        confirm_contacts(f"http://127.0.0.1:{ports['precheck']}", filing_id, sinks)
        wait_until(
            "the precheck outcome at intake",
            lambda: requests.get(f"{intake}/filings/{filing_id}", timeout=5).json()["state"] != "submitted",
        )
        passed = wait_until("the pass SMS", lambda: [m for m in read_sink(sinks["sms"]) if "预核验" in m["text"]])
        events = _collect(connection, tap, filing_id)
        print("events published by intake:", ", ".join(e["meta"]["type"] for e in events) or "none")
        timeline = requests.get(f"{intake}/filings/{filing_id}/timeline", timeout=10).json()
        print(f"timeline of filing {filing_id}:")
        for entry in timeline["timeline"]:
            print(f"  {entry['at']}  {entry['state']:<16} by {entry['actor']}  {entry['note'] or ''}")
        print("SMS sent:")
        for message in read_sink(sinks["sms"]):
            print(f"  to {message['to'][:3]}****{message['to'][-4:]}: {message['text']}")
        return 0 if timeline["state"] == "precheck_passed" and passed else 1
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for name, process in processes.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                print(f"{name} did not stop within 20 s; killed", file=sys.stderr)
        stop_server(moto)
        connection.release()
        print(f"stopped; service logs in {work}")


def _collect(connection, tap, filing_id: str, timeout: float = 10) -> list[dict]:
    bound, found = tap(connection.default_channel), []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not found:
        message = bound.get(no_ack=True)
        if message is None:
            time.sleep(0.1)
            continue
        if message.payload["meta"]["correlation_id"] == filing_id:
            found.append(message.payload)
            print(json.dumps(message.payload["meta"], ensure_ascii=False))
    return found


if __name__ == "__main__":
    sys.exit(main())
