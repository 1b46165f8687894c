"""Prometheus metrics and the ``/healthz`` and ``/metrics`` endpoints of every service (design.md §1, §5).

A service opts in with two lines::

    class BureauService(OpsEndpoints):
        name = "bureau"
        metrics = Metrics()

        def health_checks(self):
            return {"database": self.db.ping}

:class:`Metrics` times every entrypoint of the container and owns the container's registry; use cases add
their own metrics through the injected :class:`MetricsRegistry`. Label values never carry personal data
(design.md §5): only service, entrypoint, event type and exception class names.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import eventlet
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from werkzeug.wrappers import Response

from shared.platform.http import http
from shared.platform.logging import mask_pii

__all__ = ["HEALTH_CHECK_TIMEOUT_SECONDS", "Metrics", "MetricsRegistry", "OpsEndpoints", "entrypoint_kind"]

# Handlers that talk to the SMS gateway or authority sources run for tens of seconds; the default buckets stop
# at 10 s.
_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

_DEADLINES_OPEN = ("icp_deadlines_open", "Open deadlines (filings awaiting a step with a legal time limit), by kind.",
                   ("service", "kind"))
_DEADLINES_BREACHED = ("icp_deadlines_breached", "Open deadlines already past due, by kind.", ("service", "kind"))
_DEADLINES_PROVISIONAL = ("icp_deadlines_provisional", "Open deadlines counted by the provisional rule (a year "
                          "without the State Council's schedule), by kind.", ("service", "kind"))
_CALENDAR_DAYS_LEFT = ("icp_calendar_official_days_left", "Days until the first day without an official State Council "
                       "holiday schedule in the service's working-day calendar.", ("service",))

# Liveness (``/healthz?probe=live``): the hub's heartbeat beats every HEARTBEAT_SECONDS; a probe answered when the
# last beat is older than ``LIVENESS_STALL_SECONDS`` (container config) finds a hub that was blocked that long.
HEARTBEAT_SECONDS = 1.0
LIVENESS_STALL_CONFIG_KEY = "LIVENESS_STALL_SECONDS"
DEFAULT_LIVENESS_STALL_SECONDS = 10.0

# A kubelet probe gives up after its own timeout; a check that hangs must fail before that, with a message.
HEALTH_CHECK_TIMEOUT_SECONDS = 3.0
_MAX_CHECK_MESSAGE = 300


def entrypoint_kind(entrypoint: Any) -> str:
    """``"rpc"``, ``"event"``, ``"http"``, ``"timer"`` for nameko's entrypoints (and subclasses), else
    ``"other"``."""
    for cls, kind in ((Rpc, "rpc"), (EventHandler, "event"), (HttpRequestHandler, "http"), (Timer, "timer")):
        if isinstance(entrypoint, cls):
            return kind
    return "other"


class MetricsRegistry:
    """One container's Prometheus registry, handed to workers as the ``metrics`` dependency.

    ``counter``/``histogram``/``gauge`` create a metric on first call and return the same object on every
    later call with the same name; asking for an existing name with another type or other labels raises
    ``ValueError``. Counter names may be given with or without the ``_total`` suffix.
    """

    def __init__(self, service_name: str) -> None:
        self.service_name = service_name
        self.registry = CollectorRegistry()
        self._metrics: dict[str, tuple[Any, tuple[str, ...]]] = {}
        self.last_beat = time.monotonic()  # the hub heartbeat's (Metrics); read by the liveness probe
        self.last_lag = 0.0  # how late that beat ran
        self.stall_limit = DEFAULT_LIVENESS_STALL_SECONDS

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """The counter ``name`` (``_total`` is appended on exposition) with ``labels``."""
        return self._get_or_create(Counter, name.removesuffix("_total"), documentation, labels)

    def histogram(
        self,
        name: str,
        documentation: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = Histogram.DEFAULT_BUCKETS,
    ) -> Histogram:
        """The histogram ``name`` with ``labels`` and ``buckets`` (used only when it is created)."""
        return self._get_or_create(Histogram, name, documentation, labels, buckets=tuple(buckets))

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        """The gauge ``name`` with ``labels``."""
        return self._get_or_create(Gauge, name, documentation, labels)

    def deadlines(self, kind: str, open_count: int, breached: int, provisional: int = 0) -> None:
        """Report the service's open deadlines of ``kind`` (e.g. ``precheck_5_working_days``, P2), how many of
        them are past due and how many were counted by the provisional rule, as ``icp_deadlines_open``,
        ``icp_deadlines_breached`` and ``icp_deadlines_provisional`` ``{service, kind}`` (the alert rules in
        deploy/monitoring watch the last two). Call it whenever the counts are recomputed."""
        self.gauge(*_DEADLINES_OPEN).labels(self.service_name, kind).set(open_count)
        self.gauge(*_DEADLINES_BREACHED).labels(self.service_name, kind).set(breached)
        self.gauge(*_DEADLINES_PROVISIONAL).labels(self.service_name, kind).set(provisional)

    def calendar(self, official_days_left: int) -> None:
        """Report how many days the service's working-day calendar still has official State Council schedules for
        (``WorkingCalendar.official_days_left``), as ``icp_calendar_official_days_left{service}``: the alert rules
        warn a month before deadlines start turning provisional (P2, P8)."""
        self.gauge(*_CALENDAR_DAYS_LEFT).labels(self.service_name).set(official_days_left)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format (``CONTENT_TYPE_LATEST``)."""
        return generate_latest(self.registry)

    def _get_or_create(
        self, cls: type, name: str, documentation: str, labels: Sequence[str], **kw: Any
    ) -> Any:
        labels = tuple(labels)
        if name in self._metrics:
            existing, existing_labels = self._metrics[name]
            if type(existing) is not cls or existing_labels != labels:
                raise ValueError(
                    f"metric {name!r} already exists as {type(existing).__name__}{list(existing_labels)}"
                )
            return existing
        metric = cls(name, documentation, labels, registry=self.registry, **kw)
        self._metrics[name] = (metric, labels)
        return metric


class Metrics(DependencyProvider):
    """Times and counts every worker of its container; the dependency is the container's
    :class:`MetricsRegistry`.

    Recorded per worker, from ``worker_setup`` to ``worker_result``:

    - ``icp_entrypoint_seconds{service, entrypoint, kind, outcome}`` histogram; ``outcome`` is ``error`` when
      the entrypoint raised (expected exceptions included), else ``ok``;
    - ``icp_entrypoint_failures_total{service, entrypoint, error_type}``, ``error_type`` the exception class;
    - ``icp_events_handled_total{service, event_type}`` for event handlers that completed without error (a
      failed delivery is a failure above, and is counted here when a redelivery succeeds).

    Declared here, set by others: ``icp_deadlines_open`` / ``icp_deadlines_breached{service, kind}``
    (:meth:`MetricsRegistry.deadlines`); the outbox relay adds ``icp_outbox_*`` (shared/platform/outbox.py).
    """

    def setup(self) -> None:
        self.registry = MetricsRegistry(self.container.service_name)
        self._started: dict[Any, float] = {}
        self.seconds = self.registry.histogram(
            "icp_entrypoint_seconds",
            "Time from worker setup to worker result, per entrypoint.",
            ("service", "entrypoint", "kind", "outcome"),
            buckets=_SECONDS_BUCKETS,
        )
        self.failures = self.registry.counter(
            "icp_entrypoint_failures_total",
            "Workers whose entrypoint raised, by exception class.",
            ("service", "entrypoint", "error_type"),
        )
        self.events_handled = self.registry.counter(
            "icp_events_handled_total",
            "Events whose handler completed without error.",
            ("service", "event_type"),
        )
        # Declared up front so that every service exposes the families the alert rules and dashboard use.
        self.registry.gauge(*_DEADLINES_OPEN)
        self.registry.gauge(*_DEADLINES_BREACHED)
        self.hub_lag = self.registry.gauge(
            "icp_event_loop_lag_seconds", "How late the hub's last heartbeat ran (a blocked hub runs it late).",
            ("service",),
        ).labels(self.container.service_name)
        self.registry.stall_limit = float(
            self.container.config.get(LIVENESS_STALL_CONFIG_KEY, DEFAULT_LIVENESS_STALL_SECONDS)
        )

    def start(self) -> None:
        self.registry.last_beat = time.monotonic()
        self.container.spawn_managed_thread(self._heartbeat, identifier="hub_heartbeat")

    def _heartbeat(self) -> None:
        """Beat every HEARTBEAT_SECONDS; a greenlet that blocks the hub (a blocking call, a CPU loop without a
        yield) delays the beat, which the liveness probe and ``icp_event_loop_lag_seconds`` show."""
        while True:
            before = time.monotonic()
            eventlet.sleep(HEARTBEAT_SECONDS)
            now = time.monotonic()
            self.registry.last_lag = max(now - before - HEARTBEAT_SECONDS, 0.0)
            self.registry.last_beat = now
            self.hub_lag.set(self.registry.last_lag)

    def get_dependency(self, worker_ctx: Any) -> MetricsRegistry:
        return self.registry

    def worker_setup(self, worker_ctx: Any) -> None:
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        service = self.container.service_name
        entrypoint = worker_ctx.entrypoint
        method = entrypoint.method_name
        outcome = "ok" if exc_info is None else "error"
        self.seconds.labels(service, method, entrypoint_kind(entrypoint), outcome).observe(elapsed)
        if exc_info is not None:
            self.failures.labels(service, method, exc_info[0].__name__).inc()
        elif isinstance(entrypoint, EventHandler):
            self.events_handled.labels(service, entrypoint.event_type).inc()

    def worker_teardown(self, worker_ctx: Any) -> None:
        # A worker killed before its result must not leave its start time behind.
        self._started.pop(worker_ctx, None)


class OpsEndpoints:
    """Mixin giving a nameko service ``GET /healthz`` (readiness), ``GET /healthz?probe=live`` (liveness, see
    :meth:`_liveness`) and ``GET /metrics``; the service must declare
    ``metrics = Metrics()`` (checked when the class is defined).

    ``/metrics`` answers the container's registry in the Prometheus text format. ``/healthz`` answers
    ``{"status": "ok"|"failing", "service": name, "checks": {name: "ok" | error text}}`` with 200 or 503. The
    checks come from the service's ``health_checks(self) -> dict[str, Callable[[], None]]``: a check fails by
    raising (or by running longer than :data:`HEALTH_CHECK_TIMEOUT_SECONDS`); its entry is
    ``"<ExceptionClass>: <message>"``, masked, never a traceback. Checks must not use the broker: kubelet
    probes restart pods, and a broker outage must not restart every service.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__ and not isinstance(getattr(cls, "metrics", None), Metrics):
            raise TypeError(f"{cls.__name__} uses OpsEndpoints and needs `metrics = Metrics()`")

    def health_checks(self) -> dict[str, Callable[[], None]]:
        """The service's named health checks; none by default."""
        return {}

    @http("GET", "/healthz")
    def ops_healthz(self, request: Any) -> Response:
        if request.args.get("probe") == "live":
            return self._liveness()
        checks = _run_checks(self.health_checks)
        healthy = all(result == "ok" for result in checks.values())
        body = {
            "status": "ok" if healthy else "failing",
            "service": self.metrics.service_name,
            "checks": checks,
        }
        return Response(json.dumps(body), status=200 if healthy else 503, mimetype="application/json")

    def _liveness(self) -> Response:
        """``/healthz?probe=live``: is the event loop turning? Uses neither the database nor the broker (an outage
        of either must not restart pods). A stalled hub cannot answer (the probe times out); a probe answered
        just after a stall longer than ``LIVENESS_STALL_SECONDS`` finds the heartbeat late, or its last beat
        late, and gets 503."""
        since_beat = time.monotonic() - self.metrics.last_beat
        limit = self.metrics.stall_limit
        stalled = since_beat > limit or self.metrics.last_lag > limit
        body = {"status": "failing" if stalled else "ok", "service": self.metrics.service_name, "probe": "live",
                "seconds_since_heartbeat": round(since_beat, 3), "last_heartbeat_lag": round(self.metrics.last_lag, 3)}
        return Response(json.dumps(body), status=503 if stalled else 200, mimetype="application/json")

    @http("GET", "/metrics")
    def ops_metrics(self, request: Any) -> Response:
        return Response(self.metrics.exposition(), status=200, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _run_checks(declared: Callable[[], dict[str, Callable[[], None]]]) -> dict[str, str]:
    try:
        checks = declared()
    except Exception as exc:  # a broken declaration is a failing service, not a 500
        return {"health_checks": _describe(exc)}
    results = {}
    for name, check in checks.items():
        # Green I/O is interrupted at the deadline; a check that blocks the hub cannot be and must not exist.
        deadline = eventlet.Timeout(HEALTH_CHECK_TIMEOUT_SECONDS)
        try:
            check()
        except eventlet.Timeout as exc:
            if exc is not deadline:
                results[name] = _describe(exc)
            else:
                results[name] = f"timed out after {HEALTH_CHECK_TIMEOUT_SECONDS:g} s"
        except Exception as exc:
            results[name] = _describe(exc)
        else:
            results[name] = "ok"
        finally:
            deadline.cancel()
    return results


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return mask_pii(text)[:_MAX_CHECK_MESSAGE]
