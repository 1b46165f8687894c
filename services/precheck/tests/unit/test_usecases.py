"""P2's business rules through precheck's use cases on the in-memory unit of work (milliseconds): a bad document
fails at once, one case per submission, wrong codes and resends are limited, a shared mobile goes to staff who
must claim before deciding and give reasons to fail."""

import pytest

from precheck.usecases import common, staff
from shared.contracts.errors import Conflict, NotFound, ValidationFailed
from shared.contracts.precheck import CONTACT_CONFIRMATION_REQUESTED, PRECHECK_FAILED
from shared.testing.samples import unit_filing, uscc

pytestmark = pytest.mark.unit

FILING = "6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10"
OTHER = "0b5c1f7e-8d0c-4a57-9d0e-1c3a7b2f9e11"


def _refused(error) -> str:
    return error.value.errors[0]["code"]


@pytest.mark.req("P2")
@pytest.mark.req("C3")
def test_bad_document_fails_at_once_with_the_rule_and_rulebook_version(uow, precheck, received):
    data = unit_filing()
    data["responsible_person"]["document_number"] = "110105194912310021"  # check digit should be X
    precheck.submit(received(data, attempt=3))

    assert uow.outbox.types == [PRECHECK_FAILED]
    [failed] = uow.outbox.of_type(PRECHECK_FAILED)
    assert (failed["version"], failed["attempt"]) == (1, 3)  # which submission failed
    assert {k: failed["reasons"][0][k] for k in ("field", "code", "rule")} == {
        "field": "responsible_person.document_number", "code": "check_digit", "rule": "PC-DOC-2@2026.2"}


@pytest.mark.req("P2")
def test_the_same_submission_twice_is_one_case(uow, precheck, received):
    precheck.submit(received())
    precheck.submit(received())  # another event id (the handler claims each id once)
    assert len(uow.cases.rows) == 1 and uow.outbox.types == [CONTACT_CONFIRMATION_REQUESTED] * 2


@pytest.mark.req("P2")
def test_wrong_codes_are_limited_and_resends_too(uow, precheck, received, clock):
    precheck.submit(received())
    code = precheck.codes()["sms"]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ValidationFailed) as refused:
            precheck.confirm(FILING, "sms", wrong)
        assert _refused(refused) == "wrong_code"
    assert uow.commits == 5  # each wrong try is kept although the request fails
    with pytest.raises(ValidationFailed) as refused:
        precheck.confirm(FILING, "sms", code)
    assert _refused(refused) == "too_many_tries"

    for _ in range(2):
        precheck.resend(FILING, "sms")
    with pytest.raises(ValidationFailed) as refused:
        precheck.resend(FILING, "sms")
    assert _refused(refused) == "too_many_sends"
    assert precheck.confirm(FILING, "sms", precheck.codes()["sms"])["contacts"]["sms"]["confirmed"] is True
    clock.advance(hours=25)
    with pytest.raises(ValidationFailed) as refused:
        precheck.confirm(FILING, "email", precheck.codes()["email"])
    assert _refused(refused) == "expired"


@pytest.mark.req("P2")
@pytest.mark.req("W1")
def test_shared_mobile_goes_to_staff_who_claim_and_fail_it_with_reasons(uow, precheck, received, cipher, clock):
    precheck.submit(received())
    other = unit_filing()
    other["sponsor"]["name"] = "上海另一家网络科技有限公司"
    other["sponsor"]["document_number"] = uscc(region="310000", body="MA1FL3C5")
    other["sponsor"]["province"] = "沪"
    other["contacts"]["office_phone"] = "021-62345678"  # 沪 wants local numbers (X3)
    precheck.submit(received(other, filing_id=OTHER))
    for channel, code in precheck.codes().items():  # the last codes sent: the second filing's
        precheck.confirm(OTHER, channel, code)

    queue = staff.work_queue(uow)
    assert [item["filing_id"] for item in queue] == [OTHER]
    assert queue[0]["findings"][0]["code"] == "shared_mobile"
    with pytest.raises(Conflict) as refused:
        staff.decide(uow, OTHER, "precheck:a", "fail", [], cipher=cipher, now=clock)
    assert _refused(refused) == "not_claimed"
    staff.claim(uow, OTHER, "precheck:a", now=clock)
    with pytest.raises(Conflict):
        staff.claim(uow, OTHER, "precheck:b", now=clock)
    with pytest.raises(ValidationFailed) as refused:
        staff.decide(uow, OTHER, "precheck:a", "fail", [], cipher=cipher, now=clock)
    assert _refused(refused) == "required"
    reasons = [{"field": "contacts.mobile", "code": "shared_mobile", "message": "用他人手机号", "rule": "PC-CON-2"}]
    decided = staff.decide(uow, OTHER, "precheck:a", "fail", reasons, cipher=cipher, now=clock)

    assert decided["state"] == "failed" and decided["decided_by"] == "precheck:a"
    assert uow.outbox.of_type(PRECHECK_FAILED)[-1]["reasons"] == reasons
    assert common.get_case(uow, FILING)["state"] == "awaiting_contacts"


@pytest.mark.req("P2")
def test_a_case_out_of_the_callers_scope_answers_as_an_unknown_one(precheck, received, uow):
    precheck.submit(received())
    with pytest.raises(NotFound) as hidden:
        common.get_case(uow, FILING, lambda **_scope: False)
    with pytest.raises(NotFound) as unknown:
        common.get_case(uow, OTHER)
    assert hidden.value.errors == unknown.value.errors
