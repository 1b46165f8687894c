"""The outbox relay on the real RabbitMQ and PostgreSQL (design.md §4): a committed event is published with
confirms, an unroutable one stays pending with backoff until a queue is bound, a rolled-back one never leaves,
and an invalid envelope is refused before it is stored."""
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection, Exchange, Queue
from sqlalchemy import MetaData, create_engine, select, update
from sqlalchemy.orm import Session

from shared.contracts.envelope import make_envelope
from shared.contracts.intake import FILING_CANCELLED
from shared.contracts.registry import InvalidEvent
from shared.platform.outbox import ConfirmedPublisher, backlog, enqueue, outbox_table, relay_once

pytestmark = pytest.mark.service

TABLE = outbox_table(MetaData())


def cancelled(filing_id: str = "f-1") -> dict:
    data = {"filing_id": filing_id, "provider_id": "p", "province": "京", "filing_number": None, "reason": "closed",
            "cancelled_at": "2026-11-22T10:00:00+08:00", "cancelled_by": "sponsor"}
    return make_envelope(FILING_CANCELLED, "intake", data, filing_id)


@pytest.fixture
def world(rabbit_config, database_factory):
    engine = create_engine(database_factory("intake"))
    exchange = Exchange("intake.events", type="topic", durable=True)
    publish = ConfirmedPublisher(rabbit_config["AMQP_URI"], exchange)
    connection = Connection(rabbit_config["AMQP_URI"])
    yield engine, publish, connection, exchange
    publish.close()
    connection.release()
    engine.dispose()


def _rows(engine):
    with engine.connect() as connection:
        return connection.execute(select(TABLE).order_by(TABLE.c.created_at)).mappings().all()


def test_unroutable_event_waits_then_is_published_once_a_queue_is_bound(world):
    engine, publish, connection, exchange = world
    with Session(engine) as session:
        enqueue(session, TABLE, cancelled())
        session.commit()

    assert relay_once(engine, TABLE, publish) == 0
    row = _rows(engine)[0]
    assert row["published_at"] is None and row["attempts"] == 1 and row["last_error"].startswith("unroutable")
    assert row["next_attempt_at"] > datetime.now(UTC)
    assert relay_once(engine, TABLE, publish) == 0  # backing off: not retried yet
    assert _rows(engine)[0]["attempts"] == 1
    pending, lag, unroutable = backlog(engine, TABLE, now=row["created_at"] + timedelta(seconds=7))
    assert (pending, unroutable) == (1, 1) and lag == pytest.approx(7.0)  # icp_outbox_* gauges

    queue = Queue("consumer", exchange=exchange, routing_key="#", durable=False)
    queue(connection.default_channel).declare()
    with engine.begin() as db:
        db.execute(update(TABLE).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert relay_once(engine, TABLE, publish) == 1
    message = queue(connection.default_channel).get(no_ack=True)
    assert message.payload["meta"]["type"] == FILING_CANCELLED
    assert _rows(engine)[0]["published_at"] is not None
    assert relay_once(engine, TABLE, publish) == 0
    assert queue(connection.default_channel).get(no_ack=True) is None
    assert backlog(engine, TABLE) == (0, 0.0, 0)


def test_rolled_back_events_never_leave_and_invalid_ones_are_refused(world):
    engine, publish, _connection, _exchange = world
    with Session(engine) as session:
        enqueue(session, TABLE, cancelled())
        session.rollback()
        bad = cancelled()
        del bad["data"]["reason"]
        with pytest.raises(InvalidEvent):
            enqueue(session, TABLE, bad)
    assert _rows(engine) == []
    assert relay_once(engine, TABLE, publish) == 0


def test_the_relay_wakes_only_after_a_commit_that_wrote_to_the_outbox(database_factory):
    """Issue 23: a transaction that emits nothing (most requests and handled events) costs the relay nothing."""
    from eventlet.event import Event
    from sqlalchemy.orm import sessionmaker

    from shared.platform.outbox import OutboxRelay

    engine = create_engine(database_factory("intake"))
    TABLE.create(engine, checkfirst=True)
    sessions = sessionmaker(engine)
    relay = OutboxRelay(TABLE)
    relay._wake = Event()
    relay.listen([sessions])
    try:
        with sessions() as session:
            session.execute(select(TABLE.c.id)).all()
            session.commit()
            assert not relay._wake.ready()
            enqueue(session, TABLE, cancelled("f-rolled-back"))
            session.rollback()
            session.commit()
            assert not relay._wake.ready()
            enqueue(session, TABLE, cancelled("f-2"))
            assert not relay._wake.ready()  # not before the commit
            session.commit()
            assert relay._wake.ready()
    finally:
        relay._forget_sessions()
        engine.dispose()
