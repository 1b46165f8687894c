"""The message catalogue (issue 19, X6): Simplified Chinese unless the caller asks for a language we have; every
text of the portal's templates and every field-error code the kernel's validators and intake's rules raise has its
Chinese sentence; times as Beijing time."""
import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from shared.contracts.errors import BadRequest, NotFound, from_marshmallow
from shared.i18n import (
    DEFAULT_LOCALE,
    LOCALE_DIR,
    beijing,
    enum_name,
    error_text,
    label,
    localise_answer,
    localise_error,
    message,
    negotiate,
    translations,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
TEMPLATES = REPO / "services" / "portal" / "portal" / "templates"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(("header", "locale"), [
    (None, "zh_CN"), ("", "zh_CN"), ("fr-FR, de;q=0.8", "zh_CN"), ("en-GB,en;q=0.9", "en"), ("zh-CN", "zh_CN"),
    ("en;q=0.2, zh-Hans;q=0.8", "zh_CN"), ("zh;q=0, en", "en"), ("*", "zh_CN"), ("en;q=abc", "zh_CN"),
])
def test_the_language_is_negotiated_with_simplified_chinese_by_default(header, locale):
    assert negotiate(header) == locale
    assert DEFAULT_LOCALE == "zh_CN"


def test_a_field_error_reads_in_chinese_by_its_code_or_field_and_keeps_the_services_text_otherwise():
    error = {"field": "responsible_person.document_number", "code": "check_digit", "message": "x", "rule": "R1.3"}
    assert error_text(error) == "负责人证件号码的校验位不符，请检查是否输错。"
    assert "check digit" in error_text(error, "en")
    assert error_text({"field": "websites.2.domains", "code": "required"}) == "请至少填写一个域名。"
    assert error_text({"field": "x", "code": "never_heard_of", "message": "as the service said"}) == \
        "as the service said"
    assert label("websites.0.name") == "网站名称" and enum_name("unit_type", "enterprise") == "企业"
    assert enum_name("state", "unknown_state") == "unknown_state"
    assert message("next.precheck_passed").startswith("请网站负责人本人在1个月内")
    assert message("no.such.key") == "no.such.key"


@pytest.mark.req("X6")
def test_an_error_answer_reads_in_the_locale_asked_and_keeps_its_machine_fields():
    body = BadRequest("request body has invalid fields", from_marshmallow(
        {"sponsor": {"name": ["Missing data for required field."], "kind": ["Not a valid string."]},
         "surprise": ["Unknown field."]}, rule="API")).to_dict()
    zh, en = localise_error(body), localise_error(body, "en")
    machine = [{k: e[k] for k in ("field", "code", "rule")} for e in body["error"]["errors"]]
    for answer in (zh, en):
        assert [{k: e[k] for k in ("field", "code", "rule")} for e in answer["error"]["errors"]] == machine
        assert answer["error"]["code"] == "bad_request"
    assert [e["code"] for e in zh["error"]["errors"]] == ["required", "type", "unknown_field"]
    assert [e["message"] for e in zh["error"]["errors"]] == [
        "请填写主办者名称。", "主办者类型的类型不正确。", "不认识的字段surprise，请删除。"]
    assert zh["error"]["message"] == "请求有误，请按各项提示修改。"  # several problems: the answer's own sentence
    assert en["error"]["errors"][0]["message"] == "Sponsor's name is required."
    assert en["error"]["message"] == "The request is malformed: see each problem listed."
    assert body["error"]["errors"][0]["message"] == "Missing data for required field."  # the original is kept


def test_one_field_error_is_also_the_answers_sentence_and_its_params_are_filled_in():
    body = NotFound("no such URL", [{"field": "url", "code": "no_route", "message": "x", "rule": "API"}]).to_dict()
    assert localise_error(body)["error"]["message"] == "没有此网址。"
    malformed = {"field": "body", "code": "malformed_json", "message": "x", "rule": "API",
                 "params": {"line": 3, "column": 7}}
    assert error_text(malformed) == "请求内容不是有效的 JSON（第 3 行第 7 列）。"
    assert error_text(malformed, "en") == "The body is not valid JSON (line 3, column 7)."
    assert error_text({**malformed, "params": None}).endswith("（第 {line} 行第 {column} 列）。")  # never raises
    assert error_text({"field": "Authorization", "code": "invalid"}) == "令牌无效，请重新登录。"
    assert error_text({"field": "code", "code": "invalid"}) == "验证码错误或已过期。"
    assert error_text({"field": "sponsor.name", "code": "invalid"}) == "主办者名称无效。"


def test_field_errors_inside_an_answer_are_read_in_the_locale_and_the_answer_given_is_not_changed():
    problem = {"field": "websites.0.domains", "code": "required", "message": "At least one domain.", "rule": "R1.7"}
    answer = {"state": "draft", "problems": [problem], "data": {"code": "not an error", "message": "kept"}}
    zh = localise_answer(answer)
    assert zh["problems"][0] == {**problem, "message": "请至少填写一个域名。"}
    assert zh["data"] == answer["data"] and zh["state"] == "draft"
    assert localise_answer(answer, "en")["problems"][0]["message"] == "Give at least one domain."
    assert answer["problems"][0]["message"] == "At least one domain."


@pytest.mark.parametrize(("marshmallow", "code"), [
    ("Missing data for required field.", "required"), ("Not a valid string.", "type"),
    ("Unknown field.", "unknown_field"), ("Must be one of: pass, fail.", "choice"),
    ("Longer than maximum length 120.", "length"), ("Field may not be null.", "required"),
    ("String does not match expected pattern.", "format"),
    ("Must be greater than or equal to 1 and less than or equal to 5.", "range"), ("Invalid value.", "invalid"),
])
def test_marshmallows_own_messages_become_stable_codes_with_a_sentence_in_both_catalogues(marshmallow, code):
    error = from_marshmallow({"x": [marshmallow]}, rule="API")[0]
    assert error["code"] == code
    assert CHINESE.search(translations("zh_CN").pgettext("error", code))
    assert translations("en").pgettext("error", code) != code


def test_every_template_text_has_its_chinese_sentence():
    zh = translations("zh_CN")
    texts = {m[2] for m in extract_from_dir(str(TEMPLATES), method_map=[("**.html", "jinja2")],
                                              options_map={"**.html": {"extensions": "jinja2.ext.i18n"}})}
    assert texts
    missing = sorted(t for t in texts if not CHINESE.search(zh.gettext(t)))
    assert missing == []


def _codes(path: Path, callers: set[str]) -> set[str]:
    codes = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in callers:
            continue
        if name == "missing":  # _Collector.missing(field, rule, what): a "required" error
            codes.add("required")
            continue
        arguments = node.args[1:2] if name == "add" else node.args[:1]  # _Collector.add(field, code, ...)
        codes |= {a.value for a in arguments if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return codes


def test_every_code_a_sponsor_can_meet_in_a_draft_has_its_chinese_sentence():
    """The kernel's validators (identifiers, documents, contacts, network, provinces) and intake's filing rules."""
    kernel = set()
    for name in ("identifiers", "documents", "contacts", "network", "provinces"):
        kernel |= _codes(REPO / "shared" / "kernel" / f"{name}.py", {"InvalidValue"})
    intake = set()
    for module in sorted((REPO / "services" / "intake" / "intake" / "domain").glob("*.py")):
        intake |= _codes(module, {"add", "missing"})
    codes = kernel | intake
    assert {"check_digit", "required", "scan_missing", "not_accepted"} <= codes
    zh = translations("zh_CN")
    missing = sorted(c for c in codes if not CHINESE.search(zh.pgettext("error", c)))
    assert missing == []


def test_both_catalogues_have_the_same_keys():
    ids = {}
    for locale in ("zh_CN", "en"):
        text = (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
        ids[locale] = set(re.findall(r'(?:msgctxt "([^"]*)"\n)?msgid "([^"]*)"', text))
    assert ids["zh_CN"] == ids["en"]


@pytest.mark.parametrize(("moment", "shown"), [
    ("2026-12-01T16:00:00+00:00", "2026-12-02 00:00"),
    ("2026-12-01T03:28:47.882000", "2026-12-01 11:28"),  # naive: UTC, as the services store it
    ("2026-06-30T23:59:00+08:00", "2026-06-30 23:59"),
    (None, ""),
])
def test_times_are_shown_in_beijing_time(moment, shown):
    assert beijing(moment) == shown
