"""The portal's sessions (ADR 0004): an encrypted, authenticated cookie that only the server reads.

What it holds: the CSRF token of the session, the sponsor's bearer token once signed in (it never reaches page
script: the cookie is HttpOnly and sealed with Fernet, AES-128-CBC + HMAC-SHA256), the masked mobile to greet
with, the ids of the filings opened in this session (intake has no "my filings" list yet) and the chosen language;
for a staff member, the role (for the menu) and, between leaving for the identity provider and coming back, the
sign-in's state, nonce and PKCE verifier (:class:`portal.oidc.Pending`).
Nothing of a filing's data. Every replica opens every session with the same keys, so no shared store is needed;
the session ends ``lifetime`` after its last request (the cookie is sealed again on every answer).
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Publicly known, for the one-command demo and the tests only (ALLOW_DEV_KEYS=true), like the services' own.
DEV_SESSION_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"icp-verification DEVELOPMENT portal session key - NOT SECRET, not for production").digest())
MAX_FILINGS = 20  # the filings a session remembers, newest first
COOKIE = "icp_portal"
FIELDS = ("csrf", "token", "who", "filings", "lang", "role", "signing_in")  # what the cookie holds
SECURE_COOKIE = "__Host-icp_portal"  # the __Host- prefix: Secure, Path=/, no Domain (RFC 6265bis §4.1.3.2)


class SessionKeyError(ValueError):
    """A missing or malformed PORTAL_SESSION_KEYS where no development key may stand in."""


def session_keys(configured: str | None, allow_dev_keys: bool) -> MultiFernet:
    """The key ring from ``PORTAL_SESSION_KEYS`` (comma-separated Fernet keys, newest first)."""
    keys = [key.strip() for key in (configured or "").split(",") if key.strip()]
    if not keys:
        if not allow_dev_keys:
            raise SessionKeyError("PORTAL_SESSION_KEYS is required when ALLOW_DEV_KEYS is false")
        keys = [DEV_SESSION_KEY.decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise SessionKeyError(f"PORTAL_SESSION_KEYS: each key is 32 url-safe base64-encoded bytes ({exc})") from None


@dataclass
class Session:
    """One person's session; ``token`` is the bearer token the services gave them (None before sign-in)."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    token: str | None = None
    who: str | None = None
    filings: list[str] = field(default_factory=list)
    lang: str | None = None
    role: str | None = None  # a staff member's role, for the menu only: every console page verifies the token
    signing_in: dict | None = None  # a staff sign-in sent to the identity provider (portal.oidc.Pending), one use

    @property
    def signed_in(self) -> bool:
        return self.token is not None

    def remember(self, filing_id: str) -> None:
        self.filings = [filing_id, *(f for f in self.filings if f != filing_id)][:MAX_FILINGS]

    def sign_out(self) -> None:
        self.token, self.who, self.filings, self.role, self.signing_in = None, None, [], None, None
        self.csrf = secrets.token_urlsafe(24)  # a new session: a form of the old one is refused

    def csrf_ok(self, presented: str | None) -> bool:
        return bool(presented) and secrets.compare_digest(presented, self.csrf)


class SessionCodec:
    """Seals a :class:`Session` into a cookie value and opens one (None when absent, forged, sealed with a key no
    longer listed, or older than ``lifetime`` seconds)."""

    def __init__(self, keys: MultiFernet, lifetime: int, secure: bool):
        self.keys, self.lifetime, self.secure = keys, lifetime, secure
        self.cookie_name = SECURE_COOKIE if secure else COOKIE

    def open(self, value: str | None) -> Session | None:
        if not value:
            return None
        try:
            data = json.loads(self.keys.decrypt(value.encode(), ttl=self.lifetime))
            return Session(**{k: data[k] for k in FIELDS if k in data})
        except (InvalidToken, ValueError, TypeError):
            return None

    def seal(self, session: Session) -> str:
        data = {k: getattr(session, k) for k in FIELDS}
        return self.keys.encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()

    def set_cookie(self, response, session: Session) -> None:
        response.set_cookie(self.cookie_name, self.seal(session), max_age=self.lifetime, path="/",
                            secure=self.secure, httponly=True, samesite="Lax")
