"""Transactional outbox (design.md §4): a state change and its event commit together, and a relay
publishes committed events with publisher confirms. Never dispatch before commit.

Each service adds ``outbox_table(metadata)`` to its own models and migrations, calls ``enqueue`` inside the
transaction that changes state, and declares ``relay = OutboxRelay()``. The relay wakes when a transaction of
the service's ``Database`` sessions that wrote to the outbox commits (only then: a request or an event that emits
nothing costs the relay nothing), and also polls, so an event committed by a crashed process, or by a session of
its own, is still published by the next one. It publishes a batch of due rows and then waits once for the broker's
confirms of all of them; a row is marked published only once its publish is confirmed. Rows are
claimed with ``FOR UPDATE SKIP LOCKED`` so several replicas never publish the same row concurrently;
consumers still deduplicate on ``meta.id`` because a crash between publish and mark repeats a publish.
An unroutable event (no queue bound yet) stays pending and is retried with backoff, so it is not lost.

When the service has ``metrics = Metrics()`` the relay keeps three gauges current (refreshed at most once per poll
interval): ``icp_outbox_pending{service}`` rows not yet published, ``icp_outbox_lag_seconds{service}`` the age of
the oldest of them (0 when none: how far the bus is behind the database), ``icp_outbox_unroutable{service}`` those
whose last publish found no queue.
"""

import json
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import eventlet
import structlog
from amqp import Message
from eventlet.event import Event
from kombu import Connection, Exchange
from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, case, event, func, select, update
from sqlalchemy.orm import Session

from shared.contracts.registry import EVENTS, EventRegistry
from shared.platform.config import require
from shared.platform.db import Database, UtcDateTime, make_engine
from shared.platform.observability import Metrics

log = structlog.get_logger(__name__)

BATCH = 100
MAX_BACKOFF = timedelta(minutes=5)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", String(36), primary_key=True, comment="the envelope's meta.id"),
        Column("event_type", String(80), nullable=False),
        Column("correlation_id", String(64), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime()),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", UtcDateTime(), nullable=False),
        Column("last_error", String(200)),
        Index("ix_outbox_pending", "published_at", "next_attempt_at"),
    )


WRITTEN = "outbox_written"
"""``Session.info`` key: set by :func:`enqueue` (and :func:`mark_written`), read by the relay when the session
commits."""


def mark_written(session: Session) -> None:
    """Say that the session's transaction adds outbox rows, so that the relay wakes when it commits."""
    session.info[WRITTEN] = True


def enqueue(session: Session, table: Table, envelope: dict, registry: EventRegistry = EVENTS) -> None:
    """Check ``envelope`` against its contract (the one check it gets: consumers read it tolerantly) and add it to
    the current transaction."""
    registry.validate_outgoing(envelope)
    now = datetime.now(UTC)
    session.execute(
        table.insert().values(
            id=envelope["meta"]["id"],
            event_type=envelope["meta"]["type"],
            correlation_id=envelope["meta"]["correlation_id"],
            envelope=envelope,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )
    mark_written(session)


def relay_once(engine, table: Table, publish_batch) -> int:
    """Publish due rows in creation order; returns how many were published. ``publish_batch(rows)`` publishes the
    rows' envelopes and returns once the broker has confirmed every one (:class:`ConfirmedPublisher`): the ids of
    those it returned as unroutable are retried with backoff, those it refused (nack) at the next pass; an
    exception leaves every row pending (a publish that got through is repeated: consumers deduplicate)."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        query = (
            select(table)
            .where(table.c.published_at.is_(None), table.c.next_attempt_at <= now)
            .order_by(table.c.created_at)
            .limit(BATCH)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = connection.execute(query).mappings().all()
        if not rows:
            return 0
        unroutable, refused = publish_batch(rows)
        for row in rows:
            if row["id"] not in unroutable:
                continue
            attempts = row["attempts"] + 1
            delay = min(timedelta(seconds=2**attempts), MAX_BACKOFF)
            connection.execute(
                update(table)
                .where(table.c.id == row["id"])
                .values(attempts=attempts, next_attempt_at=now + delay, last_error=UNROUTABLE_ERROR)
            )
            log.error("outbox_event_unroutable", event_type=row["event_type"], event_id=row["id"])
        published = [row["id"] for row in rows if row["id"] not in unroutable and row["id"] not in refused]
        if published:
            connection.execute(update(table).where(table.c.id.in_(published)).values(published_at=now))
    return len(published)


class ConfirmedPublisher:
    """Publishes batches of outbox rows to one exchange, persistent and mandatory, as nameko's ``Publisher`` does
    (JSON, ``delivery_mode`` 2, routing key from the contract), on a channel in confirm mode of its own, and waits
    once per batch for the broker's confirms (at most ``timeout`` seconds; then it raises, and the next call
    connects again)."""

    def __init__(self, amqp_uri: str, exchange: Exchange, config: dict | None = None, timeout: float = 30.0):
        self.amqp_uri, self.exchange, self.config, self.timeout = amqp_uri, exchange, config or {}, timeout
        self._connection = self._channel = None

    def _connect(self):
        connection = Connection(self.amqp_uri, ssl=self.config.get(AMQP_SSL_CONFIG_KEY),
                                login_method=self.config.get(LOGIN_METHOD_CONFIG_KEY))
        channel = connection.channel()
        self.exchange(channel).declare()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        channel.events["basic_return"].add(self._on_return)
        self._connection, self._channel, self._tag = connection, channel, 0
        self._acked, self._nacked, self._returned = set(), set(), set()

    def _settle(self, into: set, tag: int, multiple: bool) -> None:
        into.update(range(self._first, tag + 1) if multiple else (tag,))

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._settle(self._acked, tag, multiple)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._settle(self._nacked, tag, multiple)

    def _on_return(self, _exc, _exchange, _routing_key, message) -> None:
        self._returned.add(json.loads(message.body)["meta"]["id"])  # RabbitMQ returns a message before its ack

    def __call__(self, rows) -> tuple[set[str], set[str]]:
        """``(ids returned unroutable, ids refused)`` once every row's publish is confirmed."""
        try:
            if self._connection is None:
                self._connect()
            self._acked, self._nacked, self._returned = set(), set(), set()
            self._first, tags = self._tag + 1, {}
            for row in rows:
                body = json.dumps(row["envelope"])
                message = Message(body, content_type="application/json", content_encoding="utf-8",
                                  delivery_mode=2, priority=0, application_headers={})
                self._channel.basic_publish(message, exchange=self.exchange.name,
                                            routing_key=EVENTS.routing_key(row["envelope"]), mandatory=True)
                self._tag += 1
                tags[self._tag] = row["id"]
            deadline = time.monotonic() + self.timeout
            while len(self._acked) + len(self._nacked) < len(tags):
                self._connection.drain_events(timeout=max(deadline - time.monotonic(), 0.001))
        except Exception:
            self.close()
            raise
        return set(self._returned), {tags[tag] for tag in self._nacked}

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(Exception):
                connection.close()


UNROUTABLE_ERROR = "unroutable: no queue bound"


def backlog(engine, table: Table, now: datetime | None = None) -> tuple[int, float, int]:
    """``(pending rows, age in seconds of the oldest pending row or 0, pending rows last found unroutable)``."""
    now = now or datetime.now(UTC)
    query = select(
        func.count(),
        func.min(table.c.created_at),
        func.coalesce(func.sum(case((table.c.last_error == UNROUTABLE_ERROR, 1), else_=0)), 0),
    ).where(table.c.published_at.is_(None))
    with engine.connect() as connection:
        pending, oldest, unroutable = connection.execute(query).one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands naive datetimes back
        oldest = oldest.replace(tzinfo=UTC)
    lag = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return int(pending), lag, int(unroutable)


class OutboxRelay(DependencyProvider):
    """Publishes this service's outbox to ``<service>.events`` with confirms and mandatory routing."""

    def __init__(self, table: Table, poll_interval: float = 1.0):
        self.table = table
        self.poll_interval = poll_interval

    def setup(self) -> None:
        config = self.container.config
        self.engine = make_engine(require(config, "DB_URL", "outbox relay"), pool_size=1)
        self.exchange = get_event_exchange(self.container.service_name, config)
        self.publisher = ConfirmedPublisher(config[AMQP_URI_CONFIG_KEY], self.exchange, config)
        self._wake = Event()
        self._running = False

    def start(self) -> None:
        self.listen([dep.sessionmaker for dep in self.container.dependencies if isinstance(dep, Database)])
        self._running = True
        self._gauges = self._backlog_gauges()
        self._measured_at = 0.0
        self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def _backlog_gauges(self):
        registry = next((dep.registry for dep in self.container.dependencies if isinstance(dep, Metrics)), None)
        if registry is None:
            return None
        service = self.container.service_name
        return (
            registry.gauge("icp_outbox_pending", "Outbox rows not yet published.", ("service",)).labels(service),
            registry.gauge("icp_outbox_lag_seconds", "Age of the oldest unpublished outbox row (0 when none).",
                           ("service",)).labels(service),
            registry.gauge("icp_outbox_unroutable", "Unpublished outbox rows whose last publish found no queue.",
                           ("service",)).labels(service),
        )

    def _measure(self) -> None:
        if self._gauges is None or time.monotonic() - self._measured_at < self.poll_interval:
            return
        self._measured_at = time.monotonic()
        for gauge, value in zip(self._gauges, backlog(self.engine, self.table), strict=True):
            gauge.set(value)

    def listen(self, sessionmakers: list) -> None:
        """Wake when a session of ``sessionmakers`` commits a transaction that :func:`enqueue` wrote to."""
        self._sessionmakers = list(sessionmakers)
        for sessionmaker in self._sessionmakers:
            event.listen(sessionmaker, "after_commit", self._after_commit)
            event.listen(sessionmaker, "after_rollback", self._after_rollback)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(WRITTEN, False):
            self.wake()

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(WRITTEN, None)

    def _forget_sessions(self) -> None:
        for sessionmaker in getattr(self, "_sessionmakers", ()):
            event.remove(sessionmaker, "after_commit", self._after_commit)
            event.remove(sessionmaker, "after_rollback", self._after_rollback)
        self._sessionmakers = []

    def stop(self) -> None:
        self._running = False
        self._forget_sessions()
        self.wake()
        self.publisher.close()
        self.engine.dispose()

    def kill(self) -> None:
        self._running = False
        self._forget_sessions()

    def wake(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def get_dependency(self, worker_ctx):
        return self.wake

    def _run(self) -> None:
        while self._running:
            try:
                self._measure()
                if relay_once(self.engine, self.table, self.publisher):
                    continue
            except Exception:  # a broker or database outage must not end the relay: log and poll again
                log.exception("outbox_relay_failed")
            with eventlet.Timeout(self.poll_interval, False):
                self._wake.wait()
            if self._wake.ready():
                self._wake.reset()
