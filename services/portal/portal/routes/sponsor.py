"""The sponsor site (issue 19): the guide (W2) and the clause (W3) without signing in, sign-in by SMS code (P1),
the filing form in steps, scans, submission, the contact codes (P2), the status, changes, cancellation and
revisits (W5); static files and the 404 page.

A mixin of :class:`portal.service.PortalService`: each route hands the request to its page (``self.pages``)."""
from werkzeug.wrappers import Request

from portal.errors import page
from portal.pages import MAX_UPLOAD


class SponsorRoutes:
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

    @page("GET", "/static/<name>")
    def static(self, request: Request, name: str):
        return self.pages.static(request, name)

    @page("GET,POST", "/<path:unknown>")
    def not_found(self, request: Request, unknown: str):
        """Any other URL: the 404 page (a more specific route always wins over this one)."""
        return self.pages.not_found(request)
