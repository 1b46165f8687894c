"""Notify over the real broker: precheck's events become exactly one SMS or e-mail each, redelivery sends
nothing more, a flaky gateway is retried, a dead one is reported, a send cut off mid-way is never repeated."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import create_engine, insert, select

from notify.gateways import FileSmsSink, HttpSmsGateway
from notify.models import DeliveryAttempt, Message, processed_events
from shared.contracts.errors import BadRequest
from shared.contracts.notify import MESSAGE_DELIVERED, MESSAGE_FAILED
from shared.contracts.precheck import PRECHECK_PASSED

pytestmark = pytest.mark.service

MOBILE = "13800138000"
OTHER_MOBILE = "13912345678"
EMAIL = "zhangsan@example.com.cn"
PASS_TEXT = "您提交的网站备案信息已通过预核验，请在1个月内由网站负责人本人携带有关证件原件到我单位备案现场办理核验手续"
FAIL_TEXT = "您提交的网站备案信息未通过预核验，请修改后重新提交"


def messages_of(api, filing_id: str) -> list[dict]:
    answer = api.get(f"/messages?correlation_id={filing_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()["messages"]


def settled(api, filing_id: str, count: int = 1):
    """A predicate: the filing's ``count`` messages, once none of them is pending, sending or waiting."""

    def check():
        messages = messages_of(api, filing_id)
        if len(messages) == count and all(m["state"] in ("delivered", "failed", "unknown") for m in messages):
            return messages
        return None

    return check


@pytest.mark.req("P2")
def test_a_clean_filing_gets_exactly_one_pass_sms_with_the_exact_text(notify, precheck_events, sms_inbox, api,
                                                                      notify_tap, wait_until):
    filing_id = str(uuid.uuid4())
    event = precheck_events.outcome(True, filing_id)

    [message] = wait_until(settled(api, filing_id))
    assert sms_inbox() == [{"channel": "sms", "to": MOBILE, "text": PASS_TEXT, "message_id": message["message_id"],
                            "at": sms_inbox()[0]["at"]}]
    assert message["state"] == "delivered" and message["template"] == "precheck_passed"
    assert message["recipient"] == "138****8000" and message["text"] == PASS_TEXT
    [delivered] = notify_tap.wait_for(1)
    assert delivered["meta"]["type"] == MESSAGE_DELIVERED and delivered["meta"]["correlation_id"] == filing_id
    assert delivered["data"]["cause_event_id"] == event["meta"]["id"]
    assert MOBILE not in json.dumps(delivered)


@pytest.mark.req("P2")
def test_a_failed_precheck_gets_exactly_one_fail_sms_with_the_exact_text(notify, precheck_events, sms_inbox, api,
                                                                        wait_until):
    filing_id = str(uuid.uuid4())
    precheck_events.outcome(False, filing_id, mobile=OTHER_MOBILE)

    wait_until(settled(api, filing_id))
    [sms] = sms_inbox()
    assert (sms["to"], sms["text"]) == (OTHER_MOBILE, FAIL_TEXT)


@pytest.mark.req("P2")
def test_the_same_event_redelivered_sends_nothing_more(notify, precheck_events, sms_inbox, api, wait_until):
    filing_id = str(uuid.uuid4())
    event_id = str(uuid.uuid4())
    precheck_events.outcome(True, filing_id, event_id=event_id)
    wait_until(settled(api, filing_id))

    for _ in range(2):
        with entrypoint_waiter(notify, "on_precheck_passed"):
            precheck_events.outcome(True, filing_id, event_id=event_id)

    assert len(messages_of(api, filing_id)) == 1
    assert [m["text"] for m in sms_inbox()] == [PASS_TEXT]


@pytest.mark.req("P2")
def test_a_second_distinct_event_for_the_same_filing_is_a_new_message(notify, precheck_events, sms_inbox, api,
                                                                       wait_until):
    filing_id = str(uuid.uuid4())
    precheck_events.outcome(False, filing_id)
    wait_until(settled(api, filing_id))
    precheck_events.outcome(True, filing_id)  # corrected, resubmitted, passed

    messages = wait_until(settled(api, filing_id, count=2))
    assert [m["template"] for m in messages] == ["precheck_failed", "precheck_passed"]
    assert [m["text"] for m in sms_inbox()] == [FAIL_TEXT, PASS_TEXT]


@pytest.mark.req("P2")
def test_contact_codes_go_by_sms_and_by_email(notify, precheck_events, sms_inbox, email_inbox, api, wait_until):
    filing_id = str(uuid.uuid4())
    precheck_events.code(filing_id, "sms", MOBILE, "482913")
    precheck_events.code(filing_id, "email", EMAIL, "730164")

    messages = wait_until(settled(api, filing_id, count=2))
    [sms] = sms_inbox()
    [mail] = email_inbox()
    assert sms["to"] == MOBILE and "482913" in sms["text"] and "24小时" in sms["text"]
    assert mail["to"] == EMAIL and "730164" in mail["text"] and mail["subject"] == "网站备案联系方式确认验证码"
    by_channel = {m["channel"]: m for m in messages}
    assert by_channel["sms"]["recipient"] == "138****8000" and by_channel["email"]["recipient"] == "z***@example.com.cn"
    assert by_channel["sms"]["text"] is None and by_channel["email"]["text"] is None  # codes are not shown
    assert {m["state"] for m in messages} == {"delivered"}


def http_settings(gateway, **more) -> dict:
    return {"SMS_GATEWAY": "http", "SMS_GATEWAY_URL": gateway.url, "SMS_GATEWAY_SECRET": "test-secret",
            "SMS_GATEWAY_RETRIES": "0", "SMS_GATEWAY_TIMEOUT": "2", **more}


def test_a_gateway_failing_twice_then_succeeding_delivers_after_retries(start_notify, sms_gateway, precheck_events,
                                                                        api, notify_tap, wait_until):
    sms_gateway.script = [503, 500]
    start_notify(**http_settings(sms_gateway))
    filing_id = str(uuid.uuid4())
    precheck_events.outcome(True, filing_id)

    [message] = wait_until(settled(api, filing_id))
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


def test_a_gateway_that_always_fails_is_reported_as_message_failed(start_notify, sms_gateway, precheck_events, api,
                                                                   notify_tap, wait_until):
    sms_gateway.script = [503] * 10
    start_notify(**http_settings(sms_gateway, NOTIFY_MAX_ATTEMPTS="3"))
    filing_id = str(uuid.uuid4())
    precheck_events.outcome(False, filing_id)

    [message] = wait_until(settled(api, filing_id))
    assert message["state"] == "failed" and message["attempts"] == 3 and len(sms_gateway.requests) == 3
    [failed] = notify_tap.wait_for(1)
    assert failed["meta"]["type"] == MESSAGE_FAILED and failed["meta"]["correlation_id"] == filing_id
    assert failed["data"]["attempts"] == 3 and failed["data"]["error"] == "gateway answered 503 (1 tries)"


def test_a_refused_message_fails_at_once(start_notify, sms_gateway, precheck_events, api, notify_tap, wait_until):
    sms_gateway.script = [400]
    start_notify(**http_settings(sms_gateway))
    filing_id = str(uuid.uuid4())
    precheck_events.outcome(True, filing_id)

    [message] = wait_until(settled(api, filing_id))
    assert message["state"] == "failed" and message["attempts"] == 1
    assert [e["meta"]["type"] for e in notify_tap.wait_for(1)] == [MESSAGE_FAILED]


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
    [message] = wait_until(lambda: [m for m in messages_of(api, filing_id) if m["state"] == "delivered"])
    with entrypoint_waiter(notify, "on_precheck_passed"):  # and the event that caused it is redelivered
        precheck_events.outcome(True, filing_id, event_id=event_id)
    with entrypoint_waiter(notify, "deliver_due"):
        pass

    assert [(sms["message_id"], sms["text"]) for sms in phone()] == [(message_id, PASS_TEXT)], "exactly one SMS"
    if gateway == "http":
        assert sms_gateway.status_queries == [message_id]
    expected = [(1, "delivered")] if reached_the_phone else [(1, "unavailable"), (2, "delivered")]
    assert [(a["number"], a["outcome"]) for a in message["delivery_attempts"]] == expected
    assert len(messages_of(api, filing_id)) == 1
    metrics = api.get("/metrics").text
    unknown = 'icp_notify_message_outcomes_total{channel="sms",outcome="unknown",template="precheck_passed"} 1.0'
    assert unknown in metrics
    with engine.connect() as connection:
        assert connection.execute(select(Message.state)).scalars().all() == ["delivered"]
    engine.dispose()


def test_an_event_whose_sealed_fields_do_not_open_is_dropped(notify, publish, seal, api, sms_inbox):
    filing_id = str(uuid.uuid4())
    data = {"filing_id": filing_id, "version": 1, "attempt": 1, "decided_at": "2026-11-23T09:00:00+08:00",
            "decided_by": "p", "reasons": [], "rulebook_version": "2026.1",
            "mobile": seal(MOBILE, "event.recipient")}  # wrong context
    with entrypoint_waiter(notify, "on_precheck_passed"):
        publish("precheck", PRECHECK_PASSED, data, filing_id)

    assert messages_of(api, filing_id) == [] and sms_inbox() == []


@pytest.mark.req("P2")
def test_rpc_send_sms_and_send_email_take_sealed_recipients_once_per_key(notify, notify_config, seal, sms_inbox,
                                                                         email_inbox, api):
    filing_id = str(uuid.uuid4())
    with ClusterRpcProxy({"AMQP_URI": notify_config["AMQP_URI"]}, timeout=20) as rpc:
        sent = rpc.notify.send_sms(seal(MOBILE, "rpc.recipient"), "precheck_passed", {}, "key-1", filing_id)
        again = rpc.notify.send_sms(seal(MOBILE, "rpc.recipient"), "precheck_passed", {}, "key-1", filing_id)
        mailed = rpc.notify.send_email(seal(EMAIL, "rpc.recipient"), "contact_code",
                                       {"code": seal("555123", "rpc.code")}, "key-2", filing_id)
        with pytest.raises(BadRequest) as plaintext:
            rpc.notify.send_sms(MOBILE, "precheck_passed", {}, "key-3", filing_id)
        with pytest.raises(BadRequest) as no_key:
            rpc.notify.send_sms(seal(MOBILE, "rpc.recipient"), "precheck_passed", {}, None, filing_id)

    assert sent == again == {"message_id": sent["message_id"], "state": "delivered"}
    assert mailed["state"] == "delivered"
    assert [m["text"] for m in sms_inbox()] == [PASS_TEXT]
    assert "555123" in email_inbox()[0]["text"]
    assert plaintext.value.errors[0]["field"] == "recipient" and MOBILE not in str(plaintext.value.errors)
    assert no_key.value.errors[0]["field"] == "idempotency_key"
    assert len(messages_of(api, filing_id)) == 2


def test_ops_endpoints(notify, api):
    assert api.get("/healthz").json()["checks"] == {"database": "ok"}
    assert "icp_entrypoint_seconds" in api.get("/metrics").text
    assert "/messages" in api.get("/openapi.json").json()["paths"]
    missing = api.get("/messages")
    assert missing.status_code == 400 and missing.json()["error"]["errors"][0]["field"] == "correlation_id"


# --- later steps of the workflow: the window of P3 and the filing number of P8 --------------------------------


@pytest.mark.req("P3")
def test_an_expired_window_is_texted_once(notify, publish, seal, sms_inbox, api, wait_until):
    from notify.domain import ONSITE_WINDOW_EXPIRED_TEXT
    from shared.contracts import EVENTS
    from shared.contracts.verification import ONSITE_WINDOW_EXPIRED

    filing_id = str(uuid.uuid4())
    data = {**EVENTS.get(ONSITE_WINDOW_EXPIRED).sample, "filing_id": filing_id, "mobile": seal(MOBILE, "event.mobile")}
    event = publish("verification", ONSITE_WINDOW_EXPIRED, data, filing_id)
    publish("verification", ONSITE_WINDOW_EXPIRED, data, filing_id, event_id=event["meta"]["id"])  # redelivered

    [message] = wait_until(settled(api, filing_id))
    assert message["template"] == "onsite_window_expired"
    assert [(m["to"], m["text"]) for m in sms_inbox()] == [(MOBILE, ONSITE_WINDOW_EXPIRED_TEXT)]


@pytest.mark.req("P8")
def test_the_filing_number_is_texted_to_the_mobile_the_bureau_approved(notify, publish, notify_config, sms_inbox,
                                                                       api, wait_until):
    from shared.contracts import EVENTS
    from shared.contracts.bureau import FILING_APPROVED
    from shared.platform.crypto import CryptoConfig

    exchange = CryptoConfig.from_config(notify_config).exchange()
    filing_id = str(uuid.uuid4())
    sample = EVENTS.get(FILING_APPROVED).sample
    filing = {**sample["filing"], "contacts": {**sample["filing"]["contacts"],
                                               "mobile": exchange.encrypt(MOBILE, context="exchange.contacts.mobile")}}
    publish("bureau", FILING_APPROVED, {**sample, "filing_id": filing_id, "filing": filing}, filing_id)

    [message] = wait_until(settled(api, filing_id))
    assert [(m["to"], m["text"]) for m in sms_inbox()] == [
        (MOBILE, "您的网站备案已通过通信管理局审核，备案号为京ICP备2026000001号，"
                 "请在网站首页底部标注备案号并链接至工业和信息化部政务服务平台")
    ]
    assert message["recipient"] == "138****8000"
