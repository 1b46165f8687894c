"""The system's main job (issue 10): start the six services as real ``nameko run`` processes on embedded defaults,
drive one sample filing through the whole workflow over their public HTTP interfaces — sign-in, submission,
pre-verification, on-site verification, bureau approval, filing number — and print its timeline, the events it
caused, the SMS texts sent and the filing number; then stop cleanly (exit 0 only if all of that happened, no
event was dead-lettered and every service stopped on SIGTERM).

Embedded defaults: SQLite databases and a local S3 server (moto); audit, whose migrations alter columns in place,
gets a PostgreSQL database of its own on the local server (dropped afterwards). The authority sources are the
sandbox ones (``AUTHORITY_MODE=sandbox``), domain owners come from the sandbox RDAP/WHOIS server
(``shared.testing.registry``), notify's file sinks stand for the sponsor's phone and mailbox, and the staff
steps (precheck's automatic pass, the on-site verifier, the bureau's reviewer) are taken by the journey driver
(``shared.testing.journey``). RabbitMQ and PostgreSQL must be running (``bin/setup`` starts local ones;
``docker compose up`` is the alternative). Run with ``bin/demo``.

``bin/demo --serve`` (issue 19) also starts the portal, takes the sample filing to its number as above and then
leaves everything running: it prints the portal's address, the filing's page and the mobile to sign in with, and
every SMS and e-mail the services send from then on (the sign-in code among them) until Ctrl-C.
"""
import argparse
import contextlib
import json
import signal
import sys
import tempfile
import time
import warnings
from datetime import datetime
from pathlib import Path

warnings.filterwarnings("ignore", message=r"\s*eventlet is deprecated")  # design.md §8: that one warning only

import requests  # noqa: E402

from shared.i18n import BEIJING  # noqa: E402
from shared.testing.journey import Journey  # noqa: E402
from shared.testing.system import (  # noqa: E402
    ALL_SERVICES,
    PORTAL,
    BusTap,
    Deployment,
    PostgresDatabases,
    SandboxRegistry,
    Vhost,
    read_jsonl,
)

NEEDS_POSTGRESQL = ("audit",)  # its 0003 migration uses ALTER COLUMN, which SQLite does not have
PROVINCE = "京"  # the sample unit's province, served by the demo's one bureau


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start the services and take a sample filing to its number.")
    parser.add_argument("--serve", action="store_true",
                        help="start the portal too and leave everything running (Ctrl-C stops it)")
    serve = parser.parse_args(argv).serve
    services = (*ALL_SERVICES, PORTAL) if serve else ALL_SERVICES
    work = Path(tempfile.mkdtemp(prefix="icp-demo-"))
    with contextlib.ExitStack() as stack:
        vhost = Vhost("icp-demo")
        amqp_uri = stack.enter_context(vhost)
        databases = stack.enter_context(PostgresDatabases("demo"))
        registry = stack.enter_context(SandboxRegistry(work / "registry.log"))
        deployment = Deployment(
            services, work, amqp_uri,
            lambda name: databases.make(name) if name in NEEDS_POSTGRESQL else f"sqlite:///{work / name}.db",
            env={"NOTIFY_RETRY_BASE_SECONDS": "1", "AUTHORITY_MODE": "sandbox"},
            service_env={"verification": registry.verification_env, "bureau": {"BUREAU_PROVINCE": PROVINCE},
                         # plain http on the loopback address: the session cookie cannot be Secure there
                         PORTAL: {"PORTAL_COOKIE_SECURE": "false"}},
        )
        try:
            started = time.monotonic()
            deployment.start()
            print(f"started {', '.join(services)} in {time.monotonic() - started:.1f} s "
                  f"(SQLite; PostgreSQL for {', '.join(NEEDS_POSTGRESQL)}); sandbox RDAP on :{registry.rdap_port}, "
                  f"WHOIS on :{registry.whois_port}")
            tap = BusTap(amqp_uri, vhost)
            stack.callback(tap.close)
            driven = drive(Journey.of(deployment))
            outcome = report(deployment, vhost, driven, tap)
            return serve_until_stopped(deployment, driven[1]) if serve else outcome
        finally:
            for problem in deployment.stop():
                print(problem, file=sys.stderr)
            print(f"stopped; service logs in {work}")


def drive(journey: Journey):
    """The happy path step by step (what ``Journey.happy_path`` does), saying what each step did."""
    filing = journey.new_filing()
    journey.sign_in(filing)
    print("P1  the sponsor signed in with the code it received by SMS")
    journey.draft(filing)
    print(f"W2  draft {filing.id}: access information (provider staff), scans of the licence and the ID card, "
          "the W3 clause accepted")
    print(f"    submitted: {journey.submit(filing)['state']}")
    journey.confirm_contacts(filing)
    print("P2  mobile and e-mail confirmed with the codes received; ", end="")
    print(f"pre-verification: {journey.await_state(filing, 'precheck_passed')['state']}")
    checked = journey.precheck_case(filing)
    findings = ", ".join(f"{f['field']} {f['code']}" for f in checked["findings"]) or "none"
    print(f"    rulebook {checked['rulebook_version']}, findings: {findings} (X7: the scans read by OCR, compared)")
    case = journey.verify_on_site(filing)
    print(f"P4  on site: photo, copies, originals (sandbox authorities), domain owner (RDAP), access, agreement; "
          f"outstanding: {', '.join(case.get('outstanding') or []) or 'nothing'}")
    decided = journey.decide_on_site(filing)
    print(f"P7  on-site decision: {decided['state']} (sealed form, to the bureau of {PROVINCE})")
    if decided["state"] != "sent_to_bureau":
        raise SystemExit(f"the on-site decision was {decided['state']}: {decided.get('reasons')}")
    number = journey.approve(filing)
    print(f"P8  the bureau's reviewer approved: filing number {number}")
    return journey, filing


def _beijing(stamp: str) -> str:
    """A stored UTC time as people read it: Beijing time, to the millisecond."""
    return datetime.fromisoformat(stamp).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S.%f")[:23]


def report(deployment: Deployment, vhost: Vhost, driven, tap: BusTap) -> int:
    journey, filing = driven
    print(f"\ntimeline of filing {filing.id} (intake; times in Beijing time):")
    for entry in journey.timeline(filing):
        actor = entry["actor"] if len(entry["actor"]) < 32 else entry["actor"][:16] + "…"  # a sponsor's HMAC
        print(f"  {_beijing(entry['at'])}  {entry['state']:<16} by {actor:<28} {entry['note'] or ''}")
    events = _events(tap, filing.id)
    print(f"\nevents on the bus for it ({len(events)}):")
    for meta in events:
        print(f"  {_beijing(meta['occurred_at'])}  {meta['source']:<12} {meta['type']}")
    sms = journey.sms_to(filing)
    print(f"\nSMS sent to {filing.mobile[:3]}****{filing.mobile[-4:]} ({len(sms)}):")
    for message in sms:
        print(f"  {message['text']}")
    public = requests.get(f"{deployment.url('bureau')}/public/filings", params={"number": filing.number},
                          timeout=10).json()
    sites = ", ".join(f"{w['website_number']} {w['name']} ({w['domain']})" for w in public["websites"])
    print(f"\npublic query of {filing.number} at the bureau: {public['sponsor_name']}, approved "
          f"{public['approved_at']}: {sites}")
    dead = {q["name"]: q["messages"] for q in vhost.queues() if q["name"].endswith(".dlq") and q.get("messages")}
    for name, count in dead.items():
        print(f"dead letters: {count} in {name}", file=sys.stderr)
    approved = any(filing.number in m["text"] for m in sms)
    print(f"\nfiling number: {filing.number}")
    return 0 if filing.number and approved and not dead else 1


def serve_until_stopped(deployment: Deployment, filing) -> int:
    """Leave the system running with the sample filing; print how to sign in and each message sent, until
    Ctrl-C (or SIGTERM)."""
    portal = deployment.url(PORTAL)
    print(f"\nthe portal: {portal}/  (guide and clause without signing in)")
    print(f"the sample filing: {portal}/filings/{filing.id}")
    print(f"sign in with mobile {filing.mobile}: the code comes by SMS, printed below as it is sent "
          f"(the development SMS sink, {deployment.sms_sink})")
    print("or start a filing of your own with any mobile number (11 digits starting with 1). Ctrl-C stops.\n",
          flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    sinks = {"SMS": deployment.sms_sink, "e-mail": deployment.email_sink}
    seen = {channel: len(read_jsonl(sink)) for channel, sink in sinks.items()}
    try:
        while not stopping:
            for channel, sink in sinks.items():
                sent = read_jsonl(sink)
                for message in sent[seen[channel]:]:
                    print(f"{channel} to {message['to']}: {message['text'].strip()}", flush=True)
                seen[channel] = len(sent)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    return 0


def _events(tap: BusTap, filing_id: str, quiet: float = 2.0) -> list[dict]:
    """The envelopes' meta of ``filing_id``'s events, in the order they happened, once the bus is quiet."""
    seen, last = -1, time.monotonic()
    while time.monotonic() - last < quiet:
        messages = tap.messages()
        if len(messages) != seen:
            seen, last = len(messages), time.monotonic()
        time.sleep(0.2)
    metas = [json.loads(m["body"]).get("meta") for m in messages if m["exchange"].endswith(".events")]
    return sorted((m for m in metas if m and m["correlation_id"] == filing_id), key=lambda m: m["occurred_at"])


if __name__ == "__main__":
    sys.exit(main())
