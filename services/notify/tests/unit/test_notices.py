"""The notices of issue 22 through the use cases on the in-memory unit of work (X2, X4): the MIIT code, the
reminder before it expires, the bureau's return, the refusal, the cancellation, the draft's expiry and the reminder
before the on-site window closes, each texted once per event, character for character, times in Beijing time."""

import uuid

import pytest

from notify.usecases import events
from services.notify.tests.fakes import ScriptedGateway
from shared.contracts import EVENTS
from shared.contracts.bureau import FILING_RETURNED, MIIT_CODE_EXPIRING, MIIT_CODE_SENT
from shared.contracts.intake import DRAFT_EXPIRED, DRAFT_EXPIRY_ANNOUNCED, FILING_CANCELLED
from shared.contracts.verification import ONSITE_REJECTED, ONSITE_WINDOW_EXPIRING

from .test_events import MOBILE, handled, received

pytestmark = pytest.mark.unit


def sealed(crypto, value: str, path: str) -> str:
    return crypto.exchange().encrypt(value, context=f"exchange.{path}")


@pytest.fixture
def deps_and_sms(make_deps, crypto):
    sms = ScriptedGateway()
    deps = make_deps(sms)
    deps.recorder.exchange = crypto.exchange()
    return deps, sms


@pytest.mark.req("X2")
def test_the_miit_code_is_texted_once_with_its_beijing_expiry(deps_and_sms, crypto):
    deps, sms = deps_and_sms
    data = received("bureau", MIIT_CODE_SENT, {
        **EVENTS.get(MIIT_CODE_SENT).sample, "expires_at": "2026-11-21T01:30:00+00:00",
        "mobile": sealed(crypto, MOBILE, "miit.mobile"), "code": sealed(crypto, "482913", "miit.code")})
    event_id = str(uuid.uuid4())

    handled(deps, events.on_miit_code_sent, data, event_id)
    assert handled(deps, events.on_miit_code_sent, data, event_id) is None  # the same event: nothing more

    assert [(to, text) for to, text, _ in sms.sent] == [
        (MOBILE, "您的网站备案正在进行工业和信息化部短信核验，验证码为482913，请网站负责人于2026-11-21 09:30前"
                 "在通信管理局备案核验页面输入验证码及本人证件号码后六位。请勿告知他人。")]
    [message] = deps.uow.messages.rows
    assert "482913" not in str(message.text)  # a code is stored encrypted


@pytest.mark.req("X4")
def test_the_sponsor_is_reminded_before_the_miit_code_expires(deps_and_sms, crypto):
    deps, sms = deps_and_sms
    data = received("bureau", MIIT_CODE_EXPIRING, {
        **EVENTS.get(MIIT_CODE_EXPIRING).sample, "expires_at": "2026-11-21T01:30:00+00:00",
        "mobile": sealed(crypto, MOBILE, "miit.mobile")})

    handled(deps, events.on_miit_code_expiring, data)

    assert [(to, text) for to, text, _ in sms.sent] == [
        (MOBILE, "您的网站备案短信核验验证码将于2026-11-21 09:30失效，请网站负责人尽快完成核验；逾期未完成的，"
                 "备案信息将退回。")]


@pytest.mark.req("X4")
def test_a_return_by_the_bureau_is_texted_once(deps_and_sms, crypto):
    deps, sms = deps_and_sms
    data = received("bureau", FILING_RETURNED, {**EVENTS.get(FILING_RETURNED).sample,
                                                "mobile": sealed(crypto, MOBILE, "contacts.mobile")})
    event_id = str(uuid.uuid4())

    handled(deps, events.on_filing_returned, data, event_id)
    handled(deps, events.on_filing_returned, data, event_id)
    assert handled(deps, events.on_filing_returned, {**data, "mobile": None}) is None  # sent before X4: nobody

    assert [(to, text) for to, text, _ in sms.sent] == [
        (MOBILE, "您的网站备案信息未通过通信管理局审核，已退回我单位，请登录备案系统查看退回原因，修改后重新提交")]


@pytest.mark.req("X4")
def test_an_onsite_refusal_is_texted_once_with_its_reasons_in_chinese(deps_and_sms, crypto):
    deps, sms = deps_and_sms
    data = received("verification", ONSITE_REJECTED, {
        **EVENTS.get(ONSITE_REJECTED).sample, "mobile": crypto.cipher().encrypt(MOBILE, context="event.mobile")})
    event_id = str(uuid.uuid4())

    handled(deps, events.on_onsite_rejected, data, event_id)
    handled(deps, events.on_onsite_rejected, data, event_id)

    assert [(to, text) for to, text, _ in sms.sent] == [
        (MOBILE, "您的网站备案信息未通过现场核验，不予受理，原因：负责人证件号码："
                 "与证件原件不一致：请当场更正，否则不予受理。请修改后重新提交")]


@pytest.mark.req("X4")
def test_a_cancellation_is_told_by_sms_and_email_once(make_deps, crypto):
    sms, mail = ScriptedGateway(), ScriptedGateway()
    deps = make_deps(sms, mail)
    cipher = crypto.cipher()
    data = received("intake", FILING_CANCELLED, {
        **EVENTS.get(FILING_CANCELLED).sample, "filing_number": "京ICP备2026000001号",
        "contacts": {"mobile": cipher.encrypt(MOBILE, context="event.contacts.mobile"),
                     "email": cipher.encrypt("zhangsan@example.com.cn", context="event.contacts.email")}})
    event_id = str(uuid.uuid4())

    assert len(handled(deps, events.on_filing_cancelled, data, event_id)) == 2
    assert handled(deps, events.on_filing_cancelled, data, event_id) == []  # the same event: nothing more
    assert handled(deps, events.on_filing_cancelled, {**data, "contacts": None}) == []  # sent before X4

    text = ("您的网站备案已注销（备案号：京ICP备2026000001号），相关网站将不再接入我单位。"
            "如非本人申请，请立即与我单位联系")
    assert [(to, body) for to, body, _ in sms.sent] == [(MOBILE, text)]
    [(to, subject, body, _id)] = mail.sent
    assert to == "zhangsan@example.com.cn" and body == f"您好：\n\n{text}。\n" and subject == "网站备案注销通知"


@pytest.mark.req("X4")
def test_a_draft_is_announced_to_expire_then_expired_each_once(make_deps, crypto):
    sms = ScriptedGateway()
    deps = make_deps(sms)
    contacts = {"mobile": crypto.cipher().encrypt(MOBILE, context="event.contacts.mobile")}
    announced = received("intake", DRAFT_EXPIRY_ANNOUNCED, {
        **EVENTS.get(DRAFT_EXPIRY_ANNOUNCED).sample, "expires_at": "2027-01-20T01:00:00+00:00", "contacts": contacts})
    expired = received("intake", DRAFT_EXPIRED, {**EVENTS.get(DRAFT_EXPIRED).sample, "contacts": contacts})
    event_id = str(uuid.uuid4())

    handled(deps, events.on_draft_expiring, announced, event_id)
    assert handled(deps, events.on_draft_expiring, announced, event_id) == []  # the same event: nothing more
    handled(deps, events.on_draft_expired, expired)
    assert handled(deps, events.on_draft_expired, {**expired, "contacts": {}}) == []  # a draft without a mobile

    assert [(to, text) for to, text, _ in sms.sent] == [
        (MOBILE, "您在网站备案系统中填写的备案信息尚未提交，将于2027-01-20 09:00过期作废，"
                 "如需继续办理请在此之前登录系统修改并提交"),
        (MOBILE, "您在网站备案系统中填写的备案信息超过45天未提交，已过期作废，如需备案请重新填写提交")]


@pytest.mark.req("X4")
def test_the_sponsor_is_reminded_once_before_the_onsite_window_closes(make_deps, crypto):
    sms = ScriptedGateway()
    deps = make_deps(sms)
    closing = received("verification", ONSITE_WINDOW_EXPIRING, {
        **EVENTS.get(ONSITE_WINDOW_EXPIRING).sample, "closes_at": "2026-12-03T01:30:00+00:00",
        "mobile": crypto.cipher().encrypt(MOBILE, context="event.mobile")})
    event_id = str(uuid.uuid4())

    handled(deps, events.on_window_closing, closing, event_id)
    assert handled(deps, events.on_window_closing, closing, event_id) is None  # the same event: nothing more
    assert handled(deps, events.on_window_closing, {**closing, "mobile": None}) is None  # sent before X4: nobody

    assert [(to, text) for to, text, _ in sms.sent] == [
        (MOBILE, "您的网站备案现场核验办理期限将于2026-12-03 09:30届满，请网站负责人在此之前携带有关证件原件"
                 "到我单位备案现场办理核验手续")]
