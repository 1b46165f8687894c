"""Who may do what (issue 8; B1, W4, P1): bearer JWTs, roles, tenant scopes, and one guard per service.

**Identity.** Every HTTP entrypoint except ``/healthz``, ``/metrics``, ``/openapi.json`` (and the bureau's public
query) needs ``Authorization: Bearer <JWT>``; an RPC call may carry the same value in its nameko context data
under ``authorization`` (:data:`RPC_CONTEXT_KEY`). Tokens are EdDSA (Ed25519) JWTs whose signature, ``exp``,
``iat``, ``aud`` and ``iss`` are checked, and whose header ``kid`` picks the key from a configured key set, so
keys rotate by publishing a new ``kid`` beside the old one, switching the signer, then dropping the old one.

**Settings** (read once in :class:`Guard`'s ``setup()``, from the nameko config or else the environment, so that
no service's ``config.yaml`` gains a setting a deployment must provide):

- ``AUTH_PUBLIC_KEYS``: a JWK set (``{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid", "x"}]}``) of every
  issuer trusted: the organisation's identity provider for staff, intake for sponsors. Public, not secret.
- ``AUTH_SIGNING_KEY``: intake's private JWK (with ``kid``) for sponsor tokens; only a signing service needs it.
- ``AUTH_ISSUERS`` (comma-separated, default ``icp-verification``), ``AUTH_ISSUER`` (what a signer writes,
  default the first issuer), ``AUTH_AUDIENCE`` (default ``icp-verification``), ``AUTH_TOKEN_TTL`` (seconds a
  sponsor token lives, default 3600), ``AUTH_LEEWAY`` (clock skew, default 30 s).

Without keys, the publicly known DEVELOPMENT key pair (``kid`` ``dev-1``) is used only while ``ALLOW_DEV_KEYS``
is true, exactly as :mod:`shared.platform.crypto`; with ``ALLOW_DEV_KEYS=false`` a missing key stops the service.

**Roles and scopes.** ``sponsor`` (its own filings: those it created, or whose mobile it proved), provider staff
``precheck`` / ``onsite_verifier`` / ``supervisor`` (their ``provider``), ``reviewer`` (their ``province``, B1),
``auditor`` (read-only, everywhere), ``ops`` (their ``provider``'s operations, no personal data).

**Authorisation.** A service declares one policy: entrypoint method name -> :func:`allow` rule. The guard
decides before the method runs, deny by default (an entrypoint without a rule answers 403), and the service
applies the per-filing scope through :meth:`Caller.may_see` in its loader, answering a filing out of scope
exactly like one that does not exist (404), so that nobody learns which filings or persons exist.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler

from shared.contracts.errors import FieldError, Forbidden, Unauthorized, field_errors
from shared.kernel.provinces import PROVINCES
from shared.platform.config import flag

log = logging.getLogger(__name__)

SPONSOR: Final = "sponsor"
PRECHECK: Final = "precheck"
ONSITE_VERIFIER: Final = "onsite_verifier"
SUPERVISOR: Final = "supervisor"
REVIEWER: Final = "reviewer"
AUDITOR: Final = "auditor"
OPS: Final = "ops"
STAFF: Final = frozenset({PRECHECK, ONSITE_VERIFIER, SUPERVISOR})
"""Provider staff (W1): scoped to their provider."""
ROLES: Final = frozenset({SPONSOR, *STAFF, REVIEWER, AUDITOR, OPS})
PROVIDER_SCOPED: Final = STAFF | {OPS}

ALGORITHM: Final = "EdDSA"
RPC_CONTEXT_KEY: Final = "authorization"
MAX_TOKEN_CHARS: Final = 4096
DEFAULT_ISSUER: Final = "icp-verification"
DEFAULT_AUDIENCE: Final = "icp-verification"
DEFAULT_TTL: Final = 3600
DEFAULT_LEEWAY: Final = 30
READ_METHODS: Final = frozenset({"GET", "HEAD"})
ACCESS_ATTR: Final = "icp_access_rule"
"""The attribute an entrypoint declared with :mod:`shared.platform.entrypoints` carries its :class:`Rule` in."""

OPEN_ENTRYPOINTS: Final = frozenset({"ops_healthz", "ops_metrics"})
"""``/healthz`` and ``/metrics`` of :class:`shared.platform.observability.OpsEndpoints`: always open."""

# A fixed, public seed: tokens signed with this key can be forged by anyone with the source code.
_DEV_SIGNING_SEED: Final = b"icp-verification DEVELOPMENT token signing key - NOT SECRET, not for production"
DEV_KID: Final = "dev-1"
_ABBREVIATIONS: Final = frozenset(p.abbr for p in PROVINCES)
"""A reviewer's ``province`` claim: the abbreviation filings carry (京, 粤 ...)."""


def dev_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(_DEV_SIGNING_SEED).digest())


class AuthConfigError(ValueError):
    """An AUTH_* setting is missing or malformed; names the setting, never its value."""


def _unauthorized(code: str, message: str) -> Unauthorized:
    return Unauthorized(message, field_errors(FieldError("Authorization", code, message, "API")))


def _forbidden() -> Forbidden:
    message = "This identity may not do this."
    return Forbidden(message, field_errors(FieldError("Authorization", "forbidden", message, "API")))


@dataclass(frozen=True)
class Principal:
    """A verified caller: ``subject`` and ``role`` always, ``provider`` for staff and ops, ``province`` for a
    reviewer. For a sponsor, ``subject`` is the keyed HMAC of the mobile it proved (never the number)."""

    subject: str
    role: str
    provider: str | None = None
    province: str | None = None

    @property
    def actor(self) -> str:
        """What timelines and idempotency keys record: role and subject, no personal data."""
        return f"{self.role}:{self.subject}"[:120]

    def may_see(self, *, provider: str | None, province: str | None, owner: str | None = None,
                mobile_hmac: str | None = None) -> bool:
        """The tenant scope of one filing (issue 8): a sponsor its own (it created it, or its mobile is the
        one proved at sign-in), staff and ops their provider's, a reviewer its province's (B1), an auditor
        every filing."""
        if self.role == SPONSOR:
            return owner == self.actor or (mobile_hmac is not None and mobile_hmac == self.subject)
        if self.role in PROVIDER_SCOPED:
            return provider is not None and provider == self.provider
        if self.role == REVIEWER:
            return province is not None and province == self.province
        return self.role == AUDITOR


@dataclass(frozen=True)
class AuthConfig:
    issuers: tuple[str, ...]
    issuer: str
    audience: str
    public_keys: Mapping[str, Ed25519PublicKey] = field(repr=False)
    signing_key: Ed25519PrivateKey | None = field(repr=False)
    signing_kid: str | None
    ttl: int
    leeway: int
    development: bool

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, signs: bool = False) -> AuthConfig:
        """Read the AUTH_* settings (module docstring); ``signs`` requires a signing key."""

        def get(name: str) -> str:
            value = config.get(name)
            if value is None:
                value = os.environ.get(name)
            return "" if value is None else str(value).strip()

        allow_dev = flag("ALLOW_DEV_KEYS", get("ALLOW_DEV_KEYS") or True, AuthConfigError)
        development = False
        text = get("AUTH_PUBLIC_KEYS")
        if text:
            public_keys = _public_key_set(text)
        elif allow_dev:
            public_keys, development = {DEV_KID: dev_private_key().public_key()}, True
        else:
            raise AuthConfigError("AUTH_PUBLIC_KEYS is not set and ALLOW_DEV_KEYS is false")
        signing_key = signing_kid = None
        text = get("AUTH_SIGNING_KEY")
        if text:
            signing_kid, signing_key = _private_key(text)
        elif signs and allow_dev:
            signing_kid, signing_key, development = DEV_KID, dev_private_key(), True
        elif signs:
            raise AuthConfigError("AUTH_SIGNING_KEY is not set and ALLOW_DEV_KEYS is false")
        if signing_kid is not None and signing_kid not in public_keys:
            raise AuthConfigError("AUTH_SIGNING_KEY's kid is not in AUTH_PUBLIC_KEYS: its tokens would not verify")
        issuers = tuple(filter(None, (i.strip() for i in (get("AUTH_ISSUERS") or DEFAULT_ISSUER).split(","))))
        return cls(
            issuers=issuers, issuer=get("AUTH_ISSUER") or issuers[0], audience=get("AUTH_AUDIENCE") or DEFAULT_AUDIENCE,
            public_keys=public_keys, signing_key=signing_key, signing_kid=signing_kid,
            ttl=_positive(get, "AUTH_TOKEN_TTL", DEFAULT_TTL), leeway=_positive(get, "AUTH_LEEWAY", DEFAULT_LEEWAY),
            development=development,
        )

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(self.public_keys, self.issuers, self.audience, self.leeway)

    def signer(self) -> TokenSigner:
        if self.signing_key is None or self.signing_kid is None:
            raise AuthConfigError("AUTH_SIGNING_KEY is not set")
        return TokenSigner(self.signing_key, self.signing_kid, self.issuer, self.audience, self.ttl)


def _positive(get, name: str, default: int) -> int:
    text = get(name)
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise AuthConfigError(f"{name} must be a positive number of seconds")
    return int(text)


def _public_key_set(text: str) -> dict[str, Ed25519PublicKey]:
    try:
        keys = json.loads(text)["keys"]
        out = {}
        for jwk in keys:
            key = OKPAlgorithm.from_jwk(jwk)
            if not isinstance(key, Ed25519PublicKey) or not jwk.get("kid"):
                raise ValueError
            out[str(jwk["kid"])] = key
    except (ValueError, KeyError, TypeError, jwt.InvalidKeyError):
        raise AuthConfigError('AUTH_PUBLIC_KEYS must be a JWK set of Ed25519 public keys with "kid"') from None
    if not out:
        raise AuthConfigError("AUTH_PUBLIC_KEYS holds no key")
    return out


def _private_key(text: str) -> tuple[str, Ed25519PrivateKey]:
    try:
        jwk = json.loads(text)
        key = OKPAlgorithm.from_jwk(jwk)
        if not isinstance(key, Ed25519PrivateKey) or not jwk.get("kid"):
            raise ValueError
    except (ValueError, KeyError, TypeError, jwt.InvalidKeyError):
        raise AuthConfigError('AUTH_SIGNING_KEY must be an Ed25519 private JWK with "kid"') from None
    return str(jwk["kid"]), key


class TokenVerifier:
    """Checks a token and returns its :class:`Principal`, or raises ``Unauthorized`` saying only which check
    failed (never echoing the token)."""

    def __init__(self, keys: Mapping[str, Ed25519PublicKey], issuers: tuple[str, ...], audience: str,
                 leeway: int = DEFAULT_LEEWAY):
        self.keys = dict(keys)
        self.issuers = list(issuers)
        self.audience = audience
        self.leeway = leeway

    def verify(self, token: str | None) -> Principal:
        if not token:
            raise _unauthorized("required", "Send Authorization: Bearer <token>.")
        if len(token) > MAX_TOKEN_CHARS:
            raise _unauthorized("invalid", "The token is not valid.")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self.keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise _unauthorized("invalid", "The token is not valid.")
            claims = jwt.decode(
                token, key, algorithms=[ALGORITHM], audience=self.audience, issuer=self.issuers, leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("expired", "The token has expired: sign in again.") from None
        except jwt.PyJWTError:
            raise _unauthorized("invalid", "The token is not valid.") from None
        return _principal(claims)


def _principal(claims: Mapping[str, Any]) -> Principal:
    role, subject = claims.get("role"), claims.get("sub")
    provider, province = claims.get("provider"), claims.get("province")
    valid = (
        role in ROLES and isinstance(subject, str) and 0 < len(subject) <= 100
        and (role not in PROVIDER_SCOPED or (isinstance(provider, str) and provider))
        and (role != REVIEWER or province in _ABBREVIATIONS)
    )
    if not valid:
        raise _unauthorized("invalid", "The token's role or scope is not valid.")
    return Principal(subject=subject, role=role, provider=provider if role in PROVIDER_SCOPED else None,
                     province=province if role == REVIEWER else None)


class TokenSigner:
    """Mints tokens the :class:`TokenVerifier` of the same key set accepts (intake's sponsor tokens, the
    ``icp-token`` command)."""

    def __init__(self, key: Ed25519PrivateKey, kid: str, issuer: str, audience: str, ttl: int = DEFAULT_TTL):
        self.key, self.kid, self.issuer, self.audience, self.ttl = key, kid, issuer, audience, ttl

    def mint(self, principal: Principal, *, ttl: int | None = None, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {"iss": self.issuer, "aud": self.audience, "sub": principal.subject, "role": principal.role,
                  "iat": issued, "exp": issued + (self.ttl if ttl is None else ttl), "jti": uuid.uuid4().hex}
        if principal.provider:
            claims["provider"] = principal.provider
        if principal.province:
            claims["province"] = principal.province
        return jwt.encode(claims, self.key, algorithm=ALGORITHM, headers={"kid": self.kid})


@dataclass(frozen=True)
class Rule:
    """Who may call one entrypoint: ``roles`` with a token; ``internal`` lets an RPC without a caller identity
    (another service of this deployment) through; ``public`` needs nothing; ``auditor_writes`` lets an auditor
    change state here (the filing center's own service: samples, phone checks, inventories), where everywhere else
    an auditor only reads."""

    roles: frozenset[str] = frozenset()
    internal: bool = False
    public: bool = False
    auditor_writes: bool = False


PUBLIC: Final = Rule(public=True)


def allow(*roles: str, internal: bool = False, auditor_writes: bool = False) -> Rule:
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    return Rule(roles=frozenset(roles), internal=internal, auditor_writes=auditor_writes)


@dataclass(frozen=True)
class Caller:
    """What an entrypoint gets: the verified ``principal`` (None for a public entrypoint or an internal RPC),
    the deployment's ``tenant`` (PROVIDER_ID) and the ``signer`` (intake only)."""

    principal: Principal | None
    tenant: str | None = None
    signer: TokenSigner | None = None

    @property
    def actor(self) -> str | None:
        return self.principal.actor if self.principal else None

    def may_see(self, **scope) -> bool:
        """:meth:`Principal.may_see`; another service of the deployment (no principal) sees everything."""
        return self.principal is None or self.principal.may_see(**scope)


def bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class Guard(DependencyProvider):
    """The one place a service authorises (issue 8): every HTTP and RPC entrypoint's :class:`Rule`, declared on
    the entrypoint (:mod:`shared.platform.entrypoints`), read when the container starts; an entrypoint without
    one is denied. Event handlers and timers are not callers and pass.

    The decision is made while the worker is set up: a denial replaces this worker's method (the service
    instance is per worker) with one raising ``Unauthorized`` / ``Forbidden``, so the entrypoint answers it
    like any wire error (401/403 JSON over HTTP, the same class to an RPC caller).
    """

    def __init__(self, *, signs: bool = False):
        self.policy: dict[str, Rule] = {}
        self.signs = signs

    def setup(self) -> None:
        config = AuthConfig.from_config(self.container.config, signs=self.signs)
        self.verifier = config.verifier()
        self.signer = config.signer() if self.signs else None
        tenant = self.container.config.get("PROVIDER_ID") or os.environ.get("PROVIDER_ID")
        self.tenant = str(tenant) if tenant else None
        names = {e.method_name for e in self.container.entrypoints if isinstance(e, (HttpRequestHandler, Rpc))}
        for name in names:
            declared = getattr(getattr(self.container.service_cls, name), ACCESS_ATTR, None)
            if declared is not None:
                self.policy[name] = declared
        if config.development:
            log.warning(
                "tokens use the DEVELOPMENT key pair (AUTH_PUBLIC_KEYS unset): anyone can forge them; "
                "set the keys and ALLOW_DEV_KEYS=false in production")

    def get_dependency(self, worker_ctx) -> Caller:
        entrypoint = worker_ctx.entrypoint
        if not isinstance(entrypoint, (HttpRequestHandler, Rpc)):
            return Caller(None, self.tenant, self.signer)
        try:
            principal = self.decide(entrypoint, worker_ctx)
        except (Unauthorized, Forbidden) as exc:
            setattr(worker_ctx.service, entrypoint.method_name, _refusal(exc))
            principal = None
        return Caller(principal, self.tenant, self.signer)

    def decide(self, entrypoint, worker_ctx) -> Principal | None:
        name = entrypoint.method_name
        rule = PUBLIC if name in OPEN_ENTRYPOINTS else self.policy.get(name)
        if rule is None:
            raise _forbidden()  # deny by default: nobody may call an entrypoint the policy does not name
        if rule.public:
            return None
        if isinstance(entrypoint, HttpRequestHandler):
            request = worker_ctx.args[0]
            token, method = bearer(request.headers.get("Authorization")), request.method
        else:
            raw = worker_ctx.context_data.get(RPC_CONTEXT_KEY)
            token, method = (bearer(raw) or raw if isinstance(raw, str) else None), None
            if token is None and rule.internal:
                return None
        principal = self.verifier.verify(token)
        allowed = (
            principal.role in rule.roles
            and (principal.role not in PROVIDER_SCOPED or self.tenant is None or principal.provider == self.tenant)
            and (principal.role != AUDITOR or method in READ_METHODS or method is None or rule.auditor_writes)
        )
        if not allowed:
            raise _forbidden()
        return principal


def _refusal(exc: Exception):
    def refuse(*_args, **_kwargs):
        raise exc

    return refuse


# --- icp-token: tokens and keys for development and tests ---------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``icp-token ROLE SUBJECT [--provider P] [--province 京] [--ttl S]`` prints a token signed with
    ``AUTH_SIGNING_KEY`` (or, while ALLOW_DEV_KEYS, the DEVELOPMENT key); ``--sponsor-mobile 1380013800`` makes the
    subject the mobile's keyed HMAC (LOOKUP_KEY), as intake's sign-in does; ``icp-token --new-key KID``
    prints a fresh private JWK and its public JWK set, for rotation."""
    parser = argparse.ArgumentParser(prog="icp-token", description=main.__doc__)
    parser.add_argument("role", nargs="?", choices=sorted(ROLES))
    parser.add_argument("subject", nargs="?")
    parser.add_argument("--provider")
    parser.add_argument("--province")
    parser.add_argument("--ttl", type=int, help="seconds; negative mints an already expired token")
    parser.add_argument("--sponsor-mobile", help="subject = HMAC of this mobile (role sponsor)")
    parser.add_argument("--new-key", metavar="KID", help="print a new Ed25519 private JWK and its JWK set")
    args = parser.parse_args(argv)
    if args.new_key:
        key = Ed25519PrivateKey.generate()
        private = {**json.loads(OKPAlgorithm.to_jwk(key)), "kid": args.new_key}
        public = {**json.loads(OKPAlgorithm.to_jwk(key.public_key())), "kid": args.new_key}
        print(json.dumps({"AUTH_SIGNING_KEY": private, "AUTH_PUBLIC_KEYS": {"keys": [public]}}, indent=2))
        return 0
    if args.role is None:
        parser.error("name a role (or --new-key)")
    subject = args.subject
    if args.sponsor_mobile:
        subject = sponsor_subject(args.sponsor_mobile, _hasher_from_env())
    if not subject:
        parser.error("name a subject (or --sponsor-mobile)")
    signer = AuthConfig.from_config({}, signs=True).signer()
    principal = _principal({"sub": subject, "role": args.role, "provider": args.provider,
                            "province": args.province})
    print(signer.mint(principal, ttl=args.ttl))
    return 0


def _hasher_from_env():
    from shared.platform.crypto import CryptoConfig

    return CryptoConfig.from_config(dict(os.environ)).hasher()


def sponsor_subject(mobile: str, hasher) -> str:
    """A sponsor's token subject: the keyed HMAC of its (canonical) mobile, the same digest precheck and intake
    keep as ``mobile_hmac``, so a proved mobile finds its filings without the number ever being in a token."""
    return hasher.digest(mobile, kind="mobile")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
