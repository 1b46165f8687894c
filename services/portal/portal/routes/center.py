"""The filing center's console (issue 20, C1–C4).

A mixin of :class:`portal.service.PortalService`: each route hands the request to its page (``self.consoles``)."""
from werkzeug.wrappers import Request

from portal.errors import page


class CenterRoutes:
    @page("GET", "/staff/reports")
    def quarterly(self, request: Request):
        return self.consoles.quarterly(request)
