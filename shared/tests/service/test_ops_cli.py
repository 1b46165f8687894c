"""``icp-ops`` against the real RabbitMQ management API (issue 7, design.md §4): a poison event ends in its
dead-letter queue after the delivery limit, ``status`` reports it and exits non-zero, ``inspect`` masks personal
data, ``replay`` delivers it once, ``discard`` removes it; queues without consumer and unroutable messages are
found.

The management API's counts lag the broker by its statistics interval (5 s): every wait polls it."""

import json
import time
import uuid
from collections import Counter

import pytest
from nameko.standalone.events import event_dispatcher

from shared.ops.cli import BREACHED, FAILED, OK, main
from shared.ops.management import UNROUTABLE_QUEUE, ManagementApi
from shared.platform.events import (
    DELIVERY_LIMIT_CONFIG_KEY,
    RETRY_DELAY_CONFIG_KEY,
    dead_letter_queue_name,
    event_handler,
    handler_queue_name,
)

pytestmark = pytest.mark.service

SOURCE = "probe_ops_source"
EVENT = "thing_happened.v1"
SERVICE = "probe_ops"
QUEUE = handler_queue_name(SOURCE, EVENT, SERVICE, "on_thing")
DLQ = dead_letter_queue_name(QUEUE)
LIMIT = 3
MOBILE = "13800138000"
ID_NUMBER = "11010519491231002X"
STATS_TIMEOUT = 30.0

HANDLED: Counter = Counter()
ATTEMPTS: Counter = Counter()
CURED: set = set()


class ProbeService:
    name = SERVICE

    @event_handler(SOURCE, EVENT)
    def on_thing(self, envelope):
        event_id = envelope["meta"]["id"]
        ATTEMPTS[event_id] += 1
        if envelope["data"].get("poison") and event_id not in CURED:
            raise ValueError("cannot handle this one")
        HANDLED[event_id] += 1


@pytest.fixture(autouse=True)
def clean():
    HANDLED.clear()
    ATTEMPTS.clear()
    CURED.clear()


@pytest.fixture
def config(rabbit_config):
    return {**rabbit_config, DELIVERY_LIMIT_CONFIG_KEY: LIMIT, RETRY_DELAY_CONFIG_KEY: 0.01}


@pytest.fixture
def ops(config, request, capsys):
    """``icp-ops`` in this process on the test's vhost: ``ops("status")`` -> (exit status, stdout)."""
    api = request.config.getoption("RABBIT_API_URI")

    def run(*argv):
        capsys.readouterr()
        code = main(["--api", api, "--amqp", config["AMQP_URI"], "--vhost", config["vhost"], *argv])
        return code, capsys.readouterr().out

    return run


@pytest.fixture
def api(config, request):
    return ManagementApi(request.config.getoption("RABBIT_API_URI"), config["vhost"])


def envelope(poison=False, **data):
    event_id = str(uuid.uuid4())
    return {"meta": {"id": event_id, "type": EVENT, "source": SOURCE, "occurred_at": "2026-11-30T12:00:00+08:00",
                     "correlation_id": "filing-1", "schema_version": 1},
            "data": {"poison": poison, **data}}


def publish(config, body, routing_key=EVENT):
    event_dispatcher(config)(SOURCE, routing_key, body)


def wait_for(what, probe, timeout=STATS_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def held(api, queue):
    state = next((s for s in api.queues() if s.name == queue), None)
    return None if state is None else state.ready + state.unacked


def dead_letter(container_factory, config, api, **data):
    """Start the probe, publish one poison event, wait until the broker dead-letters it; returns its id."""
    container = container_factory(ProbeService, config)
    container.start()
    body = envelope(poison=True, **data)
    publish(config, body)
    wait_for("the poison event in its dead-letter queue", lambda: held(api, DLQ) == 1)
    return container, body["meta"]["id"]


def test_poison_event_is_dead_lettered_reported_masked_and_replayed_once(container_factory, config, api, ops):
    container, event_id = dead_letter(container_factory, config, api, mobile=MOBILE, note=f"id {ID_NUMBER}")
    assert ATTEMPTS[event_id] == LIMIT and HANDLED[event_id] == 0

    code, out = ops("status")
    assert code == BREACHED
    assert f"BREACH {DLQ}: dead_letters 1 > 0" in out
    code, out = ops("--json", "status")
    report = json.loads(out)
    (handler,) = [q for q in report["queues"] if q["name"] == QUEUE]
    assert handler["dead_letters"] == 1 and handler["consumers"] == 1 and handler["kind"] == "handler"
    assert ops("status", "--max-dead-letters", "1")[0] == OK

    code, out = ops("dead-letters", "list")
    assert code == OK and f"{DLQ} 1" in out
    code, out = ops("dead-letters", "list", DLQ)
    assert event_id in out and "delivery_limit" in out

    code, out = ops("dead-letters", "inspect", DLQ, "--event-id", event_id)
    assert code == OK
    (message,) = json.loads(out)
    assert message["source_queue"] == QUEUE and message["death_reason"] == "delivery_limit"
    assert message["body"]["data"]["mobile"] == "138****8000"
    assert MOBILE not in out and ID_NUMBER not in out, "personal data in plaintext"
    assert held(api, DLQ) == 1, "inspecting leaves the dead letter where it is"

    CURED.add(event_id)
    code, out = ops("dead-letters", "replay", DLQ)
    assert code == OK and "1 replayed" in out
    wait_for("the replayed event handled", lambda: HANDLED[event_id] == 1, timeout=10)
    time.sleep(1.0)  # a second delivery would show up by now
    assert HANDLED[event_id] == 1 and ATTEMPTS[event_id] == LIMIT + 1
    wait_for("the dead-letter queue empty", lambda: held(api, DLQ) == 0)
    wait_for("status all well", lambda: ops("status")[0] == OK)
    container.stop()


def test_discard_removes_only_the_named_dead_letter(container_factory, config, api, ops):
    container, first = dead_letter(container_factory, config, api)
    second = envelope(poison=True)
    publish(config, second)
    wait_for("both dead letters", lambda: held(api, DLQ) == 2)

    code, out = ops("dead-letters", "discard", DLQ, "--event-id", first)
    assert code == OK and "1 discarded" in out
    wait_for("one dead letter left", lambda: held(api, DLQ) == 1)
    code, out = ops("dead-letters", "list", DLQ)
    assert second["meta"]["id"] in out and first not in out
    assert ops("dead-letters", "discard", DLQ, "--event-id", first)[0] == FAILED, "already gone"

    assert ops("dead-letters", "discard", DLQ, "--all")[0] == OK
    wait_for("no dead letter left", lambda: held(api, DLQ) == 0)
    assert HANDLED[first] == 0 and HANDLED[second["meta"]["id"]] == 0
    container.stop()


def test_queues_without_consumer_and_unroutable_messages_are_found(container_factory, config, api, ops):
    code, out = ops("declare", "precheck")  # a real service's topology, and the unroutable capture
    assert code == OK and "precheck: 2 event queues declared" in out
    assert UNROUTABLE_QUEUE in out
    wait_for("precheck's queues", lambda: held(api, handler_queue_name(
        "intake", "filing_submitted.v1", "precheck", "on_filing_submitted")) == 0)

    container = container_factory(ProbeService, config)
    container.start()
    # the management API's consumer counts lag the broker by a statistics interval
    wait_for("the probe's consumer in the statistics",
             lambda: any(s.name == QUEUE and s.consumers for s in api.queues()))
    publish(config, envelope(), routing_key="nobody_listens.v1")  # to probe_ops_source.events, bound by no queue
    wait_for("the unroutable message captured", lambda: held(api, UNROUTABLE_QUEUE) == 1)

    code, out = ops("--json", "unroutable")
    assert code == BREACHED
    report = json.loads(out)
    assert report["unroutable_capture"] is True
    assert [m["routing_key"] for m in report["unroutable_messages"]] == ["nobody_listens.v1"]
    idle = set(report["queues_without_consumer"])
    assert "evt-intake-filing_submitted.v1--precheck.on_filing_submitted" in idle, "precheck is not running"
    assert QUEUE not in idle, "the probe consumes its queue"

    code, out = ops("status", "--max-unroutable", "5")
    assert code == BREACHED and "no consumer" in out and "unroutable" not in out.split("BREACH", 1)[1]
    container.stop()


def test_unreachable_api_and_wrong_queue_fail_with_status_1(ops, config):
    assert main(["--api", "http://guest:guest@127.0.0.1:1", "--vhost", config["vhost"], "status"]) == FAILED
    assert ops("dead-letters", "replay", QUEUE)[0] == FAILED, "only a .dlq can be replayed"
