"""The access provider's consoles (issue 20): pre-verification (P2) and the on-site counter (P3–P7, X8): the
list, the case with its decision and sealed form, and one page per step of the visit; the access information
(R1.8, W5) and the verification department with its quality report (W1).

A mixin of :class:`portal.service.PortalService`: each route hands the request to its page (``self.consoles``)."""
from werkzeug.wrappers import Request

from portal.errors import page
from portal.pages import MAX_UPLOAD


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

    @page("POST", "/staff/counter/<filing_id>/appointment")
    def counter_book(self, request: Request, filing_id: str):
        return self.consoles.counter_book(request, filing_id)

    @page("GET", "/staff/counter/<filing_id>/evidence/<evidence_id>")
    def counter_evidence(self, request: Request, filing_id: str, evidence_id: str):
        return self.consoles.counter_evidence(request, filing_id, evidence_id)

    # --- the counter's steps (P4–P6, X8), one page each -----------------------------------------------------

    @page("GET", "/staff/counter/<filing_id>/steps/<step>")
    def counter_step(self, request: Request, filing_id: str, step: str):
        return self.consoles.counter_step(request, filing_id, step)

    @page("POST", "/staff/counter/<filing_id>/photo", max_body=MAX_UPLOAD)
    def counter_photo(self, request: Request, filing_id: str):
        return self.consoles.counter_photo(request, filing_id)

    @page("POST", "/staff/counter/<filing_id>/face/consent")
    def counter_face_consent(self, request: Request, filing_id: str):
        return self.consoles.counter_face_consent(request, filing_id)

    @page("POST", "/staff/counter/<filing_id>/face/comparison", max_body=MAX_UPLOAD)
    def counter_face_comparison(self, request: Request, filing_id: str):
        return self.consoles.counter_face_comparison(request, filing_id)

    @page("POST", "/staff/counter/<filing_id>/face/decision")
    def counter_face_decision(self, request: Request, filing_id: str):
        return self.consoles.counter_face_decision(request, filing_id)

    @page("POST", "/staff/counter/<filing_id>/copies/<subject>", max_body=MAX_UPLOAD)
    def counter_copy(self, request: Request, filing_id: str, subject: str):
        return self.consoles.counter_copy(request, filing_id, subject)

    @page("POST", "/staff/counter/<filing_id>/originals")
    def counter_originals(self, request: Request, filing_id: str):
        return self.consoles.counter_originals(request, filing_id)

    @page("POST", "/staff/counter/<filing_id>/corrections")
    def counter_correction(self, request: Request, filing_id: str):
        return self.consoles.counter_correction(request, filing_id)

    @page("POST", "/staff/counter/<filing_id>/domain-checks")
    def counter_domain_checks(self, request: Request, filing_id: str):
        return self.consoles.counter_domain_checks(request, filing_id)

    @page("POST", "/staff/counter/<filing_id>/domains/<name>/certificate", max_body=MAX_UPLOAD)
    def counter_domain_certificate(self, request: Request, filing_id: str, name: str):
        return self.consoles.counter_domain_certificate(request, filing_id, name)

    @page("POST", "/staff/counter/<filing_id>/domains/<name>/confirmation")
    def counter_domain_confirmation(self, request: Request, filing_id: str, name: str):
        return self.consoles.counter_domain_confirmation(request, filing_id, name)

    @page("POST", "/staff/counter/<filing_id>/access")
    def counter_access(self, request: Request, filing_id: str):
        return self.consoles.counter_access(request, filing_id)

    @page("POST", "/staff/counter/<filing_id>/agreement")
    def counter_agreement(self, request: Request, filing_id: str):
        return self.consoles.counter_agreement(request, filing_id)

    # --- the access information (R1.8, W5) and the department (W1) ------------------------------------------

    @page("GET", "/staff/hosting")
    def hosting(self, request: Request):
        return self.consoles.hosting(request)

    @page("GET", "/staff/hosting/<filing_id>")
    def hosting_filing(self, request: Request, filing_id: str):
        return self.consoles.hosting_filing(request, filing_id)

    @page("POST", "/staff/hosting/<filing_id>")
    def hosting_save(self, request: Request, filing_id: str):
        return self.consoles.hosting_save(request, filing_id)

    @page("GET", "/staff/department")
    def department(self, request: Request):
        return self.consoles.department(request)

    @page("GET", "/staff/department/quality.csv")
    def department_csv(self, request: Request):
        return self.consoles.department_csv(request)

    @page("POST", "/staff/department/members")
    def department_member(self, request: Request):
        return self.consoles.department_member(request)
