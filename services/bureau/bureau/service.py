"""The bureau service of one province: entrypoints only (design.md §2).

Reads ``filing_sent_to_bureau.v1`` and ``filing_cancelled.v1`` bound to its own province only (``BUREAU_PROVINCE``,
R2.1). Reviewers of this province work over HTTP with their bearer token (``shared.platform.auth``; auditors may
read); each province's bureau has its own address and there is deliberately no RPC, whose one ``bureau`` queue
would be shared by every province on a broker. A timer raises deadline events. The public query needs no login.
"""

from eventlet import tpool
from nameko.timer import timer
from werkzeug.wrappers import Request

from bureau import usecases
from bureau.dependencies import BureauSettings
from bureau.domain import DEADLINE_KIND
from bureau.models import idempotency_keys, outbox
from bureau.openapi import openapi_document
from bureau.schemas import ClosureInput, FindingsInput, InspectionInput, PenaltyInput, ReturnInput
from shared.contracts.calendar import CalendarYearInput
from shared.contracts.intake import FILING_CANCELLED
from shared.contracts.verification import FILING_SENT_TO_BUREAU
from shared.platform.auth import AUDITOR, OPS, PUBLIC, REVIEWER, Guard, allow
from shared.platform.entrypoints import answer_once, read_event
from shared.platform.events import event_handler
from shared.platform.http import http, json_response, load_json, read_json
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase
from shared.platform.storage import ObjectStorage

DEADLINE_TIMER_SECONDS = 5

READ = allow(REVIEWER, AUDITOR)
DECIDE = allow(REVIEWER)
ACCESS_POLICY = {
    "queue_http": READ,
    "review_http": READ,
    "approve_http": DECIDE,
    "return_http": DECIDE,
    "evidence_link_http": DECIDE,
    "evidence_accesses_http": READ,
    "plan_inspection_http": DECIDE,
    "inspection_http": READ,
    "findings_http": DECIDE,
    "compliance_http": READ,
    "penalty_http": DECIDE,
    "closure_http": DECIDE,
    "penalties_http": READ,
    "load_calendar_year": allow(OPS),
    "public_query_http": PUBLIC,
    "openapi": PUBLIC,
}
"""B1: reviewers (their province only, checked per filing by ``may_see``) decide; auditors read; the public
query is open."""


def _cpu(fn, *args):
    """CPU work (the PDF seal check) off the eventlet hub (design.md §4)."""
    return tpool.execute(fn, *args)


class BureauService(ServiceBase):
    name = "bureau"

    settings = BureauSettings()
    caller = Guard(ACCESS_POLICY)
    storage = ObjectStorage()
    relay = OutboxRelay(outbox)

    def _deps(self) -> usecases.Deps:
        s = self.settings
        return usecases.Deps(
            session=self.db, cipher=self.personal.cipher, exchange=self.personal.exchange, store=self.storage,
            province=s.province, review_working_days=s.review_working_days, trusted_seals=s.trusted_seals,
            evidence_link_seconds=s.evidence_link_seconds, now=s.now, run_cpu=_cpu, may_see=self.caller.may_see,
        )

    def _actor(self) -> str:
        """The one place the bureau names its caller (who decided, who opened evidence): ``bureau:京:<subject>``."""
        return f"bureau:{self.settings.province.abbr}:{self.caller.principal.subject}"

    def _once(self, request: Request, action, status: int = 200):
        """Answer a POST once per ``Idempotency-Key`` (scoped to the caller): a retried approval gets the first
        answer back and issues nothing new."""
        return answer_once(self.db, idempotency_keys, request, self._actor(), action, status)

    # --- events ---------------------------------------------------------------------------------------------------

    @event_handler("verification", FILING_SENT_TO_BUREAU, route_config="BUREAU_PROVINCE")
    def on_sent_to_bureau(self, envelope: dict):
        usecases.on_sent_to_bureau(self._deps(), str(envelope["meta"]["id"]), read_event(envelope))
        self.db.commit()

    @event_handler("intake", FILING_CANCELLED, route_config="BUREAU_PROVINCE")
    def on_cancelled(self, envelope: dict):
        usecases.on_cancelled(self._deps(), str(envelope["meta"]["id"]), read_event(envelope))
        self.db.commit()

    @timer(interval=DEADLINE_TIMER_SECONDS, eager=True)
    def check_deadlines(self):
        """P8 review deadlines (near, breached) and A1 rectification deadlines, each raised once. Runs at start-up
        too, so that ``icp_deadlines_open``/``_breached`` carry the database's counts from the first scrape."""
        raised = usecases.raise_deadline_events(self._deps())
        self.db.commit()
        if raised:
            self.metrics.counter("icp_bureau_deadline_events_total", "Deadline events raised").inc(raised)
        counts = usecases.open_counts(self._deps())
        self.metrics.deadlines(DEADLINE_KIND, counts["open"], counts["breached"], counts["provisional"])
        self.metrics.calendar(counts["official_days_left"])

    # --- reviewers (P8, B1) ---------------------------------------------------------------------------------------

    @http("GET", "/reviews")
    def queue_http(self, request: Request):
        return json_response(200, {"items": usecases.review_queue(self._deps())})

    @http("GET", "/reviews/<filing_id>")
    def review_http(self, request: Request, filing_id: str):
        return json_response(200, usecases.get_review(self._deps(), filing_id))

    @http("POST", "/reviews/<filing_id>/approval")
    def approve_http(self, request: Request, filing_id: str):
        return self._once(request, lambda actor: usecases.approve(self._deps(), filing_id, actor))

    @http("POST", "/reviews/<filing_id>/return")
    def return_http(self, request: Request, filing_id: str):
        reasons = load_json(request, ReturnInput())["reasons"]
        return self._once(request, lambda actor: usecases.return_filing(self._deps(), filing_id, actor, reasons))

    @http("POST", "/reviews/<filing_id>/evidence/<item>/link")
    def evidence_link_http(self, request: Request, filing_id: str, item: str):
        return self._once(request, lambda actor: usecases.open_evidence(self._deps(), filing_id, item, actor))

    @http("GET", "/reviews/<filing_id>/evidence-accesses")
    def evidence_accesses_http(self, request: Request, filing_id: str):
        return json_response(200, {"items": usecases.evidence_accesses(self._deps(), filing_id)})

    # --- inspections (B2) and penalties (A1) ----------------------------------------------------------------------

    @http("POST", "/inspections")
    def plan_inspection_http(self, request: Request):
        body = load_json(request, InspectionInput())
        return self._once(request, lambda actor: usecases.plan_inspection(
            self._deps(), body["provider_id"], body["kind"], body["year"], body["sample_size"], body["seed"], actor),
            status=201)

    @http("GET", "/inspections/<inspection_id>")
    def inspection_http(self, request: Request, inspection_id: str):
        return json_response(200, usecases.get_inspection(self._deps(), inspection_id))

    @http("POST", "/inspections/<inspection_id>/findings")
    def findings_http(self, request: Request, inspection_id: str):
        findings = load_json(request, FindingsInput())["findings"]
        return self._once(request, lambda actor: usecases.record_inspection(
            self._deps(), inspection_id, findings, actor))

    @http("GET", "/providers/<provider_id>/compliance/<int:year>")
    def compliance_http(self, request: Request, provider_id: str, year: int):
        return json_response(200, usecases.compliance(self._deps(), provider_id, year))

    @http("POST", "/penalties")
    def penalty_http(self, request: Request):
        body = load_json(request, PenaltyInput())
        return self._once(request, lambda actor: usecases.issue_penalty(self._deps(), body, actor), status=201)

    @http("POST", "/penalties/<penalty_id>/closure")
    def closure_http(self, request: Request, penalty_id: str):
        note = load_json(request, ClosureInput())["note"]
        return self._once(request, lambda actor: usecases.close_penalty(self._deps(), penalty_id, note, actor))

    @http("GET", "/penalties")
    def penalties_http(self, request: Request):
        return json_response(200, {"items": usecases.penalties(self._deps(), request.args.get("provider_id"))})

    # --- administrators ---------------------------------------------------------------------------------------------

    @http("POST", "/calendar/years")
    def load_calendar_year(self, request: Request):
        """Load a year's State Council schedule without a release (``icp-ops calendar load``); open review
        deadlines that counted days of that year are recomputed (P8)."""
        load_json(request, CalendarYearInput())
        schedule = read_json(request)
        return self._once(request, lambda actor: usecases.load_calendar_year(self._deps(), schedule, actor))

    # --- the public (no login) --------------------------------------------------------------------------------------

    @http("GET", "/public/filings")
    def public_query_http(self, request: Request):
        """By ``?domain=`` or ``?number=``: public fields only, never personal data."""
        return json_response(200, usecases.public_query(self._deps(), request.args.get("domain"),
                                                        request.args.get("number")))

    @http("GET", "/openapi.json")
    def openapi(self, request: Request):
        return json_response(200, openapi_document())
