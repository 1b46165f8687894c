"""Notify's wiring over the real broker, on the module's container: precheck's events become exactly one SMS or
e-mail each, redelivery sends nothing more, an event that does not open is dropped, an RPC send happens once per
key (the texts of every event and the delivery rules: tests/unit; a gateway's retries and a killed send:
test_gateway_outcomes)."""

import json
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter

from shared.contracts.errors import BadRequest
from shared.contracts.notify import MESSAGE_DELIVERED
from shared.contracts.precheck import PRECHECK_PASSED

pytestmark = pytest.mark.service

MOBILE = "13800138000"
EMAIL = "zhangsan@example.com.cn"
PASS_TEXT = "您提交的网站备案信息已通过预核验，请在1个月内由网站负责人本人携带有关证件原件到我单位备案现场办理核验手续"


@pytest.mark.req("P2")
def test_a_clean_filing_gets_exactly_one_pass_sms_with_the_exact_text(notify, precheck_events, sms_inbox, api,
                                                                      notify_tap, wait_until):
    filing_id = str(uuid.uuid4())
    event = precheck_events.outcome(True, filing_id)

    [message] = wait_until(api.settled(filing_id))
    assert sms_inbox() == [{"channel": "sms", "to": MOBILE, "text": PASS_TEXT, "message_id": message["message_id"],
                            "at": sms_inbox()[0]["at"]}]
    assert message["state"] == "delivered" and message["template"] == "precheck_passed"
    assert message["recipient"] == "138****8000" and message["text"] == PASS_TEXT
    [delivered] = notify_tap.wait_for(1)
    assert delivered["meta"]["type"] == MESSAGE_DELIVERED and delivered["meta"]["correlation_id"] == filing_id
    assert delivered["data"]["cause_event_id"] == event["meta"]["id"]
    assert MOBILE not in json.dumps(delivered)


@pytest.mark.req("P2")
def test_the_same_event_redelivered_sends_nothing_more(notify, precheck_events, sms_inbox, api, wait_until):
    filing_id = str(uuid.uuid4())
    event_id = str(uuid.uuid4())
    precheck_events.outcome(True, filing_id, event_id=event_id)
    wait_until(api.settled(filing_id))

    for _ in range(2):
        with entrypoint_waiter(notify, "on_precheck_passed"):
            precheck_events.outcome(True, filing_id, event_id=event_id)

    assert len(api.messages(filing_id)) == 1
    assert [m["text"] for m in sms_inbox()] == [PASS_TEXT]


@pytest.mark.req("P2")
def test_contact_codes_go_by_sms_and_by_email(notify, precheck_events, sms_inbox, email_inbox, api, wait_until):
    filing_id = str(uuid.uuid4())
    precheck_events.code(filing_id, "sms", MOBILE, "482913")
    precheck_events.code(filing_id, "email", EMAIL, "730164")

    messages = wait_until(api.settled(filing_id, count=2))
    [sms] = sms_inbox()
    [mail] = email_inbox()
    assert sms["to"] == MOBILE and "482913" in sms["text"] and "24小时" in sms["text"]
    assert mail["to"] == EMAIL and "730164" in mail["text"] and mail["subject"] == "网站备案联系方式确认验证码"
    by_channel = {m["channel"]: m for m in messages}
    assert by_channel["sms"]["recipient"] == "138****8000" and by_channel["email"]["recipient"] == "z***@example.com.cn"
    assert by_channel["sms"]["text"] is None and by_channel["email"]["text"] is None  # codes are not shown
    assert {m["state"] for m in messages} == {"delivered"}


def test_an_event_whose_sealed_fields_do_not_open_is_dropped(notify, publish, seal, api, sms_inbox):
    filing_id = str(uuid.uuid4())
    data = {"filing_id": filing_id, "version": 1, "attempt": 1, "decided_at": "2026-11-23T09:00:00+08:00",
            "decided_by": "p", "reasons": [], "rulebook_version": "2026.1",
            "mobile": seal(MOBILE, "event.recipient")}  # wrong context
    with entrypoint_waiter(notify, "on_precheck_passed"):
        publish("precheck", PRECHECK_PASSED, data, filing_id)

    assert api.messages(filing_id) == [] and sms_inbox() == []


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
    assert len(api.messages(filing_id)) == 2


def test_ops_endpoints(notify, api):
    assert api.get("/healthz").json()["checks"] == {"database": "ok"}
    assert "icp_entrypoint_seconds" in api.get("/metrics").text
    assert "/messages" in api.get("/openapi.json").json()["paths"]
    missing = api.get("/messages")
    assert missing.status_code == 400 and missing.json()["error"]["errors"][0]["field"] == "correlation_id"
