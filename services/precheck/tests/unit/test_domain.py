"""The rulebook (C3) and the one-time codes (P2), pure."""
from datetime import UTC, date, datetime, timedelta

import pytest

from precheck import domain
from precheck.codes import CODE_TTL, CodeRefused, check_code, check_resend, code_digest, new_code
from precheck.domain import CaseState, Context, Rulebook, Severity, shipped_rulebook
from shared.kernel.network import validate_domain
from shared.testing.samples import ACCESS, individual_filing, unit_filing

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 22)


def submitted(data: dict) -> dict:
    """The unsealed shape precheck reads: domains in both forms."""
    for site in data["websites"]:
        site["domains"] = [{"unicode": d.unicode, "ascii": d.ascii} for d in map(validate_domain, site["domains"])]
    data["contacts"].setdefault("office_phone", None)
    data["contacts"].setdefault("home_phone", None)
    return {**data, "access": ACCESS}


def codes(data: dict, context: Context | None = None) -> list[tuple[str, str, str]]:
    findings = domain.run_rulebook(shipped_rulebook(), submitted(data), context or Context(today=TODAY))
    return [(f.field, f.code, f.rule) for f in findings]


@pytest.mark.req("C3")
def test_samples_are_clean_and_every_finding_names_rule_and_version():
    assert codes(unit_filing()) == []
    assert codes(individual_filing()) == []
    data = unit_filing()
    data["contacts"]["mobile"] = "12345"
    findings = domain.run_rulebook(shipped_rulebook(), submitted(data), Context(today=TODAY))
    assert findings[0].reason()["rule"] == "PC-CON-1@2026.2"
    assert findings[0].rulebook_version == "2026.2" and findings[0].requirement == "R1.6"


def _mutate(path: str, value):
    def apply(data):
        node = data
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[leaf] = value
        return data

    return apply


@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("req", "sample", "mutate", "expected"),
    [
        ("R1.2", unit_filing, _mutate("sponsor.document_type", "resident_id"),
         ("sponsor.document_number", "document_not_allowed", "PC-DOC-1")),
        ("R1.3", unit_filing, _mutate("responsible_person.document_number", "110105194912310021"),
         ("responsible_person.document_number", "check_digit", "PC-DOC-2")),
        ("R1.4", individual_filing, _mutate("sponsor.document_number", "440106198503120032"),
         ("sponsor.document_number", "check_digit", "PC-DOC-3")),
        ("R1.5", individual_filing, _mutate("responsible_person.name", "王五"),
         ("responsible_person.name", "not_sponsor", "PC-PER-1")),
        ("R1.6", unit_filing, _mutate("contacts.office_phone", None),
         ("contacts.office_phone", "required", "PC-CON-1")),
        ("R1.6", individual_filing, _mutate("contacts.home_phone", None),
         ("contacts.office_phone", "required", "PC-CON-1")),
        ("R1.1", unit_filing, _mutate("responsible_person.name", "张总"), None),
        ("R1.1", unit_filing, _mutate("responsible_person.name", "Zhang San"),
         ("responsible_person.name", "not_full_name", "PC-NAM-1")),
        ("R1.1", unit_filing, _mutate("sponsor.name", "有限公司"), ("sponsor.name", "not_full_name", "PC-NAM-2")),
        ("R1.7", unit_filing, _mutate("websites.0.name", "www.example.com.cn"),
         ("websites.0.name", "domain_as_name", "PC-WEB-1")),
        ("R1.7", unit_filing, _mutate("websites.0.name", "首页"), ("websites.0.name", "generic_name", "PC-WEB-1")),
        ("R1.7", individual_filing, _mutate("websites.0.name", "中国美食论坛"),
         ("websites.0.name", "not_for_individuals", "PC-WEB-1")),
    ],
)
def test_each_rule_finds_its_problem(req, sample, mutate, expected):
    found = codes(mutate(sample()))
    if expected is None:  # 张总 is two Han characters: the rule cannot tell a title from a name, staff can
        assert found == []
    else:
        assert expected in found, found


@pytest.mark.req("P2")
def test_passport_holders_may_have_latin_names():
    data = unit_filing()
    data["responsible_person"].update(name="John Smith", document_type="passport", document_number="E12345678")
    assert codes(data) == []


@pytest.mark.req("P2")
def test_shared_mobile_is_for_review_and_bad_documents_fail():
    findings = domain.run_rulebook(
        shipped_rulebook(), submitted(unit_filing()), Context(today=TODAY, mobile_used_by_other_sponsor=True)
    )
    assert [(f.code, f.severity) for f in findings] == [("shared_mobile", Severity.REVIEW)]
    assert domain.state_after_checks(findings) is CaseState.AWAITING_CONTACTS
    waiting = CaseState.AWAITING_CONTACTS
    stored = [f.to_dict() for f in findings]
    assert domain.contacts_confirmed(waiting, [True, True], stored, auto_pass=True) == (CaseState.NEEDS_REVIEW, ())
    assert domain.contacts_confirmed(waiting, [True, True], [], auto_pass=True) == (
        CaseState.PASSED, (domain.Announce.PASSED,))
    assert domain.contacts_confirmed(waiting, [True, True], [], auto_pass=False) == (CaseState.NEEDS_REVIEW, ())
    assert domain.contacts_confirmed(waiting, [True, False], [], auto_pass=True) == (waiting, ())


@pytest.mark.req("P2")
def test_staff_decide_what_they_claimed_and_a_fail_gives_reasons():
    review = CaseState.NEEDS_REVIEW
    assert domain.claim(review, None, "staff:a") == "staff:a"
    with pytest.raises(domain.CaseRefused, match="Already claimed"):
        domain.claim(review, "staff:b", "staff:a")
    with pytest.raises(domain.CaseRefused, match="not in review"):
        domain.claim(CaseState.PASSED, None, "staff:a")
    assert domain.staff_decision(review, "staff:a", "staff:a", "fail", [{"field": "x"}]) == (
        CaseState.FAILED, (domain.Announce.FAILED,))
    with pytest.raises(domain.CaseRefused) as refused:
        domain.staff_decision(review, "staff:a", "staff:a", "fail", [])
    assert (refused.value.kind, refused.value.field) == ("invalid", "reasons")
    with pytest.raises(domain.CaseRefused, match="Claim the filing"):
        domain.staff_decision(review, "staff:b", "staff:a", "pass", [])
    assert domain.superseded(review) is CaseState.SUPERSEDED and domain.superseded(CaseState.PASSED) == "passed"


@pytest.mark.req("P2")
def test_deadline_events_near_then_breached_each_once():
    near, deadline = datetime(2026, 11, 6, tzinfo=UTC), datetime(2026, 11, 9, tzinfo=UTC)
    assert domain.deadline_due(False, False, near, deadline, near - timedelta(seconds=1)) == ()
    assert domain.deadline_due(False, False, near, deadline, near) == (domain.Announce.DEADLINE_NEAR,)
    assert domain.deadline_due(True, False, near, deadline, near) == ()
    assert domain.deadline_due(False, False, near, deadline, deadline) == (domain.Announce.DEADLINE_BREACHED,)
    assert domain.deadline_due(True, True, near, deadline, deadline) == ()


@pytest.mark.req("C3")
def test_a_rulebook_with_an_unknown_check_is_refused():
    book = shipped_rulebook().to_dict()
    book["rules"].append({"id": "X", "requirement": "P2", "severity": "fail", "check": "astrology", "text": "?"})
    with pytest.raises(ValueError, match="astrology"):
        Rulebook.parse(book)


NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)


def _check(**overrides):
    args = {"given": "123456", "digest": code_digest("123456", "c1"), "confirmation_id": "c1",
            "expires_at": NOW + timedelta(hours=1), "tries": 0, "confirmed": False, "now": NOW}
    check_code(**{**args, **overrides})


@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"given": "654321"}, "wrong_code"),
        ({"expires_at": NOW}, "expired"),
        ({"tries": 5}, "too_many_tries"),
        ({"confirmed": True}, "already_confirmed"),
        ({"confirmation_id": "c2"}, "wrong_code"),
    ],
)
def test_codes_are_refused_for_each_reason(overrides, code):
    with pytest.raises(CodeRefused) as refused:
        _check(**overrides)
    assert refused.value.code == code


@pytest.mark.req("P2")
def test_right_code_within_24_hours_and_at_most_three_sends_a_day():
    _check()
    _check(given=" 123456 ")
    assert timedelta(hours=24) == CODE_TTL
    check_resend([NOW - timedelta(hours=25), NOW - timedelta(hours=2)], NOW)
    with pytest.raises(CodeRefused) as refused:
        check_resend([NOW - timedelta(hours=23), NOW - timedelta(hours=2), NOW], NOW)
    assert refused.value.code == "too_many_sends"
    assert len(new_code()) == 6 and new_code().isdigit()
