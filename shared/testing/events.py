"""Seeing and making events in service tests: a tap on a service's event exchange, and a publisher that
sends a registered contract's envelope as its producer would."""
import time
import uuid

from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope


class EventTap:
    """A queue bound to ``<service>.events`` (all routing keys); bind it before the producer publishes."""

    def __init__(self, amqp_uri: str, service: str):
        self.connection = Connection(amqp_uri)
        exchange = Exchange(f"{service}.events", type="topic", durable=True)
        self.queue = Queue(f"tap-{service}-{uuid.uuid4().hex[:8]}", exchange=exchange, routing_key="#",
                           durable=False, auto_delete=False)
        self.queue(self.connection.default_channel).declare()

    def drain(self, timeout: float = 3.0) -> list[dict]:
        """Every message published so far, waiting up to ``timeout`` for the first one."""
        got, deadline = [], time.monotonic() + timeout
        bound = self.queue(self.connection.default_channel)
        while True:
            message = bound.get(no_ack=True)
            if message is not None:
                got.append(message.payload)
                continue
            if got or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        """At least ``count`` messages, or whatever arrived when ``timeout`` ran out."""
        got, deadline = [], time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            got += self.drain(timeout=0.2)
        return got

    def close(self) -> None:
        """Delete the tap's queue (a vhost may outlive the test) and let go of the connection."""
        self.queue(self.connection.default_channel).delete()
        self.connection.release()


def publisher(amqp_uri: str):
    """``send(source, event_type, data, correlation_id, event_id=None) -> envelope``, validated first and published
    with the routing key the producer's outbox relay would use."""
    publish = Publisher(amqp_uri).publish

    def send(source: str, event_type: str, data: dict, correlation_id: str, event_id: str | None = None) -> dict:
        envelope = make_envelope(event_type, source, data, correlation_id, event_id=event_id)
        EVENTS.validate_outgoing(envelope)
        exchange = get_event_exchange(source, {})
        publish(envelope, exchange=exchange, routing_key=EVENTS.routing_key(envelope), declare=[exchange])
        return envelope

    return send
