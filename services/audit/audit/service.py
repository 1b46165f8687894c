"""The audit service of the filing center: entrypoints only (design.md §2).

Every registered lifecycle event of every service enters the hash-chained audit trail through a handler of its own
(``trail_<type>``, generated from the contract registry, so a newly registered event is audited without code
here). ``filing_approved.v1`` is also checked (P9). Auditors work over HTTP: trail verification, monthly samples
and phone checks (C1), inventories and the quarterly report (P10, C2), statistics and the bulletin (C4), the rules
in force (C3). The batch check of the whole stock is ``python -m audit.cli check-stock`` (a job, not an RPC).

Who may call what is declared on each route (issue 8: deny by default): the filing center's auditors work here;
bureaus' reviewers read the reports (P10: reported back); the rules are published to everyone (C3).
"""

from nameko.timer import timer
from werkzeug.wrappers import Request

from audit.dependencies import AuditSettings
from audit.models import idempotency_keys, outbox, processed_events
from audit.repository import AuditUnitOfWork
from audit.schemas import PhoneCheckInput, SampleInput, StatisticsQuery
from audit.usecases import id_check, inventories, monitoring, spot_checks, statistics, trail
from shared.contracts import EVENTS
from shared.contracts.bureau import FILING_APPROVED
from shared.contracts.errors import BadRequest
from shared.contracts.intake import APPROVED_SITES_CHANGED
from shared.platform.auth import AUDITOR, OPS, REVIEWER, SPONSOR, STAFF, Guard, allow
from shared.platform.authority import AuthoritySources
from shared.platform.entrypoints import handles, read_event, route
from shared.platform.events import event_handler
from shared.platform.http import locale_of
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase

READERS = allow(AUDITOR, REVIEWER)
AUDITORS_WRITE = allow(AUDITOR, auditor_writes=True)
_MONTH = {"month": {"pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2026-11"}}
_QUARTER = {"quarter": {"pattern": "^[0-9]{4}Q[1-4]$", "example": "2026Q4"}}
_BAD_PERIOD = {400: "A malformed month or quarter, or a missing or malformed header or query parameter"}
_NO_SAMPLE = {404: "Unknown sample or sample item"}
SHELL_SITE_TIMER_SECONDS = 6 * 3600  # X5: how often approved sites are compared with the inventories and probed


class AuditService(ServiceBase):
    name = "audit"
    description = ("The filing center's audit: hash-chained trail, monthly spot checks, inventories and reports, "
                   "statistics and bulletin, rules (C1–C4, P9, P10).")
    idempotency_keys = idempotency_keys
    processed_events = processed_events

    caller = Guard()
    settings = AuditSettings()
    authority = AuthoritySources()
    relay = OutboxRelay(outbox)

    @property
    def uow(self) -> AuditUnitOfWork:
        """The worker's unit of work on its session (the entrypoint commits it)."""
        return AuditUnitOfWork(self.db)

    # --- events ----------------------------------------------------------------------------------

    def _trail(self, envelope: dict) -> None:
        """Not a claimed handler: the trail entry is its own once-per-event record (``record_event`` appends an
        event id once, under the trail's lock), so a ``processed_events`` claim would only double the rows."""
        read_event(envelope)  # a contract breach is dead-lettered, never chained
        trail.record_event(self.uow, envelope, self.settings.now())
        self.db.commit()

    @handles("bureau", FILING_APPROVED, claim="audit.on_filing_approved")
    def on_filing_approved(self, data: dict, meta: dict):
        """P9: the automatic ID check of every filing a bureau approved."""
        result = id_check.on_filing_approved(self.uow, data, keys=self.personal,
                                             public_security=self.authority.public_security,
                                             rules=self.settings.rules, now=self.settings.now())
        self.metrics.counter("icp_audit_id_checks_total", "Automatic ID checks", ["outcome"]).labels(
            result["outcome"]).inc()

    @handles("intake", APPROVED_SITES_CHANGED, claim="audit.on_approved_sites_changed")
    def on_approved_sites_changed(self, data: dict, meta: dict):
        """X5: follow the provider's approved-sites list, the side of the shell-site check intake keeps."""
        monitoring.on_approved_sites_changed(self.uow, data)

    @timer(interval=SHELL_SITE_TIMER_SECONDS)
    def check_shell_sites(self):
        """X5: compare every provider's approved sites with its latest inventory and probe them, periodically."""
        self._check_shell_sites()

    def _check_shell_sites(self) -> dict:
        s, uow, now = self.settings, self.uow, self.settings.now()
        probe = monitoring.probe_shell_sites(uow, s.prober, s.ranges, window_days=s.shell_site_rectify_days,
                                             failing_days=s.failing_days, now=now)  # first: it waits on the network
        inventory = monitoring.check_shell_sites(uow, window_days=s.shell_site_rectify_days, now=now)
        counts = {change: inventory[change] + probe[change] for change in ("found", "cleared")}
        self.db.commit()
        self.metrics.counter("icp_audit_shell_site_findings_total", "Shell-site findings raised and cleared",
                             ["change"]).labels("found").inc(counts["found"])
        self.metrics.counter("icp_audit_shell_site_findings_total", "Shell-site findings raised and cleared",
                             ["change"]).labels("cleared").inc(counts["cleared"])
        return counts

    # --- trail -----------------------------------------------------------------------------------

    @route("GET", "/trail/verification", access=allow(AUDITOR, OPS),
           summary="Verify the hash-chained audit trail from its first entry")
    def verify_trail(self, request: Request):
        """The chain from the first entry: intact, or the first entry that was changed or follows a removed one."""
        return trail.verify_trail(self.uow)

    # --- C1 --------------------------------------------------------------------------------------

    @route("POST", "/samples", access=AUDITORS_WRITE, status=201, body=SampleInput(),
           summary="Draw the month's stratified spot-check sample (C1)", errors={409: ""})
    def draw_sample(self, request: Request, body: dict):
        return spot_checks.draw_monthly_sample(self.uow, body["month"], body.get("seed"), self.caller.actor,
                                               rules=self.settings.rules, now=self.settings.now())

    @route("GET", "/samples/<sample_id>", access=allow(AUDITOR), errors=_NO_SAMPLE,
           summary="One sample and its items with their phone checks (C1)")
    def get_sample(self, request: Request, sample_id: str):
        return spot_checks.sample_view(self.uow, sample_id)

    @route("POST", "/samples/<sample_id>/items/<int:item_id>/phone-check", access=AUDITORS_WRITE,
           body=PhoneCheckInput(), summary="Record the phone check of a sampled sponsor (C1)",
           parameters={"item_id": {"type": "integer", "minimum": 0}},
           errors={**_NO_SAMPLE, 409: "A different phone-check result is recorded already, or a reused "
                                      "Idempotency-Key"})
    def phone_check(self, request: Request, sample_id: str, item_id: int, body: dict):
        return spot_checks.record_phone_check(self.uow, sample_id, item_id, body["result"], self.caller.actor,
                                              rules=self.settings.rules, now=self.settings.now())

    @route("GET", "/reports/monthly/<month>", access=READERS, parameters=_MONTH, errors=_BAD_PERIOD,
           summary="Per provider: new filings, ID-check failures, phone checks (C1, P9)")
    def monthly_report(self, request: Request, month: str):
        return spot_checks.monthly_report(self.uow, month, rules=self.settings.rules)

    # --- P10, C2 ---------------------------------------------------------------------------------

    @route("PUT", "/providers/<provider_id>/inventory", access=AUDITORS_WRITE, idempotent=True,
           upload="text/csv", parameters={"provider_id": {"minLength": 1, "maxLength": 64}},
           summary="Replace a provider's hosted-site inventory (CSV, P10)",
           errors={400: "Malformed CSV or a bad row, or a missing or malformed header", 409: ""})
    def import_inventory(self, request: Request, provider_id: str):
        """The provider's hosted sites as CSV with a ``domain`` column (text/csv)."""
        try:
            csv_text = request.get_data().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadRequest.about("body", "encoding", "The inventory must be UTF-8 CSV.", "P10") from None
        return inventories.import_inventory(self.uow, provider_id, csv_text, now=self.settings.now())

    @route("GET", "/reports/quarterly/<quarter>", access=READERS, parameters=_QUARTER, errors=_BAD_PERIOD,
           summary="The quarterly inventory comparison report (P10, C2)")
    def quarterly_report(self, request: Request, quarter: str):
        return inventories.quarterly_report(self.uow, quarter, rules=self.settings.rules)

    # --- X5 --------------------------------------------------------------------------------------

    @route("POST", "/shell-sites/checks", access=AUDITORS_WRITE, rule="X5",
           summary="Run the shell-site check now: approved sites against the inventories, and probed (X5)")
    def run_shell_site_check(self, request: Request):
        """What the periodic check does, at once (after an inventory is loaded): ``{found, cleared}``."""
        return self._check_shell_sites()

    @route("GET", "/providers/<provider_id>/shell-sites", access=READERS, rule="X5",
           parameters={"provider_id": {"minLength": 1, "maxLength": 64}},
           summary="A provider's shell-site findings, open first, with their rectification windows (X5)")
    def shell_sites(self, request: Request, provider_id: str):
        return monitoring.shell_site_report(self.uow, provider_id)

    # --- C4 --------------------------------------------------------------------------------------

    @route("GET", "/statistics/<month>", access=READERS, query=StatisticsQuery(), rule="C4", parameters=_MONTH,
           content=("application/json", "text/csv", "image/png"), errors=_BAD_PERIOD,
           summary="Counts by category: JSON, ?format=csv or ?format=png (C4)")
    def statistics(self, request: Request, month: str, query: dict):
        """Counts by category as JSON, ``?format=csv`` or ``?format=png`` (a chart)."""
        return statistics.statistics_response(self.uow, month, query["format"], rules=self.settings.rules,
                                              locale=locale_of(request))

    @route("GET", "/bulletin/<month>", access=READERS, parameters=_MONTH, errors=_BAD_PERIOD,
           summary="The monthly bulletin by province (C4)")
    def bulletin(self, request: Request, month: str):
        return statistics.bulletin(self.uow, month, rules=self.settings.rules)

    @route("GET", "/penalties/summary", access=READERS, summary="Penalties and rectifications by provider (A1, C4)")
    def penalties(self, request: Request):
        return statistics.penalty_summary(self.uow)

    # --- C3 --------------------------------------------------------------------------------------

    @route("GET", "/rules", access=allow(SPONSOR, *STAFF, REVIEWER, AUDITOR, OPS),
           summary="The check standards and sampling rule in force (C3)")
    def rules(self, request: Request):
        """The check standards and sampling rule in force, published."""
        return self.settings.rules.document


def _trail_handler(source: str, event_type: str):
    def handler(self, envelope: dict):
        self._trail(envelope)

    handler.__name__ = handler.__qualname__ = "trail_" + event_type.replace(".", "_")
    handler.__doc__ = f"Audit trail: {event_type} from {source}."
    return event_handler(source, event_type)(handler)


for _contract in EVENTS:
    _method = _trail_handler(_contract.producer, _contract.type)
    setattr(AuditService, _method.__name__, _method)
