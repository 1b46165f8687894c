"""The portal service: routes only — each hands the request to its page in :mod:`portal.pages` (design.md §2, §9).

The sponsor site of the access provider's deployment (issue 19): the guide (W2) and the contract clause (W3)
without signing in, sign-in by SMS code (P1), the filing form in steps with each field's problems beside it, scans,
the clause, submission, the contact codes (P2), the status with its timeline, changes, cancellation and revisits
(W5). Pages are HTML (Jinja2) with htmx for the partial updates; ``/healthz``, ``/metrics`` as every service.
The staff's consoles (issue 20) under ``/staff``: :mod:`portal.consoles`; the bureau's public pages (the MIIT SMS
check, the public query) at ``/miit-check`` and ``/query``. The routes are in :mod:`portal.routes`, one mixin per
site or console.
Every route is a :data:`portal.errors.page` (its errors are HTML pages); an unknown URL is a page too.
The portal has no database and uses no broker: readiness is the process itself (a service it calls being down
shows on the page, it must not restart the portal's pods).
"""
from portal.dependencies import PortalPages, StaffPages
from portal.routes.bureau import BureauRoutes
from portal.routes.center import CenterRoutes
from portal.routes.provider import ProviderRoutes
from portal.routes.provider_reports import ProviderReportRoutes
from portal.routes.public import PublicRoutes
from portal.routes.sponsor import SponsorRoutes
from portal.routes.staff import StaffRoutes
from shared.platform.logging import LogContext
from shared.platform.observability import Metrics, OpsEndpoints


class PortalService(OpsEndpoints, SponsorRoutes, StaffRoutes, ProviderRoutes, BureauRoutes, CenterRoutes,
                    ProviderReportRoutes, PublicRoutes):
    name = "portal"

    metrics = Metrics()
    log_context = LogContext()
    pages = PortalPages()
    consoles = StaffPages()
