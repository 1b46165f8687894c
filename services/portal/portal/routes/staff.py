"""The staff's sign-in and home page (issue 20, X6): :mod:`portal.consoles.access`.

A mixin of :class:`portal.service.PortalService`: each route hands the request to its page (``self.consoles``)."""
from werkzeug.wrappers import Request

from portal.errors import page


class StaffRoutes:
    @page("GET", "/staff/sign-in")
    def staff_sign_in_form(self, request: Request):
        return self.consoles.staff_sign_in_form(request)

    @page("POST", "/staff/sign-in")
    def staff_sign_in(self, request: Request):
        return self.consoles.staff_sign_in(request)

    @page("GET", "/staff/sign-in/idp")
    def staff_sign_in_idp(self, request: Request):
        return self.consoles.staff_sign_in_idp(request)

    @page("GET", "/staff/sign-in/callback")
    def staff_sign_in_callback(self, request: Request):
        return self.consoles.staff_sign_in_callback(request)

    @page("GET", "/staff")
    def staff_home(self, request: Request):
        return self.consoles.staff_home(request)
