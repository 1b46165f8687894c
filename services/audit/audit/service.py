"""The audit service of the filing center: entrypoints only (design.md §2).

Every registered lifecycle event of every service enters the hash-chained audit trail through a handler of its own
(``trail_<type>``, generated from the contract registry, so a newly registered event is audited without code
here). ``filing_approved.v1`` is also checked (P9). Auditors work over HTTP: trail verification, monthly samples
and phone checks (C1), inventories and the quarterly report (P10, C2), statistics and the bulletin (C4), the rules
in force (C3). The batch check of the whole stock is ``python -m audit.cli check-stock`` (a job, not an RPC).
"""

from werkzeug.wrappers import Request

from audit import reports, usecases
from audit.dependencies import AuditSettings
from audit.models import idempotency_keys, outbox
from audit.openapi import openapi_document
from audit.schemas import PhoneCheckInput, SampleInput
from shared.contracts import EVENTS
from shared.contracts.bureau import FILING_APPROVED
from shared.contracts.errors import BadRequest
from shared.platform.auth import AUDITOR, OPS, PUBLIC, REVIEWER, SPONSOR, STAFF, Guard, allow
from shared.platform.authority import AuthoritySources
from shared.platform.entrypoints import answer_once, read_event
from shared.platform.events import event_handler
from shared.platform.http import http, json_response, load_json
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase

ACCESS_POLICY = {
    "verify_trail": allow(AUDITOR, OPS),
    "draw_sample": allow(AUDITOR, auditor_writes=True),
    "get_sample": allow(AUDITOR),
    "phone_check": allow(AUDITOR, auditor_writes=True),
    "monthly_report": allow(AUDITOR, REVIEWER),
    "import_inventory": allow(AUDITOR, auditor_writes=True),
    "quarterly_report": allow(AUDITOR, REVIEWER),
    "statistics": allow(AUDITOR, REVIEWER),
    "bulletin": allow(AUDITOR, REVIEWER),
    "penalties": allow(AUDITOR, REVIEWER),
    "rules": allow(SPONSOR, *STAFF, REVIEWER, AUDITOR, OPS),
    "openapi": PUBLIC,
}
"""The filing center's auditors work here; bureaus' reviewers read the reports (P10: reported back); the rules
are published to everyone (C3)."""


class AuditService(ServiceBase):
    name = "audit"

    caller = Guard(ACCESS_POLICY)
    settings = AuditSettings()
    authority = AuthoritySources()
    relay = OutboxRelay(outbox)

    def _deps(self) -> usecases.Deps:
        return usecases.Deps(session=self.db, cipher=self.personal.cipher, exchange=self.personal.exchange,
                             hasher=self.personal.hasher, authorities=self.authority, rules=self.settings.rules,
                             now=self.settings.now)

    def _once(self, request: Request, action, status: int = 200):
        return answer_once(self.db, idempotency_keys, request, self.caller.actor, action, status)

    # --- events ----------------------------------------------------------------------------------

    def _trail(self, envelope: dict) -> None:
        read_event(envelope)  # a contract breach is dead-lettered, never chained
        usecases.record_event(self._deps(), envelope)
        self.db.commit()

    @event_handler("bureau", FILING_APPROVED)
    def on_filing_approved(self, envelope: dict):
        """P9: the automatic ID check of every filing a bureau approved."""
        result = usecases.on_filing_approved(self._deps(), str(envelope["meta"]["id"]), read_event(envelope))
        self.db.commit()
        if result is not None:
            self.metrics.counter("icp_audit_id_checks_total", "Automatic ID checks", ["outcome"]).labels(
                result["outcome"]).inc()

    # --- trail -----------------------------------------------------------------------------------

    @http("GET", "/trail/verification")
    def verify_trail(self, request: Request):
        """The chain from the first entry: intact, or the first entry that was changed or follows a removed one."""
        return json_response(200, usecases.verify_trail(self.db))

    # --- C1 --------------------------------------------------------------------------------------

    @http("POST", "/samples")
    def draw_sample(self, request: Request):
        body = load_json(request, SampleInput())
        return self._once(request, lambda actor: usecases.draw_monthly_sample(
            self._deps(), body["month"], body.get("seed"), actor), 201)

    @http("GET", "/samples/<sample_id>")
    def get_sample(self, request: Request, sample_id: str):
        return json_response(200, usecases.sample_view(self._deps(), sample_id))

    @http("POST", "/samples/<sample_id>/items/<int:item_id>/phone-check")
    def phone_check(self, request: Request, sample_id: str, item_id: int):
        body = load_json(request, PhoneCheckInput())
        return self._once(request, lambda actor: usecases.record_phone_check(
            self._deps(), sample_id, item_id, body["result"], actor))

    @http("GET", "/reports/monthly/<month>")
    def monthly_report(self, request: Request, month: str):
        return json_response(200, usecases.monthly_report(self._deps(), month))

    # --- P10, C2 ---------------------------------------------------------------------------------

    @http("PUT", "/providers/<provider_id>/inventory")
    def import_inventory(self, request: Request, provider_id: str):
        """The provider's hosted sites as CSV with a ``domain`` column (text/csv)."""
        try:
            csv_text = request.get_data().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadRequest.about("body", "encoding", "The inventory must be UTF-8 CSV.", "P10") from None
        return self._once(request, lambda _actor: usecases.import_inventory(self._deps(), provider_id, csv_text))

    @http("GET", "/reports/quarterly/<quarter>")
    def quarterly_report(self, request: Request, quarter: str):
        return json_response(200, usecases.quarterly_report(self._deps(), quarter))

    # --- C4 --------------------------------------------------------------------------------------

    @http("GET", "/statistics/<month>")
    def statistics(self, request: Request, month: str):
        """Counts by category as JSON, ``?format=csv`` or ``?format=png`` (a chart)."""
        return reports.statistics_response(self._deps(), month, request.args.get("format", "json"))

    @http("GET", "/bulletin/<month>")
    def bulletin(self, request: Request, month: str):
        return json_response(200, reports.bulletin(self._deps(), month))

    @http("GET", "/penalties/summary")
    def penalties(self, request: Request):
        return json_response(200, usecases.penalty_summary(self._deps()))

    @http("GET", "/openapi.json")
    def openapi(self, request: Request):
        return json_response(200, openapi_document())

    # --- C3 --------------------------------------------------------------------------------------

    @http("GET", "/rules")
    def rules(self, request: Request):
        """The check standards and sampling rule in force, published."""
        return json_response(200, self.settings.rules.document)


def _trail_handler(source: str, event_type: str):
    def handler(self, envelope: dict):
        self._trail(envelope)

    handler.__name__ = handler.__qualname__ = "trail_" + event_type.replace(".", "_")
    handler.__doc__ = f"Audit trail: {event_type} from {source}."
    return event_handler(source, event_type)(handler)


for _contract in EVENTS:
    _method = _trail_handler(_contract.producer, _contract.type)
    setattr(AuditService, _method.__name__, _method)
