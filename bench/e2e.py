#!/usr/bin/env python
"""Filings per second through the complete automated path (issue 10): all six services as ``nameko run``
processes, each filing taken from the sponsor's draft to its filing number by ``shared.testing.journey`` with the
staff steps automated, beside bare nameko event throughput measured in the same run (design.md §7: only same-run
ratios mean anything on these small shared machines).

    python bench/e2e.py [--filings N] [--clients C] [--baseline-events M] [--json PATH] [--keep-logs] [--later-steps]

Everything is set up here and removed afterwards: RabbitMQ virtual hosts of their own (management API), a
PostgreSQL database per service at its migration head, a local S3 server, the sandbox RDAP/WHOIS server and
the sandbox authority sources; notify's file sinks stand for the sponsors' phones and mailboxes.

1. ``bare``: ``bench/null_consumer.py`` (one nameko ``@event_handler`` that does nothing) in a vhost of its own:
   started once so that nameko declares its queue, stopped; M envelopes of a real ``filing_submitted.v1``'s size
   are queued (persistent, all of them in the queue first); started again and timed from its first delivery until
   its queue is empty. Its rate, in messages delivered and acknowledged per second, is the baseline.
2. ``system``: the six services start (not timed); one warm-up filing goes through (not counted); then C client
   threads take N filings through the whole path — sign-in token (DEVELOPMENT keys: intake's per-client sign-in
   limit would stop a load test), draft, access information, two scans, the contract clause, submit, the two
   contact codes read from the sinks and confirmed, precheck's automatic pass, on site (photo, copies,
   originals, domain owner, access, agreement), the sealed form sent to the bureau, the reviewer's approval —
   until intake shows the filing number. Filings per second is N over the wall time of that phase; latency is
   submit to filing number at intake, also split by step: the on-site window and the number at intake are awaited
   on the events that announce them (tapped from the bus), the other waits poll every 0.2 s. Each filing gets an
   on-site photo of its own from the journey (201 distinct ones: verification refuses a photo it has seen), so a
   run takes at most 200 filings.
3. Messages: once the bus is quiet, the management API's counters for the vhost (they lag by its statistics
   interval, so they are read until two readings 6 s apart agree), taken before and after the phase: messages
   published (events, RPC requests and replies) and messages delivered to consumers, per filing. The system's
   message rate is the deliveries of the phase over its wall time; the ratio is that over the bare rate.

The exit status is non-zero if a filing failed, a message was dead-lettered or a process had to be killed at
the end. The last line of stdout is the report as JSON.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import shutil
import sys
import tempfile
import threading
import time
import uuid
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
warnings.filterwarnings("ignore", message=r"\s*eventlet is deprecated")  # design.md §8: that one warning only

import requests  # noqa: E402
from baseline import Baseline  # noqa: E402
from kombu import Connection, Exchange, Queue  # noqa: E402
from meters import CpuMeter, comm_cpu_seconds, cpu_seconds, percentile, resident_mb, target  # noqa: E402

from shared.contracts.envelope import make_envelope  # noqa: E402
from shared.contracts.intake import APPROVED_SITES_CHANGED, FILING_SUBMITTED  # noqa: E402
from shared.contracts.verification import ONSITE_WINDOW_OPENED  # noqa: E402
from shared.platform.crypto import CryptoConfig  # noqa: E402
from shared.testing.journey import PHOTOS, Journey  # noqa: E402
from shared.testing.samples import filing_submitted_data  # noqa: E402
from shared.testing.system import (  # noqa: E402
    ALL_SERVICES,
    MANAGEMENT,
    Deployment,
    PostgresDatabases,
    SandboxRegistry,
    Vhost,
    wait_until,
)

NULL_QUEUE = f"evt-intake-{FILING_SUBMITTED}--bench_null.on_event"
PROVINCE = "京"
TARGET_RATIO = 0.5
# issue 23's targets (CPU seconds per filing, seconds, ratios)
GOAL_VERIFICATION_CPU = 0.30
GOAL_SERVICES_CPU = 0.70
GOAL_SUBMIT_TO_NUMBER = 1.0
GOAL_MEMORY_GROWTH = 1.3
MEMORY_FIRST = 20  # verification's resident memory is read after this many filings, and again at the end


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- 1. bare nameko ---------------------------------------------------------------------------------------------


def sample_body() -> bytes:
    """A ``filing_submitted.v1`` envelope as intake publishes it (sealed with the DEVELOPMENT keys)."""
    crypto = CryptoConfig.from_config({})
    filing_id = str(uuid.uuid4())
    data = filing_submitted_data(crypto.cipher(), crypto.hasher(), filing_id=filing_id)
    return json.dumps(make_envelope(FILING_SUBMITTED, "intake", data, filing_id)).encode()


def null_consumer(work: Path, amqp_uri: str) -> Baseline:
    return Baseline("null", "null_consumer:NullConsumer", work, amqp_uri).start()


def stop(baseline: Baseline, problems: list[str]) -> None:
    _note, problem = baseline.stop()
    problems.extend([problem] if problem else [])


def depth(channel, queue: str) -> tuple[int, int]:
    """(ready messages, consumers) of ``queue`` over AMQP (no statistics lag)."""
    answer = channel.queue_declare(queue=queue, passive=True)
    return answer.message_count, answer.consumer_count


def run_bare(work: Path, events: int, problems: list[str], timeout: float = 120.0) -> dict:
    with Vhost("icp-e2e-bare") as amqp_uri, Connection(amqp_uri) as connection:
        channel = connection.channel()
        declaring = null_consumer(work, amqp_uri)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if depth(channel, NULL_QUEUE)[1]:
                    break
            except Exception:  # not declared yet: the passive declare closed the channel
                channel = connection.channel()
            time.sleep(0.2)
        stop(declaring, problems)
        body = sample_body()
        producer = connection.Producer(channel=connection.channel())
        exchange = Exchange("intake.events", type="topic", durable=True)
        published = time.monotonic()
        for _ in range(events):
            producer.publish(body, exchange=exchange, routing_key=FILING_SUBMITTED, content_type="application/json",
                             content_encoding="utf-8", delivery_mode=2, mandatory=True, retry=False)
        wait_until(f"{events} events in the null consumer's queue", lambda: depth(channel, NULL_QUEUE)[0] == events,
                   timeout=60)
        publish_s = time.monotonic() - published
        log(f"bare: {events} events of {len(body)} bytes queued in {publish_s:.1f} s; draining")
        null = null_consumer(work, amqp_uri)
        meter = CpuMeter({"null_consumer": lambda: cpu_seconds(null.process.pid),
                          "rabbitmq": lambda: comm_cpu_seconds("beam.smp")})
        first, deadline = None, time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = depth(channel, NULL_QUEUE)[0]
            if first is None and ready < events:
                first = time.monotonic()
                meter.start()
            if first is not None and ready == 0:
                break
            time.sleep(0.02)
        else:
            raise RuntimeError(f"the null consumer did not drain {events} events within {timeout:.0f} s")
        drain = time.monotonic() - first
        cpu = meter.stop()
        cpu_s = {name: round(seconds, 3) for name, seconds in meter.seconds.items()}
        stop(null, problems)
    rate = events / drain
    log(f"bare nameko: {events} events drained in {drain:.2f} s = {rate:.0f} messages/s")
    return {"events": events, "body_bytes": len(body), "drain_s": round(drain, 3), "messages_per_s": round(rate, 1),
            "cpu_cores": cpu, "cpu_s": cpu_s}


# --- 2. the system ----------------------------------------------------------------------------------------------


class Counters:
    """The vhost's message counters from the management API (cumulative; they lag by the statistics interval)."""

    def __init__(self, vhost: str):
        self.url = f"{MANAGEMENT}/api/vhosts/{vhost}"

    def read(self) -> dict:
        stats = requests.get(self.url, timeout=10).json().get("message_stats") or {}
        return {"published": stats.get("publish", 0), "delivered": stats.get("deliver_get", 0)}

    def settled(self, interval: float = 6.0, timeout: float = 90.0) -> dict:
        """The counters once two readings ``interval`` apart agree (the bus is quiet and the statistics caught up)."""
        previous, deadline = self.read(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(interval)
            current = self.read()
            if current == previous:
                return current
            previous = current
        raise RuntimeError(f"the message counters did not settle within {timeout:.0f} s: {previous}")


class EventTap:
    """The two events a filing's waits are for, tapped from the bus as they are published: verification's
    ``onsite_window_opened`` (the on-site window is open) and intake's ``approved_sites_changed`` (intake has the
    filing number: it is published in the transaction that records it). Waiting on them instead of polling every
    0.2 s takes the bench's own polling out of the latency. Its deliveries (``tapped``) are not the system's."""

    BINDINGS = (("verification", ONSITE_WINDOW_OPENED), ("intake", APPROVED_SITES_CHANGED))

    def __init__(self, amqp_uri: str):
        self.connection = Connection(amqp_uri, connect_timeout=30)
        self.queue = Queue(f"bench-tap-{uuid.uuid4().hex[:8]}", durable=False, auto_delete=True, bindings=[])
        channel = self.connection.default_channel
        bound = self.queue(channel)
        bound.declare()
        for source, event_type in self.BINDINGS:
            exchange = Exchange(f"{source}.events", type="topic", durable=True)
            exchange(channel).declare()
            bound.bind_to(exchange=exchange, routing_key=event_type)
        self.seen: dict[tuple[str, str], threading.Event] = {}
        self.lock, self.tapped, self.running = threading.Lock(), 0, True
        self.thread = threading.Thread(target=self._consume, name="event-tap", daemon=True)
        self.thread.start()

    def _event(self, correlation_id: str, event_type: str) -> threading.Event:
        with self.lock:
            return self.seen.setdefault((correlation_id, event_type), threading.Event())

    def _on_message(self, body, message) -> None:
        meta = body.get("meta", {}) if isinstance(body, dict) else {}
        self.tapped += 1
        self._event(str(meta.get("correlation_id")), str(meta.get("type"))).set()
        message.ack()

    def _consume(self) -> None:
        with self.connection.Consumer(self.queue, callbacks=[self._on_message], accept=["json"]):
            while self.running:
                try:
                    self.connection.drain_events(timeout=0.5)
                except TimeoutError:
                    continue

    def wait(self, filing_id: str, event_type: str, timeout: float = 120.0) -> None:
        if not self._event(filing_id, event_type).wait(timeout):
            raise TimeoutError(f"no {event_type} for {filing_id} within {timeout:.0f} s")

    def close(self) -> None:
        self.running = False
        self.thread.join(5)
        self.connection.release()


def one_filing(journey: Journey, tap: EventTap) -> dict:
    """The complete path for one filing (``Journey.happy_path``'s steps), timing submit -> filing number and each
    step after the submission; the window and the number are awaited on the tapped events."""
    filing = journey.new_filing()
    journey.sign_in(filing, by_sms=False)
    journey.draft(filing)
    steps, submitted = {}, time.monotonic()
    last = submitted

    def step(name: str) -> None:
        nonlocal last
        now = time.monotonic()
        steps[name], last = now - last, now

    journey.submit(filing)
    step("submit")
    journey.confirm_contacts(filing)
    step("codes_received_and_confirmed")
    tap.wait(filing.id, ONSITE_WINDOW_OPENED)
    step("window_open")
    journey.verify_on_site(filing)
    step("on_site_steps")
    decided = journey.decide_on_site(filing)
    step("decision_and_form")
    if decided["state"] != "sent_to_bureau":
        raise RuntimeError(f"on-site decision {decided['state']}: {decided.get('reasons')}")
    journey.await_review(filing)
    step("review_pending_at_bureau")
    journey.approve_only(filing)
    tap.wait(filing.id, APPROVED_SITES_CHANGED)
    number = journey.intake_view(filing)["filing_number"]
    step("approval_to_number_at_intake")
    return {"filing_id": filing.id, "number": number, "submit_to_number_s": time.monotonic() - submitted,
            "steps": steps}


def run_system(deployment: Deployment, vhost: Vhost, vhost_uri: str, filings: int, clients: int,
               problems: list[str]) -> dict:
    journey = Journey.of(deployment, timeout=120.0)
    tap = EventTap(vhost_uri)
    started = time.monotonic()
    one_filing(journey, tap)
    journey.close()
    log(f"warm-up filing through in {time.monotonic() - started:.1f} s; waiting for the counters to settle")
    counters = Counters(vhost.name)
    before = counters.settled()
    tapped_before = tap.tapped
    processes = deployment.processes
    meter = CpuMeter({**{name: (lambda p=p: cpu_seconds(p.pid)) for name, p in processes.items()},
                      "rabbitmq": lambda: comm_cpu_seconds("beam.smp"),
                      "postgres": lambda: comm_cpu_seconds("postgres")})
    local = threading.local()
    verification = processes["verification"].pid
    memory = {"start_mb": resident_mb(verification)}
    finished, lock = [0], threading.Lock()

    def task(_) -> dict:
        if not hasattr(local, "journey"):
            local.journey = Journey.of(deployment, timeout=120.0)
        try:
            return one_filing(local.journey, tap)
        except Exception as exc:  # counted and reported; the run goes on
            return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        finally:
            with lock:
                finished[0] += 1
                if finished[0] == MEMORY_FIRST:
                    memory[f"after_{MEMORY_FIRST}_mb"] = resident_mb(verification)

    log(f"system: {filings} filings, {clients} clients")
    meter.start()
    phase = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients, thread_name_prefix="sponsor") as pool:
        results = list(pool.map(task, range(filings)))
    wall = time.monotonic() - phase
    cpu = meter.stop()
    memory["end_mb"] = resident_mb(verification)
    after = counters.settled()
    tapped = tap.tapped - tapped_before
    tap.close()
    done = [r for r in results if "number" in r]
    failed = [r["error"] for r in results if "error" in r]
    problems += [f"filing failed: {e}" for e in failed[:5]]
    numbers = [r["number"] for r in done]
    if len(set(numbers)) > 1:
        problems.append("the one sample unit got more than one sponsor number (X1)")
    latencies = [r["submit_to_number_s"] for r in done]
    step_p50 = {name: _s(percentile([r["steps"][name] for r in done], 50))
                for name in (done[0]["steps"] if done else ())}
    published, delivered = (after[k] - before[k] for k in ("published", "delivered"))
    delivered -= tapped  # the bench's own copies of two events per filing
    per_filing = {"published": round(published / len(done), 1) if done else None,
                  "delivered": round(delivered / len(done), 1) if done else None}
    log(f"system: {len(done)} filings in {wall:.1f} s = {len(done) / wall:.2f}/s; {per_filing} messages per filing")
    return {"filings": filings, "clients": clients, "done": len(done), "failed": len(failed), "wall_s": round(wall, 2),
            "filings_per_s": round(len(done) / wall, 3), "messages_per_filing": per_filing,
            "messages_delivered_per_s": round(delivered / wall, 1),
            "messages_published_per_s": round(published / wall, 1),
            "submit_to_number_p50_s": _s(percentile(latencies, 50)),
            "submit_to_number_p99_s": _s(percentile(latencies, 99)),
            "submit_to_number_max_s": _s(max(latencies, default=None)), "step_p50_s": step_p50, "cpu_cores": cpu,
            "cpu_s_per_filing": {name: round(seconds / len(done), 4) if done else None
                                 for name, seconds in meter.seconds.items()},
            "six_services_cpu_s_per_filing": round(sum(meter.seconds[n] for n in processes) / len(done), 4)
            if done else None,
            "verification_memory": {k: round(v, 1) for k, v in memory.items()}}


def measure_floor(bare: dict, delivered_per_filing: float | None, rounds: int = 10) -> dict:
    """What a filing's essential work costs, measured here, in this process (issue 23): the three seals at the bare
    pyHanko floor (``bench/seal.py``), the three documents rendered, one photo check, and the bare nameko cost of
    the filing's deliveries (the null consumer's CPU per message times the deliveries)."""
    import seal
    from seal import FloorSigner, cpu_per_op, form_content, sign

    from shared.testing.faces import backdrop_photo
    from verification import forms, photos

    content, thumb = form_content(), photos.thumbnail(backdrop_photo())
    pdf, signer = forms.render_form(content, "bureau", thumb), FloorSigner()
    reserved = forms.Sealer(seal.KEY, seal.CERT).bytes_reserved
    photo = backdrop_photo(faces=(3,), seed=5)
    ms = {
        "three_seals": 3 * cpu_per_op(lambda: sign(pdf, signer, reserved), rounds)["median_ms"],
        "render": cpu_per_op(lambda: (forms.render_form(content, "provider", thumb),
                                      forms.render_form(content, "bureau", thumb),
                                      forms.render_agreement(seal.AGREEMENT)), rounds)["median_ms"],
        "photo_check": cpu_per_op(lambda: photos.check_photo(photo), rounds)["median_ms"],
    }
    per_message_ms = bare["cpu_s"]["null_consumer"] / bare["events"] * 1000
    ms["messages"] = per_message_ms * (delivered_per_filing or 0)
    floor = {f"{name}_s": round(value / 1000, 4) for name, value in ms.items()}
    floor["bare_nameko_per_message_ms"] = round(per_message_ms, 4)
    floor["verification_s"] = round((ms["three_seals"] + ms["render"] + ms["photo_check"]) / 1000, 4)
    floor["total_s"] = round(sum(ms.values()) / 1000, 4)
    return floor



def _s(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# Issue 23's targets are for the workflow as it stood (no OCR, no MIIT SMS step, no face comparison: the journey
# gives no consent); the steps added since are measured on their own with --later-steps.
LATER_STEPS_OFF = {"intake": {"INTAKE_READ_SCANS": "false"}, "precheck": {"PRECHECK_RULEBOOK": "2026.1"},
                   "bureau": {"BUREAU_MIIT_CHECK": "false"}}


def service_env(registry: SandboxRegistry, later_steps: bool) -> dict:
    env = {"verification": registry.verification_env, "bureau": {"BUREAU_PROVINCE": PROVINCE}}
    for service, settings in ({} if later_steps else LATER_STEPS_OFF).items():
        env[service] = {**env.get(service, {}), **settings}
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filings", type=int, default=40, help="filings through the timed phase (default 40)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent sponsors (default 4)")
    parser.add_argument("--baseline-events", type=int, default=5000, help="events for the bare drain (default 5000)")
    parser.add_argument("--log-level", default="INFO", help="the services' LOG_LEVEL (default INFO, as deployed)")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--keep-logs", action="store_true", help="keep the service logs even after a clean run")
    parser.add_argument("--later-steps", action="store_true",
                        help="with the steps added after issue 23's baseline, as deployed by default: intake reads "
                             "the scans by OCR with precheck's rulebook 2026.2 (X7) and the bureau's MIIT SMS check "
                             "(X2); without it, the workflow the issue's targets are set for (measured on their own)")
    args = parser.parse_args()
    if args.filings + 1 > len(PHOTOS):
        parser.error(f"at most {len(PHOTOS) - 1} filings: the journey has {len(PHOTOS)} distinct on-site photos")
    work = Path(tempfile.mkdtemp(prefix="icp-bench-e2e-"))
    problems: list[str] = []
    began = time.monotonic()
    bare = run_bare(work, args.baseline_events, problems)
    vhost = Vhost("icp-e2e")
    with vhost as amqp_uri, PostgresDatabases("bench_e2e") as databases, \
            SandboxRegistry(work / "registry.log") as registry:
        deployment = Deployment(
            ALL_SERVICES, work, amqp_uri, databases.make,
            env={"NOTIFY_RETRY_BASE_SECONDS": "1", "AUTHORITY_MODE": "sandbox", "LOG_LEVEL": args.log_level},
            service_env=service_env(registry, args.later_steps))
        try:
            deployment.start()
            log(f"six services started; logs in {work}")
            system = run_system(deployment, vhost, amqp_uri, args.filings, args.clients, problems)
            problems += [f"{q['messages']} dead letters in {q['name']}" for q in vhost.queues()
                         if q["name"].endswith(".dlq") and q.get("messages")]
        finally:
            problems += deployment.stop()
    ratio = system["messages_delivered_per_s"] / bare["messages_per_s"]
    floor = measure_floor(bare, system["messages_per_filing"]["delivered"])
    report = {"bare": bare, "system": system, "floor": floor, "ratio": round(ratio, 4), "target_ratio": TARGET_RATIO,
              "target_met": ratio >= TARGET_RATIO, "problems": problems, "run_s": round(time.monotonic() - began, 1)}
    print(f"bare nameko events          {bare['messages_per_s']:>10.1f} messages/s")
    print(f"system                      {system['filings_per_s']:>10.3f} filings/s, "
          f"{system['messages_delivered_per_s']:.1f} messages delivered/s")
    print(f"messages per filing         {system['messages_per_filing']['delivered']:>10} delivered, "
          f"{system['messages_per_filing']['published']} published")
    met = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(f"ratio system / bare         {ratio:>10.4f} (target {TARGET_RATIO}: {met})")
    print(f"submit -> filing number     p50 {system['submit_to_number_p50_s']} s, "
          f"p99 {system['submit_to_number_p99_s']} s")
    print(f"p50 of each step            {system['step_p50_s']}")
    print(f"cores used during the phase {system['cpu_cores']}")
    per_filing = system["cpu_s_per_filing"]
    print("CPU seconds per filing      " + ", ".join(f"{name} {value}" for name, value in per_filing.items())
          + f"; the six services {system['six_services_cpu_s_per_filing']}")
    print(f"floor, same run             verification {floor['verification_s']} s (three seals at the bare pyHanko "
          f"floor {floor['three_seals_s']}, render {floor['render_s']}, photo check {floor['photo_check_s']}), "
          f"bare nameko for the deliveries {floor['messages_s']} s; in all {floor['total_s']} s")
    memory = system["verification_memory"]
    print(f"verification's memory       {memory}")
    growth = (memory["end_mb"] / memory[f"after_{MEMORY_FIRST}_mb"]
              if memory.get(f"after_{MEMORY_FIRST}_mb") else None)
    print(target("verification_cpu_s_per_filing", per_filing.get("verification"), GOAL_VERIFICATION_CPU))
    print(target("six_services_cpu_s_per_filing", system["six_services_cpu_s_per_filing"], GOAL_SERVICES_CPU))
    print(target("submit_to_number_p50_s", system["submit_to_number_p50_s"], GOAL_SUBMIT_TO_NUMBER,
                 "" if args.clients == 1 else f" (at {args.clients} clients; the goal is for 1)"))
    print(target("verification_memory_growth", growth, GOAL_MEMORY_GROWTH,
                 f" (after {system['done']} filings over after {MEMORY_FIRST})"))
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    if not problems and not args.keep_logs:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
