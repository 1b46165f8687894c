"""The MIIT SMS check (X2) and its reminder (X4): after the provider submits, the bureau texts the responsible
person a code (notify sends it, ``miit_code_sent.v1``); the person enters it with the last six characters of the
ID document within 24 hours at the bureau's public API. Five wrong tries or expiry return the filing to the
provider (the return path of P8: ``filing_returned.v1``); the code is sent again at most three times; the
reviewers review only filings whose check passed. The code is kept as a keyed digest, never in plain."""

import hmac
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from bureau import domain
from bureau.domain import MiitOutcome, MiitState, NotAllowed
from bureau.models import Review
from bureau.repository import BureauUnitOfWork
from bureau.usecases.common import FILING_CONTEXT, Keys, Scope, conflict
from bureau.usecases.review import emit_returned
from shared.contracts.bureau import MIIT_CODE_EXPIRING, MIIT_CODE_SENT, MIIT_CONTEXT
from shared.contracts.errors import ValidationFailed

CODE_KIND = "miit_code"
MIIT_ACTOR = "miit-check"


def _digest(hasher, review: Review, code: str) -> str:
    return hasher.digest(f"{review.filing_id}:{code}", kind=CODE_KIND)


def _open(review: Review, keys: Keys, path: str) -> str:
    node = review.filing
    for part in path.split("."):
        node = node[part]
    return keys.cipher.decrypt(node, context=f"{FILING_CONTEXT}.{path}")


def _mobile(review: Review, keys: Keys) -> str:
    return keys.exchange.encrypt(_open(review, keys, "contacts.mobile"), context=f"{MIIT_CONTEXT}.mobile")


def send_code(uow: BureauUnitOfWork, review: Review, *, scope: Scope, keys: Keys, hasher, at: datetime) -> None:
    """X2: a fresh six-digit code, valid 24 hours from ``at``, texted through notify; the earlier one no longer
    counts."""
    code = f"{secrets.randbelow(10 ** 6):06d}"
    review.miit_state = MiitState.PENDING
    review.miit_code = _digest(hasher, review, code)
    review.miit_expires_at = domain.miit_expiry(at)
    review.miit_reminded_at = None
    uow.emit(MIIT_CODE_SENT, {
        "filing_id": review.filing_id, **scope.of(review.provider_id), "mobile": _mobile(review, keys),
        "code": keys.exchange.encrypt(code, context=f"{MIIT_CONTEXT}.code"),
        "expires_at": review.miit_expires_at.isoformat(), "resend": review.miit_resends or 0,
    }, review.filing_id)


def mismatch() -> ValidationFailed:
    """X2: a wrong ID tail, an unknown filing and a filing without a pending check are answered alike, so that the
    answer never tells whether a filing exists."""
    return ValidationFailed.about("code", "miit_mismatch", "The code or the ID document's last six characters "
                                  "are wrong, or no check is waiting for them.", "X2")


def refusal(outcome: MiitOutcome | None, tries: int, ended_by: str | None) -> ValidationFailed:
    """X2: the answer to a wrong entry whose ID tail was right (the responsible person, who may learn what the
    check's state is): the tries left, or that the check ended, by five wrong tries or by expiry (``ended_by``:
    the reason code it was returned with), and the filing went back to the provider."""
    ended = outcome if outcome in (MiitOutcome.TOO_MANY_TRIES, MiitOutcome.EXPIRED) else ended_by
    if ended == MiitOutcome.EXPIRED:
        return ValidationFailed.about("code", "miit_expired", "The code was not entered within 24 hours: the "
                                      "filing went back to the access provider.", "X2")
    if ended == MiitOutcome.TOO_MANY_TRIES:
        return ValidationFailed.about("code", "miit_too_many_tries", "The code was entered wrongly five times: the "
                                      "filing went back to the access provider.", "X2")
    if outcome == MiitOutcome.WRONG:
        left = domain.miit_tries_left(tries)
        return ValidationFailed.about("code", "miit_wrong_code", f"The code is wrong; {left} tries left.", "X2",
                                      {"tries_left": left})
    return mismatch()


def _ended_by(review: Review) -> str | None:
    """The reason code a check that failed returned its filing with (``too_many_tries``, ``expired``)."""
    if review.miit_state != MiitState.RETURNED:
        return None
    return next((r["code"] for r in review.reasons or [] if r.get("field") == "miit_check"), None)


def _found(uow: BureauUnitOfWork, scope: Scope, filing_id: str) -> Review | None:
    """The filing's current review here (locked), or None: an id that is no UUID finds nothing."""
    try:
        uuid.UUID(filing_id)
    except ValueError:
        return None
    review = uow.reviews.current(filing_id, lock=True)
    return review if review is not None and review.province == scope.province.abbr else None


def _tail_ok(review: Review, keys: Keys, id_tail: str) -> bool:
    tail = _open(review, keys, "responsible_person.document_number")[-domain.MIIT_ID_TAIL:].upper()
    return hmac.compare_digest(tail.encode(), id_tail.strip().upper().encode())


def _fail(uow: BureauUnitOfWork, review: Review, outcome: MiitOutcome, scope: Scope, keys: Keys,
          at: datetime) -> None:
    """X2: the check failed (five wrong tries, expiry): the filing goes back to the provider with the reason."""
    review.miit_state = MiitState.RETURNED
    decision = domain.return_review(review.state, review.filing_number, [domain.miit_return_reason(outcome)],
                                    f"bureau:{scope.province.abbr}:{MIIT_ACTOR}", at)
    emit_returned(uow, review, decision, scope, keys)


def enter_code(uow: BureauUnitOfWork, filing_id: str, code: str, id_tail: str, *, scope: Scope, keys: Keys, hasher,
               now: Callable[[], datetime]) -> dict:
    """X2: the responsible person enters the code with the ID tail. Passed: ``{"miit_check": "passed"}``. A wrong
    try counts; the fifth, or an entry after the expiry, returns the filing. With the right ID tail the answer says
    what happened (:func:`refusal`: the tries left, or why the check ended); otherwise it is :func:`mismatch`."""
    review = _found(uow, scope, filing_id)
    if review is None:
        raise mismatch()
    at = now()
    tail_ok = _tail_ok(review, keys, id_tail)
    matches = tail_ok and hmac.compare_digest(review.miit_code or "", _digest(hasher, review, code.strip()))
    outcome = domain.miit_attempt(review.miit_state, review.miit_expires_at, review.miit_tries or 0, matches, at)
    if outcome == MiitOutcome.PASSED:
        review.miit_state = MiitState.PASSED
        return {"miit_check": str(MiitState.PASSED)}
    if outcome is not None:
        review.miit_tries = (review.miit_tries or 0) + 1
    if outcome in (MiitOutcome.TOO_MANY_TRIES, MiitOutcome.EXPIRED):
        _fail(uow, review, outcome, scope, keys, at)
    uow.commit()  # a wrong try counts although the answer is an error
    raise refusal(outcome, review.miit_tries or 0, _ended_by(review)) if tail_ok else mismatch()


def resend(uow: BureauUnitOfWork, filing_id: str, id_tail: str, *, scope: Scope, keys: Keys, hasher,
           now: Callable[[], datetime]) -> dict:
    """X2: the code sent again (a new code, 24 hours anew), at most three times: a fourth is refused (409,
    ``resend``/``too_many_resends``). An unknown filing or a wrong ID tail is answered as accepted, sending
    nothing, so that the answer never tells whether a filing exists."""
    review = _found(uow, scope, filing_id)
    accepted = {"miit_check": "requested"}
    if review is None or review.miit_state != MiitState.PENDING or not _tail_ok(review, keys, id_tail):
        return accepted
    try:
        review.miit_resends = domain.miit_resend(review.miit_resends or 0)
    except NotAllowed as exc:
        raise conflict(exc) from None
    send_code(uow, review, scope=scope, keys=keys, hasher=hasher, at=now())
    return accepted


def raise_due(uow: BureauUnitOfWork, *, scope: Scope, keys: Keys, now: Callable[[], datetime]) -> int:
    """X2, X4 (timer): a check past its expiry returns its filing; four hours before, the sponsor is reminded
    (``miit_code_expiring.v1``), once. Returns how many events were raised."""
    at = now()
    raised = 0
    for review in uow.reviews.miit_due(at, at + timedelta(hours=domain.MIIT_REMIND_HOURS)):
        due = domain.miit_due(review.miit_state, review.miit_expires_at, review.miit_reminded_at, at)
        if due == MiitOutcome.EXPIRED:
            _fail(uow, review, MiitOutcome.EXPIRED, scope, keys, at)
        elif due == "remind":
            review.miit_reminded_at = at
            uow.emit(MIIT_CODE_EXPIRING, {
                "filing_id": review.filing_id, **scope.of(review.provider_id), "mobile": _mobile(review, keys),
                "expires_at": review.miit_expires_at.isoformat()}, review.filing_id)
        else:
            continue
        raised += 1
    return raised
