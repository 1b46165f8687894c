"""P1: the sponsor signs in to the provider's filing system with its mobile and a one-time SMS code (issue 8).

The sponsor's identity is the keyed HMAC of the mobile it proved: its token's subject, the same digest intake and
precheck keep as ``mobile_hmac``.

Abuse limits: at most :data:`CODES_PER_MOBILE` codes per number and :data:`CODES_PER_CLIENT` per client address in
:data:`WINDOW` (the client as ``shared.platform.clients`` reads it: behind the portal, the sponsor's address the
portal forwards, believed only from a proxy listed in ``TRUSTED_PROXIES``), each code valid :data:`CODE_VALIDITY`
and good for :data:`ATTEMPTS_PER_CODE` guesses, so a number can be guessed at most 25 times an hour in a space of a
million. Every refusal of a code reads the same ("wrong or expired"), whether or not the number ever asked for one.

The code's rules are pure (:class:`SignInCode`, :func:`new_code`, :func:`guess`); the use cases take the codes'
repository (``IntakeUnitOfWork.sign_in_codes``), the keyed hasher and the time, and never commit.
"""

import hashlib
import secrets
import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.contracts.errors import BadRequest, FieldError, TooManyRequests, Unauthorized, field_errors
from shared.kernel.contacts import validate_mobile
from shared.kernel.errors import InvalidValue

CODE_LENGTH = 6
CODE_VALIDITY = timedelta(minutes=10)
WINDOW = timedelta(hours=1)
CODES_PER_MOBILE = 5
CODES_PER_CLIENT = 20
ATTEMPTS_PER_CODE = 5
SMS_TEMPLATE = "sign_in_code"


@dataclass(frozen=True)
class SignInCode:
    """A code sent by SMS, kept as a digest; ``mobile_hmac`` and ``client_hmac`` (the caller's address) are keyed
    HMACs, so the limits per number and per client count rows without either value being stored."""

    id: str
    mobile_hmac: str
    client_hmac: str
    code_digest: str
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None


def _digest(code_id: str, code: str) -> str:
    return hashlib.sha256(f"{code_id}:{code}".encode()).hexdigest()


def new_code(code_id: str, mobile_hmac: str, client_hmac: str, at: datetime) -> tuple[SignInCode, str]:
    """A fresh random code, and the record kept of it."""
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
    return SignInCode(code_id, mobile_hmac, client_hmac, _digest(code_id, code), at, at + CODE_VALIDITY), code


def guess(record: SignInCode, typed: str, at: datetime) -> tuple[SignInCode, bool]:
    """One guess at ``record``: ``(record after, right)``. Each guess counts; a right one uses the code up; a code
    past its attempts takes no more."""
    if record.attempts >= ATTEMPTS_PER_CODE:
        return record, False
    record = replace(record, attempts=record.attempts + 1)
    # A phone's input method may type the code in full-width digits, as in the form (issue 17).
    typed = unicodedata.normalize("NFKC", typed).strip()
    if secrets.compare_digest(_digest(record.id, typed), record.code_digest):
        return replace(record, used_at=at), True
    return record, False


def canonical_mobile(text: str) -> str:
    """The 11 digits intake stores and hashes (R1.6), full-width digits read as in the form (issue 17);
    ``BadRequest`` naming ``mobile`` otherwise."""
    try:
        return validate_mobile(text)
    except InvalidValue as exc:
        raise BadRequest(exc.message, field_errors(FieldError("mobile", exc.code, exc.message, "P1"))) from None


def request_code(codes, hasher, at: datetime, mobile: str, client: str) -> tuple[str, str]:
    """A new code for ``mobile`` requested from ``client``: ``(code id, code)`` to send by SMS. ``TooManyRequests``
    past either limit (nothing stored)."""
    mobile_hmac = hasher.digest(mobile, kind="mobile")
    client_hmac = hasher.digest(client or "unknown", kind="client")
    since = at - WINDOW
    for scope, limit, field in (({"mobile_hmac": mobile_hmac}, CODES_PER_MOBILE, "mobile"),
                                ({"client_hmac": client_hmac}, CODES_PER_CLIENT, "client")):
        if codes.sent_since(since, **scope) >= limit:
            message = f"At most {limit} sign-in codes per {field} an hour; try again later."
            raise TooManyRequests(message, field_errors(FieldError(field, "rate_limited", message, "P1")))
    record, code = new_code(str(uuid.uuid4()), mobile_hmac, client_hmac, at)
    codes.add(record)
    return record.id, code


def verify_code(codes, hasher, at: datetime, mobile: str, code: str) -> str:
    """The sponsor's subject (its mobile's HMAC) when ``code`` is the newest live code for ``mobile``; the code
    is used up. Otherwise the attempt counts and ``Unauthorized`` says only "wrong or expired". The caller
    commits in both cases."""
    mobile_hmac = hasher.digest(mobile, kind="mobile")
    record = codes.newest_live(mobile_hmac, at)
    if record is not None:
        after, right = guess(record, code, at)
        if after != record:
            codes.save(after)
        if right:
            return mobile_hmac
    message = "The code is wrong or expired; ask for a new one."
    raise Unauthorized(message, field_errors(FieldError("code", "invalid", message, "P1")))
