"""Bounded event handlers on the real RabbitMQ (shared/platform/events.py, design.md §4): quorum queues with a delivery
limit, a dead-letter queue per handler, replay, and topology declared before a service starts."""

import time
from collections import Counter, defaultdict

import pytest
from kombu import Connection, Queue
from nameko.events import EventHandlerConfigurationError
from nameko.events import event_handler as nameko_event_handler
from nameko.extensions import DependencyProvider
from nameko.standalone.events import event_dispatcher

from shared.platform.events import (
    DELIVERY_COUNT_HEADER,
    DELIVERY_LIMIT_CONFIG_KEY,
    DLQ_SUFFIX,
    RETRY_DELAY_CONFIG_KEY,
    EventHandler,
    PoisonEvent,
    TopologyConflict,
    dead_letter_exchange_name,
    dead_letter_queue_name,
    declare_topology,
    event_handler,
    handler_queue_name,
    is_dead_letter_queue,
    replay_dead_letters,
    source_queue_of,
)
from shared.testing.system import ALL_SERVICES

pytestmark = pytest.mark.service

SOURCE = "probe_source"
EVENT = "thing_happened.v1"
SERVICE = "probe_events"
QUEUE = handler_queue_name(SOURCE, EVENT, SERVICE, "on_thing")
AUDIT_QUEUE = handler_queue_name(SOURCE, EVENT, SERVICE, "audit")
DLQ = dead_letter_queue_name(QUEUE)
TIMEOUT = 15.0

# What the probe's handlers saw; reset by the autouse fixture.
CALLS: dict = {}


@pytest.fixture(autouse=True)
def calls():
    CALLS.clear()
    CALLS.update(attempts=Counter(), handled=[], audited=[], delivery_counts=defaultdict(list),
                 times=defaultdict(list), contexts=[], cure=False)
    yield CALLS


class Poison(Exception):
    pass


class Transient(Exception):
    pass


class RecordingHandler(EventHandler):
    """Records the broker's ``x-delivery-count`` of every delivery before the worker runs."""

    def handle_message(self, body, message):
        # RabbitMQ 3.10 leaves the header off the first delivery to a consumer (basic.get shows 0)
        CALLS["delivery_counts"][body["id"]].append(message.headers.get(DELIVERY_COUNT_HEADER, 0))
        super().handle_message(body, message)


class WorkerContextData(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return dict(worker_ctx.data)


class ProbeService:
    name = SERVICE

    context_data = WorkerContextData()

    @RecordingHandler.decorator(SOURCE, EVENT)
    def on_thing(self, payload):
        key = payload["id"]
        CALLS["attempts"][key] += 1
        CALLS["times"][key].append(time.monotonic())
        CALLS["contexts"].append(self.context_data)
        if payload.get("never_valid"):
            raise PoisonEvent("breaks its contract")
        if payload.get("poison") and not CALLS["cure"]:
            raise Poison(key)
        if payload.get("transient") and CALLS["attempts"][key] == 1:
            raise Transient(key)
        CALLS["handled"].append(key)

    @event_handler(SOURCE, EVENT)
    def audit(self, payload):
        """A second subscriber of the same event: a replay must not reach it."""
        CALLS["audited"].append(payload["id"])


class UnboundedService:
    name = "probe_unbounded"

    @nameko_event_handler(SOURCE, EVENT, requeue_on_error=True)
    def on_thing(self, payload):
        pass


# --- helpers ------------------------------------------------------------------------------------------------------


@pytest.fixture
def config(rabbit_config):
    return {**rabbit_config, RETRY_DELAY_CONFIG_KEY: 0.02}


@pytest.fixture
def amqp_uri(config):
    return config["AMQP_URI"]


def publish(config, payload, headers=None):
    event_dispatcher(config, headers=headers or {})(SOURCE, EVENT, payload)


def wait_until(what, predicate, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def depth(amqp_uri, queue):
    with Connection(amqp_uri) as connection:
        return connection.channel().queue_declare(queue=queue, passive=True).message_count


def take_all(amqp_uri, queue):
    """Every message in ``queue`` (acknowledged: removed)."""
    got = []
    with Connection(amqp_uri) as connection:
        bound = Queue(queue, no_declare=True)(connection.channel())
        while (message := bound.get(no_ack=True)) is not None:
            got.append(message)
    return got


def start(container_factory, config, service_cls=ProbeService):
    container = container_factory(service_cls, config)
    container.start()
    return container


# --- the topology -------------------------------------------------------------------------------------------------


def test_names_ops_tools_rely_on():
    assert QUEUE == "evt-probe_source-thing_happened.v1--probe_events.on_thing"
    assert DLQ == QUEUE + DLQ_SUFFIX == QUEUE + ".dlq"
    assert dead_letter_exchange_name(SERVICE) == "probe_events.dlx"
    assert is_dead_letter_queue(DLQ) and not is_dead_letter_queue(QUEUE)
    assert source_queue_of(DLQ) == QUEUE


def test_handler_queue_is_a_quorum_queue_with_a_delivery_limit_and_a_dead_letter_route(
    container_factory, config, rabbit_manager
):
    vhost = config["vhost"]
    start(container_factory, {**config, DELIVERY_LIMIT_CONFIG_KEY: 3})

    queue = rabbit_manager.get_queue(vhost, QUEUE)
    assert queue["type"] == "quorum"
    assert queue["durable"] is True and queue["auto_delete"] is False and queue["exclusive"] is False
    assert queue["arguments"] == {
        "x-queue-type": "quorum",
        "x-delivery-limit": 2,  # 3 deliveries: RabbitMQ dead-letters when the count exceeds the limit
        "x-dead-letter-exchange": "probe_events.dlx",
        "x-dead-letter-routing-key": QUEUE,
    }
    # nameko's binding to the source's topic exchange stays
    bindings = {(b["source"], b["routing_key"]) for b in rabbit_manager.get_queue_bindings(vhost, QUEUE)}
    assert ("probe_source.events", EVENT) in bindings

    dead_letters = rabbit_manager.get_queue(vhost, DLQ)
    assert dead_letters["type"] == "quorum" and dead_letters["durable"] is True
    dlq_bindings = {(b["source"], b["routing_key"]) for b in rabbit_manager.get_queue_bindings(vhost, DLQ)}
    assert ("probe_events.dlx", QUEUE) in dlq_bindings
    exchanges = {e["name"]: e for e in rabbit_manager.get_exchanges(vhost)}
    assert exchanges["probe_events.dlx"]["type"] == "direct" and exchanges["probe_events.dlx"]["durable"] is True


# --- poison, transient, replay ------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [None, 2], ids=["default-5", "configured-2"])
def test_poison_event_is_tried_limit_times_then_kept_in_the_dead_letter_queue(
    container_factory, config, amqp_uri, limit
):
    if limit is not None:
        config = {**config, DELIVERY_LIMIT_CONFIG_KEY: limit}
    expected = limit or 5
    start(container_factory, config)

    poison = {"id": "p1", "poison": True}
    publish(config, poison, headers={"nameko.correlation_id": "filing-1"})
    publish(config, {"id": "g1"})

    wait_until("the dead letter", lambda: depth(amqp_uri, DLQ) == 1)
    time.sleep(0.5)  # nothing more happens
    assert CALLS["attempts"]["p1"] == expected
    assert CALLS["delivery_counts"]["p1"] == list(range(expected))  # nameko's requeue is counted by the broker
    assert CALLS["handled"] == ["g1"] and CALLS["attempts"]["g1"] == 1
    assert sorted(CALLS["audited"]) == ["g1", "p1"]  # the other subscriber is not affected
    assert depth(amqp_uri, QUEUE) == 0

    [dead] = take_all(amqp_uri, DLQ)
    assert dead.payload == poison
    assert dead.delivery_info["routing_key"] == QUEUE
    assert dead.headers["nameko.correlation_id"] == "filing-1"
    [death] = dead.headers["x-death"]
    assert death["reason"] == "delivery_limit" and death["queue"] == QUEUE and death["count"] == 1
    assert death["exchange"] == "probe_source.events" and death["routing-keys"] == [EVENT]
    assert dead.headers["x-first-death-reason"] == "delivery_limit"
    assert dead.headers["x-first-death-queue"] == QUEUE


def test_an_event_that_can_never_be_handled_is_dead_lettered_on_its_first_delivery(
    container_factory, config, amqp_uri
):
    start(container_factory, config)
    publish(config, {"id": "bad", "never_valid": True})

    wait_until("the dead letter", lambda: depth(amqp_uri, DLQ) == 1)
    time.sleep(0.3)
    assert CALLS["attempts"]["bad"] == 1  # no retries: they cannot help
    [dead] = take_all(amqp_uri, DLQ)
    assert dead.payload == {"id": "bad", "never_valid": True}
    assert dead.headers["x-first-death-reason"] == "rejected"


def test_every_service_uses_bounded_handlers_only():
    """design.md §4: no service keeps a nameko handler that loses or endlessly requeues a failing event; all six
    (``service_topology`` refuses a service with an unbounded handler)."""
    from audit.service import AuditService
    from bureau.service import BureauService
    from intake.service import IntakeService
    from notify.service import NotifyService
    from precheck.service import PrecheckService
    from shared.platform.events import service_topology
    from verification.service import VerificationService

    services = (IntakeService, PrecheckService, VerificationService, BureauService, AuditService, NotifyService)
    assert {service_cls.name for service_cls in services} == set(ALL_SERVICES)
    for service_cls in services:
        assert service_topology(service_cls, {"BUREAU_PROVINCE": "京"}), service_cls.name  # the bureau's routing


def test_transient_failure_succeeds_on_redelivery_after_a_delay(container_factory, config, amqp_uri):
    start(container_factory, {**config, RETRY_DELAY_CONFIG_KEY: 0.3})

    publish(config, {"id": "t1", "transient": True}, headers={"nameko.correlation_id": "filing-2"})

    wait_until("the retry", lambda: CALLS["handled"] == ["t1"])
    time.sleep(0.5)
    assert CALLS["attempts"]["t1"] == 2
    assert CALLS["delivery_counts"]["t1"] == [0, 1]
    first, second = CALLS["times"]["t1"]
    assert second - first >= 0.3
    assert depth(amqp_uri, QUEUE) == 0 and depth(amqp_uri, DLQ) == 0
    # broker headers stay out of the worker context (nameko would forward them on the handler's calls)
    for context in CALLS["contexts"]:
        assert context["correlation_id"] == "filing-2"
        assert not [key for key in context if key.startswith("x-")]


def test_replay_moves_dead_letters_back_to_their_handler_only(container_factory, config, amqp_uri):
    start(container_factory, {**config, DELIVERY_LIMIT_CONFIG_KEY: 2})
    publish(config, {"id": "p2", "poison": True}, headers={"nameko.correlation_id": "filing-3"})
    wait_until("the dead letter", lambda: depth(amqp_uri, DLQ) == 1)
    wait_until("the other subscriber", lambda: CALLS["audited"] == ["p2"])

    CALLS["cure"] = True  # the handler is fixed
    assert replay_dead_letters(amqp_uri, DLQ) == 1

    wait_until("the replayed event", lambda: CALLS["handled"] == ["p2"])
    time.sleep(0.3)
    assert CALLS["attempts"]["p2"] == 3
    assert CALLS["delivery_counts"]["p2"] == [0, 1, 0]  # a fresh count after the replay
    assert CALLS["contexts"][-1]["correlation_id"] == "filing-3"
    assert CALLS["audited"] == ["p2"]  # not re-sent to the other subscriber of the event
    assert depth(amqp_uri, DLQ) == 0 and depth(amqp_uri, QUEUE) == 0
    assert replay_dead_letters(amqp_uri, DLQ) == 0


# --- declaring before start, conflicts, misuse -------------------------------------------------------------------


def test_declare_topology_keeps_events_published_before_the_service_starts(
    container_factory, config, amqp_uri, rabbit_manager
):
    queues = declare_topology(amqp_uri, ProbeService, config)
    assert queues == [AUDIT_QUEUE, QUEUE]
    assert declare_topology(amqp_uri, ProbeService, config) == queues  # idempotent
    assert rabbit_manager.get_queue(config["vhost"], DLQ)["type"] == "quorum"

    publish(config, {"id": "early"})
    assert depth(amqp_uri, QUEUE) == 1

    start(container_factory, config)  # redeclares with the same arguments
    wait_until("the early event, by both handlers",
               lambda: CALLS["handled"] == ["early"] and CALLS["audited"] == ["early"])


def test_declare_topology_refuses_a_service_with_unbounded_handlers(amqp_uri):
    with pytest.raises(EventHandlerConfigurationError, match="on_thing"):
        declare_topology(amqp_uri, UnboundedService)


def test_an_existing_classic_queue_of_the_same_name_stops_the_start_with_a_clear_error(
    container_factory, config, amqp_uri
):
    with Connection(amqp_uri) as connection:  # as nameko.events.event_handler declared it before
        Queue(QUEUE, durable=True)(connection.channel()).declare()

    container = container_factory(ProbeService, config)
    with pytest.raises(TopologyConflict, match="PRECONDITION_FAILED"):
        container.start()
    time.sleep(0.5)  # the other handler's setup is still declaring: let it finish before the vhost goes


def test_a_changed_delivery_limit_conflicts_with_the_declared_queue(amqp_uri, config):
    declare_topology(amqp_uri, ProbeService, config)
    with pytest.raises(TopologyConflict, match="x-delivery-limit"):
        declare_topology(amqp_uri, ProbeService, {**config, DELIVERY_LIMIT_CONFIG_KEY: 7})


@pytest.mark.parametrize("kwargs", [
    {"handler_type": "broadcast", "reliable_delivery": False},
    {"handler_type": "singleton"},
    {"reliable_delivery": False},
    {"requeue_on_error": False},
])
def test_unsupported_handler_options_are_refused(kwargs):
    with pytest.raises(EventHandlerConfigurationError):
        EventHandler(SOURCE, EVENT, **kwargs)


@pytest.mark.parametrize("value", [0, -1, "five", 2.5])
def test_an_invalid_delivery_limit_is_refused(amqp_uri, config, value):
    with pytest.raises(EventHandlerConfigurationError, match=DELIVERY_LIMIT_CONFIG_KEY):
        declare_topology(amqp_uri, ProbeService, {**config, DELIVERY_LIMIT_CONFIG_KEY: value})


# --- events routed to one deployment among several (R2.1: a province's bureau) ----------------------------------

ROUTED_SEEN: list = []


def _routed_service(name, route_config=None):
    from shared.contracts.verification import FILING_SENT_TO_BUREAU

    class Routed:
        @event_handler("verification", FILING_SENT_TO_BUREAU, route_config=route_config)
        def on_sent(self, envelope):
            ROUTED_SEEN.append((name, envelope["data"]["province"]))

    Routed.name = name
    return Routed


@pytest.mark.req("R2.1")
def test_a_routed_event_reaches_only_the_deployment_of_its_route_and_consumers_of_all(
    container_factory, config, rabbit_manager
):
    from shared.contracts import EVENTS
    from shared.contracts.verification import FILING_SENT_TO_BUREAU
    from shared.testing.events import publisher

    ROUTED_SEEN.clear()
    sample = EVENTS.get(FILING_SENT_TO_BUREAU).sample
    for name, province in (("probe_bureau", "京"), ("probe_bureau", "沪")):
        # two deployments of one service, each for its province, on one broker
        start(container_factory, {**config, "BUREAU_PROVINCE": province}, _routed_service(name, "BUREAU_PROVINCE"))
    start(container_factory, config, _routed_service("probe_all"))
    queues = {q["name"]: q for q in rabbit_manager.get_queues(config["vhost"])}
    beijing = "evt-verification-filing_sent_to_bureau.v1--probe_bureau.on_sent.11"
    assert beijing in queues
    assert "evt-verification-filing_sent_to_bureau.v1--probe_bureau.on_sent.31" in queues

    send = publisher(config["AMQP_URI"])
    send("verification", FILING_SENT_TO_BUREAU, {**sample, "province": "京"}, "f-1")
    send("verification", FILING_SENT_TO_BUREAU, {**sample, "province": "沪"}, "f-2")
    send("verification", FILING_SENT_TO_BUREAU, {**sample, "province": "粤"}, "f-3")

    wait_until("every delivery", lambda: len(ROUTED_SEEN) == 5)
    time.sleep(0.3)
    assert sorted(ROUTED_SEEN) == sorted([
        ("probe_bureau", "京"), ("probe_bureau", "沪"), ("probe_all", "京"), ("probe_all", "沪"), ("probe_all", "粤"),
    ])
    assert EVENTS.routing_key({"meta": {"type": FILING_SENT_TO_BUREAU}, "data": {"province": "粤"}}) == (
        "filing_sent_to_bureau.v1.44"
    )


@pytest.mark.parametrize("province", [None, "XX"])
def test_a_deployment_without_a_valid_route_does_not_start(container_factory, config, province):
    cfg = {**config, "BUREAU_PROVINCE": province} if province else config
    container = container_factory(_routed_service("probe_bureau", "BUREAU_PROVINCE"), cfg)
    with pytest.raises(EventHandlerConfigurationError, match="BUREAU_PROVINCE"):
        container.start()
