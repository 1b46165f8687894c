"""Staff sign-in and who sees which console (issue 20, X6; ADR 0002, 0004).

Staff, reviewers and auditors sign in with the organisation's identity provider (OpenID Connect, the
authorization-code flow with PKCE: :mod:`portal.oidc`, ADR 0007), which gives the signed access token the services'
APIs accept; for development (ALLOW_DEV_KEYS) the sign-in page also takes one minted by ``icp-token`` (pasted).
The token is kept in the encrypted session only, like
the sponsor's, and is verified on every console page with the services' own keys (``AUTH_*``): the role and scope
come from the verified token, never from the session. A console is shown only when the deployment serves its
actor (``PORTAL_ACTOR``) and the person's role is one of the console's.
"""
from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from werkzeug.wrappers import Response

from portal.oidc import Pending, SignInRefused, Tokens, pending_of
from portal.pages import Page, _local, _page, _posted, _SignInAgain
from shared.contracts.errors import Unauthorized
from shared.platform.auth import ALGORITHM, AUDITOR, ONSITE_VERIFIER, PRECHECK, REVIEWER, SUPERVISOR, Principal


@dataclass(frozen=True)
class Console:
    name: str  # the message key of its title is console.<name>
    actor: str  # the PORTAL_ACTOR whose deployment serves it
    roles: frozenset[str]
    home: str


CONSOLES = (
    Console("precheck", "access-provider", frozenset({PRECHECK, SUPERVISOR}), "/staff/precheck"),
    Console("counter", "access-provider", frozenset({ONSITE_VERIFIER, SUPERVISOR}), "/staff/counter"),
    Console("hosting", "access-provider", frozenset({PRECHECK, ONSITE_VERIFIER, SUPERVISOR}), "/staff/hosting"),
    Console("department", "access-provider", frozenset({SUPERVISOR}), "/staff/department"),
    Console("bureau", "provincial-bureau", frozenset({REVIEWER}), "/staff/reviews"),
    Console("center", "filing-center", frozenset({AUDITOR}), "/staff/reports"),
    Console("stewardship", "access-provider", frozenset({SUPERVISOR}), "/staff/revisits"),  # W5, W6
)


def consoles_for(principal: Principal, actors: tuple[str, ...]) -> list[Console]:
    """The consoles this deployment serves that the person's role allows."""
    return [c for c in CONSOLES if c.actor in actors and principal.role in c.roles]


def staff_only(console: str) -> Callable:
    """A console page: the staff sign-in first without a valid token (or when a service answers 401), and a 403
    page for a role the console is not for, or a console this deployment does not serve."""

    def wrap(action: Callable) -> Callable:
        def guarded(self, page: Page, *args) -> Response:
            principal = self.principal(page)
            if principal is None:
                return page.redirect(f"/staff/sign-in?next={page.request.path}")
            if console not in {c.name for c in consoles_for(principal, self.settings.actors)}:
                return page.error(403, title="console.forbidden_title", hint="console.forbidden_hint")
            page.principal = principal
            try:
                return action(self, page, *args)
            except _SignInAgain:
                page.session.sign_out()
                return page.redirect(f"/staff/sign-in?next={page.request.path}")

        functools.update_wrapper(guarded, action).staff_only = console  # checked for /staff/* in tests/contract
        return guarded

    return wrap


def acted(page: Page, answer, again: Callable[[int, list], Response], location: str) -> Response:
    """A console form's outcome: on to ``location``, or its page ``again`` with what the service refused."""
    return page.redirect(location) if answer.ok else again(answer.status, answer.errors)


class StaffAccess:
    """Sign-in, sign-out and the list of one's consoles; ``settings`` come from the deployment."""

    def __init__(self, settings):
        self.settings = settings

    def principal(self, page: Page) -> Principal | None:
        """The signed-in person as their token says, or None (no token, a sponsor's, expired, forged)."""
        if not page.session.token or self.settings.verifier is None:
            return None
        try:
            principal = self.settings.verifier.verify(page.session.token)
        except Unauthorized:  # expired, forged, another audience: sign in again
            return None
        return principal if any(principal.role in c.roles for c in CONSOLES) else None  # a sponsor's is no staff's

    @_page
    def staff_sign_in_form(self, page: Page) -> Response:
        """The identity provider's button when one is configured; the pasted token's form only with
        ALLOW_DEV_KEYS; neither: this deployment has no staff sign-in (503)."""
        return self._sign_in_page(page, _local(page.request.args.get("next")))

    def _sign_in_page(self, page: Page, next_: str | None, status: int = 200, errors=()) -> Response:
        idp, dev = self.settings.identity_provider is not None, self.settings.dev_tokens
        return page.render("staff/sign_in.html", status=status if idp or dev else 503, next=next_,
                           errors=list(errors), idp=idp, dev=dev)

    @_posted
    def staff_sign_in(self, page: Page) -> Response:
        """Development only (ALLOW_DEV_KEYS): the pasted token, verified here before it is kept: a bad one is
        refused on the page, naming the field."""
        form = page.form()
        token, next_ = form.get("token", "").strip(), _local(form.get("next"))
        if not self.settings.dev_tokens:
            return page.error(403, title="staff.sign_in_failed_title", hint="staff.dev_tokens_off")
        page.session.sign_out()  # a fresh session (and CSRF token) for whoever signs in
        page.session.token = token
        principal = self.principal(page)
        if principal is None:
            page.session.sign_out()
            errors = [{"field": "token", "code": "staff_token_invalid", "message": "", "rule": "X6"}]
            return self._sign_in_page(page, next_, 401, errors)
        page.session.who, page.session.role = principal.subject, principal.role
        return page.redirect(next_ or "/staff")

    @_page
    def staff_sign_in_idp(self, page: Page) -> Response:
        """Off to the identity provider's authorization endpoint; the session keeps the state, the nonce and the
        PKCE verifier (a new sign-in replaces one left unfinished)."""
        idp = self.settings.identity_provider
        if idp is None:
            return page.error(404, title="error.not_found_title", hint="error.not_found_hint")
        try:
            location, pending = idp.begin(_local(page.request.args.get("next")))
        except SignInRefused as refused:
            return _refused(page, refused)
        page.session.signing_in = pending.sealed()
        return page.redirect(location)

    @_page
    def staff_sign_in_callback(self, page: Page) -> Response:
        """Back from the identity provider: the state is this session's, the IdP sent a code, the token endpoint
        gives an access token for it (client secret, verifier), the services' verifier accepts it, the ID token
        (if one comes) carries this sign-in's nonce, and the role has a console here; then signed in as with a
        pasted token. Any failure: an error page naming the step, and nothing kept."""
        idp, args = self.settings.identity_provider, page.request.args
        pending = pending_of(page.session.signing_in)
        page.session.signing_in = None  # one use: a replayed callback finds no sign-in pending
        try:
            if idp is None or pending is None or not secrets.compare_digest(args.get("state", ""), pending.state):
                raise SignInRefused("oidc_state", 400)
            if args.get("error") or not args.get("code"):
                raise SignInRefused("oidc_denied")
            tokens = idp.finish(args["code"], pending)
            principal = self._verified(tokens, idp, pending)
        except SignInRefused as refused:
            return _refused(page, refused)
        page.session.sign_out()  # a fresh session (and CSRF token) for whoever signs in
        page.session.token, page.session.who, page.session.role = tokens.access_token, principal.subject, \
            principal.role
        return page.redirect(pending.next or "/staff")

    def _verified(self, tokens: Tokens, idp, pending: Pending) -> Principal:
        try:
            principal = self.settings.verifier.verify(tokens.access_token)
        except Unauthorized:
            raise SignInRefused("oidc_token_refused") from None
        if tokens.id_token is not None and _nonce(tokens.id_token, self.settings.verifier, idp) != pending.nonce:
            raise SignInRefused("oidc_nonce")
        if not consoles_for(principal, self.settings.actors):
            raise SignInRefused("oidc_no_console", 403)
        return principal

    @_page
    def staff_home(self, page: Page) -> Response:
        """The consoles the person's role allows, on this deployment."""
        principal = self.principal(page)
        if principal is None:
            return page.redirect("/staff/sign-in")
        return page.render("staff/home.html", principal=principal,
                           consoles=consoles_for(principal, self.settings.actors))


def _nonce(id_token: str, verifier, idp) -> str | None:
    """The nonce of an ID token the IdP signed (a key of AUTH_PUBLIC_KEYS, the services' verifier's), issued by
    the configured issuer for this client; None for any other."""
    try:
        key = verifier.keys.get(jwt.get_unverified_header(id_token).get("kid"))
        claims = jwt.decode(id_token, key, algorithms=[ALGORITHM], audience=idp.client_id, leeway=verifier.leeway,
                            options={"require": ["exp", "iat", "iss", "aud", "sub"]})
    except (jwt.PyJWTError, TypeError):
        return None
    if str(claims.get("iss", "")).rstrip("/") != idp.issuer:
        return None
    return claims.get("nonce") if isinstance(claims.get("nonce"), str) else None


def _refused(page: Page, refused: SignInRefused) -> Response:
    """The sign-in's error page, in the person's language, naming the step that failed; the session keeps
    nothing of the attempt."""
    page.session.sign_out()
    errors = [{"field": "", "code": refused.code, "message": "", "rule": "X6"}]
    return page.error(refused.status, errors, title="staff.sign_in_failed_title", hint="staff.sign_in_again")
