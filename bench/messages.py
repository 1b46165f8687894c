#!/usr/bin/env python
"""Passing one event, producer to consumer, against bare nameko publishing in the same run, in one process
(issue 23; design.md §7: only same-run ratios mean anything on these machines).

    python bench/messages.py [--events N] [--json PATH]

A vhost of its own on the broker ``AMQP_URI`` / ``RABBIT_API_URI`` choose (as the system tests); a queue bound to
``intake.events``; the envelopes are every registered contract's sample, in turn. CPU seconds of this process per
message (the broker's own work is not in it), each phase ending with the queue drained by a kombu consumer that
decodes and acknowledges every message:

- ``bare``: nameko's ``Publisher`` without confirms (``use_confirms=False``), then the drain: the floor;
- ``per_event_confirms``: nameko's ``Publisher`` with confirms, each publish waiting for its own (the relay before
  issue 23), then the drain;
- ``relay``: what the project does now: the producer's contract check (``EVENTS.validate_outgoing``, as
  ``shared.platform.outbox.enqueue``), the relay's ``ConfirmedPublisher`` in batches of ``BATCH`` (one wait for the
  confirms of each batch), then the drain with the consumer's tolerant read (``EVENTS.load``) of every message.

Ends with ``target message_pass_vs_bare: RATIO (goal ≤ 4) met|missed`` and the report as JSON.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
warnings.filterwarnings("ignore", message=r"\s*eventlet is deprecated")

from kombu import Connection, Exchange, Queue  # noqa: E402
from meters import emit, target  # noqa: E402
from nameko.amqp.publish import Publisher  # noqa: E402

from shared.contracts import EVENTS  # noqa: E402
from shared.platform.outbox import BATCH, ConfirmedPublisher  # noqa: E402
from shared.testing.system import Vhost  # noqa: E402

GOAL = 4.0  # per message ≤ 4× bare nameko (issue 23)


def drain(connection: Connection, queue: Queue, expected: int, read=None) -> None:
    got = [0]

    def on_message(body, message):
        if read is not None:
            read(body)
        message.ack()
        got[0] += 1

    with connection.Consumer(queue, callbacks=[on_message], accept=["json"]):
        while got[0] < expected:
            connection.drain_events(timeout=30)


def timed(fn) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    contracts = [contract for contract in EVENTS if contract.producer == "intake"]
    envelopes = [contracts[i % len(contracts)].sample_envelope(f"bench-{i}") for i in range(args.events)]
    exchange = Exchange("intake.events", type="topic", durable=True)
    report: dict = {"events": args.events, "batch": BATCH}
    with Vhost("icp-bench-messages") as amqp_uri, Connection(amqp_uri) as connection:
        queue = Queue("bench-consumer", exchange=exchange, routing_key="#", durable=True)
        queue(connection.default_channel).declare()

        def nameko_publish(confirms: bool):
            publisher = Publisher(amqp_uri, use_confirms=confirms, mandatory=confirms, declare=[exchange])
            for envelope in envelopes:
                publisher.publish(envelope, exchange=exchange, routing_key=EVENTS.routing_key(envelope))

        def relay():
            publisher = ConfirmedPublisher(amqp_uri, exchange)
            rows = []
            for envelope in envelopes:
                EVENTS.validate_outgoing(envelope)
                rows.append({"id": envelope["meta"]["id"], "envelope": envelope})
            for start in range(0, len(rows), BATCH):
                unroutable, refused = publisher(rows[start:start + BATCH])
                assert not unroutable and not refused
            publisher.close()

        nameko_publish(False)  # warm the connections, the schemas and the broker
        drain(connection, queue, args.events)
        phases = {
            "bare": (lambda: nameko_publish(False), None),
            "per_event_confirms": (lambda: nameko_publish(True), None),
            "relay": (relay, EVENTS.load),
        }
        for name, (publish, read) in phases.items():
            publish_s = timed(publish)
            drain_s = timed(lambda read=read: drain(connection, queue, args.events, read))
            report[name] = {"publish_us": round(publish_s / args.events * 1e6, 1),
                            "consume_us": round(drain_s / args.events * 1e6, 1),
                            "per_message_us": round((publish_s + drain_s) / args.events * 1e6, 1)}
    ratio = report["relay"]["per_message_us"] / report["bare"]["per_message_us"]
    report["message_pass_vs_bare"] = round(ratio, 2)
    print(f"{'phase':20} {'publish µs':>11} {'consume µs':>11} {'per message µs':>15}   CPU of this process")
    for name in phases:
        row = report[name]
        print(f"{name:20} {row['publish_us']:11.1f} {row['consume_us']:11.1f} {row['per_message_us']:15.1f}")
    print(target("message_pass_vs_bare", ratio, GOAL))
    emit(report, args.json)
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
