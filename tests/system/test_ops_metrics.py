"""Every running service's ``/metrics`` has the series the alert rules (deploy/monitoring) and the dashboard use
(issue 7), and its liveness answers without the broker or database: scraped from the ``nameko run`` processes."""
from importlib import import_module

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from shared.platform.outbox import OutboxRelay

pytestmark = pytest.mark.system

# Families every service exposes (counters without their _total suffix, as the parser names them).
EVERY_SERVICE = {
    "icp_entrypoint_seconds": "histogram",
    "icp_entrypoint_failures": "counter",
    "icp_events_handled": "counter",
    "icp_deadlines_open": "gauge",
    "icp_deadlines_breached": "gauge",
    "icp_event_loop_lag_seconds": "gauge",
}
OUTBOX = {"icp_outbox_pending": "gauge", "icp_outbox_lag_seconds": "gauge", "icp_outbox_unroutable": "gauge"}


def has_outbox(service: str) -> bool:
    service_cls = getattr(import_module(f"{service}.service"), f"{service.capitalize()}Service")
    return any(isinstance(value, OutboxRelay) for value in vars(service_cls).values())


def test_every_service_exposes_the_named_series(deployment):
    for service in deployment.services:
        url = deployment.url(service)
        live = requests.get(f"{url}/healthz?probe=live", timeout=5)
        assert live.status_code == 200 and live.json()["probe"] == "live", service
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200, service
        text = requests.get(f"{url}/metrics", timeout=5).text
        families = {family.name: family for family in text_string_to_metric_families(text)}
        expected = {**EVERY_SERVICE, **(OUTBOX if has_outbox(service) else {})}
        missing = {name for name in expected if name not in families}
        assert not missing, f"{service}: {sorted(missing)}"
        assert {name: families[name].type for name in expected} == expected, service

        timed = [s for s in families["icp_entrypoint_seconds"].samples
                 if s.name.endswith("_count") and s.labels["entrypoint"] == "ops_healthz"]
        assert timed and all(s.labels["service"] == service and s.value >= 1 for s in timed), service
        if has_outbox(service):
            (lag,) = families["icp_outbox_lag_seconds"].samples
            assert lag.labels == {"service": service} and lag.value >= 0
