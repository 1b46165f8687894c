#!/usr/bin/env python
"""Intake submissions per second and p50/p99 latency, as a ratio against a bare nameko HTTP echo measured
in the same run (design.md §7: these machines are noisy, so only same-run ratios mean anything).

    python bench/intake_submit.py [--seconds N] [--clients 1,20] [--json PATH] [--keep-logs]

Everything is set up here and removed afterwards, also on error or Ctrl-C, by ``shared.testing.system``: a fresh
PostgreSQL database at intake's migration head, a fresh RabbitMQ vhost (``AMQP_URI`` / ``RABBIT_API_URI``'s
broker), the local S3 server (moto), a tap queue bound to ``intake.events`` with ``#`` (so every published event
is routable, and counted at the end), and two ``nameko run`` processes: intake (a ``Deployment`` of it) and the
baseline ``bench/echo_service.py`` (``bench/baseline.py``).

Measured, at each number of concurrent clients (threads, one ``requests.Session`` each):

- ``echo``:   ``POST /echo`` with a body the size of a submit answer (the answer of a warm-up submit);
- ``submit``: ``POST /filings/<id>/submit`` on complete drafts prepared before timing starts (data, access
  information, two scans, the accepted W3 clause), each with a fresh ``Idempotency-Key``;
- ``full``:   the whole sponsor path, one op = create + access + 2 uploads + accept + submit (6 requests).

Each phase runs for ``--seconds`` (``submit`` stops early if its prepared drafts run out; the table says so).
Throughput counts successful ops over the phase's wall time; any non-2xx answer or exception is counted and
shown, never hidden. The figures are printed as a table and as JSON on stdout's last line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import queue
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import requests  # noqa: E402
from baseline import Baseline, stop_deployment  # noqa: E402
from meters import comm_cpu_seconds, cpu_seconds, percentile  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from shared.contracts.intake import FILING_SUBMITTED  # noqa: E402
from shared.testing.http import sponsor_token, token  # noqa: E402
from shared.testing.samples import ACCESS, png, unit_filing  # noqa: E402
from shared.testing.system import BusTap, Deployment, PostgresDatabases, Vhost, wait_until  # noqa: E402

SPONSOR = {"Authorization": f"Bearer {sponsor_token(ttl=24 * 3600)}"}
_STAFF_TOKEN = token("onsite_verifier", "bench-verifier", provider="provider-bench", ttl=24 * 3600)
STAFF = {"Authorization": f"Bearer {_STAFF_TOKEN}"}
SCAN_KINDS = ("sponsor_document", "responsible_person_document")
PREP_CLIENTS = 20


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def intake_events(tap: BusTap) -> list[dict]:
    """Every event intake published since the tap was made (``intake.events``: the only exchange it binds)."""
    return [json.loads(m["body"]) for m in tap.messages() if m["exchange"] == "intake.events"]


def wait_for_events(tap: BusTap, expected: int, timeout: float) -> int:
    deadline, seen = time.monotonic() + timeout, len(intake_events(tap))
    while seen < expected and time.monotonic() < deadline:
        time.sleep(0.25)
        seen = len(intake_events(tap))
    return seen


# --- clients ----------------------------------------------------------------------------------------


class Failed(Exception):
    """A non-2xx answer (or an answer that is not what the step promises)."""

    def __init__(self, step: str, response: requests.Response):
        super().__init__(f"{step} -> {response.status_code}: {response.text[:300]}")
        self.key = f"{step} {response.status_code}"


class IntakeClient:
    """One sponsor (and the staff member who records access information), on one ``requests.Session``."""

    def __init__(self, base: str, clause_sha256: str):
        self.base = base
        self.clause_sha256 = clause_sha256
        self.http = requests.Session()
        self.scan = png()

    def post(self, path: str, actor: dict = SPONSOR, **kwargs) -> requests.Response:
        headers = {**actor, "Idempotency-Key": uuid.uuid4().hex, **kwargs.pop("headers", {})}
        return self.http.post(self.base + path, headers=headers, timeout=60, **kwargs)

    def prepare(self, steps: dict[str, list[float]] | None = None) -> str:
        """A complete draft, ready to submit (conftest ``_complete_draft``); returns its id."""

        def timed(step: str, expected: int, call) -> requests.Response:
            started = time.perf_counter()
            response = call()
            if steps is not None:
                steps.setdefault(step, []).append(time.perf_counter() - started)
            if response.status_code != expected:
                raise Failed(step, response)
            return response

        filing_id = timed("create", 201, lambda: self.post("/filings", json=unit_filing())).json()["id"]
        timed(
            "access",
            200,
            lambda: self.http.put(
                f"{self.base}/filings/{filing_id}/access", json=ACCESS, headers=STAFF, timeout=60
            ),
        )
        for kind in SCAN_KINDS:
            timed(
                "upload",
                201,
                lambda kind=kind: self.post(
                    f"/filings/{filing_id}/documents",
                    params={"kind": kind},
                    data=self.scan,
                    headers={"Content-Type": "image/png"},
                ),
            )
        timed(
            "accept",
            200,
            lambda: self.post(
                f"/filings/{filing_id}/contract-acceptance",
                json={"clause_sha256": self.clause_sha256, "accepted": True},
            ),
        )
        return filing_id

    def close(self) -> None:
        self.http.close()

    def submit(self, filing_id: str) -> requests.Response:
        response = self.post(f"/filings/{filing_id}/submit")
        if response.status_code != 200 or response.json().get("state") != "submitted":
            raise Failed("submit", response)
        return response


class Phase:
    """Runs ``op(worker_state) -> filing id or None`` on ``clients`` threads until ``seconds`` pass or an op
    raises ``Exhausted``; collects latencies of successful ops, failures by kind, submitted filing ids."""

    class Exhausted(Exception):
        pass

    def __init__(self, name: str, clients: int, seconds: float, make_state, op, cpu_meters: dict):
        self.name, self.clients, self.seconds = name, clients, seconds
        self.make_state, self.op, self.cpu_meters = make_state, op, cpu_meters
        self.samples: list[tuple[float, float]] = []  # (start, latency) of each successful op
        self.failures: Counter = Counter()
        self.failure_samples: list[str] = []
        self.submitted: list[str] = []
        self.exhausted = False
        self.steps: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _worker(self, barrier: threading.Barrier, deadline_box: list, stop: threading.Event) -> None:
        state = self.make_state()
        try:
            self._loop(state, barrier, deadline_box, stop)
        finally:
            state.close()  # an idle keep-alive connection keeps a nameko HTTP server from stopping

    def _loop(self, state, barrier: threading.Barrier, deadline_box: list, stop: threading.Event) -> None:
        samples, submitted, steps = [], [], {}
        barrier.wait()
        deadline = deadline_box[0]
        while not stop.is_set() and time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                filing_id = self.op(state, steps)
            except Phase.Exhausted:
                self.exhausted = True
                break
            except Failed as exc:
                self._fail(exc.key, str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - a connection error is a measured failure, not a crash
                self._fail(type(exc).__name__, repr(exc))
                continue
            samples.append((started, time.perf_counter() - started))
            if filing_id:
                submitted.append(filing_id)
        with self._lock:
            self.samples += samples
            self.submitted += submitted
            for step, values in steps.items():
                self.steps.setdefault(step, []).extend(values)

    def _fail(self, key: str, detail: str) -> None:
        with self._lock:
            self.failures[key] += 1
            if len(self.failure_samples) < 5:
                self.failure_samples.append(detail)

    def run(self, stop: threading.Event) -> dict:
        deadline_box: list[float] = []
        barrier = threading.Barrier(self.clients + 1)
        threads = [
            threading.Thread(
                target=self._worker, args=(barrier, deadline_box, stop), daemon=True, name=f"{self.name}-{i}"
            )
            for i in range(self.clients)
        ]
        for thread in threads:
            thread.start()
        cpu_before = {name: meter() for name, meter in self.cpu_meters.items()}
        client_cpu_before = time.process_time()
        started = time.perf_counter()
        deadline_box.append(started + self.seconds)
        barrier.wait()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        cpu = {name: round((meter() - cpu_before[name]) / wall, 2) for name, meter in self.cpu_meters.items()}
        cpu["bench_client"] = round((time.process_time() - client_cpu_before) / wall, 2)
        ordered = sorted(latency for _, latency in self.samples)
        slowest = sorted(self.samples, key=lambda sample: sample[1], reverse=True)[:5]
        result = {
            "phase": self.name,
            "clients": self.clients,
            "ops": len(ordered),
            "wall_s": round(wall, 3),
            "ops_per_s": round(len(ordered) / wall, 2) if wall else None,
            "p50_ms": _ms(percentile(ordered, 50)),
            "p99_ms": _ms(percentile(ordered, 99)),
            "max_ms": _ms(ordered[-1] if ordered else None),
            "mean_ms": _ms(sum(ordered) / len(ordered) if ordered else None),
            "slowest_at_s_ms": [[round(at - started, 2), _ms(latency)] for at, latency in slowest],
            "failures": dict(self.failures),
            "failure_samples": self.failure_samples,
            "stopped_early_no_drafts_left": self.exhausted,
            "cpu_cores_used": cpu,
        }
        if self.steps:
            result["step_p50_ms"] = {step: _ms(percentile(sorted(v), 50)) for step, v in self.steps.items()}
            result["step_p99_ms"] = {step: _ms(percentile(sorted(v), 99)) for step, v in self.steps.items()}
        return result


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def _ratio(a, b) -> float | None:
    return round(a / b, 3) if a is not None and b else None


# --- the benchmark ----------------------------------------------------------------------------------


def prepare_drafts(base: str, clause: str, drafts: queue.SimpleQueue, count: int, stop: threading.Event) -> dict:
    """Add ``count`` complete drafts to ``drafts``, made on PREP_CLIENTS threads (not a figure; its rate is
    shown)."""
    before = drafts.qsize()
    remaining = iter(range(count))
    lock = threading.Lock()
    failures: Counter = Counter()
    samples: list[str] = []

    def work() -> None:
        client = IntakeClient(base, clause)
        try:
            while not stop.is_set():
                with lock:
                    if next(remaining, None) is None:
                        return
                try:
                    drafts.put(client.prepare())
                except Exception as exc:  # noqa: BLE001
                    with lock:
                        failures[getattr(exc, "key", type(exc).__name__)] += 1
                        if len(samples) < 5:
                            samples.append(str(exc)[:300])
        finally:
            client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(min(PREP_CLIENTS, max(count, 1)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    made = drafts.qsize() - before
    info = {
        "carried_over": before,
        "requested": count,
        "made": made,
        "wall_s": round(wall, 2),
        "drafts_per_s": round(made / wall, 2) if wall else None,
        "failures": dict(failures),
        "failure_samples": samples,
    }
    log(
        f"prepared {made}/{count} drafts in {wall:.1f} s ({info['drafts_per_s']}/s), {before} carried over"
        + (f"; failures {dict(failures)}" if failures else "")
    )
    return info


def run(args: argparse.Namespace, stack: contextlib.ExitStack, work: Path, stop: threading.Event) -> dict:
    t0 = time.perf_counter()
    notes: list[str] = []  # how the processes stopped (filled during teardown)
    problems: list[str] = []  # a process that had to be killed or exited with an error
    vhost = Vhost("bench-intake")
    amqp_uri = stack.enter_context(vhost)
    databases = stack.enter_context(PostgresDatabases("bench_intake"))
    tap = BusTap(amqp_uri, vhost, services=("intake",))  # before intake starts: intake.events is its only exchange
    stack.callback(tap.close)
    deployment = Deployment(("intake",), work, amqp_uri, databases.make, env={
        "PROVIDER_ID": "provider-bench", "INTAKE_BUCKET": f"bench-intake-{uuid.uuid4().hex[:10]}",
        "LOG_LEVEL": "WARNING"})

    def stop_services() -> None:
        stopped, failed = stop_deployment(deployment)
        notes.extend(stopped)
        problems.extend(failed)

    stack.callback(stop_services)
    deployment.start()
    baseline = Baseline("echo", "echo_service:EchoService", work, amqp_uri, http=True).start()

    def stop_echo() -> None:
        note, problem = baseline.stop()
        notes.append(note)
        problems.extend([problem] if problem else [])

    stack.callback(stop_echo)
    intake, echo = deployment.url("intake"), baseline.url

    def echo_ready() -> bool:
        baseline.check_alive()
        try:
            return requests.post(f"{echo}/echo", data=b"ping", timeout=2).content == b"ping"
        except requests.RequestException:
            return False

    wait_until("the echo baseline", echo_ready, timeout=60)
    setup_s = time.perf_counter() - t0
    log(f"set up in {setup_s:.1f} s (logs in {work})")
    meters = {name: (lambda pid=p.pid: cpu_seconds(pid)) for name, p in deployment.processes.items()}
    meters["echo"] = lambda pid=baseline.process.pid: cpu_seconds(pid)
    meters["postgres"] = lambda: comm_cpu_seconds("postgres")

    # Warm-up: a few sequential full paths (also the submit answer whose size the echo body copies).
    clause = requests.get(f"{intake}/contract-clause", headers=SPONSOR, timeout=10).json()["clause_sha256"]
    warm = IntakeClient(intake, clause)
    submitted: list[str] = []
    warm_submit: list[float] = []
    submit_body = b""
    for _ in range(args.warmup):
        filing_id = warm.prepare()
        started = time.perf_counter()
        submit_body = warm.submit(filing_id).content
        warm_submit.append(time.perf_counter() - started)
        submitted.append(filing_id)
    warm.close()
    with requests.Session() as echo_session:
        for _ in range(20):
            answer = echo_session.post(f"{echo}/echo", data=submit_body, headers={"Content-Type": "application/json"})
            answer.raise_for_status()
    rate_guess = 1 / sorted(warm_submit)[len(warm_submit) // 2]  # the median: the first submits are slow
    log(f"warm-up: {args.warmup} submits, median {1000 / rate_guess:.1f} ms; submit answer {len(submit_body)} bytes")

    def echo_op(session, _steps):
        headers = {"Content-Type": "application/json", **SPONSOR}
        response = session.post(
            f"{echo}/echo", data=submit_body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex}, timeout=60
        )
        if response.status_code != 200 or len(response.content) != len(submit_body):
            raise Failed("echo", response)
        return None

    results: list[dict] = []
    prep: dict[int, dict] = {}
    drafts: queue.SimpleQueue = queue.SimpleQueue()  # complete drafts; what one level leaves, the next uses
    measured: tuple[int, float] | None = None  # (clients, submits/s) of the last level measured
    for clients in args.clients:
        if stop.is_set():
            break
        # Enough drafts for --seconds at the expected rate, with head-room: from the warm-up for the first
        # level, else from the last level's measured rate (concurrency on 2 cores adds up to ~2x, not 20x).
        # What one level leaves over, the next one uses.
        if measured is None:
            expected = rate_guess * (2.0 if clients == 1 else 4.0)
        else:
            expected = measured[1] * (2.0 if clients > measured[0] else 1.3)
        wanted = math.ceil(expected * args.seconds) + clients
        to_make = max(0, min(args.max_drafts, wanted) - drafts.qsize())
        prep[clients] = prepare_drafts(intake, clause, drafts, to_make, stop)

        def submit_op(client, _steps):
            try:
                filing_id = drafts.get_nowait()
            except queue.Empty:
                raise Phase.Exhausted from None
            client.submit(filing_id)
            return filing_id

        def full_op(client, steps):
            filing_id = client.prepare(steps)
            started = time.perf_counter()
            client.submit(filing_id)
            steps.setdefault("submit", []).append(time.perf_counter() - started)
            return filing_id

        level = {}
        for name, make_state, op in (
            ("echo", requests.Session, echo_op),
            ("submit", lambda: IntakeClient(intake, clause), submit_op),
            ("full", lambda: IntakeClient(intake, clause), full_op),
        ):
            if stop.is_set():
                break
            if name == "full" and args.no_full:
                continue
            phase = Phase(name, clients, args.seconds, make_state, op, meters)
            result = phase.run(stop)
            submitted += phase.submitted
            level[name] = result
            results.append(result)
            log(
                f"{name:>6} x{clients:<3} {result['ops']:>6} ops  {result['ops_per_s']:>8} /s  "
                f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms  failures {result['failures'] or 0}"
                + ("  (drafts ran out)" if result["stopped_early_no_drafts_left"] else "")
            )
        if level.get("submit", {}).get("ops_per_s") and not level["submit"]["stopped_early_no_drafts_left"]:
            measured = (clients, level["submit"]["ops_per_s"])
        elif level.get("submit", {}).get("ops_per_s"):
            measured = (clients, level["submit"]["ops_per_s"] * 1.3)  # ran out: the real rate is higher

    # Every successful submit must have published exactly one filing_submitted.v1.
    expected = len(submitted)
    seen = wait_for_events(tap, expected, timeout=args.event_timeout)
    time.sleep(1.0)  # anything beyond the expected count would show up here
    messages = intake_events(tap)
    types = Counter(m.get("meta", {}).get("type") for m in messages)
    correlation = Counter(m.get("meta", {}).get("correlation_id") for m in messages)
    missing = set(submitted) - set(correlation)
    duplicated = sorted(cid for cid, n in correlation.items() if n > 1)
    engine = create_engine(deployment.databases["intake"])
    try:
        with engine.connect() as connection:
            pending = connection.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar_one()
            outbox_rows = connection.execute(text("SELECT count(*) FROM outbox")).scalar_one()
    finally:
        engine.dispose()
    event_check = {
        "successful_submits": expected,
        "events_seen": len(messages),
        "events_counted_before_drain": seen,
        "event_types": dict(types),
        "submitted_without_event": len(missing),
        "filings_with_more_than_one_event": len(duplicated),
        "outbox_rows": outbox_rows,
        "outbox_unpublished": pending,
        "ok": len(messages) == expected and not missing and not duplicated and set(types) <= {FILING_SUBMITTED},
    }

    comparisons = []
    by_key = {(r["phase"], r["clients"]): r for r in results}
    for clients in args.clients:
        base = by_key.get(("echo", clients))
        for name in ("submit", "full"):
            r = by_key.get((name, clients))
            if not base or not r:
                continue
            comparisons.append(
                {
                    "what": name,
                    "clients": clients,
                    "throughput_ratio": _ratio(r["ops_per_s"], base["ops_per_s"]),
                    "p50_ratio": _ratio(r["p50_ms"], base["p50_ms"]),
                    "p99_ratio": _ratio(r["p99_ms"], base["p99_ms"]),
                }
            )
    return {
        "bench": "intake_submit",
        "seconds_per_phase": args.seconds,
        "cpu_count": os.cpu_count(),
        "setup_s": round(setup_s, 2),
        "echo_body_bytes": len(submit_body),
        "warmup_submits": args.warmup,
        "draft_preparation": prep,
        "results": results,
        "ratios_vs_echo": comparisons,
        "events": event_check,
        "teardown": notes,  # filled when the caller's ExitStack closes
        "teardown_problems": problems,
    }


def print_report(report: dict) -> None:
    out = sys.stdout
    print(
        f"\nintake submit benchmark: {report['seconds_per_phase']} s per phase, {report['cpu_count']} CPUs, "
        f"echo body {report['echo_body_bytes']} bytes (the size of a submit answer)",
        file=out,
    )
    print("  echo   = bare nameko @http POST /echo (baseline, same run)", file=out)
    print("  submit = POST /filings/<id>/submit on a prepared complete draft", file=out)
    print("  full   = create + access + 2 uploads + accept + submit (6 requests per op)\n", file=out)
    header = (
        f"{'phase':<8}{'clients':>8}{'ops':>8}{'ops/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}"
        f"{'failed':>8}  cpu (cores)"
    )
    print(header, file=out)
    print("-" * len(header) + "-" * 30, file=out)
    for r in report["results"]:
        cpu = " ".join(f"{k}={v}" for k, v in r["cpu_cores_used"].items())
        note = "  [drafts ran out]" if r["stopped_early_no_drafts_left"] else ""
        print(
            f"{r['phase']:<8}{r['clients']:>8}{r['ops']:>8}{r['ops_per_s']:>10}{r['p50_ms']:>10}{r['p99_ms']:>10}"
            f"{r['max_ms']:>10}{sum(r['failures'].values()):>8}  {cpu}{note}",
            file=out,
        )
    print("\nratios against the echo at the same number of clients (intake / echo):", file=out)
    print(f"{'what':<8}{'clients':>8}{'throughput':>12}{'p50':>10}{'p99':>10}", file=out)
    for c in report["ratios_vs_echo"]:
        print(
            f"{c['what']:<8}{c['clients']:>8}{c['throughput_ratio']:>12}{c['p50_ratio']:>10}{c['p99_ratio']:>10}",
            file=out,
        )
    full = [r for r in report["results"] if r["phase"] == "full" and "step_p50_ms" in r]
    for r in full:
        steps = ", ".join(f"{k} {v}" for k, v in r["step_p50_ms"].items())
        print(f"\nfull path x{r['clients']}, p50 per step (ms): {steps}", file=out)
    print("\nslowest ops per phase ([seconds into the phase, ms]):", file=out)
    for r in report["results"]:
        print(f"  {r['phase']:<7}x{r['clients']:<3} mean {r['mean_ms']} ms; {r['slowest_at_s_ms']}", file=out)
    for r in report["results"]:
        for sample in r["failure_samples"]:
            print(f"failure in {r['phase']} x{r['clients']}: {sample}", file=out)
    e = report["events"]
    print(
        f"\nevents: {e['events_seen']} published to intake.events for {e['successful_submits']} successful "
        f"submits (types {e['event_types']}; submits without event {e['submitted_without_event']}, "
        f"filings with >1 event {e['filings_with_more_than_one_event']}, outbox unpublished "
        f"{e['outbox_unpublished']}) -> {'OK' if e['ok'] else 'MISMATCH'}",
        file=out,
    )
    print("teardown: " + "; ".join(report["teardown"]), file=out)
    print(
        f"set-up {report['setup_s']} s; draft preparation: "
        + "; ".join(
            f"x{k}: {v['made']} made in {v['wall_s']} s ({v['drafts_per_s']}/s) + {v['carried_over']} carried over"
            for k, v in report["draft_preparation"].items()
        ),
        file=out,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each timed phase (default 5)")
    parser.add_argument("--clients", default="1,20", help="comma-separated concurrent clients (default 1,20)")
    parser.add_argument("--warmup", type=int, default=5, help="sequential full paths before timing (default 3)")
    parser.add_argument("--max-drafts", type=int, default=1200, help="cap on drafts prepared per level")
    parser.add_argument("--no-full", action="store_true", help="skip the full sponsor path phases")
    parser.add_argument("--event-timeout", type=float, default=30.0, help="wait for the relay (default 30 s)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--keep-logs", action="store_true", help="keep the service logs even on success")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",") if c.strip()]
    if not args.clients or min(args.clients) < 1 or args.seconds <= 0 or args.warmup < 1:
        parser.error("--clients needs positive integers, --seconds > 0, --warmup >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()

    def on_term(signum, _frame):
        stop.set()
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    ok = False
    try:
        with contextlib.ExitStack() as stack:
            try:
                report = run(args, stack, work, stop)
            finally:
                stop.set()
                log("tearing down (services, S3, database, vhost)")
        print_report(report)
        line = json.dumps(report, ensure_ascii=False, separators=(",", ":"))
        if args.json:
            args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        print(line)
        ok = (
            report["events"]["ok"]
            and not any(r["failures"] for r in report["results"])
            and not report["teardown_problems"]
        )
        return 0 if ok else 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if ok and not args.keep_logs:
            for path in work.iterdir():
                path.unlink()
            work.rmdir()
        else:
            log(f"logs kept in {work}")


if __name__ == "__main__":
    sys.exit(main())
