"""The RabbitMQ management API as the ops team needs it (design.md §4): the state of every queue, the dead letters
of each event handler, the messages routed nowhere, and the thresholds that make a state a problem.

Names come from :mod:`shared.platform.events`: a handler queue is ``evt-<source>-<type>--<service>.<method>``, its
dead letters wait in ``<queue>.dlq``. Messages that no queue took are caught by the alternate exchange
:data:`UNROUTABLE_EXCHANGE` (policy :data:`UNROUTABLE_POLICY` on every ``*.events`` exchange) in the queue
:data:`UNROUTABLE_QUEUE`, set up by :meth:`ManagementApi.ensure_unroutable_capture`.

Message bodies leave this module only through :func:`describe_message`, which masks personal data
(``shared.platform.logging.mask_pii``): event bodies carry it sealed, but a poison message may be anything.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from shared.platform.events import QUEUE_PREFIX, dead_letter_queue_name, is_dead_letter_queue, source_queue_of
from shared.platform.logging import mask_pii

__all__ = [
    "Breach",
    "ManagementApi",
    "QueueState",
    "Thresholds",
    "UNROUTABLE_EXCHANGE",
    "UNROUTABLE_POLICY",
    "UNROUTABLE_QUEUE",
    "describe_message",
    "evaluate",
]

UNROUTABLE_EXCHANGE = "icp.unroutable"
UNROUTABLE_QUEUE = "icp.unroutable"
UNROUTABLE_POLICY = "icp-unroutable"
EVENT_EXCHANGES = r"\.events$"  # nameko's event exchanges: ``{service}.events``
TIMEOUT_SECONDS = 10.0
PEEK_TRUNCATE_BYTES = 50_000


@dataclass(frozen=True)
class QueueState:
    """One queue as the management API saw it (its counts lag the broker by up to the statistics interval, 5 s)."""

    name: str
    ready: int
    unacked: int
    consumers: int
    publish_rate: float
    deliver_rate: float
    ack_rate: float
    kind: str  # "handler", "dead_letters", "unroutable" or "other"
    dead_letters: int = 0  # for a handler queue: the messages waiting in its .dlq

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Thresholds:
    """Limits of a healthy broker; ``None`` switches a check off. ``require_consumers``: a handler queue without
    a consumer is a problem (its service is down, events pile up)."""

    max_ready: int | None = 1000
    max_unacked: int | None = 1000
    max_dead_letters: int | None = 0
    max_unroutable: int | None = 0
    require_consumers: bool = True


@dataclass(frozen=True)
class Breach:
    queue: str
    check: str  # "ready", "unacked", "dead_letters", "no_consumer", "unroutable"
    value: int
    limit: int

    def __str__(self) -> str:
        if self.check == "no_consumer":
            return f"{self.queue}: no consumer"
        return f"{self.queue}: {self.check} {self.value} > {self.limit}"


@dataclass
class ManagementApi:
    """``url``: ``http://user:password@host:15672`` (credentials in the URL, as KEDA takes it); ``vhost``: the
    virtual host every call is about."""

    url: str
    vhost: str = "/"
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.username is not None:
            self.session.auth = (parts.username, parts.password or "")
            netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
            self.url = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        self.url = self.url.rstrip("/")

    # --- transport ---------------------------------------------------------------------------------------------

    def _path(self, *parts: str) -> str:
        return f"{self.url}/api/" + "/".join(quote(part, safe="") for part in parts)

    def _call(self, method: str, *parts: str, **kwargs):
        answer = self.session.request(method, self._path(*parts), timeout=TIMEOUT_SECONDS, **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    # --- queues ------------------------------------------------------------------------------------------------

    def queues(self) -> list[QueueState]:
        """Every queue of the vhost; a handler queue carries the count of its dead-letter queue."""
        raw = self._call("GET", "queues", self.vhost) or []
        held = {queue["name"]: (queue.get("messages_ready") or 0) + (queue.get("messages_unacknowledged") or 0)
                for queue in raw}
        states = []
        for queue in raw:
            name = queue["name"]
            stats = queue.get("message_stats") or {}
            kind = _kind(name)
            states.append(QueueState(
                name=name,
                ready=queue.get("messages_ready", 0) or 0,
                unacked=queue.get("messages_unacknowledged", 0) or 0,
                consumers=queue.get("consumers", 0) or 0,
                publish_rate=_rate(stats, "publish"),
                deliver_rate=_rate(stats, "deliver_get"),
                ack_rate=_rate(stats, "ack"),
                kind=kind,
                dead_letters=held.get(dead_letter_queue_name(name), 0) if kind == "handler" else 0,
            ))
        return sorted(states, key=lambda state: state.name)

    def queue(self, name: str) -> dict:
        return self._call("GET", "queues", self.vhost, name)

    def peek(self, queue: str, count: int) -> list[dict]:
        """Up to ``count`` messages from the head of ``queue``, left in it (returned to the queue; a quorum queue
        counts the return, which a dead-letter queue's limit of a million allows)."""
        body = {"count": count, "ackmode": "ack_requeue_true", "encoding": "auto", "truncate": PEEK_TRUNCATE_BYTES}
        return self._call("POST", "queues", self.vhost, queue, "get", json=body) or []

    def purge(self, queue: str) -> None:
        self._call("DELETE", "queues", self.vhost, queue, "contents")

    # --- unroutable messages -----------------------------------------------------------------------------------

    def ensure_unroutable_capture(self) -> None:
        """Idempotent: the fanout exchange and quorum queue that keep what no queue took, and the policy that makes
        them the alternate exchange of every ``*.events`` exchange (design.md §4: unroutable publishes are
        detected). A policy, not an exchange argument, so nameko's own exchange declarations stay as they are."""
        self._call("PUT", "exchanges", self.vhost, UNROUTABLE_EXCHANGE,
                   json={"type": "fanout", "durable": True, "auto_delete": False, "internal": False, "arguments": {}})
        self._call("PUT", "queues", self.vhost, UNROUTABLE_QUEUE,
                   json={"durable": True, "auto_delete": False, "arguments": {"x-queue-type": "quorum"}})
        self._call("POST", "bindings", self.vhost, "e", UNROUTABLE_EXCHANGE, "q", UNROUTABLE_QUEUE,
                   json={"routing_key": "", "arguments": {}})
        self._call("PUT", "policies", self.vhost, UNROUTABLE_POLICY,
                   json={"pattern": EVENT_EXCHANGES, "apply-to": "exchanges", "priority": 0,
                         "definition": {"alternate-exchange": UNROUTABLE_EXCHANGE}})


def _rate(stats: dict, name: str) -> float:
    return float((stats.get(f"{name}_details") or {}).get("rate", 0.0))


def _kind(name: str) -> str:
    if is_dead_letter_queue(name):
        return "dead_letters"
    if name.startswith(QUEUE_PREFIX):
        return "handler"
    if name == UNROUTABLE_QUEUE:
        return "unroutable"
    return "other"


def evaluate(states: list[QueueState], thresholds: Thresholds) -> list[Breach]:
    """Every threshold ``states`` breach; empty when all is well."""
    breaches = []

    def over(state: QueueState, check: str, value: int, limit: int | None) -> None:
        if limit is not None and value > limit:
            breaches.append(Breach(state.name, check, value, limit))

    for state in states:
        if state.kind == "dead_letters":
            over(state, "dead_letters", state.ready + state.unacked, thresholds.max_dead_letters)
        elif state.kind == "unroutable":
            over(state, "unroutable", state.ready + state.unacked, thresholds.max_unroutable)
        else:
            over(state, "ready", state.ready, thresholds.max_ready)
            over(state, "unacked", state.unacked, thresholds.max_unacked)
            if state.kind == "handler" and thresholds.require_consumers and state.consumers == 0:
                breaches.append(Breach(state.name, "no_consumer", 0, 1))
    return breaches


def describe_message(message: dict, queue: str) -> dict:
    """One message of the management API's ``get`` as ops may see it: event identity, where it failed and why, and
    its body and headers with personal data masked. Never the raw payload."""
    properties = message.get("properties") or {}
    headers = properties.get("headers") or {}
    deaths = headers.get("x-death") or [{}]
    body: object
    if message.get("payload_encoding") == "string":
        try:
            body = json.loads(message.get("payload") or "")
        except ValueError:
            body = f"<{message.get('payload_bytes', 0)} bytes, not JSON: not shown>"
    else:
        body = f"<{message.get('payload_bytes', 0)} bytes, binary: not shown>"
    meta = body.get("meta", {}) if isinstance(body, dict) and isinstance(body.get("meta"), dict) else {}
    return mask_pii({
        "queue": queue,
        "source_queue": source_queue_of(queue) if is_dead_letter_queue(queue) else None,
        "event_id": meta.get("id"),
        "event_type": meta.get("type"),
        "source": meta.get("source"),
        "occurred_at": meta.get("occurred_at"),
        "correlation_id": meta.get("correlation_id"),
        "routing_key": message.get("routing_key"),
        "death_reason": deaths[0].get("reason"),
        "first_death_queue": headers.get("x-first-death-queue"),
        "first_death_exchange": headers.get("x-first-death-exchange"),
        "routing_keys": deaths[0].get("routing-keys"),
        "headers": {k: v for k, v in headers.items() if k != "x-death"},
        "body": body,
    })
