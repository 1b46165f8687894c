"""Bounded event handlers (design.md §4): a poison event ends in a dead-letter queue that ops can see and replay,
instead of being redelivered for ever.

``event_handler(source, event_type)`` replaces ``nameko.events.event_handler(source, event_type,
requeue_on_error=True)``. The handler's queue keeps nameko's name and binding
(``evt-{source}-{type}--{service}.{method}`` on the ``{source}.events`` topic exchange) but is declared as a
durable **quorum queue** that

- counts deliveries: nameko's requeue on error is ``basic.reject(requeue=True)``, which the quorum queue counts in
  the ``x-delivery-count`` header (absent from the first delivery to a consumer, then 1, 2, ...); a message
  returned because its consumer's connection died unacknowledged (``kill -9``, missed heartbeats) is counted too
  (RabbitMQ 3.10.8, verified);
- after ``EVENT_DELIVERY_LIMIT`` deliveries (container config, default 5, the first delivery included) dead-letters
  the message to the service's direct exchange ``{service}.dlx`` with routing key = the queue's name, where the
  durable quorum queue ``{queue}.dlq`` keeps it with its body and headers, plus ``x-death`` (reason
  ``delivery_limit``) and ``x-first-death-*``. RabbitMQ 3.10 dead-letters once the count *exceeds*
  ``x-delivery-limit``, so the queue argument is ``EVENT_DELIVERY_LIMIT - 1`` (verified: ``x-delivery-limit=N``
  gives N + 1 deliveries);
- dead-letters with RabbitMQ's default strategy, **at most once**. ``x-dead-letter-strategy=at-least-once`` (the
  source keeps a dead letter until the DLQ confirms it) is deliberately not used: on RabbitMQ 3.10.8 deleting queues
  that use it (a vhost deleted right after a failed start, as the service tests do) crashed their dead-letter
  workers, which took down the node-wide ``rabbit_fifo_dlx_sup`` after two crashes; from then on *every*
  declaration of an at-least-once queue on the node failed with ``INTERNAL_ERROR`` until the supervisor was
  restarted (``rabbitmqctl eval 'supervisor:restart_child(rabbit_sup, rabbit_fifo_dlx_sup).'``) or the node was.
  The price of at-most-once: a dead letter is lost if its DLQ cannot take it at that moment (deleted, or without
  a quorum of its replicas). The DLQ is declared before the queue, by every start and by :func:`declare_topology`.

Between failed deliveries the worker waits ``EVENT_RETRY_DELAY * 2**n`` seconds (default 0.5 s, at most
``MAX_RETRY_DELAY``) before requeueing, so a short outage (a database restart) is ridden out instead of burning every
delivery in a few milliseconds. The wait holds the worker slot: back-pressure while everything fails.

Why the dead-letter queue is a quorum queue too: it is replicated like its source, so a dead letter survives the loss
of a node. Quorum queues count returns on every queue, and RabbitMQ >= 4.0 gives every quorum queue a default
delivery limit of 20: a dead letter that ops "peek" at with requeue (management UI "Nack message requeue true")
20 times would be dropped. The DLQ therefore declares an explicit, effectively unlimited ``x-delivery-limit``
(``DLQ_DELIVERY_LIMIT``); ``-1`` (4.x's "no limit") is no option: RabbitMQ 3.10 reads it as "drop on the first
return" (verified).

Ops: every dead-letter queue is ``evt-...DLQ_SUFFIX`` (:func:`is_dead_letter_queue`); :func:`replay_dead_letters`
moves its messages back to *the one handler queue* they came from (default exchange, publisher confirms), not to the
topic exchange, which would deliver them again to every other subscriber.

:func:`declare_topology` declares a service class's handler queues (with their dead-letter exchange and queues)
without starting it, so a deployment can declare the whole topology before producers run (design.md §4).

Redeclaring an existing queue with other arguments fails with ``PRECONDITION_FAILED``: a broker that still holds the
classic ``evt-*`` queues of earlier releases raises :class:`TopologyConflict` at container start (and from
:func:`declare_topology`). Queue arguments (type, delivery limit) cannot be changed in place: with the service
stopped, move the old queue's messages to a temporary queue (consumers deduplicate on ``meta.id``), delete it,
declare the new topology (:func:`declare_topology`), move the messages back, then start the service.
"""

from __future__ import annotations

from dataclasses import dataclass

import eventlet
from amqp.exceptions import PreconditionFailed
from kombu import Connection, Exchange, Queue
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    TRANSPORT_OPTIONS_CONFIG_KEY,
)
from nameko.events import SERVICE_POOL, EventHandlerConfigurationError
from nameko.events import EventHandler as NamekoEventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.standalone.events import get_event_exchange

from shared.contracts import EVENTS
from shared.platform.logging import get_logger

__all__ = [
    "DEFAULT_DELIVERY_LIMIT",
    "DEFAULT_RETRY_DELAY",
    "DELIVERY_COUNT_HEADER",
    "DELIVERY_LIMIT_CONFIG_KEY",
    "DLQ_DELIVERY_LIMIT",
    "DLQ_SUFFIX",
    "DLX_SUFFIX",
    "EventHandler",
    "HandlerTopology",
    "MAX_RETRY_DELAY",
    "PoisonEvent",
    "QUEUE_PREFIX",
    "RETRY_DELAY_CONFIG_KEY",
    "TopologyConflict",
    "dead_letter_exchange",
    "dead_letter_exchange_name",
    "dead_letter_queue_name",
    "declare_topology",
    "delivery_limit",
    "event_handler",
    "handler_queue_name",
    "handler_topology",
    "is_dead_letter_queue",
    "queue_arguments",
    "replay_dead_letters",
    "source_queue_of",
]

log = get_logger(__name__)

# --- names: one place, so ops tools find every dead-letter queue --------------------------------------------------

QUEUE_PREFIX = "evt-"
DLX_SUFFIX = ".dlx"
DLQ_SUFFIX = ".dlq"

DELIVERY_LIMIT_CONFIG_KEY = "EVENT_DELIVERY_LIMIT"
DEFAULT_DELIVERY_LIMIT = 5
RETRY_DELAY_CONFIG_KEY = "EVENT_RETRY_DELAY"
DEFAULT_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 10.0
DLQ_DELIVERY_LIMIT = 1_000_000

DELIVERY_COUNT_HEADER = "x-delivery-count"
BROKER_HEADER_PREFIX = "x-"


class PoisonEvent(Exception):
    """An event that can never be handled (it breaks its contract, or is sealed with keys this service does not
    hold): the handler raises it and the message is dead-lettered at once, without the retries that only help
    against passing faults. The message says why and carries no personal data."""


class TopologyConflict(EventHandlerConfigurationError):
    """A queue or exchange already exists on the broker with other arguments (``PRECONDITION_FAILED``)."""


def handler_queue_name(source_service: str, event_type: str, service_name: str, method_name: str) -> str:
    """nameko's SERVICE_POOL queue name."""
    return f"{QUEUE_PREFIX}{source_service}-{event_type}--{service_name}.{method_name}"


def dead_letter_exchange_name(service_name: str) -> str:
    return f"{service_name}{DLX_SUFFIX}"


def dead_letter_exchange(service_name: str) -> Exchange:
    return Exchange(dead_letter_exchange_name(service_name), type="direct", durable=True)


def dead_letter_queue_name(queue_name: str) -> str:
    return f"{queue_name}{DLQ_SUFFIX}"


def is_dead_letter_queue(name: str) -> bool:
    return name.startswith(QUEUE_PREFIX) and name.endswith(DLQ_SUFFIX)


def source_queue_of(dead_letter_queue: str) -> str:
    """The handler queue whose dead letters ``dead_letter_queue`` keeps."""
    if not is_dead_letter_queue(dead_letter_queue):
        raise ValueError(f"{dead_letter_queue!r} is not an event dead-letter queue")
    return dead_letter_queue[: -len(DLQ_SUFFIX)]


def delivery_limit(config) -> int:
    """Deliveries of one message, the first included, before it is dead-lettered (``EVENT_DELIVERY_LIMIT``)."""
    value = config.get(DELIVERY_LIMIT_CONFIG_KEY, DEFAULT_DELIVERY_LIMIT)
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if limit < 1 or str(value).strip() != str(limit):
        raise EventHandlerConfigurationError(f"{DELIVERY_LIMIT_CONFIG_KEY} must be a whole number >= 1, not {value!r}")
    return limit


def retry_delay(config) -> float:
    value = config.get(RETRY_DELAY_CONFIG_KEY, DEFAULT_RETRY_DELAY)
    try:
        delay = float(value)
    except (TypeError, ValueError):
        delay = -1.0
    if delay < 0:
        raise EventHandlerConfigurationError(
            f"{RETRY_DELAY_CONFIG_KEY} must be a number of seconds >= 0, not {value!r}"
        )
    return delay


def queue_arguments(service_name: str, queue_name: str, limit: int) -> dict:
    """The handler queue's arguments; ``limit`` is deliveries including the first (see the module docstring)."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": limit - 1,
        "x-dead-letter-exchange": dead_letter_exchange_name(service_name),
        "x-dead-letter-routing-key": queue_name,
    }


DLQ_ARGUMENTS = {"x-queue-type": "quorum", "x-delivery-limit": DLQ_DELIVERY_LIMIT}


@dataclass(frozen=True)
class HandlerTopology:
    """One handler's queue (bound to ``{source}.events``) and its dead-letter queue (bound to ``{service}.dlx``)."""

    queue: Queue
    dead_letter_queue: Queue

    def declare(self, channel) -> None:
        """Dead-letter side first, so the route exists before the queue can dead-letter anything."""
        try:
            self.dead_letter_queue(channel).declare()
            self.queue(channel).declare()
        except PreconditionFailed as exc:
            raise TopologyConflict(
                f"cannot declare event queue {self.queue.name!r} (or its dead-letter queue/exchange): {exc}. "
                "An entity of that name exists with other arguments, e.g. a classic queue declared before "
                "dead-lettering: move its messages out, delete it, then start again."
            ) from exc


def binding(event_type: str, route_config: str | None, config) -> tuple[str, str | None]:
    """``(routing key to bind, queue name suffix)``. A routed contract (``shared.contracts.registry.Route``) is
    bound to the one key of the deployment's configured value (``route_config``, e.g. ``BUREAU_PROVINCE``), in a
    queue of its own per key, or to all keys (``{type}.*``) by a consumer of every deployment's events."""
    contract = EVENTS.get(event_type) if EVENTS.is_registered(event_type) else None
    route = contract.route if contract is not None else None
    if route is None:
        if route_config is not None:
            raise EventHandlerConfigurationError(f"{event_type} is not a routed event: drop route_config")
        return event_type, None
    if route_config is None:
        return f"{event_type}.*", None
    value = config.get(route_config)
    if not value:
        raise EventHandlerConfigurationError(f"{route_config} is not set: it selects which {event_type} to receive")
    try:
        key = route.key(str(value))
    except ValueError as exc:
        raise EventHandlerConfigurationError(f"{route_config}={value!r} is not valid: {exc}") from None
    return f"{event_type}.{key}", key


def handler_topology(service_name: str, source_service: str, event_type: str, method_name: str,
                     config, route_config: str | None = None) -> HandlerTopology:
    routing_key, suffix = binding(event_type, route_config, config)
    name = handler_queue_name(source_service, event_type, service_name, method_name)
    if suffix is not None:
        name = f"{name}.{suffix}"
    queue = Queue(
        name,
        exchange=get_event_exchange(source_service, config),
        routing_key=routing_key,
        durable=True,
        auto_delete=False,
        exclusive=False,
        queue_arguments=queue_arguments(service_name, name, delivery_limit(config)),
    )
    dead_letters = Queue(
        dead_letter_queue_name(name),
        exchange=dead_letter_exchange(service_name),
        routing_key=name,
        durable=True,
        auto_delete=False,
        exclusive=False,
        queue_arguments=dict(DLQ_ARGUMENTS),
    )
    return HandlerTopology(queue=queue, dead_letter_queue=dead_letters)


def _connection(amqp_uri: str, config=None, confirms: bool = False) -> Connection:
    """A connection of its own (not nameko's pool): a failed declaration closes its channel."""
    config = config or {}
    transport_options = dict(config.get(TRANSPORT_OPTIONS_CONFIG_KEY, DEFAULT_TRANSPORT_OPTIONS))
    if confirms:
        transport_options["confirm_publish"] = True
    return Connection(
        amqp_uri,
        ssl=config.get(AMQP_SSL_CONFIG_KEY),
        login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        transport_options=transport_options,
    )


# --- the entrypoint ---------------------------------------------------------------------------------------------


class EventHandler(NamekoEventHandler):
    """nameko's SERVICE_POOL event handler on a quorum queue with a delivery limit and a dead-letter queue.

    Requeue on error is always on: that is what makes the broker count failed deliveries.
    """

    def __init__(self, source_service, event_type, handler_type=SERVICE_POOL, reliable_delivery=True,
                 requeue_on_error=True, route_config=None, **kwargs):
        """``route_config``: for a routed contract, the config key whose value selects the one route this
        deployment receives (see :func:`binding`)."""
        self.route_config = route_config
        if handler_type != SERVICE_POOL:
            raise EventHandlerConfigurationError("shared.platform.events handlers are SERVICE_POOL only")
        if not reliable_delivery:
            raise EventHandlerConfigurationError("quorum queues are durable: reliable_delivery cannot be off")
        if not requeue_on_error:
            raise EventHandlerConfigurationError(
                "requeue_on_error is always on: a failed event is requeued until its delivery limit, then dead-lettered"
            )
        super().__init__(source_service, event_type, handler_type=SERVICE_POOL, reliable_delivery=True,
                         requeue_on_error=True, **kwargs)

    def setup(self):
        super().setup()  # nameko's queue name and binding; registers with the QueueConsumer
        config = self.container.config
        self.topology = handler_topology(
            self.container.service_name, self.source_service, self.event_type, self.method_name, config,
            self.route_config,
        )
        self.max_deliveries = delivery_limit(config)
        self.retry_delay = retry_delay(config)
        if not self.topology.queue.name.startswith(self.queue.name):  # pragma: no cover - nameko renamed its queues
            raise EventHandlerConfigurationError(f"queue name {self.queue.name!r} != {self.topology.queue.name!r}")
        # The QueueConsumer declares and consumes ``self.queue`` at start: with these arguments.
        self.queue = self.topology.queue
        with _connection(config[AMQP_URI_CONFIG_KEY], config) as connection:
            self.topology.declare(connection.channel())

    def unpack_message_headers(self, message):
        """Broker headers (``x-delivery-count``, ``x-death``...) stay out of the worker's context data, which nameko
        would otherwise forward as ``nameko.x-...`` headers on every call and event the handler makes."""
        headers = super().unpack_message_headers(message)
        return {key: value for key, value in headers.items() if not key.startswith(BROKER_HEADER_PREFIX)}

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is not None and issubclass(exc_info[0], PoisonEvent):
            log.error("event_dead_lettered", dead_letter_queue=self.topology.dead_letter_queue.name,
                      queue=self.queue.name, event_type=self.event_type, event_id=_event_id(worker_ctx.args),
                      reason=str(exc_info[1]))
            # reject without requeue: the queue's dead-letter exchange takes it now (x-death reason "rejected")
            if message.channel.connection:
                message.reject(requeue=False)
            return result, exc_info
        if exc_info is not None:
            self._before_requeue(message, worker_ctx, exc_info)
        return super().handle_result(message, worker_ctx, result, exc_info)

    def _before_requeue(self, message, worker_ctx, exc_info) -> None:
        count = _delivery_count(message)
        attempt = count + 1
        fields = {
            "queue": self.queue.name,
            "event_type": self.event_type,
            "event_id": _event_id(worker_ctx.args),
            "attempt": attempt,
            "max_deliveries": self.max_deliveries,
            "error": exc_info[0].__name__,
        }
        if attempt >= self.max_deliveries:
            log.error("event_dead_lettered", dead_letter_queue=self.topology.dead_letter_queue.name, **fields)
            return
        delay = min(self.retry_delay * 2**count, MAX_RETRY_DELAY)
        log.warning("event_requeued", retry_in_s=delay, **fields)
        if delay > 0:
            eventlet.sleep(delay)


event_handler = EventHandler.decorator


def _delivery_count(message) -> int:
    try:
        return int((message.headers or {}).get(DELIVERY_COUNT_HEADER) or 0)
    except (TypeError, ValueError):
        return 0


def _event_id(args) -> str | None:
    envelope = args[0] if args else None
    meta = envelope.get("meta") if isinstance(envelope, dict) else None
    return str(meta["id"]) if isinstance(meta, dict) and meta.get("id") is not None else None


# --- deployment and ops -----------------------------------------------------------------------------------------


def service_topology(service_cls, config=None) -> list[HandlerTopology]:
    """Every event handler queue of ``service_cls``; raises if a handler is still nameko's unbounded one."""
    config = config or {}
    found, unbounded = [], []
    for method_name in sorted(dir(service_cls)):
        method = getattr(service_cls, method_name, None)
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, EventHandler):
                found.append(handler_topology(
                    service_cls.name, entrypoint.source_service, entrypoint.event_type, method_name, config,
                    entrypoint.route_config,
                ))
            elif isinstance(entrypoint, NamekoEventHandler):
                unbounded.append(method_name)
    if unbounded:
        raise EventHandlerConfigurationError(
            f"{service_cls.name}: {', '.join(unbounded)} use nameko.events.event_handler; "
            "use shared.platform.events.event_handler"
        )
    return found


def declare_topology(amqp_uri: str, service_cls, config=None) -> list[str]:
    """Declare ``service_cls``'s event queues, their bindings, dead-letter exchange and queues, without starting the
    service. Idempotent. Returns the handler queue names. ``config``: the service's config
    (``EVENT_DELIVERY_LIMIT``, SSL options); it must match what the service runs with, or its start fails with
    :class:`TopologyConflict`."""
    topology = service_topology(service_cls, config)
    with _connection(amqp_uri, config) as connection:
        channel = connection.channel()
        for handler in topology:
            handler.declare(channel)
    return [handler.queue.name for handler in topology]


def replay_dead_letters(amqp_uri: str, dead_letter_queue: str, max_messages: int | None = None, config=None) -> int:
    """Move up to ``max_messages`` (default: all there now) dead letters back to the handler queue they came from.

    Each is republished to the default exchange with the queue's name as routing key (only that handler sees it
    again), body and properties unchanged, broker ``x-`` headers dropped (RabbitMQ >= 3.13 treats them as its own;
    the count starts again), with publisher confirms; it is acknowledged in the DLQ only after the confirm. Returns
    how many were replayed."""
    target = source_queue_of(dead_letter_queue)
    replayed = 0
    with _connection(amqp_uri, config, confirms=True) as connection:
        channel = connection.channel()
        channel.queue_declare(queue=target, passive=True)  # NotFound rather than an unroutable publish
        producer = connection.Producer(channel)
        source = Queue(dead_letter_queue, no_declare=True)(channel)
        while max_messages is None or replayed < max_messages:
            message = source.get(no_ack=False, accept=None)
            if message is None:
                break
            headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith(BROKER_HEADER_PREFIX)}
            deaths = (message.headers or {}).get("x-death") or [{}]
            producer.publish(
                message.body,
                exchange="",
                routing_key=target,
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=message.properties.get("delivery_mode", 2),
                mandatory=True,
                **{k: v for k, v in message.properties.items()
                   if k in ("correlation_id", "reply_to", "message_id", "priority", "expiration", "type")},
            )
            message.ack()
            replayed += 1
            log.warning("event_replayed", queue=target, routing_keys=deaths[0].get("routing-keys"))
    return replayed
