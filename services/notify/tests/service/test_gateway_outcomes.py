"""Notify with a gateway of its own over the real broker, each test on a container of its own settings: the timer
retries a flaky gateway, a send cut off mid-way by a killed process is reconciled with the gateway and never
repeated (a dead gateway reported and a refusal failed at once: tests/unit/test_delivery.py, on the fakes)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import create_engine, insert, select

from notify.gateways import FileSmsSink, HttpSmsGateway
from notify.models import DeliveryAttempt, Message, processed_events
from shared.contracts.notify import MESSAGE_DELIVERED

pytestmark = pytest.mark.service

MOBILE = "13800138000"
PASS_TEXT = "您提交的网站备案信息已通过预核验，请在1个月内由网站负责人本人携带有关证件原件到我单位备案现场办理核验手续"


@pytest.fixture
def notify_address(web_config):
    """Each test's container serves HTTP on an address of its own (conftest's ``notify_address``)."""
    return web_config["WEB_SERVER_ADDRESS"]


def http_settings(gateway, **more) -> dict:
    return {"SMS_GATEWAY": "http", "SMS_GATEWAY_URL": gateway.url, "SMS_GATEWAY_SECRET": "test-secret",
            "SMS_GATEWAY_RETRIES": "0", "SMS_GATEWAY_TIMEOUT": "2", **more}


def test_a_gateway_failing_twice_then_succeeding_delivers_after_retries(start_notify, sms_gateway, precheck_events,
                                                                        api, notify_tap, wait_until):
    sms_gateway.script = [503, 500]
    start_notify(**http_settings(sms_gateway))
    filing_id = str(uuid.uuid4())
    precheck_events.outcome(True, filing_id)

    [message] = wait_until(api.settled(filing_id))
    assert message["state"] == "delivered" and message["attempts"] == 3
    assert [(a["number"], a["outcome"], a["error"]) for a in message["delivery_attempts"]] == [
        (1, "unavailable", "gateway answered 503 (1 tries)"),
        (2, "unavailable", "gateway answered 500 (1 tries)"),
        (3, "delivered", None),
    ]
    assert [b["message_id"] for b in sms_gateway.bodies()] == [message["message_id"]] * 3
    assert sms_gateway.bodies()[-1] == {"to": MOBILE, "text": PASS_TEXT, "message_id": message["message_id"]}
    [delivered] = notify_tap.wait_for(1)
    assert delivered["meta"]["type"] == MESSAGE_DELIVERED and delivered["data"]["attempts"] == 3


@pytest.mark.req("P2")
@pytest.mark.parametrize("gateway", ["http", "file"])
@pytest.mark.parametrize("reached_the_phone", [True, False], ids=["sent-before-the-kill", "never-sent"])
def test_a_message_left_sending_by_a_killed_process_is_reconciled_with_the_gateway(
    start_notify, notify_config, crypto, precheck_events, sms_inbox, sms_gateway, api, wait_until, reached_the_phone,
    gateway
):
    """A previous process committed 'sending' and an attempt, then died (after or before its request reached the
    gateway): the restarted service asks the gateway's status query whether the SMS left, and sends it again only
    when the gateway has no record of it."""
    filing_id = str(uuid.uuid4())
    event_id = str(uuid.uuid4())
    cipher, hasher = crypto.cipher(), crypto.hasher()
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    message_id = str(uuid.uuid4())
    engine = create_engine(notify_config["DB_URL"])
    with engine.begin() as connection:
        connection.execute(insert(processed_events).values(event_id=event_id, handler="notify.precheck_passed",
                                                           processed_at=long_ago))
        connection.execute(insert(Message).values(
            id=message_id, cause_id=event_id, correlation_id=filing_id, channel="sms", template="precheck_passed",
            template_version=1, recipient_hmac=hasher.digest(MOBILE, kind="mobile"),
            recipient_token=cipher.encrypt(MOBILE, context="notify.recipient"), text=PASS_TEXT, text_sealed=False,
            state="sending", attempts=1, created_at=long_ago, updated_at=long_ago))
        connection.execute(insert(DeliveryAttempt).values(message_id=message_id, number=1, gateway="file",
                                                          started_at=long_ago, outcome="in_flight"))
    if gateway == "http":
        sent_by_the_dead_process = HttpSmsGateway(sms_gateway.url, "test-secret")
        settings, phone = http_settings(sms_gateway), sms_gateway.bodies
    else:
        sent_by_the_dead_process = FileSmsSink(notify_config["NOTIFY_SINK_PATH"])
        settings, phone = {}, sms_inbox
    if reached_the_phone:
        sent_by_the_dead_process.send(MOBILE, PASS_TEXT, message_id)

    notify = start_notify(**settings)
    [message] = wait_until(lambda: [m for m in api.messages(filing_id) if m["state"] == "delivered"])
    with entrypoint_waiter(notify, "on_precheck_passed"):  # and the event that caused it is redelivered
        precheck_events.outcome(True, filing_id, event_id=event_id)
    with entrypoint_waiter(notify, "deliver_due"):
        pass

    assert [(sms["message_id"], sms["text"]) for sms in phone()] == [(message_id, PASS_TEXT)], "exactly one SMS"
    if gateway == "http":
        assert sms_gateway.status_queries == [message_id]
    expected = [(1, "delivered")] if reached_the_phone else [(1, "unavailable"), (2, "delivered")]
    assert [(a["number"], a["outcome"]) for a in message["delivery_attempts"]] == expected
    assert len(api.messages(filing_id)) == 1
    metrics = api.get("/metrics").text
    unknown = 'icp_notify_message_outcomes_total{channel="sms",outcome="unknown",template="precheck_passed"} 1.0'
    assert unknown in metrics
    with engine.connect() as connection:
        assert connection.execute(select(Message.state)).scalars().all() == ["delivered"]
    engine.dispose()
