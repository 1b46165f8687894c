"""Notify's repository and unit of work (``notify.repository``) on PostgreSQL and on SQLite (the embedded demo
default): one message per cause on the UNIQUE key, the claim and the outcome committed as the delivery protocol
needs, personal data sealed at rest, and messages left ``unknown`` by an older release reconciled after the
migration. The protocol's rules themselves are unit tests on the fakes (``tests/unit/test_delivery.py``)."""

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from notify.dependencies import GatewaySet
from notify.domain import RetryPolicy
from notify.gateways import HttpSmsGateway
from notify.models import DeliveryAttempt, Message, outbox
from notify.repository import NotifyUnitOfWork
from notify.usecases import common, delivery, events, views
from services.notify.tests.fakes import FILING, ScriptedGateway, record_pass
from shared.contracts import EVENTS
from shared.contracts.notify import MESSAGE_DELIVERED
from shared.platform.crypto import CryptoConfig
from shared.platform.db import make_engine
from shared.platform.migrations import upgrade

pytestmark = [pytest.mark.integration, pytest.mark.clock]

SERVICE_DIR = Path(__file__).resolve().parents[2]
CODE = "482913"
PASS_TEXT = "您提交的网站备案信息已通过预核验，请在1个月内由网站负责人本人携带有关证件原件到我单位备案现场办理核验手续"


@pytest.fixture(params=["postgresql", "sqlite"])
def db_url(request, database_factory, tmp_path):
    if request.param == "postgresql":
        return database_factory("notify")
    url = f"sqlite:///{tmp_path / 'notify.db'}"
    upgrade(SERVICE_DIR, url)
    return url


@pytest.fixture
def session(db_url):
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
def crypto():
    return CryptoConfig.from_config({})


@dataclass
class World:
    """The unit of work on the test's database and the collaborators the use cases take."""

    uow: NotifyUnitOfWork
    recorder: common.Recorder
    courier: common.Courier


def world(session, crypto, clock, sms=None, email=None, **policy) -> World:
    return World(
        uow=NotifyUnitOfWork(session),
        recorder=common.Recorder(cipher=crypto.cipher(), hasher=crypto.hasher(), now=clock),
        courier=common.Courier(cipher=crypto.cipher(), gateways=GatewaySet(sms or ScriptedGateway(),
                                                                           email or ScriptedGateway()),
                               policy=RetryPolicy(**policy), sending_lease=timedelta(seconds=300), now=clock),
    )


@pytest.fixture
def make_deps(session, crypto, clock):
    def make(sms=None, email=None, max_attempts=3):
        return world(session, crypto, clock, sms, email, max_attempts=max_attempts, base=timedelta(seconds=10),
                     cap=timedelta(seconds=60))

    return make


def published(session) -> list[dict]:
    rows = session.execute(select(outbox.c.envelope).order_by(outbox.c.created_at)).scalars().all()
    for envelope in rows:
        EVENTS.validate_outgoing(envelope)
    return list(rows)


def attempts_of(session, message_id) -> list[tuple]:
    rows = session.execute(select(DeliveryAttempt).where(DeliveryAttempt.message_id == message_id)
                           .order_by(DeliveryAttempt.number)).scalars()
    return [(a.number, a.outcome) for a in rows]


@pytest.mark.req("P2")
def test_one_cause_stores_one_message_and_its_delivery_commits_it_with_the_outcome_event(make_deps, crypto,
                                                                                          session):
    deps = make_deps()
    event_id = str(uuid.uuid4())
    message_id = record_pass(deps, crypto, event_id)
    twin = deps.uow.messages.get(message_id)

    # The same cause recorded again (under another id) gets the stored message back, adds nothing.
    session.expunge(twin)
    twin.id = str(uuid.uuid4())
    assert deps.uow.messages.add_once(twin) == (deps.uow.messages.get(message_id), False)
    delivered = delivery.deliver(deps.uow, deps.courier, message_id)
    session.rollback()  # nothing was left pending: the claim and the outcome were committed

    assert session.execute(select(Message.id, Message.state)).all() == [(message_id, "delivered")]
    assert attempts_of(session, message_id) == [(1, "delivered")] and delivered.attempts == 1
    [envelope] = published(session)
    assert (envelope["meta"]["type"], envelope["data"]["cause_event_id"]) == (MESSAGE_DELIVERED, event_id)


def test_contact_code_by_email_is_stored_sealed_and_shown_masked(make_deps, crypto, session, db_url):
    mail = ScriptedGateway()
    deps = make_deps(email=mail)
    cipher = crypto.cipher()
    data = {"filing_id": FILING, "confirmation_id": "c-1:1", "channel": "email",
            "recipient": cipher.encrypt("zhangsan@example.com.cn", context="event.recipient"),
            "code": cipher.encrypt(CODE, context="event.code"), "expires_at": "2026-11-24T09:00:00+08:00"}
    message_id = events.on_contact_confirmation(deps.uow, deps.recorder, str(uuid.uuid4()), FILING, data)
    session.commit()
    delivery.deliver(deps.uow, deps.courier, message_id)

    [(to, subject, body, sent_id)] = mail.sent
    assert to == "zhangsan@example.com.cn" and CODE in body and subject == "网站备案联系方式确认验证码"
    raw = json.dumps([list(map(str, r)) for r in session.execute(text("SELECT * FROM messages")).all()],
                     ensure_ascii=False)
    assert CODE not in raw and "zhangsan" not in raw
    [view] = views.list_messages(deps.uow, deps.recorder.cipher, FILING)["messages"]
    assert view["recipient"] == "z***@example.com.cn" and view["text"] is None and view["state"] == "delivered"
    assert [a["outcome"] for a in view["delivery_attempts"]] == ["delivered"]


def test_messages_left_unknown_before_the_delivery_rule_are_reconciled_after_the_migration(tmp_path, crypto, clock,
                                                                                           sms_gateway):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(SERVICE_DIR, url, "0001")
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        deps = world(session, crypto, clock, HttpSmsGateway(sms_gateway.url, "secret"))
        message_id = record_pass(deps, crypto)
        session.execute(text("UPDATE messages SET state = 'unknown', attempts = 1, next_attempt_at = NULL"))
        session.execute(text("INSERT INTO delivery_attempts (message_id, number, gateway, started_at, outcome) "
                             "VALUES (:id, 1, 'http', '2026-11-01 00:00:00', 'unknown')"), {"id": message_id})
        session.commit()
        upgrade(SERVICE_DIR, url)
        clock.advance(seconds=3600)  # past the migration's own now (the process clock), however long it took
        delivery.deliver_due(deps.uow, deps.courier)

        assert views.get_message(deps.uow, message_id).state == "delivered"
        assert sms_gateway.status_queries == [message_id]
    engine.dispose()


def test_a_due_message_is_claimed_once_and_its_attempt_committed_before_the_send(make_deps, crypto, session, clock):
    deps = make_deps()
    message_id = record_pass(deps, crypto)

    message, number = delivery._claim(deps.uow, deps.courier, message_id)

    assert (message.state, number) == ("sending", 1)
    assert delivery._claim(deps.uow, deps.courier, message_id) is None  # sending: not due any more
    assert attempts_of(session, message_id) == [(1, "in_flight")]
    clock.advance(seconds=301)
    assert delivery.sweep_stale(deps.uow, deps.courier) == 1
    assert [(m.id, m.state) for m in deps.uow.messages.of_correlation(FILING)] == [(message_id, "unknown")]
    assert [row[0] for row in deps.uow.messages.unknown_due(clock(), 10)] == [message_id]
