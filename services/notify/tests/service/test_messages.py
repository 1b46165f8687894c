"""Notify over the real broker, on the module's container: precheck's, verification's and the bureau's events
become exactly one SMS or e-mail each, redelivery sends nothing more, an RPC send happens once per key
(retries and failures of a gateway: test_gateway_outcomes)."""

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
OTHER_MOBILE = "13912345678"
EMAIL = "zhangsan@example.com.cn"
PASS_TEXT = "您提交的网站备案信息已通过预核验，请在1个月内由网站负责人本人携带有关证件原件到我单位备案现场办理核验手续"
FAIL_TEXT = "您提交的网站备案信息未通过预核验，请修改后重新提交"


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
def test_a_failed_precheck_gets_exactly_one_fail_sms_with_the_exact_text(notify, precheck_events, sms_inbox, api,
                                                                        wait_until):
    filing_id = str(uuid.uuid4())
    precheck_events.outcome(False, filing_id, mobile=OTHER_MOBILE)

    wait_until(api.settled(filing_id))
    [sms] = sms_inbox()
    assert (sms["to"], sms["text"]) == (OTHER_MOBILE, FAIL_TEXT)


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
def test_a_second_distinct_event_for_the_same_filing_is_a_new_message(notify, precheck_events, sms_inbox, api,
                                                                       wait_until):
    filing_id = str(uuid.uuid4())
    precheck_events.outcome(False, filing_id)
    wait_until(api.settled(filing_id))
    precheck_events.outcome(True, filing_id)  # corrected, resubmitted, passed

    messages = wait_until(api.settled(filing_id, count=2))
    assert [m["template"] for m in messages] == ["precheck_failed", "precheck_passed"]
    assert [m["text"] for m in sms_inbox()] == [FAIL_TEXT, PASS_TEXT]


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

    [message] = wait_until(api.settled(filing_id))
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

    [message] = wait_until(api.settled(filing_id))
    assert [(m["to"], m["text"]) for m in sms_inbox()] == [
        (MOBILE, "您的网站备案已通过通信管理局审核，备案号为京ICP备2026000001号，"
                 "请在网站首页底部标注备案号并链接至工业和信息化部政务服务平台")
    ]
    assert message["recipient"] == "138****8000"
