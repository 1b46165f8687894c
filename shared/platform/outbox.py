"""Transactional outbox (design.md §4): a state change and its event commit together, and a relay
publishes committed events with publisher confirms. Never dispatch before commit.

Each service adds ``outbox_table(metadata)`` to its own models and migrations, calls ``enqueue`` inside the
transaction that changes state, and declares ``relay = OutboxRelay()``. The relay wakes after every worker
and also polls, so an event committed by a crashed process is still published by the next one. Rows are
claimed with ``FOR UPDATE SKIP LOCKED`` so several replicas never publish the same row concurrently;
consumers still deduplicate on ``meta.id`` because a crash between publish and mark repeats a publish.
An unroutable event (no queue bound yet) stays pending and is retried with backoff, so it is not lost.

When the service has ``metrics = Metrics()`` the relay keeps three gauges current (refreshed at most once per poll
interval): ``icp_outbox_pending{service}`` rows not yet published, ``icp_outbox_lag_seconds{service}`` the age of
the oldest of them (0 when none: how far the bus is behind the database), ``icp_outbox_unroutable{service}`` those
whose last publish found no queue.
"""

import time
from datetime import UTC, datetime, timedelta

import eventlet
import structlog
from eventlet.event import Event
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, case, func, select, update
from sqlalchemy.orm import Session

from shared.contracts.registry import EVENTS, EventRegistry
from shared.platform.config import require
from shared.platform.db import UtcDateTime, make_engine
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


def enqueue(session: Session, table: Table, envelope: dict, registry: EventRegistry = EVENTS) -> None:
    """Validate ``envelope`` against its contract and add it to the current transaction."""
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


def relay_once(engine, table: Table, publish) -> int:
    """Publish due rows in creation order; returns how many were published."""
    now = datetime.now(UTC)
    published = 0
    with engine.begin() as connection:
        query = (
            select(table)
            .where(table.c.published_at.is_(None), table.c.next_attempt_at <= now)
            .order_by(table.c.created_at)
            .limit(BATCH)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for row in connection.execute(query).mappings().all():
            try:
                publish(row["event_type"], row["envelope"])
            except UndeliverableMessage:
                attempts = row["attempts"] + 1
                delay = min(timedelta(seconds=2**attempts), MAX_BACKOFF)
                connection.execute(
                    update(table)
                    .where(table.c.id == row["id"])
                    .values(
                        attempts=attempts,
                        next_attempt_at=now + delay,
                        last_error=UNROUTABLE_ERROR,
                    )
                )
                log.error("outbox_event_unroutable", event_type=row["event_type"], event_id=row["id"])
                continue
            connection.execute(update(table).where(table.c.id == row["id"]).values(published_at=now))
            published += 1
    return published


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
        self.publisher = Publisher(
            config[AMQP_URI_CONFIG_KEY], use_confirms=True, mandatory=True, declare=[self.exchange]
        )
        self._wake = Event()
        self._running = False

    def start(self) -> None:
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

    def stop(self) -> None:
        self._running = False
        self.wake()
        self.engine.dispose()

    def kill(self) -> None:
        self._running = False

    def wake(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def worker_teardown(self, worker_ctx) -> None:
        self.wake()

    def get_dependency(self, worker_ctx):
        return self.wake

    def publish(self, event_type: str, envelope: dict) -> None:
        self.publisher.publish(envelope, exchange=self.exchange, routing_key=EVENTS.routing_key(envelope))

    def _run(self) -> None:
        while self._running:
            try:
                self._measure()
                if relay_once(self.engine, self.table, self.publish):
                    continue
            except Exception:  # a broker or database outage must not end the relay: log and poll again
                log.exception("outbox_relay_failed")
            with eventlet.Timeout(self.poll_interval, False):
                self._wake.wait()
            if self._wake.ready():
                self._wake.reset()
