"""P2: the sponsor confirms its mobile and e-mail with one-time codes (24 h, at most 5 wrong tries, at most 3
sends in 24 hours). ``confirm_contact`` commits a wrong try before refusing, because a wrong code must count even
though the request fails."""

from collections.abc import Callable
from datetime import datetime

from precheck import codes
from precheck.domain import CaseState
from precheck.models import Case, Confirmation
from precheck.repository import PrecheckUnitOfWork
from precheck.usecases.common import (
    CHANNELS,
    STORE_CONTEXT,
    MaySee,
    current_case,
    everyone,
    view,
)
from precheck.usecases.outcome import advance_if_confirmed
from shared.contracts.errors import BadRequest, Conflict, NotFound, ValidationFailed
from shared.contracts.intake import SEAL_CONTEXT
from shared.contracts.precheck import (
    CONTACT_CONFIRMATION_REQUESTED,
)


def send_code(uow: PrecheckUnitOfWork, cipher, case: Case, confirmation: Confirmation, recipient: str,
               at: datetime) -> None:
    code = codes.new_code()
    confirmation.code_digest = codes.code_digest(code, confirmation.id)
    confirmation.expires_at = at + codes.CODE_TTL
    confirmation.tries = 0
    confirmation.send_times = [*confirmation.send_times, at.isoformat()]
    uow.emit(
        CONTACT_CONFIRMATION_REQUESTED,
        {
            "filing_id": case.filing_id,
            "confirmation_id": f"{confirmation.id}:{len(confirmation.send_times)}",
            "channel": confirmation.channel,
            "recipient": cipher.encrypt(recipient, context=f"{SEAL_CONTEXT}.recipient"),
            "code": cipher.encrypt(code, context=f"{SEAL_CONTEXT}.code"),
            "expires_at": confirmation.expires_at.isoformat(),
        },
        case.filing_id,
    )


def _confirmation(uow: PrecheckUnitOfWork, case: Case, channel: str) -> Confirmation:
    if channel not in CHANNELS:
        raise BadRequest.about("channel", "choice", "The channel is sms or email.", "P2")
    if case.state != CaseState.AWAITING_CONTACTS:
        message = f"Contacts are not being confirmed: the filing is {case.state}."
        raise Conflict.about("state", "conflict", message, "P2")
    found = next((c for c in uow.confirmations.of_case(case.id) if c.channel == channel), None)
    if found is None:
        raise NotFound.about("channel", "unknown", "Nothing to confirm on this channel.", "P2")
    return found


def confirm_contact(uow: PrecheckUnitOfWork, filing_id: str, channel: str, code: str, *, cipher, auto_pass: bool,
                    now: Callable[[], datetime], may_see: MaySee = everyone) -> dict:
    """P2: the sponsor enters the code it received; 24 h validity, at most 5 wrong tries."""
    case = current_case(uow, filing_id, may_see, lock=True)
    confirmation = _confirmation(uow, case, channel)
    at = now()
    try:
        codes.check_code(
            given=code,
            digest=confirmation.code_digest,
            confirmation_id=confirmation.id,
            expires_at=confirmation.expires_at,
            tries=confirmation.tries,
            confirmed=confirmation.confirmed_at is not None,
            now=at,
        )
    except codes.CodeRefused as exc:
        if exc.code == "wrong_code":
            confirmation.tries += 1
            uow.commit()  # a wrong try counts even though the request fails
        raise ValidationFailed.about("code", exc.code, exc.message, "P2") from None
    confirmation.confirmed_at = at
    uow.flush()
    advance_if_confirmed(uow, cipher, case, auto_pass=auto_pass, at=at)
    return view(uow, case)


def resend_code(uow: PrecheckUnitOfWork, filing_id: str, channel: str, *, cipher, now: Callable[[], datetime],
                may_see: MaySee = everyone) -> dict:
    """A new code replaces the old one; at most 3 sends in 24 hours."""
    case = current_case(uow, filing_id, may_see, lock=True)
    confirmation = _confirmation(uow, case, channel)
    if confirmation.confirmed_at is not None:
        raise Conflict.about("channel", "already_confirmed", "This contact is already confirmed.", "P2")
    at = now()
    try:
        codes.check_resend([datetime.fromisoformat(t) for t in confirmation.send_times], at)
    except codes.CodeRefused as exc:
        raise ValidationFailed.about("channel", exc.code, exc.message, "P2") from None
    recipient = cipher.decrypt(confirmation.recipient_token, context=f"{STORE_CONTEXT}.recipient")
    send_code(uow, cipher, case, confirmation, recipient, at)
    return view(uow, case)
