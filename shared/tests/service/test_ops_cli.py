"""``icp-ops`` against the real RabbitMQ management API (issue 7, design.md §4): a poison event ends in its
dead-letter queue after the delivery limit, ``status`` reports it and exits non-zero, ``inspect`` masks personal
data, ``replay`` delivers it once, ``discard`` removes it; queues without consumer and unroutable messages are
found.

The management API's counts lag the broker by its statistics interval (5 s): every wait polls it."""

import json
import time
import uuid
from collections import Counter
from importlib import import_module

import pytest
from amqp.exceptions import NotFound
from kombu import Connection, Exchange, Queue
from nameko.standalone.events import event_dispatcher

from shared.ops.cli import BREACHED, FAILED, OK, main
from shared.ops.management import UNROUTABLE_QUEUE, ManagementApi
from shared.platform.events import (
    DELIVERY_LIMIT_CONFIG_KEY,
    RETRY_DELAY_CONFIG_KEY,
    dead_letter_queue_name,
    declare_topology,
    event_handler,
    handler_queue_name,
    service_topology,
)
from shared.testing.system import ALL_SERVICES, REPO

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
TOKEN = "Bearer eyJhbGciOiJFZERTQSJ9.caller-token.signature"

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


def publish(config, body, routing_key=EVENT, headers=None):
    event_dispatcher(config, headers=headers or {})(SOURCE, routing_key, body)


def wait_for(what, probe, timeout=STATS_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def depth(config, queue):
    """Ready messages in ``queue`` now (AMQP), or None when it does not exist; no statistics lag."""
    with Connection(config["AMQP_URI"]) as connection:
        try:
            return connection.channel().queue_declare(queue=queue, passive=True).message_count
        except NotFound:
            return None


def held(api, queue):
    """Ready + unacknowledged in ``queue`` as the management statistics show it (up to 5 s late)."""
    state = next((s for s in api.queues() if s.name == queue), None)
    return None if state is None else state.ready + state.unacked


def dead_letter(container_factory, config, api, headers=None, **data):
    """Start the probe, publish one poison event, wait until the broker dead-letters it; returns its id."""
    container = container_factory(ProbeService, config)
    container.start()
    body = envelope(poison=True, **data)
    publish(config, body, headers=headers)
    wait_for("the poison event in its dead-letter queue", lambda: depth(config, DLQ) == 1)
    return container, body["meta"]["id"]


def test_poison_event_is_dead_lettered_reported_masked_and_replayed_once(container_factory, config, api, ops):
    container, event_id = dead_letter(container_factory, config, api, headers={"nameko.authorization": TOKEN},
                                      mobile=MOBILE, note=f"id {ID_NUMBER}")
    assert ATTEMPTS[event_id] == LIMIT and HANDLED[event_id] == 0
    wait_for("the dead letter and the consumer in the statistics",
             lambda: held(api, DLQ) == 1 and any(s.name == QUEUE and s.consumers for s in api.queues()))

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
    assert TOKEN not in out and message["headers"]["nameko.authorization"] == "<redacted>", "a credential shown"
    wait_for("the inspected dead letter still there", lambda: depth(config, DLQ) == 1, timeout=5)

    CURED.add(event_id)
    code, out = ops("dead-letters", "replay", DLQ)
    assert code == OK and "1 replayed" in out
    wait_for("the replayed event handled", lambda: HANDLED[event_id] == 1, timeout=10)
    time.sleep(1.0)  # a second delivery would show up by now
    assert HANDLED[event_id] == 1 and ATTEMPTS[event_id] == LIMIT + 1
    wait_for("the dead-letter queue empty", lambda: depth(config, DLQ) == 0, timeout=5)
    wait_for("status all well", lambda: ops("status")[0] == OK)
    container.stop()


def test_discard_removes_only_the_named_dead_letter(container_factory, config, api, ops):
    container, first = dead_letter(container_factory, config, api)
    second = envelope(poison=True)
    publish(config, second)
    wait_for("both dead letters", lambda: depth(config, DLQ) == 2)

    code, out = ops("dead-letters", "discard", DLQ, "--event-id", first)
    assert code == OK and "1 discarded" in out
    wait_for("one dead letter left", lambda: depth(config, DLQ) == 1, timeout=5)
    code, out = ops("dead-letters", "list", DLQ)
    assert second["meta"]["id"] in out and first not in out
    assert ops("dead-letters", "discard", DLQ, "--event-id", first)[0] == FAILED, "already gone"

    assert ops("dead-letters", "discard", DLQ, "--all")[0] == OK
    wait_for("the dead-letter queue empty", lambda: depth(config, DLQ) == 0, timeout=5)
    assert HANDLED[first] == 0 and HANDLED[second["meta"]["id"]] == 0
    container.stop()


def test_queues_without_consumer_and_unroutable_messages_are_found(container_factory, config, api, ops):
    code, out = ops("declare", "precheck")  # a real service's topology, and the unroutable capture
    assert code == OK and "precheck: 2 event queues declared" in out
    assert UNROUTABLE_QUEUE in out
    wait_for("precheck's queues", lambda: depth(config, handler_queue_name(
        "intake", "filing_submitted.v1", "precheck", "on_filing_submitted")) == 0)

    container = container_factory(ProbeService, config)
    container.start()
    # the management API's consumer counts lag the broker by a statistics interval
    wait_for("the probe's consumer in the statistics",
             lambda: any(s.name == QUEUE and s.consumers for s in api.queues()))
    publish(config, envelope(), routing_key="nobody_listens.v1")  # to probe_ops_source.events, bound by no queue
    wait_for("the unroutable message captured", lambda: depth(config, UNROUTABLE_QUEUE) == 1)

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

    # The missing consumer's queue declared: the captured message goes where it was meant to, once.
    with Connection(config["AMQP_URI"]) as connection:
        late = Queue("late-consumer", exchange=Exchange(f"{SOURCE}.events", type="topic", durable=True),
                     routing_key="nobody_listens.v1", durable=True)(connection.channel())
        late.declare()
        code, out = ops("unroutable", "--republish")
        assert out.startswith("1 republished")
        wait_for("the message in the late queue", lambda: late.queue_declare(passive=True).message_count == 1)
    wait_for("the capture empty", lambda: depth(config, UNROUTABLE_QUEUE) == 0, timeout=5)
    container.stop()



def test_ready_and_unacknowledged_backlogs_breach_their_own_thresholds_with_rates_shown(config, api, ops):
    """``status`` counts what waits (ready) and what a consumer holds without acknowledging it (unacked) per queue,
    shows the publish and deliver rates beside them, and exits 2 only when a threshold is passed."""
    assert declare_topology(config["AMQP_URI"], ProbeService, config) == [QUEUE]
    for _ in range(4):
        publish(config, envelope())
    with Connection(config["AMQP_URI"]) as connection:
        channel = connection.channel()
        held_message = channel.basic_get(QUEUE, no_ack=False)  # taken and held, as a worker mid-way would
        assert held_message is not None
        wait_for("3 ready and 1 unacknowledged in the statistics", lambda: any(
            s.name == QUEUE and (s.ready, s.unacked) == (3, 1) for s in api.queues()))

        code, out = ops("status", "--max-ready", "2", "--max-unacked", "0", "--allow-no-consumer")
        assert code == BREACHED
        assert f"BREACH {QUEUE}: ready 3 > 2" in out and f"BREACH {QUEUE}: unacked 1 > 0" in out
        assert "in/s" in out and "out/s" in out
        assert ops("status", "--max-ready", "3", "--max-unacked", "1", "--allow-no-consumer")[0] == OK
        code, out = ops("--json", "status", "--allow-no-consumer")
        (state,) = [q for q in json.loads(out)["queues"] if q["name"] == QUEUE]
        assert (state["ready"], state["unacked"]) == (3, 1)
        assert state["publish_rate"] >= 0 and state["deliver_rate"] >= 0
        channel.basic_reject(held_message.delivery_tag, requeue=True)

def test_unreachable_api_and_wrong_queue_fail_with_status_1(ops, config):
    assert main(["--api", "http://guest:guest@127.0.0.1:1", "--vhost", config["vhost"], "status"]) == FAILED
    assert ops("dead-letters", "replay", QUEUE)[0] == FAILED, "only a .dlq can be replayed"
    assert ops("dead-letters", "replay", "evt-nobody-x.v1--none.on_x.dlq")[0] == FAILED, "no such queue"


def test_declare_sets_up_the_topology_of_every_landed_service_as_the_deployment_does(config, api, ops, monkeypatch):
    """What the `rabbitmq-topology` one-shot and every pod's init container run: ``icp-ops declare`` with
    TOPOLOGY_SERVICES (and BUREAU_PROVINCE for bureau's routed queue)."""
    landed = [name for name in ALL_SERVICES if (REPO / "services" / name / "config.yaml").is_file()]
    monkeypatch.setenv("TOPOLOGY_SERVICES", " ".join(landed))
    monkeypatch.setenv("BUREAU_PROVINCE", "浙")
    code, out = ops("declare", "--config-dir", str(REPO / "services"))
    assert code == OK, out
    expected = {UNROUTABLE_QUEUE}
    for name in landed:
        service_cls = getattr(import_module(f"{name}.service"), f"{name.capitalize()}Service")
        for handler in service_topology(service_cls, {"BUREAU_PROVINCE": "浙"}):
            expected |= {handler.queue.name, handler.dead_letter_queue.name}
    wait_for("every queue declared", lambda: expected <= {s.name for s in api.queues()})
    assert ops("declare", "--config-dir", str(REPO / "services"))[0] == OK, "declaring again changes nothing"
