"""The provincial bureau's public pages (issue 20), no login: the MIIT SMS check (X2) and the public query (X9).

A mixin of :class:`portal.service.PortalService`: each route hands the request to its page (``self.consoles``)."""
from werkzeug.wrappers import Request

from portal.errors import page


class PublicRoutes:
    @page("GET", "/query")
    def public_query(self, request: Request):
        return self.consoles.public_query(request)

    @page("GET", "/miit-check")
    def miit_check_form(self, request: Request):
        return self.consoles.miit_check_form(request)

    @page("POST", "/miit-check")
    def miit_check(self, request: Request):
        return self.consoles.miit_check(request)

    @page("POST", "/miit-check/resend")
    def miit_resend(self, request: Request):
        return self.consoles.miit_resend(request)
