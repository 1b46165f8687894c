"""The provincial bureau's console (issue 20): the review (P8, B1), inspections (B2) and penalties (A1).

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

    @page("GET", "/staff/inspections")
    def inspections(self, request: Request):
        return self.consoles.inspections(request)

    @page("POST", "/staff/inspections")
    def plan_inspection(self, request: Request):
        return self.consoles.plan_inspection(request)

    @page("GET", "/staff/inspections/<inspection_id>")
    def inspection(self, request: Request, inspection_id: str):
        return self.consoles.inspection(request, inspection_id)

    @page("POST", "/staff/inspections/<inspection_id>/findings")
    def record_inspection(self, request: Request, inspection_id: str):
        return self.consoles.record_inspection(request, inspection_id)

    @page("GET", "/staff/penalties")
    def penalties(self, request: Request):
        return self.consoles.penalties(request)

    @page("POST", "/staff/penalties")
    def issue_penalty(self, request: Request):
        return self.consoles.issue_penalty(request)

    @page("POST", "/staff/penalties/<penalty_id>/closure")
    def close_penalty(self, request: Request, penalty_id: str):
        return self.consoles.close_penalty(request, penalty_id)
