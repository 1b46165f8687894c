"""P1: the sponsor signs in to the provider's filing system with its mobile and a one-time SMS code (issue 8).

Use cases with explicit collaborators, like :mod:`intake.usecases`. The sponsor's identity is the keyed HMAC of
the mobile it proved: its token's subject, the same digest intake and precheck keep as ``mobile_hmac``.

Abuse limits: at most :data:`CODES_PER_MOBILE` codes per number and :data:`CODES_PER_CLIENT` per client address
in :data:`WINDOW`, each code valid :data:`CODE_VALIDITY` and good for :data:`ATTEMPTS_PER_CODE` guesses, so a
number can be guessed at most 25 times an hour in a space of a million. Every refusal of a code reads the same
("wrong or expired"), whether or not the number ever asked for one.
"""

import hashlib
import secrets
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import SignInCode
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


@dataclass
class SignInDeps:
    session: Session
    hasher: object
    now: Callable[[], datetime]


def canonical_mobile(text: str) -> str:
    """The 11 digits intake stores and hashes (R1.6), full-width digits read as in the form (issue 17);
    ``BadRequest`` naming ``mobile`` otherwise."""
    try:
        return validate_mobile(text)
    except InvalidValue as exc:
        raise BadRequest(exc.message, field_errors(FieldError("mobile", exc.code, exc.message, "P1"))) from None


def _digest(code_id: str, code: str) -> str:
    return hashlib.sha256(f"{code_id}:{code}".encode()).hexdigest()


def request_code(deps: SignInDeps, mobile: str, client: str) -> tuple[str, str]:
    """A new code for ``mobile`` requested from ``client``: ``(code id, code)`` to send by SMS; the caller
    commits. ``TooManyRequests`` past either limit (nothing stored)."""
    mobile_hmac = deps.hasher.digest(mobile, kind="mobile")
    client_hmac = deps.hasher.digest(client or "unknown", kind="client")
    now = deps.now()
    since = now - WINDOW
    for column, value, limit, field in ((SignInCode.mobile_hmac, mobile_hmac, CODES_PER_MOBILE, "mobile"),
                                        (SignInCode.client_hmac, client_hmac, CODES_PER_CLIENT, "client")):
        sent = deps.session.execute(
            select(func.count()).select_from(SignInCode).where(column == value, SignInCode.created_at >= since)
        ).scalar_one()
        if sent >= limit:
            message = f"At most {limit} sign-in codes per {field} an hour; try again later."
            raise TooManyRequests(message, field_errors(FieldError(field, "rate_limited", message, "P1")))
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
    code_id = str(uuid.uuid4())
    deps.session.add(SignInCode(id=code_id, mobile_hmac=mobile_hmac, client_hmac=client_hmac,
                                code_digest=_digest(code_id, code), attempts=0, created_at=now,
                                expires_at=now + CODE_VALIDITY))
    return code_id, code


def verify_code(deps: SignInDeps, mobile: str, code: str) -> str:
    """The sponsor's subject (its mobile's HMAC) when ``code`` is the newest live code for ``mobile``; the code
    is used up. Otherwise the attempt counts and ``Unauthorized`` says only "wrong or expired". The caller
    commits in both cases."""
    mobile_hmac = deps.hasher.digest(mobile, kind="mobile")
    now = deps.now()
    row = deps.session.execute(
        select(SignInCode)
        .where(SignInCode.mobile_hmac == mobile_hmac, SignInCode.used_at.is_(None), SignInCode.expires_at > now)
        .order_by(SignInCode.created_at.desc()).limit(1).with_for_update()
    ).scalar_one_or_none()
    if row is not None and row.attempts < ATTEMPTS_PER_CODE:
        row.attempts += 1
        # A phone's input method may type the code in full-width digits, as in the form (issue 17).
        typed = unicodedata.normalize("NFKC", code).strip()
        if secrets.compare_digest(_digest(row.id, typed), row.code_digest):
            row.used_at = now
            return mobile_hmac
    message = "The code is wrong or expired; ask for a new one."
    raise Unauthorized(message, field_errors(FieldError("code", "invalid", message, "P1")))
