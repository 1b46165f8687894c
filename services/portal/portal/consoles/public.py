"""The provincial bureau's public pages (issue 20; X2, X9, P8), no login, served only by a deployment that serves
the bureau (``PORTAL_ACTOR``), over the bureau's public API (no bearer token is sent, even for a person signed in).

- The MIIT SMS check (X2): after the provider sends a filing, the bureau texts the responsible person a code; here
  the person enters the filing's application number (the sponsor's status page shows it), the code and the last
  six characters of their ID document, within 24 hours. The bureau answers, in Chinese: passed; the code wrong,
  with the tries left; the check over (five wrong tries, or past the 24 hours: the filing went back to the
  provider). A wrong ID tail or an unknown filing is answered as the bureau answers it, alike. The code can be
  sent again (at most three times).
- The public query (X9): by filing number in any format, by domain or by a unit's exact name; public fields only;
  the bureau's per-client limit is counted by the visitor's address (the portal forwards it, and the bureau trusts
  the portal as a proxy), and reaching it is said with the seconds to wait.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import quote

from werkzeug.wrappers import Response

from portal.backends import Backend
from portal.pages import Page, _page, _posted

BUREAU = "provincial-bureau"
QUERY_KINDS = ("number", "domain", "name")  # the bureau's GET /public/filings parameters (X9)


def served(action: Callable) -> Callable:
    """A public page of the bureau's: the 404 page on a deployment that does not serve the bureau."""

    def guarded(self, page: Page, *args) -> Response:
        if BUREAU not in self.settings.actors:
            return page.error(404, title="error.not_found_title", hint="error.not_found_hint")
        return action(self, page, *args)

    return functools.update_wrapper(guarded, action)


def public_bureau(page: Page) -> Backend:
    """The bureau's API as the public: the visitor's language and address, no token."""
    bureau = page.api("bureau")
    bureau.headers.pop("Authorization", None)
    return bureau


def _required(field: str) -> list[dict]:
    return [{"field": field, "code": "required", "message": "", "rule": "X2"}]


class PublicPages:
    """Mixed into :class:`portal.consoles.Consoles`."""

    @_page
    @served
    def public_query(self, page: Page) -> Response:
        """X9: the form, and what the bureau answers for what was asked (nothing asked: the form only)."""
        kind = page.request.args.get("by", "number")
        kind = kind if kind in QUERY_KINDS else "number"
        asked = page.request.args.get("q", "").strip()
        if not asked:
            return page.render("public/query.html", kind=kind, asked="", kinds=QUERY_KINDS, found=None, errors=[])
        answer = public_bureau(page).get("/public/filings", params={kind: asked})
        if answer.ok:
            return page.render("public/query.html", kind=kind, asked=asked, kinds=QUERY_KINDS, found=answer.body,
                               errors=[])
        return page.render("public/query.html", status=answer.status, kind=kind, asked=asked, kinds=QUERY_KINDS,
                           found=None, errors=answer.errors, not_found=answer.status == 404)

    @_page
    @served
    def miit_check_form(self, page: Page) -> Response:
        return page.render("public/miit_check.html", filing=page.request.args.get("filing", "").strip(), id_tail="",
                           errors=[], passed=False, resent=False)

    @_posted
    @served
    def miit_check(self, page: Page) -> Response:
        """X2: the code with the ID document's last six characters; the bureau says whether it passed."""
        form = page.form()
        filing = form.get("filing", "").strip()
        tail = form.get("id_tail", "").strip()
        if not filing:
            return self._miit_again(page, filing, tail, 422, _required("filing"))
        answer = public_bureau(page).post(f"/public/miit-checks/{quote(filing, safe='')}", key=form.get("key"),
                                          json={"code": form.get("code", "").strip(), "id_tail": tail})
        if not answer.ok:
            return self._miit_again(page, filing, tail, answer.status, answer.errors)
        return page.render("public/miit_check.html", filing=filing, id_tail="", errors=[], passed=True, resent=False)

    @_posted
    @served
    def miit_resend(self, page: Page) -> Response:
        """X2: the code sent again to the responsible person's mobile (a new code, 24 hours anew; three times)."""
        form = page.form()
        filing = form.get("filing", "").strip()
        tail = form.get("id_tail", "").strip()
        if not filing:
            return self._miit_again(page, filing, tail, 422, _required("filing"))
        answer = public_bureau(page).post(f"/public/miit-checks/{quote(filing, safe='')}/resend",
                                          key=form.get("key"), json={"id_tail": tail})
        if not answer.ok:
            return self._miit_again(page, filing, tail, answer.status, answer.errors)
        return page.render("public/miit_check.html", filing=filing, id_tail=tail, errors=[], passed=False,
                           resent=True)

    def _miit_again(self, page: Page, filing: str, tail: str, status: int, errors: list[dict]) -> Response:
        return page.render("public/miit_check.html", status=status, filing=filing, id_tail=tail, errors=errors,
                           passed=False, resent=False)
