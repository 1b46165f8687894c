"""Metrics, OpsEndpoints and LogContext in a running nameko container on the real RabbitMQ
(shared/platform/observability.py, shared/platform/logging.py)."""

import io
import json
import logging
import time

import eventlet
import pytest
import requests
import structlog
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from prometheus_client.parser import text_string_to_metric_families

from shared.platform.http import http
from shared.platform.logging import LogContext, configure_logging, get_logger
from shared.platform.observability import Metrics, OpsEndpoints

log = get_logger(__name__)

EVENT_TYPE = "thing_happened.v1"
# Switched by the tests: what the service's database check finds.
DATABASE = {"error": None}


class Boom(Exception):
    pass


class ProbeService(OpsEndpoints):
    name = "probe"

    metrics = Metrics()
    log_context = LogContext()

    def health_checks(self):
        return {"database": self._check_database, "disk": lambda: None}

    def _check_database(self):
        if DATABASE["error"]:
            raise ConnectionError(DATABASE["error"])

    @rpc
    def echo(self, value):
        log.info("echo", value=value)
        return value

    @rpc
    def explode(self):
        raise Boom("no")

    @rpc
    def count_things(self):
        counter = self.metrics.counter("probe_things_total", "Things counted.", ["kind"])
        assert counter is self.metrics.counter("probe_things", "Things counted.", ["kind"])
        counter.labels("widget").inc()

    @event_handler("source", EVENT_TYPE)
    def on_thing(self, envelope):
        log.info("thing received")
        eventlet.sleep(0.05)  # a second worker runs here
        log.info("thing handled", step=envelope["data"]["step"])

    @http("GET", "/hello")
    def hello(self, request):
        log.info("hello served")
        return "hi"


@pytest.fixture
def log_stream():
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("probe", stream=stream)
    yield stream
    structlog.reset_defaults()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


@pytest.fixture
def config(rabbit_config, web_config):
    return {**rabbit_config, **web_config}


@pytest.fixture
def base_url(web_config):
    return "http://{}".format(web_config["WEB_SERVER_ADDRESS"])


@pytest.fixture
def container(container_factory, config, log_stream):
    DATABASE["error"] = None
    container = container_factory(ProbeService, config)
    container.start()
    yield container
    DATABASE["error"] = None


def envelope(correlation_id, step=0):
    return {
        "meta": {"id": f"evt-{correlation_id}-{step}", "type": EVENT_TYPE, "correlation_id": correlation_id},
        "data": {"step": step},
    }


def samples(base_url):
    """The /metrics exposition as {(sample name, frozenset of labels): value}."""
    response = requests.get(f"{base_url}/metrics", timeout=5)
    response.raise_for_status()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def labels(**kv):
    return frozenset(kv.items())


def lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.service
def test_nameko_collects_the_mixin_entrypoints(container):
    methods = {entrypoint.method_name for entrypoint in container.entrypoints}

    assert {"ops_healthz", "ops_metrics", "echo", "on_thing", "hello"} <= methods


@pytest.mark.service
def test_metrics_time_count_and_label_every_kind_of_entrypoint(container, config, base_url):
    with entrypoint_hook(container, "echo") as echo:
        assert echo(1) == 1
        assert echo(2) == 2
    with entrypoint_hook(container, "explode") as explode, pytest.raises(Boom):
        explode()
    dispatch = event_dispatcher(config)
    with entrypoint_waiter(container, "on_thing"):
        dispatch("source", EVENT_TYPE, envelope("F-1"))
    assert requests.get(f"{base_url}/hello", timeout=5).text == "hi"

    seen = samples(base_url)

    def count(entrypoint, kind, outcome="ok"):
        key = labels(service="probe", entrypoint=entrypoint, kind=kind, outcome=outcome)
        return seen[("icp_entrypoint_seconds_count", key)]

    assert count("echo", "rpc") == 2
    assert count("explode", "rpc", "error") == 1
    assert count("on_thing", "event") == 1
    assert count("hello", "http") == 1
    assert (
        seen[
            (
                "icp_entrypoint_seconds_sum",
                labels(service="probe", entrypoint="on_thing", kind="event", outcome="ok"),
            )
        ]
        >= 0.05
    )  # the handler sleeps 50 ms
    assert (
        "icp_entrypoint_seconds_count",
        labels(service="probe", entrypoint="echo", kind="rpc", outcome="error"),
    ) not in seen
    failures = labels(service="probe", entrypoint="explode", error_type="Boom")
    assert seen[("icp_entrypoint_failures_total", failures)] == 1
    assert seen[("icp_events_handled_total", labels(service="probe", event_type=EVENT_TYPE))] == 1


@pytest.mark.service
def test_metrics_endpoint_speaks_the_prometheus_text_format(container, base_url):
    response = requests.get(f"{base_url}/metrics", timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert "# TYPE icp_entrypoint_seconds histogram" in response.text


@pytest.mark.service
def test_services_register_their_own_metrics_once(container, base_url):
    with entrypoint_hook(container, "count_things") as count_things:
        count_things()
        count_things()

    assert samples(base_url)[("probe_things_total", labels(kind="widget"))] == 2


@pytest.mark.service
def test_healthz_is_ok_when_every_check_passes(container, base_url):
    response = requests.get(f"{base_url}/healthz", timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "service": "probe", "checks": {"database": "ok", "disk": "ok"}}


@pytest.mark.service
@pytest.mark.req("W4")
def test_healthz_is_503_with_the_failing_checks_message(container, base_url):
    DATABASE["error"] = "could not connect to db.internal:5432 as ops 13800138000"

    response = requests.get(f"{base_url}/healthz", timeout=5)

    assert response.status_code == 503
    assert response.json() == {
        "status": "failing",
        "service": "probe",
        "checks": {
            "database": "ConnectionError: could not connect to db.internal:5432 as ops 138****8000",
            "disk": "ok",
        },
    }
    assert "Traceback" not in response.text


@pytest.mark.service
def test_log_context_binds_the_envelope_correlation_id_per_concurrent_worker(container, config, log_stream):
    finished = []

    def both_finished(worker_ctx, result, exc_info):
        finished.append(worker_ctx)
        return len(finished) == 2

    dispatch = event_dispatcher(config)
    with entrypoint_waiter(container, "on_thing", callback=both_finished):
        dispatch("source", EVENT_TYPE, envelope("F-2024-0001", step=1))
        dispatch("source", EVENT_TYPE, envelope("F-2024-0002", step=2))

    handled = [line for line in lines(log_stream) if line["event"] in ("thing received", "thing handled")]
    assert len(handled) == 4
    # Both workers were in flight at once (second "received" before first "handled").
    assert [line["event"] for line in handled][:2] == ["thing received", "thing received"]
    for line in handled:
        assert line["service"] == "probe"
        assert line["entrypoint"] == "on_thing"
        assert line["call_id"].startswith("probe.on_thing.")
    by_step = {line["step"]: line["correlation_id"] for line in handled if line["event"] == "thing handled"}
    assert by_step == {1: "F-2024-0001", 2: "F-2024-0002"}


@pytest.mark.service
def test_log_context_reads_the_http_header_and_rpc_context_data(container, config, base_url, log_stream):
    requests.get(f"{base_url}/hello", headers={"X-Correlation-Id": "F-http"}, timeout=5)
    with ServiceRpcProxy("probe", config, context_data={"correlation_id": "F-rpc"}) as probe:
        probe.echo("x")
    # The HTTP worker may log after the response has gone; give it a moment.
    deadline = time.monotonic() + 5
    while not any(line["event"] == "hello served" for line in lines(log_stream)):
        assert time.monotonic() < deadline
        eventlet.sleep(0.01)

    served = next(line for line in lines(log_stream) if line["event"] == "hello served")
    echoed = next(line for line in lines(log_stream) if line["event"] == "echo")
    assert (served["correlation_id"], served["entrypoint"]) == ("F-http", "hello")
    assert (echoed["correlation_id"], echoed["entrypoint"]) == ("F-rpc", "echo")


def test_deadline_gauges_per_kind_are_declared_for_every_service_and_set_by_it():
    from shared.platform.observability import MetricsRegistry

    registry = MetricsRegistry("precheck")
    registry.deadlines("precheck_5_working_days", 4, 1)
    registry.deadlines("precheck_5_working_days", 3, 2)  # recomputed: replaces, never adds
    families = {f.name: f for f in text_string_to_metric_families(registry.exposition().decode())}
    labels = {"service": "precheck", "kind": "precheck_5_working_days"}
    assert [(s.labels, s.value) for s in families["icp_deadlines_open"].samples] == [(labels, 3.0)]
    assert [(s.labels, s.value) for s in families["icp_deadlines_breached"].samples] == [(labels, 2.0)]
