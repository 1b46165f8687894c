"""The sponsor site's pages (issue 19: P1, P2, W2, W3, W5, changes and cancellation), one method per route.

Each request gets a :class:`Page`: its session (opened from the cookie), the language it reads, and the services'
APIs as the signed-in person. A method reads and writes only through those APIs and renders what they answer;
every rule (what is required, who may do what, which state allows what) stays in the service that owns it.
"""
from __future__ import annotations

import functools
import mimetypes
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
import structlog
from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.wrappers import Request, Response

from portal import forms
from portal.backends import Answer, Backend, BackendUnavailable
from portal.sessions import Session, SessionCodec
from shared.i18n import LOCALES, beijing, enum_name, error_text, label, message, negotiate, translations
from shared.kernel.provinces import province_by_abbr
from shared.platform.clients import client_address

log = structlog.get_logger(__name__)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
HTMX = "htmx-2.0.11.min.js"
# No inline script or style anywhere; htmx's own indicator style is switched off (base.html's htmx-config).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# The states in which intake lets the sponsor edit and resubmit (its domain.EDITABLE): only to offer the link;
# intake refuses an edit in any other state.
EDITABLE_STATES = {"draft", "precheck_failed", "onsite_window_expired", "onsite_rejected", "change_draft"}
MIIT_SITE = "https://beian.miit.gov.cn/"  # 工业和信息化部政务服务平台, where the footer's number links (P8 SMS)
MAX_UPLOAD = 11 * 1024 * 1024  # intake's 10 MiB scan and the multipart framing around it


@dataclass
class Settings:
    """What every page needs from the deployment (``dependencies.PortalSettings``)."""

    urls: dict[str, str]
    timeout: float
    codec: SessionCodec
    http: requests.Session
    actors: tuple[str, ...]
    proxies: tuple = ()  # TRUSTED_PROXIES in front of the portal (an ingress): whose X-Forwarded-For it believes
    verifier: object = None  # shared.platform.auth.TokenVerifier: the staff's role from their token (issue 20)
    identity_provider: object = None  # portal.oidc.IdentityProvider: the staff's sign-in (None: not configured)
    dev_tokens: bool = False  # ALLOW_DEV_KEYS: the staff's sign-in also takes a pasted icp-token token


def _environments() -> dict[str, Environment]:
    environments = {}
    for locale in LOCALES:
        env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(),
                          extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
        env.install_gettext_translations(translations(locale), newstyle=True)
        env.filters.update(beijing=beijing, field_error=lambda e, loc=locale: error_text(e, loc),
                           label=lambda f, loc=locale: label(f, loc),
                           enum=lambda v, kind, loc=locale: enum_name(kind, v, loc))
        env.globals.update(message=lambda key, loc=locale, **p: message(key, loc, **p), locale=locale, htmx=HTMX,
                           miit_site=MIIT_SITE,
                           new_key=lambda: str(uuid.uuid4()))  # a form's Idempotency-Key: sent twice, one action
        environments[locale] = env
    return environments


ENVIRONMENTS = _environments()


class Page:
    """One request as the person making it: session, language, and the services' APIs on their behalf."""

    def __init__(self, settings: Settings, request: Request):
        self.settings, self.request = settings, request
        self.session = settings.codec.open(request.cookies.get(settings.codec.cookie_name)) or Session()
        self.locale = self.session.lang or negotiate(request.headers.get("Accept-Language"))
        self.htmx = request.headers.get("HX-Request") == "true"

    def api(self, service: str) -> Backend:
        if service not in self.settings.urls:  # not a service this actor's portal calls
            raise BackendUnavailable(f"{service} is not configured for this portal")
        return Backend(self.settings.http, self.settings.urls[service], self.settings.timeout, self.session.token,
                       self.locale, client=client_address(self.request, self.settings.proxies))

    def render(self, template: str, status: int = 200, **context) -> Response:
        env = ENVIRONMENTS[self.locale]
        html = env.get_template(template).render(session=self.session, csrf=self.session.csrf, path=self.request.path,
                                                 actors=self.settings.actors, **context)
        return self.finish(Response(html, status=status, mimetype="text/html"))

    def redirect(self, location: str) -> Response:
        response = Response(status=303, headers={"Location": location})
        if self.htmx:  # htmx follows a redirect inside the swap; the whole page should go there
            response = Response(status=200, headers={"HX-Redirect": location})
        return self.finish(response)

    def finish(self, response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["Content-Language"] = self.locale.replace("_", "-")
        self.settings.codec.set_cookie(response, self.session)
        return response

    def error(self, status: int, errors: list[dict] | None = None, title: str = "error.title",
              hint: str | None = None) -> Response:
        return self.render("error.html", status=status, errors=errors or [], title=title, hint=hint)

    def form(self) -> dict[str, str]:
        return {key: value for key, value in self.request.form.items()}


def _posted(action: Callable) -> Callable:
    """A POST route: refused (403) unless the form, or htmx's header, carries the session's CSRF token."""

    def checked(self: Portal, request: Request, *args) -> Response:
        page = Page(self.settings, request)
        presented = request.form.get("csrf") or request.headers.get("X-CSRF-Token")
        if not page.session.csrf_ok(presented):
            return page.error(403, [{"field": "", "code": "csrf", "message": "", "rule": ""}], "error.csrf_title")
        return _answered(page, action, self, *args)

    functools.update_wrapper(checked, action).csrf_checked = True  # checked for every POST in tests/contract
    return checked


def _answered(page: Page, action: Callable, portal: Portal, *args) -> Response:
    """The page, or a 503 page when a service it needs did not answer (nothing of the service's error leaks)."""
    try:
        return action(portal, page, *args)
    except BackendUnavailable as exc:
        log.warning("backend_unavailable", detail=str(exc))
        return page.error(503, [{"field": "", "code": "unavailable", "message": "", "rule": ""}])


def _page(action: Callable) -> Callable:
    def opened(self: Portal, request: Request, *args) -> Response:
        return _answered(Page(self.settings, request), action, self, *args)

    return functools.update_wrapper(opened, action)


def _signed_in(action: Callable) -> Callable:
    """A page for a signed-in sponsor: the sign-in page first otherwise, or again when the token has expired
    (the service answered 401)."""

    def guarded(self: Portal, page: Page, *args) -> Response:
        if not page.session.signed_in:
            return page.redirect(f"/sign-in?next={page.request.path}")
        try:
            return action(self, page, *args)
        except _SignInAgain:
            page.session.sign_out()
            return page.redirect(f"/sign-in?next={page.request.path}")

    functools.update_wrapper(guarded, action).signed_in_only = True  # checked for /filings/* in tests/contract
    return guarded


class _SignInAgain(Exception):
    pass


def _checked(answer: Answer) -> Answer:
    if answer.status == 401:
        raise _SignInAgain
    return answer


class Portal:
    """The pages; ``settings`` come from the deployment."""

    def __init__(self, settings: Settings):
        self.settings = settings

    # --- before signing in (W2, W3) ------------------------------------------------------------------------

    @_page
    def home(self, page: Page) -> Response:
        """The sponsor site's start; another actor's portal starts at its own pages (issue 20): the bureau's at
        its public query, the filing center's at the staff's consoles."""
        if "access-provider" not in self.settings.actors:
            return page.redirect("/query" if "provincial-bureau" in self.settings.actors else "/staff")
        return page.render("home.html", unit_types=forms.options("sponsor.unit_type", {}))

    @_page
    def guide(self, page: Page) -> Response:
        """W2: the documents each kind of sponsor needs and the procedure, before signing in."""
        kind = page.request.args.get("kind") or "unit"
        unit_type = page.request.args.get("unit_type") or ("enterprise" if kind == "unit" else None)
        params = {"kind": kind, **({"unit_type": unit_type} if kind == "unit" else {})}
        answer = page.api("intake").get("/guide", params=params)
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        return page.render("guide.html", guide=answer.body, kind=kind, unit_type=unit_type,
                           unit_types=forms.options("sponsor.unit_type", {}))

    @_page
    def clause(self, page: Page) -> Response:
        """W3: the contract clause, verbatim."""
        answer = page.api("intake").get("/contract-clause")
        return page.render("clause.html", clause=answer.body) if answer.ok else page.error(answer.status,
                                                                                           answer.errors)

    @_page
    def sign_in_form(self, page: Page) -> Response:
        return page.render("sign_in.html", next=_local(page.request.args.get("next")), mobile="", sent=False,
                           errors=[])

    @_posted
    def request_code(self, page: Page) -> Response:
        """P1: intake sends a one-time code to the mobile by SMS."""
        form = page.form()
        mobile, next_ = form.get("mobile", "").strip(), _local(form.get("next"))
        answer = page.api("intake").post("/sign-in/code", json={"mobile": mobile}, key=form.get("key"))
        if not answer.ok:
            return page.render("sign_in.html", status=answer.status, next=next_, mobile=mobile, sent=False,
                               errors=answer.errors)
        return page.render("sign_in.html", next=next_, mobile=mobile, sent=True, errors=[])

    @_posted
    def sign_in(self, page: Page) -> Response:
        """P1: mobile and code -> the sponsor's token, kept in the session only."""
        form = page.form()
        mobile, next_ = form.get("mobile", "").strip(), _local(form.get("next"))
        answer = page.api("intake").post("/sign-in", json={"mobile": mobile, "code": form.get("code", "").strip()},
                                         key=form.get("key"))
        if not answer.ok:
            return page.render("sign_in.html", status=answer.status, next=next_, mobile=mobile, sent=True,
                               errors=answer.errors)
        page.session.sign_out()  # a fresh session (and CSRF token) for the signed-in person
        page.session.token = answer.body["token"]
        page.session.who = f"{mobile[:3]}****{mobile[-4:]}"
        return page.redirect(next_ or "/filings")

    @_posted
    def sign_out(self, page: Page) -> Response:
        page.session.sign_out()
        return page.redirect("/")

    @_posted
    def language(self, page: Page) -> Response:
        chosen = page.form().get("lang")
        page.session.lang = chosen if chosen in LOCALES else None
        page.locale = page.session.lang or page.locale
        return page.redirect(_local(page.form().get("next")) or "/")

    # --- the filings ----------------------------------------------------------------------------------------

    @_page
    @_signed_in
    def filings(self, page: Page) -> Response:
        """The filings of this session, newest first, each with its state."""
        intake, listed = page.api("intake"), []
        for filing_id in page.session.filings:
            answer = _checked(intake.get(f"/filings/{filing_id}"))
            if answer.ok:
                listed.append(answer.body)
        return page.render("filings.html", filings=listed, unit_types=forms.options("sponsor.unit_type", {}))

    @_page
    @_signed_in
    def open_filing(self, page: Page) -> Response:
        """A filing by its id (e.g. from an SMS or another device): remembered in the session if it is one's own."""
        filing_id = page.request.args.get("id", "").strip()
        return page.redirect(f"/filings/{filing_id}" if filing_id else "/filings")

    @_posted
    @_signed_in
    def new_filing(self, page: Page) -> Response:
        """P1: a draft for a unit of a type, or an individual."""
        form = page.form()
        sponsor = {"kind": form.get("kind", "")}
        if sponsor["kind"] == "unit":
            sponsor["unit_type"] = form.get("unit_type", "")
        answer = _checked(page.api("intake").post("/filings", json={"sponsor": sponsor}, key=form.get("key")))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        page.session.remember(answer.body["id"])
        return page.redirect(f"/filings/{answer.body['id']}/steps/sponsor")

    def _filing(self, page: Page, filing_id: str) -> Answer:
        answer = _checked(page.api("intake").get(f"/filings/{filing_id}"))
        if answer.ok:
            page.session.remember(filing_id)
        return answer

    @_page
    @_signed_in
    def step(self, page: Page, filing_id: str, name: str) -> Response:
        answer = self._filing(page, filing_id)
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        return self._render_step(page, answer.body, name, show_all=False)

    def _render_step(self, page: Page, filing: dict, name: str, *, show_all: bool, status: int = 200,
                     errors: list[dict] | None = None) -> Response:
        kind = (filing["data"].get("sponsor") or {}).get("kind") or "individual"
        step = forms.step_named(kind, name)
        if step is None:
            return page.error(404)
        context = {"filing": filing, "kind": kind, "steps": forms.steps(kind), "step": step,
                   "show_all": show_all, "errors": errors or [], "forms": forms,
                   "editable": filing["state"] in EDITABLE_STATES, "next_step": forms.next_step(kind, name),
                   "problems_by_step": _by_step(kind, filing["problems"])}
        if name == "clause":
            context["clause"] = _checked(page.api("intake").get("/contract-clause")).body
        return page.render("step.html", status=status, **context)

    @_posted
    @_signed_in
    def save_step(self, page: Page, filing_id: str, name: str) -> Response:
        """Save the step's fields (a partial edit); on to the next step when intake names no problem of them."""
        answer = self._filing(page, filing_id)
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        filing = answer.body
        kind = (filing["data"].get("sponsor") or {}).get("kind") or "individual"
        step = forms.step_named(kind, name)
        if step is None:
            return page.error(404)
        patch = forms.patch_for(filing["data"], page.form(), step.fields)
        if patch:
            answer = _checked(page.api("intake").patch(f"/filings/{filing_id}", json=patch))
            if not answer.ok:
                return self._render_step(page, filing, name, show_all=True, status=answer.status,
                                         errors=answer.errors)
            filing = answer.body
        open_here = _by_step(kind, filing["problems"]).get(name)
        following = forms.next_step(kind, name)
        if open_here and not page.form().get("skip") and not all(f.provider_only for f in step.fields):
            return self._render_step(page, filing, name, show_all=True)
        return page.redirect(f"/filings/{filing_id}/steps/{following or name}")

    @_posted
    @_signed_in
    def field(self, page: Page, filing_id: str) -> Response:
        """htmx, as a field is left: save it and answer the field again with intake's problems for it."""
        answer = self._filing(page, filing_id)
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        filing = answer.body
        kind = (filing["data"].get("sponsor") or {}).get("kind") or "individual"
        path = page.form().get("field", "")
        field = next((f for s in forms.steps(kind) for f in s.fields if f.path == path), None)
        if field is None or field.provider_only:
            return page.error(400)
        answer = _checked(page.api("intake").patch(f"/filings/{filing_id}",
                                                   json=forms.patch_for(filing["data"], page.form(), (field,))))
        errors = [] if answer.ok else answer.errors
        if answer.ok:
            filing = answer.body
        return page.render("field.html", filing=filing, field=field, forms=forms, show=True, errors=errors)

    @_posted
    @_signed_in
    def upload(self, page: Page, filing_id: str) -> Response:
        """A scan, passed to intake as it came (intake decodes and keeps it)."""
        upload = page.request.files.get("scan")
        kind = page.form().get("kind", "")
        if upload is None or not upload.filename:
            errors = [{"field": "documents", "code": "no_file", "message": "", "rule": "P5"}]
            return self._after_upload(page, filing_id, errors)
        body = upload.read()
        content_type = upload.mimetype or mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        answer = _checked(page.api("intake").post(f"/filings/{filing_id}/documents", params={"kind": kind},
                                                  data=body, headers={"Content-Type": content_type},
                                                  key=page.form().get("key")))
        return self._after_upload(page, filing_id, [] if answer.ok else answer.errors)

    def _after_upload(self, page: Page, filing_id: str, errors: list[dict]) -> Response:
        if not errors:
            return page.redirect(f"/filings/{filing_id}/steps/documents")
        return self._step_again(page, filing_id, "documents", 422, errors)

    @_page
    @_signed_in
    def preview(self, page: Page, filing_id: str, document_id: str) -> Response:
        """A scan as the sponsor uploaded it, fetched by the portal through intake's short-lived link (the link
        never reaches the browser; intake records the opening, W4)."""
        answer = _checked(page.api("intake").get(f"/filings/{filing_id}/documents/{document_id}"))
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        fetched = page.api("intake").fetch(answer.body["url"])
        if fetched.status_code != 200:
            return page.error(502)
        content_type = answer.body["document"]["content_type"]
        response = Response(fetched.content, mimetype=content_type)
        response.headers["Content-Disposition"] = "inline"
        response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
        return page.finish(response)

    @_posted
    @_signed_in
    def accept_clause(self, page: Page, filing_id: str) -> Response:
        """W3: the clause shown, accepted by its SHA-256."""
        if page.form().get("accepted") != "yes":
            errors = [{"field": "contract_acceptance", "code": "not_accepted", "message": "", "rule": "W3"}]
            return self._step_again(page, filing_id, "clause", 422, errors)
        answer = _checked(page.api("intake").post(
            f"/filings/{filing_id}/contract-acceptance", key=page.form().get("key"),
            json={"clause_sha256": page.form().get("clause_sha256", ""), "accepted": True}))
        if not answer.ok:
            return self._step_again(page, filing_id, "clause", answer.status, answer.errors)
        return page.redirect(f"/filings/{filing_id}/steps/submit")

    @_posted
    @_signed_in
    def submit(self, page: Page, filing_id: str) -> Response:
        """P1: submit; intake answers every problem at once, shown on the review step."""
        answer = _checked(page.api("intake").post(f"/filings/{filing_id}/submit", key=page.form().get("key")))
        if not answer.ok:
            return self._step_again(page, filing_id, "submit", answer.status, answer.errors)
        return page.redirect(f"/filings/{filing_id}")

    def _step_again(self, page: Page, filing_id: str, name: str, status: int, errors: list[dict]) -> Response:
        """The step once more, every problem shown, with what the service refused."""
        filing = self._filing(page, filing_id)
        if not filing.ok:
            return page.error(filing.status, filing.errors)
        return self._render_step(page, filing.body, name, show_all=True, status=status, errors=errors)

    # --- after submitting: status, codes, changes, cancellation, revisits -------------------------------------

    @_page
    @_signed_in
    def status(self, page: Page, filing_id: str) -> Response:
        """The filing's state, timeline, what happens next and by when; the contact codes to confirm (P2); the
        filing number with the footer to show (P8); changes, cancellation and revisits (W5)."""
        answer = self._filing(page, filing_id)
        if not answer.ok:
            return page.error(answer.status, answer.errors)
        filing = answer.body
        intake = page.api("intake")
        timeline = _checked(intake.get(f"/filings/{filing_id}/timeline")).body.get("timeline", [])
        case = _checked(page.api("precheck").get(f"/filings/{filing_id}"))
        revisits = _checked(intake.get(f"/filings/{filing_id}/revisits"))
        passed = next((e for e in reversed(timeline) if e["state"] == "precheck_passed"), None)
        reasons = next((e.get("reasons") for e in reversed(timeline) if e.get("reasons")), None)
        number = filing.get("filing_number")
        return page.render("status.html", filing=filing, timeline=timeline, case=case.body if case.ok else None,
                           revisits=revisits.body.get("revisits", []) if revisits.ok else [], passed=passed,
                           reasons=reasons, editable=filing["state"] in EDITABLE_STATES, number=number,
                           province=_province_name(filing))

    @_posted
    @_signed_in
    def confirm_contact(self, page: Page, filing_id: str, channel: str) -> Response:
        """P2: the code received by SMS or e-mail, confirmed at precheck."""
        answer = _checked(page.api("precheck").post(f"/filings/{filing_id}/contacts/{channel}/confirmation",
                                                    json={"code": page.form().get("code", "").strip()},
                                                    key=page.form().get("key")))
        return self._status_or_errors(page, filing_id, answer)

    @_posted
    @_signed_in
    def resend_code(self, page: Page, filing_id: str, channel: str) -> Response:
        answer = _checked(page.api("precheck").post(f"/filings/{filing_id}/contacts/{channel}/resend",
                                                    key=page.form().get("key")))
        return self._status_or_errors(page, filing_id, answer)

    @_posted
    @_signed_in
    def request_change(self, page: Page, filing_id: str) -> Response:
        """备案变更: a change draft of the approved filing, edited in the same steps."""
        answer = _checked(page.api("intake").post(f"/filings/{filing_id}/changes", key=page.form().get("key")))
        if answer.ok:
            return page.redirect(f"/filings/{filing_id}/steps/sponsor")
        return self._status_or_errors(page, filing_id, answer)

    @_posted
    @_signed_in
    def cancel(self, page: Page, filing_id: str) -> Response:
        """注销."""
        answer = _checked(page.api("intake").post(f"/filings/{filing_id}/cancellation", key=page.form().get("key"),
                                                  json={"reason": page.form().get("reason", "").strip()}))
        return self._status_or_errors(page, filing_id, answer)

    @_posted
    @_signed_in
    def answer_revisit(self, page: Page, filing_id: str, revisit_id: str) -> Response:
        """W5: the data is still right, or a change opens to update it."""
        reply = page.form().get("answer", "")
        answer = _checked(page.api("intake").post(f"/filings/{filing_id}/revisits/{revisit_id}/answer",
                                                  json={"answer": reply}, key=page.form().get("key")))
        if answer.ok and reply == "update":
            return page.redirect(f"/filings/{filing_id}/steps/sponsor")
        return self._status_or_errors(page, filing_id, answer)

    def _status_or_errors(self, page: Page, filing_id: str, answer: Answer) -> Response:
        if answer.ok:
            return page.redirect(f"/filings/{filing_id}")
        filing = self._filing(page, filing_id)
        if not filing.ok:
            return page.error(filing.status, filing.errors)
        return page.error(answer.status, answer.errors, "error.action_title")

    @_page
    def not_found(self, page: Page) -> Response:
        """No page has this URL (issue 19): a page that says so, not the API's JSON."""
        return page.error(404, title="error.not_found_title", hint="error.not_found_hint")

    # --- static files -------------------------------------------------------------------------------------

    def static(self, request: Request, name: str) -> Response:
        path = (STATIC / name).resolve()
        if path.parent != STATIC or not path.is_file() or path.suffix not in (".js", ".css", ".svg"):
            return Page(self.settings, request).error(404, title="error.not_found_title", hint="error.not_found_hint")
        content_type = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}[path.suffix]
        response = Response(path.read_bytes(), mimetype=content_type)
        response.headers["Cache-Control"] = "public, max-age=3600"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _by_step(kind: str, problems: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for problem in problems:
        grouped.setdefault(forms.step_of(kind, problem["field"]), []).append(problem)
    return grouped


def _local(target: str | None) -> str | None:
    """Only a path on this site as the place to go after signing in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _province_name(filing: dict) -> str:
    abbr = (filing["data"].get("sponsor") or {}).get("province")
    try:
        return province_by_abbr(abbr).name if abbr else ""
    except ValueError:
        return abbr
