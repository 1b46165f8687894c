"""The system's main job, as far as it exists: start the services as real processes on embedded defaults,
drive a sample filing through their public HTTP interfaces — file it, confirm the contacts with the codes the
sponsor received, pre-verification passes — and print its timeline and the SMS texts sent, then stop cleanly.

Embedded defaults: SQLite for the services' databases and a local S3 server (moto) for object storage;
RabbitMQ must be running (``bin/setup`` starts a local one; ``docker compose up`` is the alternative).
Run with ``bin/demo``.
"""
import json
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from kombu import Connection, Exchange, Queue

from shared.testing.http import sponsor_token, token
from shared.testing.samples import ACCESS, png, unit_filing
from shared.testing.system import Deployment, Vhost, read_jsonl, wait_until

SERVICES = ("intake", "precheck", "notify")
CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")


PROVIDER = "provider-demo"  # intake's default PROVIDER_ID


class Client:
    """One caller with its bearer token (issue 8)."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, path: str, **kwargs) -> dict:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        if method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        response = requests.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
        if response.status_code >= 400:
            raise SystemExit(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json()


def drive(base: str) -> str:
    sponsor = Client(base, sponsor_token(unit_filing()["contacts"]["mobile"]))
    staff = Client(base, token("onsite_verifier", "verifier-demo", provider=PROVIDER))
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


def confirm_contacts(precheck: str, filing_id: str, sinks: dict[str, Path]) -> None:
    """P2: the sponsor reads the one-time codes on its phone and in its mailbox and enters them."""
    sponsor = Client(precheck, sponsor_token(unit_filing()["contacts"]["mobile"]))
    for channel, sink in sinks.items():
        with_code = lambda sink=sink: [m for m in read_jsonl(sink) if CODE.search(m["text"])]  # noqa: E731
        message = wait_until(f"the {channel} code", with_code)
        code = CODE.search(message[-1]["text"])[1]
        state = sponsor.call("POST", f"/filings/{filing_id}/contacts/{channel}/confirmation", json={"code": code})
        print(f"{channel} confirmed with the code received: precheck state {state['state']}")


def main() -> int:
    with Vhost("icp-demo") as amqp_uri:
        return run(amqp_uri)


def run(amqp_uri: str) -> int:
    work = Path(tempfile.mkdtemp(prefix="icp-demo-"))
    deployment = Deployment(SERVICES, work, amqp_uri, lambda name: f"sqlite:///{work / name}.db",
                            env={"NOTIFY_RETRY_BASE_SECONDS": "1"})
    sinks = {"sms": deployment.sms_sink, "email": deployment.email_sink}
    connection = Connection(amqp_uri)
    tap = Queue(f"demo-tap-{uuid.uuid4().hex[:6]}", Exchange("intake.events", type="topic", durable=True),
                routing_key="#", auto_delete=True)
    try:
        tap(connection.default_channel).declare()
        deployment.start()
        intake = deployment.url("intake")
        supervisor = Client(intake, token("supervisor", "supervisor-demo", provider=PROVIDER))
        filing_id = drive(intake)
        confirm_contacts(deployment.url("precheck"), filing_id, sinks)
        wait_until(
            "the precheck outcome at intake",
            lambda: supervisor.call("GET", f"/filings/{filing_id}")["state"] != "submitted",
        )
        passed = wait_until("the pass SMS", lambda: [m for m in deployment.sms() if "预核验" in m["text"]])
        events = _collect(connection, tap, filing_id)
        print("events published by intake:", ", ".join(e["meta"]["type"] for e in events) or "none")
        timeline = supervisor.call("GET", f"/filings/{filing_id}/timeline")
        print(f"timeline of filing {filing_id}:")
        for entry in timeline["timeline"]:
            print(f"  {entry['at']}  {entry['state']:<16} by {entry['actor']}  {entry['note'] or ''}")
        print("SMS sent:")
        for message in deployment.sms():
            print(f"  to {message['to'][:3]}****{message['to'][-4:]}: {message['text']}")
        return 0 if timeline["state"] == "precheck_passed" and passed else 1
    finally:
        for problem in deployment.stop():
            print(problem, file=sys.stderr)
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
