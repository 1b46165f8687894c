"""The bureau service of one province: entrypoints only (design.md §2).

Reads ``filing_sent_to_bureau.v1`` and ``filing_cancelled.v1`` bound to its own province only (``BUREAU_PROVINCE``,
R2.1). Reviewers of this province work over HTTP with their bearer token (``shared.platform.auth``; auditors may
read); each province's bureau has its own address and there is deliberately no RPC, whose one ``bureau`` queue
would be shared by every province on a broker. A timer raises deadline events. The public query needs no login.
Every route declares who may call it (B1: reviewers, their province only, checked per filing by ``may_see``,
decide; auditors read; the public query is open).
"""

from eventlet import tpool
from nameko.timer import timer
from werkzeug.wrappers import Request

from bureau import usecases
from bureau.dependencies import BureauGuard, BureauSettings
from bureau.domain import DEADLINE_KIND
from bureau.models import idempotency_keys, outbox, processed_events
from bureau.schemas import (
    ClosureInput,
    FindingsInput,
    InspectionInput,
    PenaltiesQuery,
    PenaltyInput,
    PublicFilingOutput,
    PublicQuery,
    ReturnInput,
)
from shared.contracts.calendar import CalendarYearInput, CalendarYearLoaded
from shared.contracts.intake import FILING_CANCELLED
from shared.contracts.verification import FILING_SENT_TO_BUREAU
from shared.platform.auth import AUDITOR, OPS, PUBLIC, REVIEWER, allow
from shared.platform.entrypoints import handles, route
from shared.platform.http import read_json
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase
from shared.platform.storage import ObjectStorage

DEADLINE_TIMER_SECONDS = 5

READ = allow(REVIEWER, AUDITOR)
DECIDE = allow(REVIEWER)
_UNKNOWN = {404: "Unknown filing, evidence, inspection or penalty (or another province's)"}
_STATE = {409: "Not allowed in the current state (already decided, form seal failed), or a reused Idempotency-Key"}
_RULES = {422: "A rule failed; every reason is listed with its rule"}


def _cpu(fn, *args):
    """CPU work (the PDF seal check) off the eventlet hub (design.md §4)."""
    return tpool.execute(fn, *args)


class BureauService(ServiceBase):
    name = "bureau"
    description = ("A provincial bureau: review within 20 working days, filing numbers, evidence spot checks, "
                   "inspections, penalties, public query (P8, B1, B2, A1).")
    idempotency_keys = idempotency_keys
    processed_events = processed_events

    settings = BureauSettings()
    caller = BureauGuard()
    storage = ObjectStorage()
    relay = OutboxRelay(outbox)

    def _deps(self) -> usecases.Deps:
        s = self.settings
        return usecases.Deps(
            session=self.db, cipher=self.personal.cipher, exchange=self.personal.exchange, store=self.storage,
            province=s.province, review_working_days=s.review_working_days, trusted_seals=s.trusted_seals,
            evidence_link_seconds=s.evidence_link_seconds, now=s.now, run_cpu=_cpu, may_see=self.caller.may_see,
        )

    # --- events ---------------------------------------------------------------------------------------------------

    @handles("verification", FILING_SENT_TO_BUREAU, claim="on_sent_to_bureau", route_config="BUREAU_PROVINCE")
    def on_sent_to_bureau(self, data: dict, meta: dict):
        usecases.on_sent_to_bureau(self._deps(), data)

    @handles("intake", FILING_CANCELLED, claim="on_cancelled", route_config="BUREAU_PROVINCE")
    def on_cancelled(self, data: dict, meta: dict):
        usecases.on_cancelled(self._deps(), data)

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

    @route("GET", "/reviews", access=READ, summary="Open reviews, oldest deadline first (P8, B1)")
    def queue_http(self, request: Request):
        return {"items": usecases.review_queue(self._deps())}

    @route("GET", "/reviews/<filing_id>", access=READ, errors=_UNKNOWN,
           summary="One review: key data masked, form seal check, deadline")
    def review_http(self, request: Request, filing_id: str):
        return usecases.get_review(self._deps(), filing_id)

    @route("POST", "/reviews/<filing_id>/approval", access=DECIDE, errors={**_UNKNOWN, **_STATE},
           summary="Approve: issue the filing number and website numbers (P8)")
    def approve_http(self, request: Request, filing_id: str):
        """A retried approval (same ``Idempotency-Key``) gets the first answer back and issues nothing new."""
        return usecases.approve(self._deps(), filing_id, self.caller.actor)

    @route("POST", "/reviews/<filing_id>/return", access=DECIDE, body=ReturnInput(),
           errors={**_UNKNOWN, **_STATE, **_RULES}, summary="Return to the provider with field-level reasons (P8)")
    def return_http(self, request: Request, filing_id: str, body: dict):
        return usecases.return_filing(self._deps(), filing_id, self.caller.actor, body["reasons"])

    @route("POST", "/reviews/<filing_id>/evidence/<item>/link", access=DECIDE, errors=_UNKNOWN,
           summary="A presigned link of at most 300 s, recorded (B1)")
    def evidence_link_http(self, request: Request, filing_id: str, item: str):
        return usecases.open_evidence(self._deps(), filing_id, item, self.caller.actor)

    @route("GET", "/reviews/<filing_id>/evidence-accesses", access=READ, errors=_UNKNOWN,
           summary="Who opened which evidence, when (B1)")
    def evidence_accesses_http(self, request: Request, filing_id: str):
        return {"items": usecases.evidence_accesses(self._deps(), filing_id)}

    # --- inspections (B2) and penalties (A1) ----------------------------------------------------------------------

    @route("POST", "/inspections", access=DECIDE, body=InspectionInput(), status=201, errors=_RULES,
           summary="Plan an inspection with a reproducible random sample (B2)")
    def plan_inspection_http(self, request: Request, body: dict):
        return usecases.plan_inspection(self._deps(), body["provider_id"], body["kind"], body["year"],
                                        body["sample_size"], body["seed"], self.caller.actor)

    @route("GET", "/inspections/<inspection_id>", access=READ, errors=_UNKNOWN,
           summary="One inspection, its sample and findings (B2)")
    def inspection_http(self, request: Request, inspection_id: str):
        return usecases.get_inspection(self._deps(), inspection_id)

    @route("POST", "/inspections/<inspection_id>/findings", access=DECIDE, body=FindingsInput(),
           errors={**_UNKNOWN, **_STATE, **_RULES}, summary="Record the findings and score (B2)")
    def findings_http(self, request: Request, inspection_id: str, body: dict):
        return usecases.record_inspection(self._deps(), inspection_id, body["findings"], self.caller.actor)

    @route("GET", "/providers/<provider_id>/compliance/<int:year>", access=READ,
           summary="A provider's compliance score for a year (B2)")
    def compliance_http(self, request: Request, provider_id: str, year: int):
        return usecases.compliance(self._deps(), provider_id, year)

    @route("POST", "/penalties", access=DECIDE, body=PenaltyInput(), status=201, errors=_RULES,
           summary="Penalise a provider with a rectification deadline (A1)")
    def penalty_http(self, request: Request, body: dict):
        return usecases.issue_penalty(self._deps(), body, self.caller.actor)

    @route("POST", "/penalties/<penalty_id>/closure", access=DECIDE, body=ClosureInput(),
           errors={**_UNKNOWN, **_STATE}, summary="Close a rectification order (A1)")
    def closure_http(self, request: Request, penalty_id: str, body: dict):
        return usecases.close_penalty(self._deps(), penalty_id, body["note"], self.caller.actor)

    @route("GET", "/penalties", access=READ, query=PenaltiesQuery(),
           summary="Penalties (?provider_id=), tracked to closure (A1)")
    def penalties_http(self, request: Request, query: dict):
        return {"items": usecases.penalties(self._deps(), query["provider_id"])}

    # --- administrators ---------------------------------------------------------------------------------------------

    @route("POST", "/calendar/years", access=allow(OPS), body=CalendarYearInput(), answer=CalendarYearLoaded(),
           errors={**_STATE, **_RULES},
           summary="Load a year's State Council schedule; open review deadlines follow it (P8)")
    def load_calendar_year(self, request: Request, body: dict):
        """Load a year's State Council schedule without a release (``icp-ops calendar load``); open review
        deadlines that counted days of that year are recomputed (P8)."""
        return usecases.load_calendar_year(self._deps(), read_json(request), self.caller.actor)

    # --- the public (no login) --------------------------------------------------------------------------------------

    @route("GET", "/public/filings", access=PUBLIC, query=PublicQuery(), answer=PublicFilingOutput(),
           errors={404: "No active filing for this domain or number here", **_RULES},
           summary="Public query by ?domain= or ?number=, no login, public fields only")
    def public_query_http(self, request: Request, query: dict):
        """By ``?domain=`` or ``?number=``: public fields only, never personal data."""
        return usecases.public_query(self._deps(), query["domain"], query["number"])
