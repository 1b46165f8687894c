"""A service for the process-level tests of shared behaviour (``shared/tests/service/test_graceful.py``): run by
``nameko run shared.testing.probes:GracefulProbe`` like a real service, so that a real SIGTERM and a real blocked
hub can be shown. Not part of any deployment.

Each event takes ``PROBE_WORK_SECONDS`` of cooperative work; the handler appends ``started <id>`` and ``done <id>``
to ``PROBE_RECORD`` (flushed at once, so a test reads what happened even when the process is gone).
``GET /block?seconds=N`` blocks the whole hub (an unpatched sleep) the way a blocking library call or a CPU loop
does.
"""
from __future__ import annotations

import os

import eventlet
from eventlet import patcher

from shared.platform.events import event_handler
from shared.platform.http import http
from shared.platform.observability import Metrics, OpsEndpoints

PROBE_SOURCE = "graceful_source"
PROBE_EVENT = "work_requested.v1"
_blocking_time = patcher.original("time")


class GracefulProbe(OpsEndpoints):
    name = "graceful_probe"
    metrics = Metrics()

    def health_checks(self):
        def failing():  # readiness fails, liveness must not care
            if os.environ.get("PROBE_READINESS_FAILS") == "true":
                raise ConnectionError("database unreachable")

        return {"database": failing}

    @event_handler(PROBE_SOURCE, PROBE_EVENT)
    def on_work(self, envelope):
        event_id = envelope["meta"]["id"]
        _record(f"started {event_id}")
        eventlet.sleep(float(os.environ.get("PROBE_WORK_SECONDS", "1")))
        _record(f"done {event_id}")

    @http("GET", "/block")
    def block(self, request):
        _blocking_time.sleep(float(request.args.get("seconds", "1")))
        return "unblocked"


def _record(line: str) -> None:
    with open(os.environ["PROBE_RECORD"], "a", encoding="utf-8") as record:
        record.write(line + "\n")
        record.flush()
