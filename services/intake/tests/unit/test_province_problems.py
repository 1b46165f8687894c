"""X3: while the sponsor fills in the form, the draft lists the breaches of its province's own rules, each citing
the rule and its source; a draft with one cannot be submitted, and correcting the field clears it."""
import pytest

from intake.usecases import filings, submission
from shared.contracts.errors import ValidationFailed
from shared.contracts.intake import FILING_SUBMITTED
from shared.i18n import localise_answer
from shared.testing.samples import unit_filing

pytestmark = [pytest.mark.unit, pytest.mark.clock, pytest.mark.req("X3")]


def _zhejiang_by_a_department_head() -> dict:
    data = unit_filing()
    data["sponsor"]["province"] = "浙"
    data["responsible_person"]["role"] = "department_head"
    return data


def test_the_draft_names_the_province_rule_and_submission_waits_for_the_correction(uow, viewer, draft, crypto, at):
    filing_id = draft(_zhejiang_by_a_department_head())
    shown = filings.get_filing(uow, viewer, filing_id, at)
    [problem] = shown["problems"]
    assert {k: problem[k] for k in ("field", "code", "rule")} == {
        "field": "responsible_person.role", "code": "province_legal_representative",
        "rule": "PRV-33-LEGAL@provinces-2026.1"}
    assert problem["params"]["province"] == "浙江省" and problem["params"]["source"]
    sentence = localise_answer(problem)["message"]
    assert sentence.startswith("浙江省要求主体负责人须为法定代表人") and "PRV-33-LEGAL@provinces-2026.1" in sentence

    def submit():
        return submission.submit(uow, viewer, crypto.cipher(), crypto.hasher(), "sponsor:owner", filing_id, at)

    with pytest.raises(ValidationFailed) as refused:
        submit()
    assert [e["code"] for e in refused.value.errors] == ["province_legal_representative"]
    assert uow.outbox.types == []

    filings.edit_draft(uow, viewer, filing_id, {"responsible_person": {"role": "legal_representative"}}, at)
    assert submit()["problems"] == [] and uow.outbox.types == [FILING_SUBMITTED]


def test_the_same_draft_in_a_province_without_that_rule_has_no_problem(uow, viewer, draft, at):
    data = _zhejiang_by_a_department_head()
    data["sponsor"]["province"] = "京"
    assert filings.get_filing(uow, viewer, draft(data), at)["problems"] == []
