"""The message templates (P2's texts verbatim), recipients' canonical forms and the retry policy."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from notify import domain
from notify.domain import MessageState, RetryPolicy, TemplateError

pytestmark = pytest.mark.unit

# CI checks out the repository with shared/ (design and spec) beside it.
REQUIREMENTS = Path(__file__).resolve().parents[4].parent / "shared" / "spec" / "requirements.md"


def quoted_p2_texts() -> dict[str, str]:
    text = REQUIREMENTS.read_text(encoding="utf-8")
    p2 = text[text.index("- **P2**"):text.index("- **P3**")]
    return dict(re.findall(r"^\s*- (pass|fail): `([^`]+)`", p2, flags=re.MULTILINE))


@pytest.mark.req("P2")
def test_pass_and_fail_texts_are_the_requirements_texts_character_for_character():
    quoted = quoted_p2_texts()
    assert set(quoted) == {"pass", "fail"}
    passed = domain.template(domain.PRECHECK_PASSED, domain.SMS)
    failed = domain.template(domain.PRECHECK_FAILED, domain.SMS)
    assert list(passed.render({})) == list(quoted["pass"])
    assert list(failed.render({})) == list(quoted["fail"])
    assert (passed.version, failed.version) == (1, 1)
    assert passed.params == failed.params == frozenset()
    assert not passed.sensitive and not failed.sensitive


@pytest.mark.req("P2")
def test_contact_code_templates_carry_the_code_and_its_24_hour_validity():
    sms = domain.template(domain.CONTACT_CODE, domain.SMS)
    email = domain.template(domain.CONTACT_CODE, domain.EMAIL)
    for template in (sms, email):
        assert template.params == {"code"} and template.sensitive
        rendered = template.render({"code": "482913"})
        assert "482913" in rendered and "24小时" in rendered
    assert sms.subject is None and email.subject


def test_rendering_needs_exactly_the_templates_parameters():
    template = domain.template(domain.CONTACT_CODE, domain.SMS)
    with pytest.raises(TemplateError) as missing:
        template.render({})
    assert missing.value.field == "params.code" and missing.value.code == "required"
    with pytest.raises(TemplateError) as extra:
        template.render({"code": "1", "name": "x"})
    assert extra.value.field == "params.name" and extra.value.code == "unknown_field"


def test_templates_are_versioned_and_looked_up_by_name_and_channel():
    assert all(key == (t.name, t.channel, t.version) for key, t in domain.TEMPLATES.items())
    assert domain.template(domain.PRECHECK_PASSED, domain.SMS, version=1).version == 1
    with pytest.raises(TemplateError):
        domain.template(domain.PRECHECK_PASSED, domain.EMAIL)
    with pytest.raises(TemplateError):
        domain.template(domain.PRECHECK_PASSED, domain.SMS, version=2)
    with pytest.raises(ValueError, match="twice"):
        domain._index((domain.TEMPLATES[("precheck_passed", "sms", 1)],) * 2)


@pytest.mark.parametrize(
    ("channel", "given", "canonical"),
    [
        ("sms", "13800138000", "13800138000"),
        ("sms", "+86 138-0013-8000", "13800138000"),
        ("sms", " 008613800138000 ", "13800138000"),
        ("email", "Zhang.San@Example.COM.cn", "Zhang.San@example.com.cn"),
    ],
)
def test_recipients_have_one_canonical_form(channel, given, canonical):
    assert domain.canonical_recipient(channel, given) == canonical


@pytest.mark.parametrize(("channel", "given"), [("sms", "12800138000"), ("sms", "010-62345678"), ("sms", ""),
                                                ("email", "no-at-sign"), ("email", "a@b"), ("fax", "1")])
def test_unreachable_recipients_are_refused_without_echoing_them(channel, given):
    with pytest.raises(domain.InvalidRecipient) as refused:
        domain.canonical_recipient(channel, given)
    assert not given or given not in str(refused.value)


def test_retry_policy_backs_off_exponentially_up_to_a_cap_then_fails():
    policy = RetryPolicy(max_attempts=5, base=timedelta(seconds=30), cap=timedelta(minutes=2))
    assert [policy.delay(n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 120, 120]
    assert [policy.after_unavailable(n) for n in (1, 4, 5, 6)] == [MessageState.RETRY_WAIT] * 2 + [
        MessageState.FAILED] * 2
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
