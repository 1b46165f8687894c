"""X3: the provinces' own rules as versioned data: every entry cites its source and the day it took effect, the
file is validated when loaded, and each check finds what its province's page says and nothing in a province
without data (the national rules only). The day of filing is set; ages are computed from it."""
import copy
from datetime import date, timedelta

import pytest

from shared.kernel.errors import InvalidValue
from shared.kernel.province_rules import CHECKS, ProvinceRules, check_filing, shipped_province_rules
from shared.testing.clock import Clock
from shared.testing.samples import individual_filing, resident_id, unit_filing

pytestmark = [pytest.mark.unit, pytest.mark.req("X3"), pytest.mark.clock]

RULES = shipped_province_rules()


def _today() -> date:
    return date.fromisoformat(Clock("2026-11-02T09:30:00+08:00").day())  # the day the sponsor files, set


def _id_born(region: str, born: date) -> str:
    return resident_id(f"{region}{born:%Y%m%d}001")


def _unit(province: str) -> dict:
    data = unit_filing()
    data["sponsor"]["province"] = province
    return data


def _individual(province: str, region: str, born: date | None = None) -> dict:
    data = individual_filing()
    number = _id_born(region, born or date(1985, 3, 12))
    data["sponsor"].update(province=province, document_number=number)
    data["responsible_person"]["document_number"] = number
    return data


def _found(data: dict) -> set[tuple[str, str, str]]:
    return {(p.field, p.code, p.rule) for p in check_filing(RULES, data, _today())}


def test_every_entry_cites_a_source_and_an_effective_date_and_uses_a_known_check():
    assert RULES.version == "2026.1"
    for rule in RULES.rules:
        assert rule.source_title and rule.source_url and rule.effective_from <= RULES.published
        assert rule.check in CHECKS and rule.text
    published = RULES.to_dict()
    assert published["rules"][0]["source"]["url"] and published["rules"][0]["effective_from"]
    assert {r.check for r in RULES.rules} == set(CHECKS)  # every kind of rule the issue names has data


def test_a_malformed_file_is_refused_when_loaded():
    good = RULES.to_dict()
    raw = {"version": "t", "published": "2026-01-01", "sources": {"s": {"title": "t", "url": "u"}},
           "rules": [{**r, "source": "s"} for r in good["rules"][:2]]}
    assert len(ProvinceRules.parse(raw).rules) == 2
    for change, says in (({"check": "nonsense"}, "unknown check"), ({"params": {}}, "missing param"),
                         ({"source": "elsewhere"}, "source"), ({"applies_to": "robots"}, "applies_to")):
        broken = copy.deepcopy(raw)
        broken["rules"][0].update(change)
        with pytest.raises(ValueError, match=says):
            ProvinceRules.parse(broken)
    repeated = copy.deepcopy(raw)
    repeated["rules"][1]["id"] = repeated["rules"][0]["id"]
    with pytest.raises(ValueError, match="repeated id"):
        ProvinceRules.parse(repeated)
    unknown = copy.deepcopy(raw)
    unknown["rules"][0]["province"] = "港"
    with pytest.raises(InvalidValue):
        ProvinceRules.parse(unknown)


def test_the_review_period_of_zhejiang_is_the_data_the_bureau_uses():
    assert RULES.review_working_days("浙") == 30
    assert RULES.review_working_days("京") is None  # the national 20


def test_the_samples_pass_and_a_province_without_data_has_the_national_rules_only():
    assert _found(unit_filing()) == set() and _found(individual_filing()) == set()
    data = _unit("藏")  # no entries for Tibet
    data["responsible_person"]["role"] = "department_head"
    data["websites"][0]["domains"] = ["a.io", "b.io"]
    assert RULES.in_force("藏") == [] and _found(data) == set()


def test_the_responsible_person_must_be_the_legal_representative_where_the_province_says_so():
    data = _unit("浙")
    data["responsible_person"]["role"] = "department_head"
    [problem] = check_filing(RULES, data, _today())
    assert (problem.field, problem.code, problem.rule) == (
        "responsible_person.role", "province_legal_representative", "PRV-33-LEGAL@provinces-2026.1")
    assert problem.params["province"] == "浙江省" and "腾讯云" in problem.params["source"]
    assert problem.severity == "fail"


def test_minimum_age_counts_from_the_birth_date_on_the_set_day():
    today = _today()
    almost = date(today.year - 18, today.month, today.day) + timedelta(days=1)  # 18 tomorrow
    young = _individual("浙", "330106", almost)
    assert _found(young) == {("responsible_person.document_number", "province_minimum_age",
                              "PRV-33-AGE@provinces-2026.1")}  # said once for an individual
    assert _found(_individual("浙", "330106", almost - timedelta(days=1))) == set()  # 18 today
    guangdong = _individual("粤", "440106", almost)  # 粤's 16 applies to units only
    assert _found(guangdong) == set()


def test_one_domain_per_website_and_forbidden_suffixes():
    data = _unit("渝")
    data["contacts"]["office_phone"] = "023-62345678"
    assert ("websites.0.domains", "province_domains_per_website", "PRV-50-DOMAINS@provinces-2026.1") in _found(data)
    beijing = _unit("京")
    beijing["websites"][0]["domains"] = ["www.example.com.cn", "example.io"]
    assert _found(beijing) == {("websites.0.domains.1", "province_domain_suffix", "PRV-11-SUFFIX@provinces-2026.1")}


def test_local_phone_numbers_by_area_code():
    data = _unit("京")
    data["contacts"]["office_phone"] = "021-62345678"
    [problem] = check_filing(RULES, data, _today())
    assert (problem.field, problem.code, problem.params["area_codes"]) == (
        "contacts.office_phone", "province_local_phone", "010")


def test_an_individual_files_with_an_id_card_of_the_province_where_it_says_so():
    assert _found(_individual("晋", "440106")) == {
        ("sponsor.document_number", "province_document_in_province", "PRV-14-ADDRESS@provinces-2026.1")}
    assert _found(_individual("晋", "140105")) == set()


def test_prior_approval_categories_a_province_does_not_file():
    data = _individual("苏", "320102")
    data["websites"][0]["prior_approvals"] = [{"category": "news", "approval_number": "新闻许可 001"}]
    assert _found(data) == {("websites.0.prior_approvals", "province_prior_approval",
                             "PRV-32-PRIOR@provinces-2026.1")}
    data["sponsor"]["province"] = "粤"
    assert _found(data) == set()


def test_a_rule_applies_from_its_effective_date():
    data = _unit("浙")
    data["responsible_person"]["role"] = "department_head"
    assert check_filing(RULES, data, date(2017, 6, 4)) == []
    assert check_filing(RULES, data, date(2017, 6, 5)) != []


def test_a_partial_draft_is_checked_without_errors():
    assert check_filing(RULES, {"sponsor": {"kind": "unit", "province": "渝"}}, _today()) == []
    assert check_filing(RULES, {}, _today()) == []
