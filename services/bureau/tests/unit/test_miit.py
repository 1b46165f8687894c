"""The MIIT SMS check on the in-memory unit of work (X2, X4): the code texted once per sending, kept as a keyed
digest; passing opens the review to the reviewers; five wrong tries or expiry return the filing (the clock set,
not waited for), the responsible person (the right ID tail) told the tries left or why the check ended; a fourth
resend refused; a wrong ID tail or an unknown filing answered alike; the reminder four hours before the expiry,
once."""

import uuid

import pytest

from bureau.usecases import miit, review
from shared.contracts.bureau import FILING_RETURNED, MIIT_CODE_EXPIRING, MIIT_CODE_SENT
from shared.contracts.errors import Conflict, ValidationFailed
from shared.testing.samples import RESIDENT_ID

from .conftest import REVIEWER

pytestmark = pytest.mark.unit

TAIL = RESIDENT_ID[-6:]


@pytest.fixture
def hasher(crypto):
    return crypto.hasher()


@pytest.fixture
def checked(uow, keys, at, scope, receive, hasher):
    """``checked() -> filing id``: a filing received with its MIIT check started, as the service starts it."""

    def start():
        filing_id, _ = receive()
        miit.send_code(uow, uow.reviews.current(filing_id), scope=scope, keys=keys, hasher=hasher, at=at())
        return filing_id

    return start


def last_code(uow, keys, filing_id):
    sent = [e for e in uow.outbox.of_type(MIIT_CODE_SENT) if e["filing_id"] == filing_id][-1]
    return keys.exchange.decrypt(sent["code"], context="exchange.miit.code")


def enter(uow, filing_id, code, tail=TAIL, *, scope, keys, hasher, at):
    return miit.enter_code(uow, filing_id, code, tail, scope=scope, keys=keys, hasher=hasher, now=at)


@pytest.mark.req("X2")
def test_the_code_passes_and_only_then_the_reviewers_see_and_approve(uow, keys, at, scope, hasher, checked):
    filing_id = checked()
    [sent] = uow.outbox.of_type(MIIT_CODE_SENT)
    code = last_code(uow, keys, filing_id)
    stored = uow.reviews.current(filing_id)
    assert stored.miit_code != code and code not in str(stored.miit_code) and len(stored.miit_code) == 64
    assert "13800138000" not in str(sent)  # sealed with the exchange ring
    assert keys.exchange.decrypt(sent["mobile"], context="exchange.miit.mobile") == "13800138000"
    assert review.review_queue(uow, scope=scope, keys=keys) == []
    with pytest.raises(Conflict) as refused:
        review.approve(uow, filing_id, REVIEWER, scope=scope, keys=keys, now=at)
    assert refused.value.errors[0]["field"] == "miit_check" and refused.value.errors[0]["rule"] == "X2"
    assert enter(uow, filing_id, code, TAIL.lower(), scope=scope, keys=keys, hasher=hasher, at=at) \
        == {"miit_check": "passed"}
    assert [r["filing_id"] for r in review.review_queue(uow, scope=scope, keys=keys)] == [filing_id]
    assert review.approve(uow, filing_id, REVIEWER, scope=scope, keys=keys, now=at)["state"] == "approved"


@pytest.mark.req("X2")
def test_five_wrong_tries_return_the_filing_with_the_reason(uow, keys, at, scope, hasher, checked):
    filing_id = checked()
    code = last_code(uow, keys, filing_id)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for left in (4, 3, 2, 1):  # the responsible person (the right ID tail) is told how many tries are left
        with pytest.raises(ValidationFailed) as wrong_try:
            enter(uow, filing_id, wrong, scope=scope, keys=keys, hasher=hasher, at=at)
        assert wrong_try.value.errors[0]["code"] == "miit_wrong_code"
        assert wrong_try.value.errors[0]["params"] == {"tries_left": left}
    assert uow.outbox.of_type(FILING_RETURNED) == []
    with pytest.raises(ValidationFailed) as fifth:
        enter(uow, filing_id, wrong, scope=scope, keys=keys, hasher=hasher, at=at)
    assert fifth.value.errors[0]["code"] == "miit_too_many_tries"
    [returned] = uow.outbox.of_type(FILING_RETURNED)
    assert returned["reasons"] == [{"field": "miit_check", "code": "too_many_tries", "rule": "X2",
                                    "message": "The MIIT SMS code was entered wrongly five times."}]
    assert returned["returned_by"] == "bureau:京:miit-check"
    assert keys.exchange.decrypt(returned["mobile"], context="exchange.contacts.mobile") == "13800138000"
    assert uow.reviews.current(filing_id).state == "returned"
    with pytest.raises(ValidationFailed) as after:  # the right code no longer counts, and the person is told why
        enter(uow, filing_id, code, scope=scope, keys=keys, hasher=hasher, at=at)
    assert after.value.errors[0]["code"] == "miit_too_many_tries"
    with pytest.raises(ValidationFailed) as stranger:  # without the right ID tail: nothing said about the filing
        enter(uow, filing_id, code, "000000", scope=scope, keys=keys, hasher=hasher, at=at)
    assert stranger.value.errors[0]["code"] == "miit_mismatch"


@pytest.mark.req("X2")
def test_a_wrong_tail_or_an_unknown_filing_is_answered_as_a_wrong_code(uow, keys, at, scope, hasher, checked):
    filing_id = checked()
    code = last_code(uow, keys, filing_id)
    answers = []
    for filing, tail in ((filing_id, "000000"), (str(uuid.uuid4()), TAIL), ("not-a-uuid", TAIL)):
        with pytest.raises(ValidationFailed) as refused:
            enter(uow, filing, code, tail, scope=scope, keys=keys, hasher=hasher, at=at)
        answers.append(refused.value.errors)
    assert answers[0] == answers[1] == answers[2]
    assert miit.resend(uow, str(uuid.uuid4()), TAIL, scope=scope, keys=keys, hasher=hasher, now=at) \
        == miit.resend(uow, filing_id, "000000", scope=scope, keys=keys, hasher=hasher, now=at)
    assert len(uow.outbox.of_type(MIIT_CODE_SENT)) == 1  # neither sent anything


@pytest.mark.req("X2")
def test_at_most_three_resends_each_a_new_code(uow, keys, at, scope, hasher, checked):
    filing_id = checked()
    codes = [last_code(uow, keys, filing_id)]
    for _ in range(3):
        miit.resend(uow, filing_id, TAIL, scope=scope, keys=keys, hasher=hasher, now=at)
        codes.append(last_code(uow, keys, filing_id))
    with pytest.raises(Conflict) as fourth:
        miit.resend(uow, filing_id, TAIL, scope=scope, keys=keys, hasher=hasher, now=at)
    assert fourth.value.errors[0]["field"] == "resend" and fourth.value.errors[0]["code"] == "too_many_resends"
    assert [e["resend"] for e in uow.outbox.of_type(MIIT_CODE_SENT)] == [0, 1, 2, 3]
    if codes[0] != codes[-1]:  # an earlier code no longer counts once another was sent
        with pytest.raises(ValidationFailed):
            enter(uow, filing_id, codes[0], scope=scope, keys=keys, hasher=hasher, at=at)
    assert enter(uow, filing_id, codes[-1], scope=scope, keys=keys, hasher=hasher, at=at)["miit_check"] == "passed"


@pytest.mark.req("X2")
@pytest.mark.req("X4")
@pytest.mark.clock
def test_reminded_four_hours_before_and_returned_at_the_expiry(uow, keys, at, scope, hasher, checked):
    filing_id = checked()
    at.advance(hours=19, minutes=59)
    assert miit.raise_due(uow, scope=scope, keys=keys, now=at) == 0
    at.advance(minutes=1)
    assert miit.raise_due(uow, scope=scope, keys=keys, now=at) == 1
    assert miit.raise_due(uow, scope=scope, keys=keys, now=at) == 0  # once
    [reminder] = uow.outbox.of_type(MIIT_CODE_EXPIRING)
    assert reminder["expires_at"] == uow.reviews.current(filing_id).miit_expires_at.isoformat()
    at.advance(hours=4)
    assert miit.raise_due(uow, scope=scope, keys=keys, now=at) == 1
    [returned] = uow.outbox.of_type(FILING_RETURNED)
    assert returned["reasons"][0]["code"] == "expired" and returned["reasons"][0]["field"] == "miit_check"
    assert uow.reviews.current(filing_id).miit_state == "returned"


@pytest.mark.req("X2")
@pytest.mark.clock
def test_the_right_code_after_24_hours_returns_the_filing(uow, keys, at, scope, hasher, checked):
    filing_id = checked()
    code = last_code(uow, keys, filing_id)
    at.advance(hours=24)
    with pytest.raises(ValidationFailed) as expired:
        enter(uow, filing_id, code, scope=scope, keys=keys, hasher=hasher, at=at)
    assert expired.value.errors[0]["code"] == "miit_expired"  # said to the person with the right ID tail
    assert uow.outbox.of_type(FILING_RETURNED)[0]["reasons"][0]["code"] == "expired"
    with pytest.raises(ValidationFailed) as again:
        enter(uow, filing_id, code, scope=scope, keys=keys, hasher=hasher, at=at)
    assert again.value.errors[0]["code"] == "miit_expired"


@pytest.mark.req("X2")
@pytest.mark.clock
def test_a_check_the_timer_returned_at_its_expiry_says_so_to_the_responsible_person(
        uow, keys, at, scope, hasher, checked):
    filing_id = checked()
    code = last_code(uow, keys, filing_id)
    at.advance(hours=24)
    miit.raise_due(uow, scope=scope, keys=keys, now=at)
    with pytest.raises(ValidationFailed) as expired:
        enter(uow, filing_id, code, scope=scope, keys=keys, hasher=hasher, at=at)
    assert expired.value.errors[0]["code"] == "miit_expired"
