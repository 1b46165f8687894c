"""One-time codes that confirm a sponsor's contacts (P2: confirmed by phone, e-mail or similar): pure rules of
their validity, tries and sends. Nothing here does I/O."""

import hashlib
import secrets
from datetime import datetime, timedelta

CODE_LENGTH = 6
CODE_TTL = timedelta(hours=24)  # P2 contact confirmation: a code is valid for 24 hours
MAX_WRONG_TRIES = 5
MAX_SENDS_PER_DAY = 3  # the first send and at most two resends in any 24 hours
SEND_WINDOW = timedelta(hours=24)


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))


def code_digest(code: str, confirmation_id: str) -> str:
    """Codes are stored as salted hashes; the salt is the confirmation's random id."""
    return hashlib.sha256(f"{confirmation_id}:{code}".encode()).hexdigest()


class CodeRefused(Exception):
    """``code`` says why: wrong_code, expired, too_many_tries, already_confirmed, too_many_sends."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def check_code(
    *, given: str, digest: str, confirmation_id: str, expires_at: datetime, tries: int, confirmed: bool, now: datetime
) -> None:
    """Raise ``CodeRefused`` unless ``given`` confirms the contact now (P2; 24 h, at most 5 wrong tries)."""
    if confirmed:
        raise CodeRefused("already_confirmed", "This contact is already confirmed.")
    if tries >= MAX_WRONG_TRIES:
        raise CodeRefused("too_many_tries", f"{MAX_WRONG_TRIES} wrong codes were entered; ask for a new code.")
    if now >= expires_at:
        raise CodeRefused("expired", "The code has expired; ask for a new code.")
    if not secrets.compare_digest(code_digest(given.strip(), confirmation_id), digest):
        raise CodeRefused("wrong_code", "The code is not right.")


def check_resend(send_times: list[datetime], now: datetime) -> None:
    """At most 3 sends of a contact's code in any 24 hours."""
    recent = [t for t in send_times if now - t < SEND_WINDOW]
    if len(recent) >= MAX_SENDS_PER_DAY:
        raise CodeRefused("too_many_sends", f"At most {MAX_SENDS_PER_DAY} codes are sent in 24 hours; try later.")
