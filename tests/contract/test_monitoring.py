"""The alert rules and the Grafana dashboard in deploy/monitoring (issue 7): they parse, they cover the situations
the issue names, and every series they read is one the services or RabbitMQ's Prometheus plugin expose.

``promtool`` (Debian package ``prometheus``; not on PyPI) checks the PromQL and runs the rules' unit tests
(``alerts.test.yaml``: each alert fires on its situation, not on a healthy system); without it those tests skip and
the structural checks below still run.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "deploy" / "monitoring"
ALERTS = MONITORING / "alerts.yaml"
ALERT_TESTS = MONITORING / "alerts.test.yaml"
DASHBOARD = MONITORING / "grafana-dashboard.json"

# The situations issue 7 names, by alert.
REQUIRED_ALERTS = {
    "IcpQueueBacklogGrowing", "IcpQueueWithoutConsumer", "IcpDeadLetters", "IcpDeadlineBreached", "IcpOutboxLag",
    "IcpUnroutableMessages",
}
# RabbitMQ's Prometheus plugin, per-object metrics (prometheus.return_per_object_metrics = true).
RABBITMQ_SERIES = {"rabbitmq_queue_messages", "rabbitmq_queue_messages_ready", "rabbitmq_queue_messages_unacked",
                   "rabbitmq_queue_consumers"}
SERIES = re.compile(r"\b((?:icp|rabbitmq)_[a-z_]+)\b")
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def _defined_icp_series() -> set[str]:
    """Metric names the shared platform code defines (counters without ``_total``)."""
    names = set()
    for path in (REPO / "shared" / "platform").glob("*.py"):
        names |= {name.removesuffix("_total") for name in re.findall(r'"(icp_[a-z_]+)"', path.read_text())}
    return names


def _base(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _assert_known(expr: str, where: str) -> None:
    defined = _defined_icp_series()
    for name in SERIES.findall(expr):
        known = name in RABBITMQ_SERIES if name.startswith("rabbitmq_") else _base(name) in defined
        assert known, f"{where}: {name} is exposed by nothing"


def _rules() -> list[dict]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"] for target in panel["targets"]]


def test_alert_rules_cover_the_named_situations_and_read_real_series():
    rules = _rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    assert set(names) >= REQUIRED_ALERTS, sorted(REQUIRED_ALERTS - set(names))
    for rule in rules:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        _assert_known(rule["expr"], rule["alert"])


def test_dashboard_parses_and_every_panel_reads_real_series():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["type"] in {"timeseries", "stat"} and panel["targets"], panel["title"]
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"]), panel["title"]
        for target in panel["targets"]:
            _assert_known(target["expr"], panel["title"])
    exprs = " ".join(expr for _title, expr in _dashboard_exprs())
    for needed in ("icp_entrypoint_seconds_bucket", "icp_entrypoint_failures_total", "icp_events_handled_total",
                   "icp_outbox_lag_seconds", "icp_deadlines_open", "icp_deadlines_breached",
                   "rabbitmq_queue_messages_ready", "rabbitmq_queue_messages_unacked", "rabbitmq_queue_consumers"):
        assert needed in exprs, needed


def _promtool() -> str:
    promtool = shutil.which("promtool")
    if promtool is None:
        reason = "promtool not found: `apt-get install prometheus` (bin/setup does; not on PyPI)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must have it")
        pytest.skip(reason)
    return promtool


def test_promtool_accepts_the_rules_and_their_unit_tests_pass():
    promtool = _promtool()
    for args in (["check", "rules", str(ALERTS)], ["test", "rules", str(ALERT_TESTS)]):
        result = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60, cwd=MONITORING)
        assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_parses_every_dashboard_query(tmp_path):
    promtool = _promtool()
    rules = [{"record": f"dashboard:query_{n}", "expr": expr.replace("$service", ".*")}
             for n, (_title, expr) in enumerate(_dashboard_exprs())]
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deadline_alert_groups_by_the_labels_services_set_and_its_rule_test_covers_every_kind():
    """``IcpDeadlineBreached`` reads ``icp_deadlines_breached{service, kind}`` (MetricsRegistry.deadlines) by both
    labels, and alerts.test.yaml fires it for every kind a service reports (tests/system/test_deadline_metrics.py
    scrapes them)."""
    from bureau.domain import DEADLINE_KIND as BUREAU
    from precheck.domain import DEADLINE_KIND as PRECHECK
    from verification.domain import DEADLINE_KIND as VERIFICATION

    (rule,) = [rule for rule in _rules() if rule["alert"] == "IcpDeadlineBreached"]
    assert rule["expr"].strip() == "max by (service, kind) (icp_deadlines_breached) > 0"
    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    fired = {(alert["exp_labels"]["service"], alert["exp_labels"]["kind"])
             for test in tests for case in test["alert_rule_test"] if case["alertname"] == "IcpDeadlineBreached"
             for alert in case["exp_alerts"]}
    assert fired == {("precheck", PRECHECK), ("bureau", BUREAU), ("verification", VERIFICATION)}


def test_deadline_counts_are_not_summed_over_replicas():
    """Every replica of a service reports the same database count (MetricsRegistry.deadlines): rules and panels take
    the max per service and kind, or two replicas would show twice the filings."""
    exprs = [(rule["alert"], rule["expr"]) for rule in _rules()] + _dashboard_exprs()
    for where, expr in exprs:
        for found in re.finditer(r"icp_deadlines_(?:open|breached)", expr):
            assert expr[: found.start()].endswith("max by (service, kind) ("), f"{where}: {expr}"
