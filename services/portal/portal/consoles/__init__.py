"""The staff's consoles (issue 20, X6): the access provider's pre-verification queue and on-site counter, the
bureau's review, the filing center's quarterly accuracy and filing rate; each page a method, reached by a route
of :class:`portal.service.PortalService`, shown only to a role it is for on a deployment that serves its actor
(:mod:`portal.consoles.access`)."""
from portal.consoles.access import StaffAccess
from portal.consoles.bureau import BureauConsole
from portal.consoles.center import CenterConsole
from portal.consoles.counter import CounterConsole
from portal.consoles.counter_steps import CounterSteps
from portal.consoles.department import DepartmentConsole
from portal.consoles.hosting import HostingConsole
from portal.consoles.provider import ProviderConsole


class Consoles(StaffAccess, ProviderConsole, CounterConsole, CounterSteps, HostingConsole, DepartmentConsole,
               BureauConsole, CenterConsole):
    """Every console page of the portal; ``settings`` are the deployment's (:class:`portal.pages.Settings`)."""
