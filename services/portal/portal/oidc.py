"""The portal as an OpenID Connect client of the organisation's identity provider (issue 20, X6; ADR 0007).

The authorization-code flow with PKCE (RFC 7636, ``S256``): :meth:`IdentityProvider.begin` gives the
authorization endpoint's URL and the :class:`Pending` sign-in (state, nonce, code verifier) that the encrypted
session keeps until the IdP sends the person back; :meth:`IdentityProvider.finish` exchanges the code at the token
endpoint (the client secret, the verifier) and returns the tokens. What the tokens mean is
:mod:`portal.consoles.access`'s to decide (the access token with the services' own verifier, the ID token's nonce).
The endpoints come from the issuer's discovery document (OpenID Connect Discovery 1.0), read at the first sign-in
and kept: the portal starts while the IdP is down, and a sign-in then says so.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

import requests

SETTINGS = ("PORTAL_OIDC_ISSUER", "PORTAL_OIDC_CLIENT_ID", "PORTAL_OIDC_CLIENT_SECRET", "PORTAL_OIDC_REDIRECT_URI")
SCOPE = "openid"


@dataclass(frozen=True)
class Pending:
    """A sign-in sent to the IdP and not yet back: what the session keeps, one use only."""

    state: str
    nonce: str
    verifier: str
    next: str | None

    @classmethod
    def new(cls, next_: str | None) -> Pending:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48), next_)

    @property
    def challenge(self) -> str:
        """RFC 7636 §4.2: BASE64URL(SHA256(verifier)), no padding."""
        return base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()

    def sealed(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str | None


class SignInRefused(Exception):
    """A step of the flow failed; ``code`` is the catalogue's error key naming which, ``status`` the page's."""

    def __init__(self, code: str, status: int = 401):
        super().__init__(code)
        self.code, self.status = code, status


class IdentityProvider:
    """The configured IdP: ``issuer`` (discovery at ``<issuer>/.well-known/openid-configuration``), the portal's
    ``client_id`` and ``client_secret``, and the ``redirect_uri`` registered for ``/staff/sign-in/callback``."""

    def __init__(self, issuer: str, client_id: str, client_secret: str, redirect_uri: str, http: requests.Session,
                 timeout: float):
        self.issuer, self.client_id, self.redirect_uri = issuer.rstrip("/"), client_id, redirect_uri
        self._secret, self.http, self.timeout = client_secret, http, timeout
        self._discovered: dict | None = None

    @classmethod
    def from_config(cls, config, http: requests.Session, timeout: float, allow_dev: bool) -> IdentityProvider | None:
        """None without any PORTAL_OIDC_* setting; all four or a ValueError naming the missing ones. Plain http
        only with ALLOW_DEV_KEYS (a loopback IdP in development and tests)."""
        values = {name: str(config.get(name) or "").strip() for name in SETTINGS}
        missing = [name for name, value in values.items() if not value]
        if len(missing) == len(SETTINGS):
            return None
        if missing:
            raise ValueError(f"{', '.join(missing)}: the staff's sign-in needs every one of {', '.join(SETTINGS)}")
        for name in ("PORTAL_OIDC_ISSUER", "PORTAL_OIDC_REDIRECT_URI"):
            if not values[name].startswith("https://") and not (allow_dev and values[name].startswith("http://")):
                raise ValueError(f"{name} must be an https URL (http only with ALLOW_DEV_KEYS)")
        return cls(*values.values(), http=http, timeout=timeout)

    def begin(self, next_: str | None) -> tuple[str, Pending]:
        """The authorization endpoint's URL for a new sign-in, and what the session keeps until the callback."""
        pending = Pending.new(next_)
        query = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                 "scope": SCOPE, "state": pending.state, "nonce": pending.nonce,
                 "code_challenge": pending.challenge, "code_challenge_method": "S256"}
        endpoint = self._endpoint("authorization_endpoint")
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}", pending

    def finish(self, code: str, pending: Pending) -> Tokens:
        """The token endpoint's answer to ``code`` (client_secret_basic, the PKCE verifier); refused unless it
        gives a bearer access token."""
        try:
            answer = self.http.post(self._endpoint("token_endpoint"), timeout=self.timeout,
                                    auth=(self.client_id, self._secret),
                                    data={"grant_type": "authorization_code", "code": code,
                                          "redirect_uri": self.redirect_uri, "code_verifier": pending.verifier})
        except requests.RequestException:
            raise SignInRefused("oidc_unavailable", 502) from None
        body = _json(answer)
        if answer.status_code != 200 or not isinstance(body.get("access_token"), str):
            raise SignInRefused("oidc_code_refused")
        if str(body.get("token_type", "")).lower() != "bearer":
            raise SignInRefused("oidc_code_refused")
        id_token = body.get("id_token")
        return Tokens(body["access_token"], id_token if isinstance(id_token, str) else None)

    def _endpoint(self, name: str) -> str:
        if self._discovered is None:
            try:
                answer = self.http.get(f"{self.issuer}/.well-known/openid-configuration", timeout=self.timeout)
            except requests.RequestException:
                raise SignInRefused("oidc_unavailable", 502) from None
            document = _json(answer)
            # Discovery §4.3: the document's issuer is exactly the one configured, or it is not this IdP's.
            if answer.status_code != 200 or str(document.get("issuer", "")).rstrip("/") != self.issuer:
                raise SignInRefused("oidc_unavailable", 502)
            self._discovered = document
        url = self._discovered.get(name)
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise SignInRefused("oidc_unavailable", 502)
        return url


def _json(answer: requests.Response) -> dict:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def pending_of(sealed: dict | None) -> Pending | None:
    """The session's pending sign-in, or None (none started, or a session of another version)."""
    try:
        return Pending(**sealed) if sealed else None
    except TypeError:
        return None
