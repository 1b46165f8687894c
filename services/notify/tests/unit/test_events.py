"""The events that ask for a message, through the use cases on the in-memory unit of work: each becomes its
template's text for the recipient it seals, once per event (P2, P3, P8, W5, W6)."""

import uuid

import pytest

from notify.domain import ONSITE_WINDOW_EXPIRED_TEXT, PRECHECK_FAILED_TEXT, PRECHECK_PASSED_TEXT
from notify.usecases import delivery, events
from services.notify.tests.fakes import ScriptedGateway
from shared.contracts import EVENTS
from shared.contracts.bureau import FILING_APPROVED
from shared.contracts.envelope import make_envelope
from shared.contracts.intake import REVERIFICATION_REQUESTED, REVISIT_REQUESTED
from shared.contracts.precheck import PRECHECK_FAILED, PRECHECK_PASSED
from shared.contracts.verification import ONSITE_WINDOW_EXPIRED

pytestmark = pytest.mark.unit

MOBILE = "13800138000"
OTHER_MOBILE = "13912345678"
EMAIL = "zhangsan@example.com.cn"
FILING = "6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10"


def received(source: str, event_type: str, data: dict) -> dict:
    """``data`` as the bounded handler hands it over: checked and loaded by the event's contract."""
    return EVENTS.load(make_envelope(event_type, source, {**data, "filing_id": FILING}, FILING))


def handled(deps, action, data: dict, event_id: str | None = None):
    """The handler's work: record the message(s) ``action`` asks for, commit, make the first attempts."""
    found = action(deps.uow, deps.recorder, event_id or str(uuid.uuid4()), FILING, data)
    deps.uow.commit()
    for message_id in found if isinstance(found, list) else [found]:
        if message_id is not None:
            delivery.deliver(deps.uow, deps.courier, message_id)
    return found


def precheck_outcome(crypto, passed: bool, mobile: str = MOBILE) -> dict:
    event_type = PRECHECK_PASSED if passed else PRECHECK_FAILED
    return received("precheck", event_type, {**EVENTS.get(event_type).sample,
                                             "mobile": crypto.cipher().encrypt(mobile, context="event.mobile")})


@pytest.mark.req("P2")
def test_a_failed_precheck_gets_exactly_one_fail_sms_with_the_exact_text(make_deps, crypto):
    sms = ScriptedGateway()
    deps = make_deps(sms)

    handled(deps, lambda *args: events.on_precheck_outcome(*args, passed=False),
            precheck_outcome(crypto, False, OTHER_MOBILE))

    assert [(to, text) for to, text, _ in sms.sent] == [(OTHER_MOBILE, PRECHECK_FAILED_TEXT)]


@pytest.mark.req("P2")
def test_a_second_distinct_event_for_the_same_filing_is_a_new_message(make_deps, crypto, clock):
    sms = ScriptedGateway()
    deps = make_deps(sms)

    handled(deps, lambda *args: events.on_precheck_outcome(*args, passed=False), precheck_outcome(crypto, False))
    clock.advance(seconds=3600)  # corrected, resubmitted, passed
    handled(deps, lambda *args: events.on_precheck_outcome(*args, passed=True), precheck_outcome(crypto, True))

    assert [m.template for m in deps.uow.messages.of_correlation(FILING)] == ["precheck_failed", "precheck_passed"]
    assert [text for _, text, _ in sms.sent] == [PRECHECK_FAILED_TEXT, PRECHECK_PASSED_TEXT]


@pytest.mark.req("P3")
def test_an_expired_window_is_texted_once(make_deps, crypto):
    sms = ScriptedGateway()
    deps = make_deps(sms)
    data = received("verification", ONSITE_WINDOW_EXPIRED,
                    {**EVENTS.get(ONSITE_WINDOW_EXPIRED).sample,
                     "mobile": crypto.cipher().encrypt(MOBILE, context="event.mobile")})
    event_id = str(uuid.uuid4())

    handled(deps, events.on_window_expired, data, event_id)
    assert handled(deps, events.on_window_expired, data, event_id) is None  # the same event: nothing more

    [message] = deps.uow.messages.rows
    assert message.template == "onsite_window_expired" and message.state == "delivered"
    assert [(to, text) for to, text, _ in sms.sent] == [(MOBILE, ONSITE_WINDOW_EXPIRED_TEXT)]


@pytest.mark.req("P8")
def test_the_filing_number_is_texted_to_the_mobile_the_bureau_approved(make_deps, crypto):
    sms = ScriptedGateway()
    deps = make_deps(sms)
    deps.recorder.exchange = crypto.exchange()
    sample = EVENTS.get(FILING_APPROVED).sample
    mobile = crypto.exchange().encrypt(MOBILE, context="exchange.contacts.mobile")
    filing = {**sample["filing"], "contacts": {**sample["filing"]["contacts"], "mobile": mobile}}

    handled(deps, events.on_filing_approved, received("bureau", FILING_APPROVED, {**sample, "filing": filing}))

    assert [(to, text) for to, text, _ in sms.sent] == [
        (MOBILE, "您的网站备案已通过通信管理局审核，备案号为京ICP备2026000001号，"
                 "请在网站首页底部标注备案号并链接至工业和信息化部政务服务平台")
    ]


@pytest.mark.req("W5")
def test_a_revisit_asks_the_sponsor_by_sms_and_email_once(make_deps, crypto):
    sms, mail = ScriptedGateway(), ScriptedGateway()
    deps = make_deps(sms, mail)
    cipher = crypto.cipher()
    data = received("intake", REVISIT_REQUESTED, {
        **EVENTS.get(REVISIT_REQUESTED).sample, "answer_by": "2027-12-20T23:00:00+00:00",  # 21 December in Shanghai
        "contacts": {"mobile": cipher.encrypt(MOBILE, context="event.contacts.mobile"),
                     "email": cipher.encrypt(EMAIL, context="event.contacts.email")}})
    event_id = str(uuid.uuid4())

    assert len(handled(deps, events.on_revisit_requested, data, event_id)) == 2
    assert handled(deps, events.on_revisit_requested, data, event_id) == []  # the same event: nothing more

    assert {(m.channel, m.template, m.state) for m in deps.uow.messages.rows} == {
        ("sms", "revisit_requested", "delivered"), ("email", "revisit_requested", "delivered")}
    text = ("您的网站备案（备案号京ICP备2026000001号）正在进行定期核查，"
            "请于2027-12-21前登录备案系统确认备案信息是否准确；如信息有变化，请及时提交备案变更")
    assert [(to, body) for to, body, _ in sms.sent] == [(MOBILE, text)]
    [(to, subject, body, _id)] = mail.sent
    assert to == EMAIL and text in body and subject == "网站备案信息定期核查"


@pytest.mark.req("W6")
def test_a_stock_filing_invites_its_responsible_person_by_sms(make_deps, crypto):
    sms = ScriptedGateway()
    deps = make_deps(sms)
    sample = EVENTS.get(REVERIFICATION_REQUESTED).sample
    mobile = crypto.cipher().encrypt(MOBILE, context="event.contacts.mobile")

    contacts = {**sample["contacts"], "mobile": mobile}
    handled(deps, events.on_reverification_requested,
            received("intake", REVERIFICATION_REQUESTED, {**sample, "contacts": contacts}))

    [message] = deps.uow.messages.rows
    assert message.template == "reverification_requested" and message.state == "delivered"
    assert [(to, text) for to, text, _ in sms.sent] == [
        (MOBILE, "您的网站备案（备案号京ICP备2016000001号）需补充办理当面核验，"
                 "请网站负责人于2027-03-01前携带有关证件原件到我单位备案现场办理核验手续")]
