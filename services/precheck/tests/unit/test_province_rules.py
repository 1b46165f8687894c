"""X3: pre-verification applies the sponsor's province's own rules again (a filing submitted before a rule was
published, or by a path that skipped the form): a breach fails the filing with the rule and its version."""
import pytest

from shared.contracts.precheck import CONTACT_CONFIRMATION_REQUESTED, PRECHECK_FAILED
from shared.testing.samples import unit_filing

pytestmark = [pytest.mark.unit, pytest.mark.req("X3")]


def test_a_breach_of_the_province_rules_fails_the_filing_citing_the_rule(uow, precheck, received):
    data = unit_filing()
    data["sponsor"]["province"] = "渝"
    data["contacts"]["office_phone"] = "010-62345678"  # 渝 wants local numbers (area code 023)
    precheck.submit(received(data))

    assert uow.outbox.types == [PRECHECK_FAILED]
    [failed] = uow.outbox.of_type(PRECHECK_FAILED)
    reasons = {(r["field"], r["code"], r["rule"]) for r in failed["reasons"]}
    assert reasons == {("contacts.office_phone", "province_local_phone", "PRV-50-PHONE@provinces-2026.1"),
                       ("websites.0.domains", "province_domains_per_website", "PRV-50-DOMAINS@provinces-2026.1")}
    [case] = uow.cases.rows
    assert {f["requirement"] for f in case.findings} == {"X3"}
    assert all(r["params"]["province"] == "重庆市" for r in failed["reasons"])


def test_the_sample_filing_of_a_province_with_rules_is_not_held_up(uow, precheck, received):
    precheck.submit(received(unit_filing()))  # 京: the suffix and phone rules are met
    assert uow.outbox.types == [CONTACT_CONFIRMATION_REQUESTED] * 2
