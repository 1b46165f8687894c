"""The staff's consoles (issue 20, X6): the access provider's pre-verification queue, on-site counter, revisits and
stock reports, the bureau's review, inspections and penalties, the filing center's reports, samples, trail and
findings; and the bureau's public pages (no login: the MIIT SMS check, the public query); each page a method,
reached by a route of :class:`portal.service.PortalService`, shown only to a role it is for on a deployment that
serves its actor (:mod:`portal.consoles.access`)."""
from portal.consoles.access import StaffAccess
from portal.consoles.bureau import BureauConsole
from portal.consoles.center import CenterConsole
from portal.consoles.counter import CounterConsole
from portal.consoles.counter_steps import CounterSteps
from portal.consoles.department import DepartmentConsole
from portal.consoles.hosting import HostingConsole
from portal.consoles.oversight import OversightConsole
from portal.consoles.provider import ProviderConsole
from portal.consoles.provider_reports import ProviderReports
from portal.consoles.public import PublicPages


class Consoles(StaffAccess, ProviderConsole, CounterConsole, CounterSteps, HostingConsole, DepartmentConsole,
               BureauConsole, OversightConsole, CenterConsole, ProviderReports, PublicPages):
    """Every console page of the portal; ``settings`` are the deployment's (:class:`portal.pages.Settings`)."""
