#!/usr/bin/env python
"""Time to drain a backlog of ``filing_submitted.v1`` events through precheck and notify, as a ratio against
raw nameko event throughput measured in the same run (design.md §7: only same-run ratios mean anything on
these noisy machines), and the share of clean filings decided automatically within 60 s of submission.

    python bench/precheck_drain.py [--count N] [--confirm-sample S] [--live L] [--json PATH] [--keep-logs]

Everything is set up here and removed afterwards, also on error or Ctrl-C, by ``shared.testing.system``: a fresh
RabbitMQ vhost (``AMQP_URI`` / ``RABBIT_API_URI``'s broker), fresh PostgreSQL databases for precheck and notify at
their migration heads, tap queues bound with ``#`` to ``precheck.events`` and ``notify.events`` (they stand for the
other subscribers of a full deployment, so that every event the relays publish is routable, and they count them),
and ``nameko run`` processes: ``bench/null_consumer.py`` (the baseline, ``bench/baseline.py``), precheck
(``PRECHECK_AUTO_PASS=true``) and notify (file sinks in the run's temporary directory), a ``Deployment`` of the
two.

Queued first, then drained. For the baseline and for precheck alike: the consumer is started once so that
nameko declares its queue and binding, and stopped; N envelopes are published to ``intake.events`` with
routing key ``filing_submitted.v1`` (kombu, persistent, mandatory, publisher confirms; the queue must then
hold exactly N); then the consumer is started again and timed from its first delivery (the queue's ready
count drops below N) to the end:

- ``raw``:      the null consumer has emptied its queue (ready count 0; at most its prefetch of 10 were still
                being acknowledged);
- ``precheck``: precheck's ``cases`` table has N rows (one per event, each a clean filing awaiting its
                contacts, with two one-time codes in its outbox);
- ``path``:     notify has delivered the 2N contact codes (``messages``: ``contact_code`` ``delivered``) to the
                SMS and e-mail file sinks.

The baseline runs first, on the same bodies (N distinct filings, sealed with the development keys as intake
seals them); its queue is deleted before precheck's is declared. Notify runs from before precheck's drain.

Decided within 60 s: every filing is clean and gets a distinct mobile and e-mail, so sink lines map back to
filings. A sample of the backlog (``--confirm-sample``, spread evenly over it) has prompt sponsors: a thread
tails the sinks and, for each code that arrives for a sampled filing, posts ``POST
/filings/<id>/contacts/<channel>/confirmation`` at once (``--confirm-clients`` threads), during the drain. The
time per filing is ``decided_at - submitted_at`` in precheck's ``cases`` table; ``submitted_at`` is the
moment the bench published the event, so a filing's place in the backlog counts against it. ``--live`` then
publishes L more filings at ``--live-rate`` per second to the drained, running services with the same prompt
sponsors: the same figure without a backlog.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import math
import os
import re
import signal
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
warnings.filterwarnings("ignore", message=r"\s*eventlet is deprecated")  # design.md §8: that one warning only

import requests  # noqa: E402
from baseline import Baseline, check_alive, stop_deployment, stop_process  # noqa: E402
from kombu import Connection, Exchange, Queue  # noqa: E402
from meters import CpuMeter, comm_cpu_seconds, cpu_seconds, percentile  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from shared.contracts import EVENTS  # noqa: E402
from shared.contracts.envelope import make_envelope  # noqa: E402
from shared.contracts.intake import FILING_SUBMITTED, SEAL_CONTEXT, personal_paths  # noqa: E402
from shared.contracts.precheck import CONTACT_CONFIRMATION_REQUESTED  # noqa: E402
from shared.platform.crypto import CryptoConfig  # noqa: E402
from shared.platform.sealing import unseal  # noqa: E402
from shared.testing.http import sponsor_token  # noqa: E402
from shared.testing.samples import filing_submitted_data, unit_filing, uscc  # noqa: E402
from shared.testing.system import Deployment, PostgresDatabases, Vhost, wait_until  # noqa: E402

SOURCE = "intake"
INTAKE_EXCHANGE = Exchange("intake.events", type="topic", durable=True)
# nameko's service-pool queue names: evt-<source>-<event type>--<service>.<method>
PRECHECK_QUEUE = f"evt-intake-{FILING_SUBMITTED}--precheck.on_filing_submitted"
NULL_QUEUE = f"evt-intake-{FILING_SUBMITTED}--bench_null.on_event"
NOTIFY_CODE_QUEUE = f"evt-precheck-{CONTACT_CONFIRMATION_REQUESTED}--notify.on_contact_confirmation_requested"
CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")
CHANNELS = ("sms", "email")
WITHIN_S = 60.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _s(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 2)


def _ratio(a, b) -> float | None:
    return round(a / b, 4) if a is not None and b else None


def _rate(count: int, seconds: float | None) -> float | None:
    return round(count / seconds, 1) if seconds else None


# --- what the environment does not report by itself ---------------------------------------------------


def queue_stats(vhost: Vhost) -> dict[str, dict]:
    """The management API's view of every queue in the vhost (its message stats lag by up to 5 s)."""
    found = {}
    for q in vhost.queues():
        stats = q.get("message_stats", {})
        found[q["name"]] = {
            "messages": q.get("messages"),
            "published": stats.get("publish", 0),
            "delivered": stats.get("deliver_get", 0),
            "redelivered": stats.get("redeliver", 0),
            "acked": stats.get("ack", 0),
        }
    return found


def log_problems(work: Path) -> dict:
    """Warning and error lines (and tracebacks) in every service log, by log and level, with samples."""
    found: dict = {}
    for path in sorted(work.glob("*.log")):
        levels: Counter = Counter()
        events: Counter = Counter()
        samples: list[str] = []
        for line in path.read_text(errors="replace").splitlines():
            level = None
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    record = json.loads(line)
                    level = str(record.get("level", "")).lower()
                    if level in ("warning", "error", "critical", "exception"):
                        events[f"{level}: {record.get('event')}"] += 1
            elif "Traceback" in line or "Error" in line or "WARNING" in line:
                level = "text"
                events[f"text: {line.strip()[:80]}"] += 1
            if level in ("warning", "error", "critical", "exception", "text"):
                levels[level] += 1
                if len(samples) < 3:
                    samples.append(line[:400])
        if levels:
            found[path.stem] = {"levels": dict(levels), "events": dict(events.most_common(8)), "samples": samples}
    return found


def wait_for(what: str, probe, alive, timeout: float = 60.0):
    """``probe()``'s first truthy answer while ``alive()`` raises nothing (a request that fails is a no)."""

    def answered():
        alive()
        with contextlib.suppress(requests.RequestException):
            return probe()
        return None

    return wait_until(what, answered, timeout=timeout, interval=0.1)


class Broker:
    """One kombu connection (not thread-safe: one per thread) for queue depths, deletes and taps."""

    def __init__(self, stack: contextlib.ExitStack, amqp_uri: str):
        self.connection = Connection(amqp_uri)
        stack.callback(self.connection.release)

    def depth(self, queue: str) -> tuple[int, int] | None:
        """(ready messages, consumers) of ``queue``; None if it does not exist."""
        channel = self.connection.channel()
        try:
            _, messages, consumers = channel.queue_declare(queue=queue, passive=True)
            return messages, consumers
        except Exception as exc:  # noqa: BLE001 - amqp's NotFound closes the channel
            if "NOT_FOUND" in str(exc) or "404" in str(exc):
                return None
            raise
        finally:
            with contextlib.suppress(Exception):
                channel.close()

    def delete(self, queue: str) -> None:
        channel = self.connection.channel()
        try:
            channel.queue_delete(queue=queue)
        finally:
            channel.close()

    def tap(self, exchange_name: str) -> str:
        """A queue bound to ``exchange_name`` with ``#``: every event published there, counted."""
        name = f"bench-tap-{exchange_name}-{uuid.uuid4().hex[:6]}"
        queue = Queue(name, exchange=Exchange(exchange_name, type="topic", durable=True), routing_key="#",
                      durable=False, auto_delete=False)
        queue(self.connection.default_channel).declare()
        return name


# --- the filings -------------------------------------------------------------------------------------


@dataclass
class Filing:
    index: int
    filing_id: str
    mobile: str
    email: str
    data: dict
    submitted_at: datetime | None = None


def build_filings(count: int) -> list[Filing]:
    """``count`` clean unit filings as intake publishes them: each its own sponsor (a USCC with valid check
    characters), its own mobile and e-mail; personal fields sealed with the development keys."""
    crypto = CryptoConfig.from_config({})
    cipher, hasher = crypto.cipher(), crypto.hasher()
    filings = []
    for i in range(count):
        filing = unit_filing()
        filing["sponsor"]["document_number"] = uscc(body=f"MA{i:06d}")
        mobile, email = f"1380{i:07d}", f"sponsor{i:07d}@example.com.cn"
        filing["contacts"]["mobile"], filing["contacts"]["email"] = mobile, email
        filing_id = str(uuid.uuid4())
        data = filing_submitted_data(cipher, hasher, filing, filing_id=filing_id, submitted_at="")
        filings.append(Filing(i, filing_id, mobile, email, data))
    # Check what precheck will see: the envelope is valid and its filing is clean by the shipped rulebook.
    from precheck import domain  # services/precheck is installed in the venv

    for f in (filings[0], filings[-1]):
        data = dict(f.data, submitted_at=datetime.now(UTC).isoformat())
        data["contract_acceptance"] = dict(data["contract_acceptance"], accepted_at=data["submitted_at"])
        EVENTS.validate_outgoing(make_envelope(FILING_SUBMITTED, SOURCE, data, f.filing_id))
        plain = unseal(f.data, personal_paths("unit"), cipher, SEAL_CONTEXT)
        context = domain.Context(today=datetime.now(UTC).date())
        findings = domain.run_rulebook(domain.shipped_rulebook(), plain, context)
        if findings:
            raise RuntimeError(f"generated filing {f.index} is not clean: {[x.to_dict() for x in findings]}")
    return filings


class Publisher:
    """kombu producer on ``intake.events``: persistent, mandatory (an unroutable publish raises), and each
    publish waits for the broker's confirm."""

    def __init__(self, stack: contextlib.ExitStack, amqp_uri: str):
        self.connection = Connection(amqp_uri, transport_options={"confirm_publish": True})
        stack.callback(self.connection.release)
        self.producer = self.connection.Producer()
        INTAKE_EXCHANGE(self.connection.default_channel).declare()

    def publish(self, f: Filing) -> int:
        """Publish ``f`` stamped now (``submitted_at`` = publish time); returns the body's size."""
        now = datetime.now(UTC)
        data = dict(f.data, submitted_at=now.isoformat())
        data["contract_acceptance"] = dict(data["contract_acceptance"], accepted_at=data["submitted_at"])
        body = json.dumps(make_envelope(FILING_SUBMITTED, SOURCE, data, f.filing_id, occurred_at=now))
        self.producer.publish(
            body, exchange=INTAKE_EXCHANGE, routing_key=FILING_SUBMITTED, content_type="application/json",
            content_encoding="utf-8", delivery_mode=2, mandatory=True, retry=False,
        )
        f.submitted_at = now
        return len(body)

    def backlog(self, filings: list[Filing], stop: threading.Event) -> dict:
        started = time.perf_counter()
        sizes = []
        for f in filings:
            if stop.is_set():
                raise KeyboardInterrupt("stopped while publishing")
            sizes.append(self.publish(f))
        wall = time.perf_counter() - started
        return {"published": len(sizes), "wall_s": _s(wall), "per_s": _rate(len(sizes), wall),
                "body_bytes_mean": round(sum(sizes) / len(sizes)) if sizes else None}


# --- the sponsors: read the codes, confirm them --------------------------------------------------------


class Sponsors:
    """Tails notify's file sinks (the phones and mailboxes). Counts every line; for a code sent to a filing in
    ``sample``, posts the confirmation at once on a pool of ``clients`` threads."""

    def __init__(self, sinks: dict[str, Path], filings: list[Filing], clients: int, stop: threading.Event):
        self.sinks = sinks
        self.by_recipient = {("sms", f.mobile): f for f in filings} | {("email", f.email): f for f in filings}
        self.sample: set[str] = set()
        self.base = ""
        self.stop = stop
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=clients, thread_name_prefix="sponsor")
        self.local = threading.local()
        self.lock = threading.Lock()
        self.lines: Counter = Counter()  # (channel, kind)
        self.message_ids: Counter = Counter()
        self.code_lines: Counter = Counter()  # (filing id, channel)
        self.unknown_recipients = 0
        self.code_at: dict[tuple[str, str], str] = {}  # (filing id, channel) -> the sink's "at"
        self.results: list[dict] = []
        self.failure_samples: list[str] = []
        self.thread = threading.Thread(target=self._tail, daemon=True, name="sink-tail")

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _tail(self) -> None:
        handles: dict[str, object] = {}
        rests = {channel: b"" for channel in self.sinks}
        while not self.stop.is_set():
            for channel, path in self.sinks.items():
                if channel not in handles:
                    if not path.exists():
                        continue
                    handles[channel] = path.open("rb")
                chunk = handles[channel].read()
                if not chunk:
                    continue
                *complete, rests[channel] = (rests[channel] + chunk).split(b"\n")
                for line in complete:
                    if line.strip():
                        self._line(channel, json.loads(line))
            time.sleep(0.1)
        for handle in handles.values():
            handle.close()

    def _line(self, channel: str, record: dict) -> None:
        match = CODE.search(record.get("text", ""))
        kind = "code" if match else ("pass" if "已通过预核验" in record.get("text", "") else "other")
        filing = self.by_recipient.get((channel, record.get("to")))
        with self.lock:
            self.lines[(channel, kind)] += 1
            self.message_ids[record.get("message_id")] += 1
            if filing is None:
                self.unknown_recipients += 1
                return
            if kind == "code":
                self.code_lines[(filing.filing_id, channel)] += 1
                self.code_at[(filing.filing_id, channel)] = record.get("at")
        if kind == "code" and filing.filing_id in self.sample:
            self.pool.submit(self._confirm, filing, channel, match[1])

    def _session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def _confirm(self, filing: Filing, channel: str, code: str) -> None:
        started = time.perf_counter()
        result = {"filing_id": filing.filing_id, "channel": channel, "status": None}
        try:
            response = self._session().post(
                f"{self.base}/filings/{filing.filing_id}/contacts/{channel}/confirmation",
                json={"code": code},
                headers={"Authorization": f"Bearer {sponsor_token(filing.mobile)}",
                         "Idempotency-Key": uuid.uuid4().hex},
                timeout=120,
            )
            result["status"] = response.status_code
            if response.status_code != 200:
                result["error"] = f"{response.status_code}: {response.text[:200]}"
        except Exception as exc:  # noqa: BLE001 - a failed confirmation is a measured failure
            result["error"] = repr(exc)[:200]
        result["latency_s"] = time.perf_counter() - started
        result["done_at"] = time.time()
        with self.lock:
            self.results.append(result)
            if "error" in result and len(self.failure_samples) < 5:
                self.failure_samples.append(f"{channel} {filing.filing_id}: {result['error']}")

    def summary(self) -> dict:
        with self.lock:
            results = list(self.results)
            latencies = sorted(r["latency_s"] for r in results if r["status"] == 200)
            return {
                "sink_lines": {f"{c}/{k}": n for (c, k), n in sorted(self.lines.items())},
                "sink_lines_total": sum(self.lines.values()),
                "duplicate_message_ids": sum(1 for n in self.message_ids.values() if n > 1),
                "filings_with_more_than_one_code_on_a_channel": sum(1 for n in self.code_lines.values() if n > 1),
                "unknown_recipients": self.unknown_recipients,
                "confirmations_posted": len(results),
                "confirmations_ok": len(latencies),
                "confirmation_failures": Counter(str(r["status"]) for r in results if r["status"] != 200),
                "confirmation_failure_samples": self.failure_samples,
                "confirmation_p50_ms": _ms(percentile(latencies, 50)),
                "confirmation_p99_ms": _ms(percentile(latencies, 99)),
                "confirmation_max_ms": _ms(latencies[-1] if latencies else None),
            }


# --- reading the services' state ----------------------------------------------------------------------


class Counts:
    """Counts in precheck's and notify's databases (one small engine each, usable from any thread)."""

    def __init__(self, stack: contextlib.ExitStack, precheck_url: str, notify_url: str):
        self.precheck = create_engine(precheck_url, pool_size=2, max_overflow=0)
        self.notify = create_engine(notify_url, pool_size=2, max_overflow=0)
        stack.callback(self.precheck.dispose)
        stack.callback(self.notify.dispose)

    def _one(self, engine, sql: str, **params) -> int:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar_one()

    def cases(self) -> int:
        return self._one(self.precheck, "SELECT count(*) FROM cases")

    def decided(self) -> int:
        return self._one(self.precheck, "SELECT count(*) FROM cases WHERE decided_at IS NOT NULL")

    def delivered(self, template: str) -> int:
        return self._one(
            self.notify, "SELECT count(*) FROM messages WHERE template = :t AND state = 'delivered'", t=template
        )

    def outbox_pending(self) -> dict:
        return {
            "precheck": self._one(self.precheck, "SELECT count(*) FROM outbox WHERE published_at IS NULL"),
            "notify": self._one(self.notify, "SELECT count(*) FROM outbox WHERE published_at IS NULL"),
        }

    def precheck_summary(self) -> dict:
        with self.precheck.connect() as c:
            states = dict(c.execute(text("SELECT state, count(*) FROM cases GROUP BY state")).all())
            with_findings = c.execute(text("SELECT count(*) FROM cases WHERE findings::text <> '[]'")).scalar_one()
            decided_by = dict(c.execute(text(
                "SELECT decided_by, count(*) FROM cases WHERE decided_by IS NOT NULL GROUP BY decided_by")).all())
            outbox = dict(c.execute(text("SELECT event_type, count(*) FROM outbox GROUP BY event_type")).all())
            retried = c.execute(text("SELECT count(*) FROM outbox WHERE attempts > 0")).scalar_one()
            processed = c.execute(text("SELECT count(*) FROM processed_events")).scalar_one()
            first, last = c.execute(text("SELECT min(created_at), max(created_at) FROM cases")).one()
        return {"states": states, "with_findings": with_findings, "decided_by": decided_by,
                "outbox_by_type": outbox, "outbox_rows_retried": retried, "processed_events": processed,
                "first_case_at": first.isoformat() if first else None,
                "last_case_at": last.isoformat() if last else None}

    def notify_summary(self) -> dict:
        with self.notify.connect() as c:
            rows = c.execute(text(
                "SELECT template, channel, state, count(*), max(attempts) FROM messages "
                "GROUP BY template, channel, state ORDER BY 1, 2, 3")).all()
            attempts = c.execute(text("SELECT count(*) FROM delivery_attempts")).scalar_one()
            last = c.execute(text(
                "SELECT max(finished_at) FROM messages WHERE template = 'contact_code'")).scalar_one()
        return {"messages": [{"template": t, "channel": ch, "state": s, "count": n, "max_attempts": a}
                             for t, ch, s, n, a in rows],
                "delivery_attempts": attempts,
                "last_code_finished_at": last.isoformat() if last else None}

    def decisions(self, filing_ids: list[str]) -> dict[str, dict]:
        """submitted_at, created_at, decided_at, state and the confirmations' times of ``filing_ids``."""
        found: dict[str, dict] = {}
        with self.precheck.connect() as c:
            rows = c.execute(
                text("SELECT c.filing_id, c.submitted_at, c.created_at, c.decided_at, c.state, c.decided_by, "
                     "max(k.confirmed_at), count(k.confirmed_at) FROM cases c "
                     "LEFT JOIN confirmations k ON k.case_id = c.id WHERE c.filing_id = ANY(:ids) "
                     "GROUP BY c.id"),
                {"ids": filing_ids},
            ).all()
        for fid, submitted, created, decided, state, by, confirmed, n_confirmed in rows:
            found[fid] = {"submitted_at": submitted, "created_at": created, "decided_at": decided, "state": state,
                          "decided_by": by, "last_confirmed_at": confirmed, "confirmed": n_confirmed}
        return found


def scrape_metrics(base: str) -> dict:
    """Per entrypoint: workers, mean and bucket-bound p50/p99 (ms) from ``icp_entrypoint_seconds``, failures."""
    body = requests.get(f"{base}/metrics", timeout=10).text
    series: dict[tuple[str, str], dict] = {}
    failures: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            labels = sample.labels
            if sample.name.startswith("icp_entrypoint_seconds"):
                key = (labels["entrypoint"], labels["outcome"])
                entry = series.setdefault(key, {"buckets": []})
                if sample.name.endswith("_count"):
                    entry["count"] = int(sample.value)
                elif sample.name.endswith("_sum"):
                    entry["sum"] = sample.value
                elif sample.name.endswith("_bucket"):
                    entry["buckets"].append((float(labels["le"]), sample.value))
            elif sample.name == "icp_entrypoint_failures_total":
                failures[f"{labels['entrypoint']}:{labels['error_type']}"] = sample.value
    out = {}
    for (entrypoint, outcome), entry in sorted(series.items()):
        count = entry.get("count", 0)
        if not count:
            continue
        buckets = sorted(entry["buckets"])

        def bound(q: float, buckets=buckets, count=count) -> float | None:
            for le, cumulative in buckets:
                if cumulative >= q * count:
                    return None if math.isinf(le) else le * 1000
            return None

        out[f"{entrypoint}/{outcome}"] = {
            "count": count,
            "mean_ms": _ms(entry.get("sum", 0) / count),
            "p50_le_ms": bound(0.5),
            "p99_le_ms": bound(0.99),
        }
    return {"entrypoints": out, "failures": failures}


def decision_figures(decisions: dict[str, dict], filing_ids: list[str], sponsors: Sponsors) -> dict:
    """Share decided automatically within 60 s of submission, p50/p99, and where the time went."""
    times, stages = [], {"queued": [], "codes_out": [], "sponsor": [], "decide": []}
    undecided = 0
    for fid in filing_ids:
        d = decisions.get(fid)
        if not d or d["decided_at"] is None or d["state"] != "passed":
            undecided += 1
            continue
        times.append((d["decided_at"] - d["submitted_at"]).total_seconds())
        stages["queued"].append((d["created_at"] - d["submitted_at"]).total_seconds())
        code_at = [sponsors.code_at.get((fid, c)) for c in CHANNELS]
        if all(code_at):
            last_code = max(datetime.fromisoformat(a) for a in code_at)
            stages["codes_out"].append((last_code - d["created_at"]).total_seconds())
            if d["last_confirmed_at"]:
                stages["sponsor"].append((d["last_confirmed_at"] - last_code).total_seconds())
        if d["last_confirmed_at"]:
            stages["decide"].append((d["decided_at"] - d["last_confirmed_at"]).total_seconds())
    times.sort()
    sample = len(filing_ids)
    within = sum(1 for t in times if t <= WITHIN_S)
    return {
        "sample": sample,
        "decided": len(times),
        "not_decided": undecided,
        "within_60s": within,
        "share_within_60s": round(within / sample, 4) if sample else None,
        "p50_s": _s(percentile(times, 50)),
        "p99_s": _s(percentile(times, 99)),
        "min_s": _s(times[0] if times else None),
        "max_s": _s(times[-1] if times else None),
        "stage_p50_s": {k: _s(percentile(sorted(v), 50)) for k, v in stages.items()},
        "stage_p99_s": {k: _s(percentile(sorted(v), 99)) for k, v in stages.items()},
    }


# --- the benchmark ----------------------------------------------------------------------------------


def run_baseline(work: Path, amqp_uri: str, broker: Broker, publisher: Publisher, filings: list[Filing],
                 stop: threading.Event, args, teardown: Teardown) -> dict:
    """Queue N events for the null consumer, then time its drain."""
    declaring = Baseline("null-declare", "null_consumer:NullConsumer", work, amqp_uri).start()
    teardown.stop_at_exit(declaring)
    wait_for("the null consumer's queue", lambda: (broker.depth(NULL_QUEUE) or (0, 0))[1], declaring.check_alive)
    teardown.stop(declaring)
    log("null consumer declared its queue; publishing the baseline backlog")
    published = publisher.backlog(filings, stop)
    queued = broker.depth(NULL_QUEUE)[0]
    log(f"baseline: {published['published']} published in {published['wall_s']} s, {queued} queued")
    if queued != len(filings):
        raise RuntimeError(f"the null consumer's queue holds {queued} of {len(filings)} published events")
    started = time.monotonic()
    null = Baseline("null", "null_consumer:NullConsumer", work, amqp_uri).start()
    teardown.stop_at_exit(null)
    meter = CpuMeter({"null_consumer": lambda: cpu_seconds(null.process.pid),
                      "rabbitmq": lambda: comm_cpu_seconds("beam.smp"),
                      "postgres": lambda: comm_cpu_seconds("postgres")})
    first = None
    deadline = started + args.timeout
    while time.monotonic() < deadline:
        null.check_alive()
        ready, _ = broker.depth(NULL_QUEUE)
        now = time.monotonic()
        if first is None and ready < len(filings):
            first = now
            meter.start()
        if ready == 0:
            break
        time.sleep(0.02)
    else:
        raise RuntimeError(f"the null consumer did not drain {len(filings)} events within {args.timeout:.0f} s")
    done = time.monotonic()
    cpu = meter.stop()
    teardown.stop(null)
    left = broker.depth(NULL_QUEUE)[0]  # anything unacknowledged at the stop is back in the queue
    broker.delete(NULL_QUEUE)  # it is bound where precheck's queue is: it must not take a copy of the backlog
    drain = done - first
    result = {"publish": published, "start_to_first_delivery_s": _s(first - started), "drain_s": _s(drain),
              "events_per_s": _rate(len(filings), drain), "left_in_queue_after_stop": left, "cpu_cores": cpu}
    log(f"raw nameko: {len(filings)} events drained in {drain:.2f} s = {result['events_per_s']}/s "
        f"(left after stop: {left})")
    return result


class Teardown:
    """How the run's processes stopped (notes) and what went wrong (problems), for the report; each process is
    stopped once, by the run or, on an error, when the run's ExitStack closes."""

    def __init__(self, stack: contextlib.ExitStack):
        self.stack = stack
        self.notes: list[str] = []
        self.problems: list[str] = []
        self.stopped: set[int] = set()

    def stop(self, baseline: Baseline) -> None:
        if id(baseline) in self.stopped:
            return
        self.stopped.add(id(baseline))
        note, problem = baseline.stop()
        self.notes.append(note)
        if problem:
            self.problems.append(problem)
            log(problem)

    def stop_at_exit(self, baseline: Baseline) -> None:
        self.stack.callback(self.stop, baseline)

    def terminate(self, deployment: Deployment, name: str) -> None:
        """SIGTERM one service of the deployment (it may be started again with ``deployment.restart``)."""
        note, problem = stop_process(name, deployment.processes[name], deployment.ports[name])
        self.notes.append(note.replace(name, f"{name} (declaring)", 1))
        if problem:
            self.problems.append(problem)

    def stop_deployment_at_exit(self, deployment: Deployment) -> None:
        def stop_services() -> None:
            notes, problems = stop_deployment(deployment)
            self.notes.extend(notes)
            self.problems.extend(problems)

        self.stack.callback(stop_services)


def wait_decisions(counts: Counts, expected: int, timeout: float, stop: threading.Event) -> int:
    deadline = time.monotonic() + timeout
    decided = counts.decided()
    while decided < expected and time.monotonic() < deadline and not stop.is_set():
        time.sleep(0.5)
        decided = counts.decided()
    return decided


def run(args: argparse.Namespace, stack: contextlib.ExitStack, work: Path, stop: threading.Event) -> dict:
    n = args.count
    teardown = Teardown(stack)
    t0 = time.perf_counter()
    vhost = Vhost("bench-drain")
    amqp_uri = stack.enter_context(vhost)
    databases = stack.enter_context(PostgresDatabases("bench_drain"))
    broker = Broker(stack, amqp_uri)
    taps = {name: broker.tap(f"{name}.events") for name in ("precheck", "notify")}
    publisher = Publisher(stack, amqp_uri)
    setup_s = time.perf_counter() - t0
    started = time.perf_counter()
    filings = build_filings(n + args.live)
    backlog, live = filings[:n], filings[n:]
    build_s = time.perf_counter() - started
    log(f"set up in {setup_s:.1f} s; {len(filings)} filings built in {build_s:.1f} s (logs in {work})")

    # 1. The baseline: the same N bodies through the same exchange and routing key to a do-nothing handler.
    baseline = run_baseline(work, amqp_uri, broker, publisher, backlog, stop, args, teardown)

    # 2. Notify (running from here on) and precheck once, so that precheck declares its queues.
    deployment = Deployment(("notify", "precheck"), work, amqp_uri, databases.make, env={"LOG_LEVEL": args.log_level},
                            service_env={"precheck": {"PRECHECK_AUTO_PASS": "true"}})
    teardown.stop_deployment_at_exit(deployment)
    deployment.start()
    sinks = {"sms": deployment.sms_sink, "email": deployment.email_sink}
    notify = deployment.url("notify")
    wait_for("notify's code queue", lambda: (broker.depth(NOTIFY_CODE_QUEUE) or (0, 0))[1],
             lambda: check_alive(deployment, "notify"))
    wait_for("precheck's queue", lambda: (broker.depth(PRECHECK_QUEUE) or (0, 0))[1],
             lambda: check_alive(deployment, "precheck"))
    teardown.terminate(deployment, "precheck")

    # 3. The backlog, then precheck.
    sponsors = Sponsors(sinks, filings, args.confirm_clients, stop)
    stack.callback(sponsors.close)
    step = n / args.confirm_sample if args.confirm_sample else 0
    sampled = [backlog[int(i * step)].filing_id for i in range(args.confirm_sample)]
    sponsors.sample.update(sampled)
    sponsors.start()
    log(f"precheck declared its queues; publishing the backlog of {n} ({len(sampled)} with prompt sponsors)")
    published = publisher.backlog(backlog, stop)
    queued = broker.depth(PRECHECK_QUEUE)[0]
    log(f"backlog: {published['published']} published in {published['wall_s']} s, {queued} queued")
    if queued != n:
        raise RuntimeError(f"precheck's queue holds {queued} of {n} published events")
    counts = Counts(stack, deployment.databases["precheck"], deployment.databases["notify"])

    # Started again in a thread: the drain is timed from the first delivery, not from precheck's /healthz.
    declared, proc_started = deployment.processes["precheck"], time.monotonic()
    restart = threading.Thread(target=deployment.restart, args=("precheck",), daemon=True)
    restart.start()
    wait_until("precheck's process", lambda: deployment.processes["precheck"] is not declared, timeout=10,
               interval=0.005)
    precheck = deployment.url("precheck")
    sponsors.base = precheck
    meter = CpuMeter({
        "precheck": lambda: cpu_seconds(deployment.processes["precheck"].pid),
        "notify": lambda: cpu_seconds(deployment.processes["notify"].pid),
        "postgres": lambda: comm_cpu_seconds("postgres"),
        "rabbitmq": lambda: comm_cpu_seconds("beam.smp"),
    })
    first = first_wall = precheck_done = path_done = precheck_cpu = None
    timeline: list[dict] = []
    last_row = last_db = 0.0
    cases = codes = 0
    deadline = proc_started + args.timeout
    timed_out = None
    while True:
        now = time.monotonic()
        if now > deadline:
            timed_out = f"drain not complete after {args.timeout:.0f} s: {cases}/{n} cases, {codes}/{2 * n} codes"
            log(timed_out)
            break
        if stop.is_set():
            raise KeyboardInterrupt("stopped")
        check_alive(deployment, "precheck", "notify")
        if first is None:
            ready = broker.depth(PRECHECK_QUEUE)[0]
            if ready < n:
                first, first_wall = time.monotonic(), time.time()
                meter.start()
                log(f"precheck: first delivery {first - proc_started:.1f} s after its start")
            else:
                time.sleep(0.02)
                continue
        if now - last_db >= 0.25:
            last_db = now
            if precheck_done is None:
                cases = counts.cases()
                if cases >= n:
                    precheck_done = time.monotonic()
                    precheck_cpu = meter.stop()
                    log(f"precheck: {n} events processed in {precheck_done - first:.1f} s")
            codes = counts.delivered("contact_code")
            if codes >= 2 * n:
                path_done = time.monotonic()
                log(f"path: {2 * n} codes delivered {path_done - first:.1f} s after the first delivery")
                break
        if now - last_row >= args.timeline_every:
            last_row = now
            ready = broker.depth(PRECHECK_QUEUE)[0]
            notify_ready = broker.depth(NOTIFY_CODE_QUEUE)[0]
            with sponsors.lock:
                confirmed = sum(1 for r in sponsors.results if r["status"] == 200)
            row = {"t_s": round(now - first, 1), "precheck_queue": ready, "cases": cases,
                   "notify_queue": notify_ready, "codes_delivered": codes, "confirmations_ok": confirmed,
                   "decided": counts.decided()}
            timeline.append(row)
            log("  " + "  ".join(f"{k} {v}" for k, v in row.items()))
        time.sleep(0.05)
    drain_cpu = meter.stop()

    # 4. The sampled filings' decisions (the last codes arrive at the very end of the drain).
    decided = wait_decisions(counts, len(sampled), args.decision_timeout, stop)
    log(f"backlog sample: {decided}/{len(sampled)} decided")

    # 5. Without a backlog: L filings at --live-rate per second, every one with a prompt sponsor.
    live_result = None
    if live and not timed_out:
        sponsors.sample.update(f.filing_id for f in live)
        log(f"live: publishing {len(live)} filings at {args.live_rate}/s to the running services")
        live_meter = CpuMeter(dict(meter.meters))
        live_meter.start()
        t_live = time.monotonic()
        for i, f in enumerate(live):
            delay = t_live + i / args.live_rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            publisher.publish(f)
        publish_wall = time.monotonic() - t_live
        decided_live = wait_decisions(counts, len(sampled) + len(live), WITHIN_S + args.decision_timeout, stop)
        live_result = {"count": len(live), "rate_per_s": args.live_rate, "publish_wall_s": _s(publish_wall),
                       "cpu_cores": live_meter.stop()}
        log(f"live: {decided_live - len(sampled)}/{len(live)} decided")

    # 6. Everything that follows from the decisions sent and published.
    expected_passed = counts.decided()
    settle_deadline = time.monotonic() + 60
    while time.monotonic() < settle_deadline:
        pending = counts.outbox_pending()
        if counts.delivered("precheck_passed") >= expected_passed and not any(pending.values()):
            break
        time.sleep(0.5)
    time.sleep(1.5)  # the sink tail reads every 0.1 s; a late duplicate would show up here too

    # 7. Collect.
    metrics = {"precheck": scrape_metrics(precheck), "notify": scrape_metrics(notify)}
    ids = sampled + [f.filing_id for f in live]
    decisions = counts.decisions(ids)
    backlog_figures = decision_figures(decisions, sampled, sponsors)
    live_figures = decision_figures(decisions, [f.filing_id for f in live], sponsors) if live_result else None
    if live_result:
        live_result.update(live_figures)
    pre_summary = counts.precheck_summary()
    notify_summary = counts.notify_summary()
    total = n + (len(live) if live_result else 0)
    codes_delivered = counts.delivered("contact_code")
    passed_delivered = counts.delivered("precheck_passed")
    pending = counts.outbox_pending()
    precheck_queue_left = broker.depth(PRECHECK_QUEUE)[0]
    time.sleep(max(0.0, 5.5 - 1.5))  # the management API's queue stats are emitted every 5 s
    queues = queue_stats(vhost)
    tap_counts = {name: queues.get(q, {}).get("messages") for name, q in taps.items()}
    expected_taps = {"precheck": 2 * total + expected_passed, "notify": 2 * total + passed_delivered}
    redeliveries = {q: s["redelivered"] for q, s in queues.items() if s["redelivered"]}
    sponsor_summary = sponsors.summary()

    precheck_s = precheck_done - first if precheck_done and first else None
    path_s = path_done - first if path_done and first else None
    checks = {
        "cases": pre_summary["states"],
        "cases_total": sum(pre_summary["states"].values()),
        "expected_cases": total,
        "cases_with_findings": pre_summary["with_findings"],
        "precheck_queue_left": precheck_queue_left,
        "codes_delivered": codes_delivered,
        "expected_codes": 2 * total,
        "pass_sms_delivered": passed_delivered,
        "decided": expected_passed,
        "outbox_unpublished": pending,
        "tap_counts": tap_counts,
        "expected_tap_counts": expected_taps,
        "sink_lines": sponsor_summary["sink_lines"],
        "duplicate_sink_message_ids": sponsor_summary["duplicate_message_ids"],
        "redeliveries_by_queue": redeliveries,
    }
    sample_total = len(sampled) + (len(live) if live_result else 0)
    problems = []
    if timed_out:
        problems.append(timed_out)
    if checks["cases_total"] != total or precheck_queue_left:
        problems.append(f"precheck processed {checks['cases_total']} of {total} events "
                        f"({precheck_queue_left} left in its queue)")
    if codes_delivered != 2 * total:
        problems.append(f"notify delivered {codes_delivered} of {2 * total} codes")
    if pre_summary["with_findings"]:
        problems.append(f"{pre_summary['with_findings']} generated filings had findings")
    if expected_passed != sample_total:
        problems.append(f"{expected_passed} of {sample_total} sampled filings decided")
    if passed_delivered != expected_passed:
        problems.append(f"{passed_delivered} pass SMS delivered for {expected_passed} decisions")
    if any(pending.values()):
        problems.append(f"outbox rows not published: {pending}")
    if sponsor_summary["confirmation_failures"]:
        problems.append(f"confirmations failed: {dict(sponsor_summary['confirmation_failures'])}")
    if sponsor_summary["duplicate_message_ids"] or sponsor_summary["filings_with_more_than_one_code_on_a_channel"]:
        problems.append("a message reached a sink twice")
    if tap_counts != expected_taps:
        problems.append(f"events published {tap_counts}, expected {expected_taps}")

    precheck_rate = _rate(n, precheck_s)
    path_rate = _rate(n, path_s)
    return {
        "bench": "precheck_drain",
        "count": n,
        "cpu_count": os.cpu_count(),
        "log_level": args.log_level,
        "setup_s": _s(setup_s),
        "build_s": _s(build_s),
        "raw": baseline,
        "backlog_publish": published,
        "precheck": {"start_to_first_delivery_s": _s(first - proc_started) if first else None,
                     "drain_s": _s(precheck_s), "events_per_s": precheck_rate, "cpu_cores": precheck_cpu},
        "path": {"drain_s": _s(path_s), "events_per_s": path_rate,
                 "messages_per_s": _rate(2 * n, path_s), "cpu_cores": drain_cpu},
        "first_delivery_at": datetime.fromtimestamp(first_wall, UTC).isoformat() if first_wall else None,
        "ratios_vs_raw": {"precheck": _ratio(precheck_rate, baseline["events_per_s"]),
                          "path": _ratio(path_rate, baseline["events_per_s"])},
        "decided_within_60s": {"backlog": backlog_figures, "live": live_result},
        "confirmations": {k: v for k, v in sponsor_summary.items() if k.startswith("confirmation")},
        "timeline": timeline,
        "precheck_db": pre_summary,
        "notify_db": notify_summary,
        "metrics": metrics,
        "queues": queues,
        "checks": checks,
        "problems": problems,
        "teardown": teardown.notes,  # filled when the caller's ExitStack closes
        "teardown_problems": teardown.problems,
    }


def print_report(report: dict) -> None:
    out = sys.stdout
    n = report["count"]
    raw, pre, path = report["raw"], report["precheck"], report["path"]
    print(f"\nprecheck drain benchmark: {n} queued {FILING_SUBMITTED} events, {report['cpu_count']} CPUs, "
          f"body ~{raw['publish']['body_bytes_mean']} bytes, services at LOG_LEVEL={report['log_level']}", file=out)
    print("  raw      = bench/null_consumer.py: one nameko @event_handler that does nothing (baseline, same run)",
          file=out)
    print("  precheck = precheck has a case for every event (rulebook, deadline, two codes in its outbox)", file=out)
    print("  path     = and notify has delivered the 2N contact codes to the SMS and e-mail sinks\n", file=out)
    header = f"{'what':<10}{'events':>8}{'drain s':>10}{'events/s':>10}{'vs raw':>9}{'start s':>9}  cpu (cores)"
    print(header, file=out)
    print("-" * (len(header) + 40), file=out)
    rows = [("raw", raw["drain_s"], raw["events_per_s"], 1.0, raw["start_to_first_delivery_s"], raw["cpu_cores"]),
            ("precheck", pre["drain_s"], pre["events_per_s"], report["ratios_vs_raw"]["precheck"],
             pre["start_to_first_delivery_s"], pre["cpu_cores"]),
            ("path", path["drain_s"], path["events_per_s"], report["ratios_vs_raw"]["path"], None,
             path["cpu_cores"])]
    for name, drain, rate, ratio, start, cpu in rows:
        cpu_text = " ".join(f"{k}={v}" for k, v in (cpu or {}).items())
        print(f"{name:<10}{n:>8}{drain!s:>10}{rate!s:>10}{ratio!s:>9}{start!s:>9}  {cpu_text}", file=out)
    print(f"\nratios: precheck / raw = {report['ratios_vs_raw']['precheck']}, "
          f"whole path / raw = {report['ratios_vs_raw']['path']} "
          f"(path = {path['messages_per_s']} messages/s)", file=out)
    bp = report["backlog_publish"]
    print(f"publishing (kombu, confirms): baseline {raw['publish']['per_s']}/s, backlog {bp['per_s']}/s "
          f"({bp['wall_s']} s for {n})", file=out)

    print(f"\nclean filings decided automatically within {WITHIN_S:.0f} s of submission (prompt sponsors):",
          file=out)
    print(f"{'sample':<10}{'filings':>8}{'decided':>9}{'<=60 s':>8}{'share':>8}{'p50 s':>9}{'p99 s':>9}"
          f"{'max s':>9}  p50 per stage (s)", file=out)
    for name, d in (("backlog", report["decided_within_60s"]["backlog"]),
                    ("live", report["decided_within_60s"]["live"])):
        if not d:
            continue
        stages = ", ".join(f"{k} {v}" for k, v in d["stage_p50_s"].items())
        print(f"{name:<10}{d['sample']:>8}{d['decided']:>9}{d['within_60s']:>8}{d['share_within_60s']!s:>8}"
              f"{d['p50_s']!s:>9}{d['p99_s']!s:>9}{d['max_s']!s:>9}  {stages}", file=out)
    live = report["decided_within_60s"]["live"]
    print("  backlog: sampled evenly over the queued backlog; submitted_at is the publish time, so the time a",
          file=out)
    print("           filing waited in the backlog counts (stage 'queued' = submitted_at -> case created)", file=out)
    if live:
        print(f"  live:    {live['count']} filings published at {live['rate_per_s']}/s after the drain, no backlog",
              file=out)
    c = report["confirmations"]
    print(f"confirmations: {c['confirmations_ok']}/{c['confirmations_posted']} ok, p50 {c['confirmation_p50_ms']} ms,"
          f" p99 {c['confirmation_p99_ms']} ms, max {c['confirmation_max_ms']} ms; failures "
          f"{dict(c['confirmation_failures']) or 0}", file=out)
    for sample in c["confirmation_failure_samples"]:
        print(f"  failure: {sample}", file=out)

    print("\ntimeline of the drain:", file=out)
    for row in report["timeline"]:
        print("  " + "  ".join(f"{k} {v}" for k, v in row.items()), file=out)
    print("\nentrypoints (nameko workers; mean, and the histogram bucket bounds of p50/p99):", file=out)
    for service, m in report["metrics"].items():
        for name, e in m["entrypoints"].items():
            print(f"  {service:<9}{name:<48}{e['count']:>7} workers  mean {e['mean_ms']:>8} ms  "
                  f"p50<={e['p50_le_ms']}  p99<={e['p99_le_ms']}", file=out)
        if m["failures"]:
            print(f"  {service} failures: {m['failures']}", file=out)
    ch = report["checks"]
    print(f"\nchecks: cases {ch['cases']} ({ch['cases_total']}/{ch['expected_cases']}), with findings "
          f"{ch['cases_with_findings']}, left in precheck's queue {ch['precheck_queue_left']}; codes delivered "
          f"{ch['codes_delivered']}/{ch['expected_codes']}; pass SMS {ch['pass_sms_delivered']}/{ch['decided']}; "
          f"outbox unpublished {ch['outbox_unpublished']}; events on the taps {ch['tap_counts']} (expected "
          f"{ch['expected_tap_counts']}); sink lines {ch['sink_lines']}; redeliveries "
          f"{ch['redeliveries_by_queue'] or 'none'}", file=out)
    for name, found in report.get("log_problems", {}).items():
        print(f"log {name}: {found['levels']} {found['events']}", file=out)
    print("teardown: " + "; ".join(report["teardown"]), file=out)
    print(f"set-up {report['setup_s']} s, {n} filings built in {report['build_s']} s", file=out)
    print("result: " + ("OK" if not report["problems"] and not report["teardown_problems"]
                        else "PROBLEMS: " + "; ".join(report["problems"] + report["teardown_problems"])), file=out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="events in the backlog (default 10000)")
    parser.add_argument("--confirm-sample", type=int, default=500,
                        help="backlog filings whose sponsors confirm their codes at once (default 500)")
    parser.add_argument("--confirm-clients", type=int, default=8, help="concurrent sponsor threads (default 8)")
    parser.add_argument("--live", type=int, default=100,
                        help="filings published after the drain, without a backlog (default 100; 0 skips)")
    parser.add_argument("--live-rate", type=float, default=5.0, help="their publish rate per second (default 5)")
    parser.add_argument("--timeout", type=float, default=900.0, help="limit for each drain (default 900 s)")
    parser.add_argument("--decision-timeout", type=float, default=120.0,
                        help="wait for the sampled decisions after the drain (default 120 s)")
    parser.add_argument("--timeline-every", type=float, default=10.0, help="seconds between timeline rows")
    parser.add_argument("--log-level", default="WARNING", help="LOG_LEVEL of the services (default WARNING)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--keep-logs", action="store_true", help="keep the logs and sinks even on success")
    args = parser.parse_args(argv)
    if args.count < 1 or not 0 <= args.confirm_sample <= args.count or args.live < 0 or args.live_rate <= 0:
        parser.error("--count >= 1, 0 <= --confirm-sample <= --count, --live >= 0, --live-rate > 0")
    if args.confirm_clients < 1:
        parser.error("--confirm-clients >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()

    def on_term(signum, _frame):
        stop.set()
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    work = Path(tempfile.mkdtemp(prefix="bench-drain-"))
    ok = False
    started = time.perf_counter()
    try:
        with contextlib.ExitStack() as stack:
            try:
                report = run(args, stack, work, stop)
            finally:
                stop.set()
                log("tearing down (services, databases, vhost)")
        report["log_problems"] = log_problems(work)
        report["wall_s"] = _s(time.perf_counter() - started)
        print_report(report)
        if args.json:
            args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
        print(json.dumps(report, ensure_ascii=False, separators=(",", ":"), default=str))
        ok = not report["problems"] and not report["teardown_problems"]
        return 0 if ok else 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        log(f"wall time {time.perf_counter() - started:.0f} s")
        if ok and not args.keep_logs:
            for path in work.iterdir():
                path.unlink()
            work.rmdir()
        else:
            log(f"logs and sinks kept in {work}")


if __name__ == "__main__":
    sys.exit(main())
