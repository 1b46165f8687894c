"""Notify over the real broker and PostgreSQL for the provider's standing duties: a revisit (W5) reaches the
sponsor by SMS and e-mail, a stock filing's re-verification invitation (W6) by SMS, each once."""

import uuid

import pytest

from shared.contracts import EVENTS
from shared.contracts.intake import REVERIFICATION_REQUESTED, REVISIT_REQUESTED

pytestmark = pytest.mark.service

MOBILE = "13800138000"
EMAIL = "zhangsan@example.com.cn"


@pytest.mark.req("W5")
def test_a_revisit_asks_the_sponsor_by_sms_and_email_once(notify, publish, seal, sms_inbox, email_inbox, api,
                                                          wait_until):
    filing_id = str(uuid.uuid4())
    data = {**EVENTS.get(REVISIT_REQUESTED).sample, "filing_id": filing_id,
            "answer_by": "2027-12-20T23:00:00+00:00",  # 21 December in Shanghai
            "contacts": {"mobile": seal(MOBILE, "event.contacts.mobile"), "email": seal(EMAIL, "event.contacts.email")}}
    event_id = str(uuid.uuid4())
    publish("intake", REVISIT_REQUESTED, data, filing_id, event_id=event_id)
    publish("intake", REVISIT_REQUESTED, data, filing_id, event_id=event_id)  # redelivered: nothing more

    messages = wait_until(api.settled(filing_id, 2))
    assert {(m["channel"], m["template"], m["state"]) for m in messages} == {
        ("sms", "revisit_requested", "delivered"), ("email", "revisit_requested", "delivered")}
    text = ("您的网站备案（备案号京ICP备2026000001号）正在进行定期核查，"
            "请于2027-12-21前登录备案系统确认备案信息是否准确；如信息有变化，请及时提交备案变更")
    assert [(m["to"], m["text"]) for m in sms_inbox()] == [(MOBILE, text)]
    [mail] = email_inbox()
    assert mail["to"] == EMAIL and text in mail["text"] and mail["subject"] == "网站备案信息定期核查"


@pytest.mark.req("W6")
def test_a_stock_filing_invites_its_responsible_person_by_sms(notify, publish, seal, sms_inbox, api, wait_until):
    filing_id = str(uuid.uuid4())
    sample = EVENTS.get(REVERIFICATION_REQUESTED).sample
    data = {**sample, "filing_id": filing_id,
            "contacts": {**sample["contacts"], "mobile": seal(MOBILE, "event.contacts.mobile")}}
    publish("intake", REVERIFICATION_REQUESTED, data, filing_id)

    [message] = wait_until(api.settled(filing_id, 1))
    assert message["template"] == "reverification_requested" and message["state"] == "delivered"
    assert [(m["to"], m["text"]) for m in sms_inbox()] == [
        (MOBILE, "您的网站备案（备案号京ICP备2016000001号）需补充办理当面核验，"
                 "请网站负责人于2027-03-01前携带有关证件原件到我单位备案现场办理核验手续")]
