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
from nameko.web.handlers import HttpRequestHandler, http
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from werkzeug.wrappers import Response

from shared.platform.logging import mask_pii

__all__ = ["HEALTH_CHECK_TIMEOUT_SECONDS", "Metrics", "MetricsRegistry", "OpsEndpoints", "entrypoint_kind"]

# Handlers that talk to the SMS gateway or authority sources run for tens of seconds; the default buckets stop
# at 10 s.
_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

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
    """Mixin giving a nameko service ``GET /healthz`` and ``GET /metrics``; the service must declare
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
        checks = _run_checks(self.health_checks)
        healthy = all(result == "ok" for result in checks.values())
        body = {
            "status": "ok" if healthy else "failing",
            "service": self.metrics.service_name,
            "checks": checks,
        }
        return Response(json.dumps(body), status=200 if healthy else 503, mimetype="application/json")

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
