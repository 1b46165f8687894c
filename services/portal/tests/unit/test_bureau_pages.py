"""The bureau's pages without a browser (issue 20): one deployment per actor (the bureau's portal starts at the
public query and offers the MIIT check, a provider's serves neither); the forms' rows become the reasons,
findings and deadline the bureau is sent; the MIIT check's and the public query's answers read in Chinese, also the
ones a browser test cannot bring about (the code expired, the limit a minute reached)."""
import pytest
import requests
from lxml import html
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from portal.consoles import Consoles
from portal.consoles.bureau import return_reasons
from portal.consoles.oversight import end_of_day, findings_from
from portal.dependencies import settings_of
from portal.pages import ENVIRONMENTS, Portal
from portal.sessions import Session
from shared.i18n import error_text

pytestmark = pytest.mark.unit


def deployment(actors: str):
    return settings_of({"PORTAL_ACTOR": actors, "PORTAL_BUREAU_URL": "http://127.0.0.1:9", "ALLOW_DEV_KEYS": True,
                        "PORTAL_INTAKE_URL": "http://127.0.0.1:9", "PORTAL_PRECHECK_URL": "http://127.0.0.1:9"},
                       requests.Session())


def get(path: str) -> Request:
    return Request(EnvironBuilder(path=path, headers={"Accept-Language": "zh-CN"}).get_environ())


@pytest.mark.req("X6")
def test_the_bureaus_portal_starts_at_its_public_query_and_a_providers_serves_no_bureau_page():
    bureau = deployment("provincial-bureau")
    start = Portal(bureau).home(get("/"))
    assert start.status_code == 303 and start.headers["Location"] == "/query"
    query = Consoles(bureau).public_query(get("/query"))
    nav = html.fromstring(query.get_data(as_text=True)).xpath("//header//a/@href")
    assert query.status_code == 200 and {"/query", "/miit-check", "/staff/sign-in"} <= set(nav)
    assert "/guide" not in nav and "/sign-in" not in nav  # the sponsor site is the access provider's
    provider = deployment("access-provider")
    for page in (Consoles(provider).public_query(get("/query?by=number&q=x")),
                 Consoles(provider).miit_check_form(get("/miit-check"))):
        assert page.status_code == 404 and "页面不存在" in page.get_data(as_text=True)
    assert Portal(provider).home(get("/")).status_code == 200


@pytest.mark.req("B1")
def test_a_return_sends_each_row_with_words_as_a_field_reason():
    form = {"field-0": "contacts.postal_address", "message-0": " 缺少门牌号 ", "field-1": "contacts.email",
            "message-1": "", "field-2": "websites.0.name", "message-2": "名称与内容不符"}
    assert return_reasons(form) == [
        {"field": "contacts.postal_address", "code": "staff_reason", "message": "缺少门牌号", "rule": "B1"},
        {"field": "websites.0.name", "code": "staff_reason", "message": "名称与内容不符", "rule": "B1"}]
    assert return_reasons({}) == []  # the bureau refuses it, naming what is missing


@pytest.mark.req("B2")
@pytest.mark.req("A1")
def test_the_findings_and_the_rectification_deadline_are_sent_as_the_bureau_reads_them():
    form = {"area-0": "evidence", "severity-0": "major", "note-0": "照片无背景板", "filing-0": "f-1",
            "area-1": "procedure", "severity-1": "minor", "note-1": " ", "area-2": "department",
            "severity-2": "minor", "note-2": "人员名单未更新", "filing-2": ""}
    assert findings_from(form) == [
        {"area": "evidence", "severity": "major", "note": "照片无背景板", "filing_id": "f-1"},
        {"area": "department", "severity": "minor", "note": "人员名单未更新", "filing_id": None}]
    assert end_of_day("2027-03-31") == "2027-03-31T23:59:59+08:00"  # the end of that day in Beijing
    assert end_of_day("") is None and end_of_day("31/03/2027") is None


def miit_page(errors: list[dict]) -> str:
    return ENVIRONMENTS["zh_CN"].get_template("public/miit_check.html").render(
        session=Session(csrf="c"), csrf="c", path="/miit-check", actors=("provincial-bureau",), filing="f",
        id_tail="00002X", errors=errors, passed=False, resent=False)


@pytest.mark.req("X2")
@pytest.mark.parametrize(("error", "shown"), [
    ({"field": "code", "code": "miit_wrong_code", "params": {"tries_left": 2}}, "验证码不正确，还可尝试2次。"),
    ({"field": "code", "code": "miit_expired"}, "验证码已超过24小时有效期，本次核验未通过，备案信息已退回"),
    ({"field": "code", "code": "miit_too_many_tries"}, "验证码已连续输错5次，本次核验未通过，备案信息已退回"),
    ({"field": "code", "code": "miit_mismatch"}, "验证码或证件号码后六位不正确，或没有待核验的备案。"),
    ({"field": "resend", "code": "too_many_resends", "params": {"max": 3}}, "验证码最多重新发送3次，已达上限。"),
])
def test_the_miit_checks_answers_read_in_chinese(error, shown):
    alert = html.fromstring(miit_page([{**error, "message": "", "rule": "X2"}])).get_element_by_id("miit-error")
    assert shown in alert.text_content()


@pytest.mark.req("X9")
def test_the_limit_a_minute_says_when_to_ask_again_and_does_not_mark_the_query_wrong():
    limited = {"field": "client", "code": "query_limit", "message": "", "rule": "X9",
               "params": {"retry_after": 17, "limit": 30}}
    assert error_text(limited) == "查询过于频繁：每分钟最多查询30次，请于17秒后再试。"
    page = html.fromstring(ENVIRONMENTS["zh_CN"].get_template("public/query.html").render(
        session=Session(csrf="c"), csrf="c", path="/query", actors=("provincial-bureau",), kind="domain",
        asked="example.cn", kinds=("number", "domain", "name"), found=None, errors=[limited], not_found=False))
    assert page.get_element_by_id("query-error").text_content().strip() == error_text(limited)
    assert page.get_element_by_id("q").get("aria-invalid") is None


@pytest.mark.req("B1")
@pytest.mark.req("P2")
def test_a_deadline_shows_its_note_or_else_that_it_is_provisional():
    """One macro for every console's deadline: precheck sends why it is provisional (``deadline_note``), the bureau
    only that it is; both are said, once."""
    deadline = ENVIRONMENTS["zh_CN"].get_template("staff/macros.html").module.deadline
    review = str(deadline({"deadline": "2027-01-29T09:30:00+00:00", "deadline_provisional": True}))
    case = str(deadline({"deadline": "2027-01-29T09:30:00+00:00", "deadline_provisional": True,
                         "deadline_note": "按暂定节假日计算"}))
    settled = str(deadline({"deadline": "2026-11-30T09:30:00+00:00", "deadline_provisional": False}))
    assert "2027-01-29 17:30" in review and review.count('class="tag"') == 1
    assert "（按暂定节假日计算）" in case.replace("(", "（").replace(")", "）") and 'class="tag"' not in case
    assert 'class="tag"' not in settled
