"""Staff sign-in and who sees which console (issue 20, X6; ADR 0002, 0004).

Staff, reviewers and auditors sign in with a signed token of the organisation's identity provider; for development
the sign-in page takes one minted by ``icp-token`` (pasted). The token is kept in the encrypted session only, like
the sponsor's, and is verified on every console page with the services' own keys (``AUTH_*``): the role and scope
come from the verified token, never from the session. A console is shown only when the deployment serves its
actor (``PORTAL_ACTOR``) and the person's role is one of the console's.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Response

from portal.pages import Page, _local, _page, _posted, _SignInAgain
from shared.contracts.errors import Unauthorized
from shared.platform.auth import AUDITOR, ONSITE_VERIFIER, PRECHECK, REVIEWER, SUPERVISOR, Principal


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
        return page.render("staff/sign_in.html", next=_local(page.request.args.get("next")), errors=[])

    @_posted
    def staff_sign_in(self, page: Page) -> Response:
        """The token, verified here before it is kept: a bad one is refused on the page, naming the field."""
        form = page.form()
        token, next_ = form.get("token", "").strip(), _local(form.get("next"))
        page.session.sign_out()  # a fresh session (and CSRF token) for whoever signs in
        page.session.token = token
        principal = self.principal(page)
        if principal is None:
            page.session.sign_out()
            errors = [{"field": "token", "code": "staff_token_invalid", "message": "", "rule": "X6"}]
            return page.render("staff/sign_in.html", status=401, next=next_, errors=errors)
        page.session.who, page.session.role = principal.subject, principal.role
        return page.redirect(next_ or "/staff")

    @_page
    def staff_home(self, page: Page) -> Response:
        """The consoles the person's role allows, on this deployment."""
        principal = self.principal(page)
        if principal is None:
            return page.redirect("/staff/sign-in")
        return page.render("staff/home.html", principal=principal,
                           consoles=consoles_for(principal, self.settings.actors))
