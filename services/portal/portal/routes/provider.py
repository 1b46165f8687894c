"""The access provider's consoles (issue 20): pre-verification (P2) and the on-site counter (P4–P7).

A mixin of :class:`portal.service.PortalService`: each route hands the request to its page (``self.consoles``)."""
from werkzeug.wrappers import Request

from portal.errors import page


class ProviderRoutes:
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
