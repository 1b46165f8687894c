"""The access provider's stewardship reports (issue 20; W5, W6): :mod:`portal.consoles.provider_reports`.

A mixin of :class:`portal.service.PortalService`: each route hands the request to its page (``self.consoles``)."""
from werkzeug.wrappers import Request

from portal.consoles.provider_reports import STOCK_UPLOAD
from portal.errors import page


class ProviderReportRoutes:
    @page("GET", "/staff/revisits")
    def revisits(self, request: Request):
        return self.consoles.revisits(request)

    @page("GET", "/staff/stock")
    def stock(self, request: Request):
        return self.consoles.stock(request)

    @page("POST", "/staff/stock/imports", max_body=STOCK_UPLOAD)
    def import_stock(self, request: Request):
        return self.consoles.import_stock(request)

    @page("GET", "/staff/stock/imports/<import_id>")
    def stock_import(self, request: Request, import_id: str):
        return self.consoles.stock_import(request, import_id)
