"""The portal service: routes only — each hands the request to its page in :mod:`portal.pages` (design.md §2, §9).

The sponsor site of the access provider's deployment (issue 19): the guide (W2) and the contract clause (W3)
without signing in, sign-in by SMS code (P1), the filing form in steps with each field's problems beside it, scans,
the clause, submission, the contact codes (P2), the status with its timeline, changes, cancellation and revisits
(W5). Pages are HTML (Jinja2) with htmx for the partial updates; ``/healthz``, ``/metrics`` as every service.
The staff's consoles (issue 20) under ``/staff``: :mod:`portal.consoles`.
Every route is a :data:`portal.errors.page` (its errors are HTML pages); an unknown URL is a page too.
The portal has no database and uses no broker: readiness is the process itself (a service it calls being down
shows on the page, it must not restart the portal's pods).
"""
from werkzeug.wrappers import Request

from portal.dependencies import PortalPages, StaffPages
from portal.errors import page
from portal.pages import MAX_UPLOAD
from shared.platform.logging import LogContext
from shared.platform.observability import Metrics, OpsEndpoints


class PortalService(OpsEndpoints):
    name = "portal"

    metrics = Metrics()
    log_context = LogContext()
    pages = PortalPages()
    consoles = StaffPages()

    @page("GET", "/")
    def home(self, request: Request):
        return self.pages.home(request)

    @page("GET", "/guide")
    def guide(self, request: Request):
        return self.pages.guide(request)

    @page("GET", "/clause")
    def clause(self, request: Request):
        return self.pages.clause(request)

    @page("GET", "/sign-in")
    def sign_in_form(self, request: Request):
        return self.pages.sign_in_form(request)

    @page("POST", "/sign-in/code")
    def request_code(self, request: Request):
        return self.pages.request_code(request)

    @page("POST", "/sign-in")
    def sign_in(self, request: Request):
        return self.pages.sign_in(request)

    @page("POST", "/sign-out")
    def sign_out(self, request: Request):
        return self.pages.sign_out(request)

    @page("POST", "/language")
    def language(self, request: Request):
        return self.pages.language(request)

    @page("GET", "/filings")
    def filings(self, request: Request):
        return self.pages.filings(request)

    @page("GET", "/filings/open")
    def open_filing(self, request: Request):
        return self.pages.open_filing(request)

    @page("POST", "/filings")
    def new_filing(self, request: Request):
        return self.pages.new_filing(request)

    @page("GET", "/filings/<filing_id>")
    def status(self, request: Request, filing_id: str):
        return self.pages.status(request, filing_id)

    @page("GET", "/filings/<filing_id>/steps/<step>")
    def step(self, request: Request, filing_id: str, step: str):
        return self.pages.step(request, filing_id, step)

    @page("POST", "/filings/<filing_id>/steps/<step>")
    def save_step(self, request: Request, filing_id: str, step: str):
        return self.pages.save_step(request, filing_id, step)

    @page("POST", "/filings/<filing_id>/field")
    def field(self, request: Request, filing_id: str):
        return self.pages.field(request, filing_id)

    @page("POST", "/filings/<filing_id>/documents", max_body=MAX_UPLOAD)
    def upload(self, request: Request, filing_id: str):
        return self.pages.upload(request, filing_id)

    @page("GET", "/filings/<filing_id>/documents/<document_id>")
    def preview(self, request: Request, filing_id: str, document_id: str):
        return self.pages.preview(request, filing_id, document_id)

    @page("POST", "/filings/<filing_id>/clause")
    def accept_clause(self, request: Request, filing_id: str):
        return self.pages.accept_clause(request, filing_id)

    @page("POST", "/filings/<filing_id>/submit")
    def submit(self, request: Request, filing_id: str):
        return self.pages.submit(request, filing_id)

    @page("POST", "/filings/<filing_id>/contacts/<channel>")
    def confirm_contact(self, request: Request, filing_id: str, channel: str):
        return self.pages.confirm_contact(request, filing_id, channel)

    @page("POST", "/filings/<filing_id>/contacts/<channel>/resend")
    def resend_code(self, request: Request, filing_id: str, channel: str):
        return self.pages.resend_code(request, filing_id, channel)

    @page("POST", "/filings/<filing_id>/change")
    def request_change(self, request: Request, filing_id: str):
        return self.pages.request_change(request, filing_id)

    @page("POST", "/filings/<filing_id>/cancel")
    def cancel(self, request: Request, filing_id: str):
        return self.pages.cancel(request, filing_id)

    @page("POST", "/filings/<filing_id>/revisits/<revisit_id>")
    def answer_revisit(self, request: Request, filing_id: str, revisit_id: str):
        return self.pages.answer_revisit(request, filing_id, revisit_id)

    # --- the staff's consoles (issue 20): portal.consoles ------------------------------------------------------

    @page("GET", "/staff/sign-in")
    def staff_sign_in_form(self, request: Request):
        return self.consoles.staff_sign_in_form(request)

    @page("POST", "/staff/sign-in")
    def staff_sign_in(self, request: Request):
        return self.consoles.staff_sign_in(request)

    @page("GET", "/staff")
    def staff_home(self, request: Request):
        return self.consoles.staff_home(request)

    @page("GET", "/staff/precheck")
    def precheck_queue(self, request: Request):
        return self.consoles.precheck_queue(request)

    @page("GET", "/staff/precheck/<filing_id>")
    def precheck_case(self, request: Request, filing_id: str):
        return self.consoles.precheck_case(request, filing_id)

    @page("POST", "/staff/precheck/<filing_id>/claim")
    def precheck_claim(self, request: Request, filing_id: str):
        return self.consoles.precheck_claim(request, filing_id)

    @page("POST", "/staff/precheck/<filing_id>/decision")
    def precheck_decide(self, request: Request, filing_id: str):
        return self.consoles.precheck_decide(request, filing_id)

    @page("GET", "/staff/counter")
    def counter(self, request: Request):
        return self.consoles.counter(request)

    @page("GET", "/staff/counter/<filing_id>")
    def counter_case(self, request: Request, filing_id: str):
        return self.consoles.counter_case(request, filing_id)

    @page("POST", "/staff/counter/<filing_id>/decision")
    def counter_decide(self, request: Request, filing_id: str):
        return self.consoles.counter_decide(request, filing_id)

    @page("GET", "/staff/counter/<filing_id>/forms/<copy>")
    def counter_form(self, request: Request, filing_id: str, copy: str):
        return self.consoles.counter_form(request, filing_id, copy)

    @page("GET", "/staff/reviews")
    def reviews(self, request: Request):
        return self.consoles.reviews(request)

    @page("GET", "/staff/reviews/<filing_id>")
    def review(self, request: Request, filing_id: str):
        return self.consoles.review(request, filing_id)

    @page("POST", "/staff/reviews/<filing_id>/approval")
    def review_approve(self, request: Request, filing_id: str):
        return self.consoles.review_approve(request, filing_id)

    @page("POST", "/staff/reviews/<filing_id>/return")
    def review_return(self, request: Request, filing_id: str):
        return self.consoles.review_return(request, filing_id)

    @page("POST", "/staff/reviews/<filing_id>/evidence/<item>")
    def review_evidence(self, request: Request, filing_id: str, item: str):
        return self.consoles.review_evidence(request, filing_id, item)

    @page("GET", "/staff/reports")
    def quarterly(self, request: Request):
        return self.consoles.quarterly(request)

    @page("GET", "/static/<name>")
    def static(self, request: Request, name: str):
        return self.pages.static(request, name)

    @page("GET,POST", "/<path:unknown>")
    def not_found(self, request: Request, unknown: str):
        """Any other URL: the 404 page (a more specific route always wins over this one)."""
        return self.pages.not_found(request)
