"""The message catalogue (issue 19, X6): Simplified Chinese unless the caller asks for a language we have; every
text of the portal's templates and every field-error code the kernel's validators and intake's rules raise has its
Chinese sentence; times as Beijing time."""
import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from shared.i18n import (
    DEFAULT_LOCALE,
    LOCALE_DIR,
    beijing,
    enum_name,
    error_text,
    label,
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
