"""The provincial bureau's review console (issue 20, B1).

A mixin of :class:`portal.service.PortalService`: each route hands the request to its page (``self.consoles``)."""
from werkzeug.wrappers import Request

from portal.errors import page


class BureauRoutes:
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
