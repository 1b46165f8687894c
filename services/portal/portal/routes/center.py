"""The filing center's console (issue 20; P9, P10, C1–C4, X5): :mod:`portal.consoles.center`.

A mixin of :class:`portal.service.PortalService`: each route hands the request to its page (``self.consoles``)."""
from werkzeug.wrappers import Request

from portal.errors import page


class CenterRoutes:
    @page("GET", "/staff/reports")
    def quarterly(self, request: Request):
        return self.consoles.quarterly(request)

    @page("GET", "/staff/samples")
    def samples(self, request: Request):
        return self.consoles.samples(request)

    @page("POST", "/staff/samples")
    def draw_sample(self, request: Request):
        return self.consoles.draw_sample(request)

    @page("GET", "/staff/samples/<sample_id>")
    def sample(self, request: Request, sample_id: str):
        return self.consoles.sample(request, sample_id)

    @page("POST", "/staff/samples/<sample_id>/items/<int:item_id>/phone-check")
    def phone_check(self, request: Request, sample_id: str, item_id: int):
        return self.consoles.phone_check(request, sample_id, item_id)

    @page("GET", "/staff/bulletin")
    def bulletin(self, request: Request):
        return self.consoles.bulletin(request)

    @page("GET", "/staff/trail")
    def trail(self, request: Request):
        return self.consoles.trail(request)

    @page("GET", "/staff/findings")
    def findings(self, request: Request):
        return self.consoles.findings(request)

    @page("POST", "/staff/findings/shell-site-check")
    def shell_site_check(self, request: Request):
        return self.consoles.shell_site_check(request)
