"""HTML error pages where the platform answers JSON (issue 19): a person reads a page, in Chinese, never an API's
error body.

- An unknown URL (GET or POST, what a browser sends) is taken by the catch-all route, whose page
  (:meth:`portal.pages.Portal.not_found`) says so in the person's language with the way back.
- Whatever a page does not answer itself (a body over the route's limit, 413; an unexpected exception, 500) is
  answered by :class:`PageHttp` as the error page, in Chinese (no session is open there), with the security
  headers of every page; its status and its log line are the platform's (``shared.platform.http``).

Other methods on unknown URLs (PUT, DELETE...) come from programs, not browsers, and keep the platform's JSON 405.
"""
from __future__ import annotations

from werkzeug.wrappers import Response

from portal.pages import ENVIRONMENTS, SECURITY_HEADERS
from portal.sessions import Session
from shared.i18n import DEFAULT_LOCALE
from shared.platform.http import JsonHttp

# The page's heading and the sentence below it, by status (message keys of the catalogue).
TITLES = {404: "error.not_found_title", 413: "error.too_large_title"}
HINTS = {404: "error.not_found_hint", 413: "error.too_large_hint", 500: "error.internal_hint"}


def error_page(status: int) -> Response:
    """The error page for ``status`` without a session: nothing but the heading, the sentence, the way back."""
    html = ENVIRONMENTS[DEFAULT_LOCALE].get_template("error.html").render(
        session=Session(csrf=""), csrf="", path="/", errors=[], title=TITLES.get(status, "error.title"),
        hint=HINTS.get(status))
    response = Response(html, status=status, mimetype="text/html")
    response.headers.extend(SECURITY_HEADERS)
    response.headers["Content-Language"] = DEFAULT_LOCALE.replace("_", "-")
    return response


class PageHttp(JsonHttp):
    """``@page``: a portal route. The platform's limits and logging, but an error page instead of a JSON body."""

    def response_from_exception(self, exc: Exception) -> Response:
        return error_page(super().response_from_exception(exc).status_code)


page = PageHttp.decorator
