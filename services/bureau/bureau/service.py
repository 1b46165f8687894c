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

from bureau.dependencies import BureauGuard, BureauSettings
from bureau.domain import DEADLINE_KIND
from bureau.models import idempotency_keys, outbox, processed_events
from bureau.repository import BureauUnitOfWork
from bureau.schemas import (
    ClosureInput,
    FindingsInput,
    InspectionInput,
    MiitCodeInput,
    MiitResendInput,
    PenaltyInput,
    ProviderQuery,
    PublicFilingOutput,
    PublicQuery,
    ReturnInput,
)
from bureau.usecases import deadlines, evidence, miit, oversight, public, receipt, register, review
from bureau.usecases.common import Keys, Scope
from shared.contracts.bureau import RegisterAnswerSchema, RegisterLookupSchema
from shared.contracts.calendar import CalendarYearInput, CalendarYearLoaded
from shared.contracts.intake import ACCESS_CANCELLED, FILING_CANCELLED, WEBSITE_CANCELLED
from shared.contracts.verification import FILING_SENT_TO_BUREAU
from shared.platform.auth import AUDITOR, OPS, PUBLIC, REVIEWER, allow
from shared.platform.clients import client_address
from shared.platform.entrypoints import handles, route
from shared.platform.http import error_response, locale_of, read_json
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

    def _uow(self) -> BureauUnitOfWork:
        return BureauUnitOfWork(self.db)

    def _keys(self) -> Keys:
        return Keys(self.personal.cipher, self.personal.exchange, self.personal.exchange_lookup)

    def _scope(self) -> Scope:
        """This province's bureau as the caller may see it (events and timers: everything)."""
        return Scope(self.settings.province, self.caller.may_see)

    # --- events ---------------------------------------------------------------------------------------------------

    @handles("verification", FILING_SENT_TO_BUREAU, claim="on_sent_to_bureau", route_config="BUREAU_PROVINCE")
    def on_sent_to_bureau(self, data: dict, meta: dict):
        s, uow = self.settings, self._uow()
        review = receipt.on_sent_to_bureau(uow, data, scope=self._scope(), keys=self._keys(),
                                           check_form=receipt.FormChecker(self.storage, s.trusted_seals, _cpu),
                                           review_days=s.review_working_days, now=s.now)
        if review is not None and s.miit_check:
            miit.send_code(uow, review, scope=self._scope(), keys=self._keys(), hasher=self.personal.hasher,
                           at=review.received_at)

    @handles("intake", FILING_CANCELLED, claim="on_cancelled", route_config="BUREAU_PROVINCE")
    def on_cancelled(self, data: dict, meta: dict):
        receipt.on_cancelled(self._uow(), data, scope=self._scope(), now=self.settings.now)

    @handles("intake", WEBSITE_CANCELLED, claim="on_website_cancelled", route_config="BUREAU_PROVINCE")
    def on_website_cancelled(self, data: dict, meta: dict):
        register.on_sites_cancelled(self._uow(), data, whole_website=True, scope=self._scope(), now=self.settings.now())

    @handles("intake", ACCESS_CANCELLED, claim="on_access_cancelled", route_config="BUREAU_PROVINCE")
    def on_access_cancelled(self, data: dict, meta: dict):
        register.on_sites_cancelled(self._uow(), data, whole_website=False, scope=self._scope(),
                                    now=self.settings.now())

    @timer(interval=DEADLINE_TIMER_SECONDS, eager=True)
    def check_deadlines(self):
        """P8 review deadlines (near, breached) and A1 rectification deadlines, each raised once. Runs at start-up
        too, so that ``icp_deadlines_open``/``_breached`` carry the database's counts from the first scrape."""
        uow = self._uow()
        raised = deadlines.raise_deadline_events(uow, scope=self._scope(), now=self.settings.now)
        raised += miit.raise_due(uow, scope=self._scope(), keys=self._keys(), now=self.settings.now)
        public.forget_counts(uow, self.settings.now())
        uow.commit()
        if raised:
            self.metrics.counter("icp_bureau_deadline_events_total", "Deadline events raised").inc(raised)
        counts = deadlines.open_counts(uow, now=self.settings.now)
        self.metrics.deadlines(DEADLINE_KIND, counts["open"], counts["breached"], counts["provisional"])
        self.metrics.calendar(counts["official_days_left"])

    # --- reviewers (P8, B1) ---------------------------------------------------------------------------------------

    @route("GET", "/reviews", access=READ, summary="Open reviews, oldest deadline first (P8, B1)")
    def queue_http(self, request: Request):
        return {"items": review.review_queue(self._uow(), scope=self._scope(), keys=self._keys())}

    @route("GET", "/reviews/<filing_id>", access=READ, errors=_UNKNOWN,
           summary="One review: key data masked, form seal check, deadline")
    def review_http(self, request: Request, filing_id: str):
        return review.get_review(self._uow(), filing_id, scope=self._scope(), keys=self._keys())

    @route("POST", "/reviews/<filing_id>/approval", access=DECIDE, errors={**_UNKNOWN, **_STATE},
           summary="Approve: issue the filing number and website numbers (P8)")
    def approve_http(self, request: Request, filing_id: str):
        """A retried approval (same ``Idempotency-Key``) gets the first answer back and issues nothing new."""
        return review.approve(self._uow(), filing_id, self.caller.actor, scope=self._scope(), keys=self._keys(),
                              now=self.settings.now)

    @route("POST", "/reviews/<filing_id>/return", access=DECIDE, body=ReturnInput(),
           errors={**_UNKNOWN, **_STATE, **_RULES}, summary="Return to the provider with field-level reasons (P8)")
    def return_http(self, request: Request, filing_id: str, body: dict):
        return review.return_filing(self._uow(), filing_id, self.caller.actor, body["reasons"], scope=self._scope(),
                                    keys=self._keys(), now=self.settings.now)

    @route("POST", "/reviews/<filing_id>/evidence/<item>/link", access=DECIDE, errors=_UNKNOWN,
           summary="A presigned link of at most 300 s, recorded (B1)")
    def evidence_link_http(self, request: Request, filing_id: str, item: str):
        return evidence.open_evidence(self._uow(), filing_id, item, self.caller.actor, scope=self._scope(),
                                      store=self.storage, link_seconds=self.settings.evidence_link_seconds,
                                      now=self.settings.now)

    @route("GET", "/reviews/<filing_id>/evidence-accesses", access=READ, errors=_UNKNOWN,
           summary="Who opened which evidence, when (B1)")
    def evidence_accesses_http(self, request: Request, filing_id: str):
        return {"items": evidence.evidence_accesses(self._uow(), filing_id, scope=self._scope())}

    # --- inspections (B2) and penalties (A1) ----------------------------------------------------------------------

    @route("POST", "/inspections", access=DECIDE, body=InspectionInput(), status=201, errors=_RULES,
           summary="Plan an inspection with a reproducible random sample (B2)")
    def plan_inspection_http(self, request: Request, body: dict):
        return oversight.plan_inspection(self._uow(), body["provider_id"], body["kind"], body["year"],
                                         body["sample_size"], body["seed"], self.caller.actor, scope=self._scope(),
                                         now=self.settings.now)

    @route("GET", "/inspections", access=READ, query=ProviderQuery(),
           summary="Inspections (?provider_id=), newest first (B2)")
    def inspections_http(self, request: Request, query: dict):
        return {"items": oversight.inspections(self._uow(), query["provider_id"], scope=self._scope())}

    @route("GET", "/inspections/<inspection_id>", access=READ, errors=_UNKNOWN,
           summary="One inspection, its sample and findings (B2)")
    def inspection_http(self, request: Request, inspection_id: str):
        return oversight.get_inspection(self._uow(), inspection_id, scope=self._scope())

    @route("POST", "/inspections/<inspection_id>/findings", access=DECIDE, body=FindingsInput(),
           errors={**_UNKNOWN, **_STATE, **_RULES}, summary="Record the findings and score (B2)")
    def findings_http(self, request: Request, inspection_id: str, body: dict):
        return oversight.record_inspection(self._uow(), inspection_id, body["findings"], self.caller.actor,
                                           scope=self._scope(), now=self.settings.now)

    @route("GET", "/providers/<provider_id>/compliance/<int:year>", access=READ,
           summary="A provider's compliance score for a year (B2)")
    def compliance_http(self, request: Request, provider_id: str, year: int):
        return oversight.compliance(self._uow(), provider_id, year, scope=self._scope())

    @route("POST", "/penalties", access=DECIDE, body=PenaltyInput(), status=201, errors=_RULES,
           summary="Penalise a provider with a rectification deadline (A1)")
    def penalty_http(self, request: Request, body: dict):
        return oversight.issue_penalty(self._uow(), body, self.caller.actor, scope=self._scope(),
                                       now=self.settings.now)

    @route("POST", "/penalties/<penalty_id>/closure", access=DECIDE, body=ClosureInput(),
           errors={**_UNKNOWN, **_STATE}, summary="Close a rectification order (A1)")
    def closure_http(self, request: Request, penalty_id: str, body: dict):
        return oversight.close_penalty(self._uow(), penalty_id, body["note"], self.caller.actor, scope=self._scope(),
                                       now=self.settings.now)

    @route("GET", "/penalties", access=READ, query=ProviderQuery(),
           summary="Penalties (?provider_id=), tracked to closure (A1)")
    def penalties_http(self, request: Request, query: dict):
        return {"items": oversight.penalties(self._uow(), query["provider_id"], scope=self._scope())}

    # --- administrators ---------------------------------------------------------------------------------------------

    @route("POST", "/calendar/years", access=allow(OPS), body=CalendarYearInput(), answer=CalendarYearLoaded(),
           errors={**_STATE, **_RULES},
           summary="Load a year's State Council schedule; open review deadlines follow it (P8)")
    def load_calendar_year(self, request: Request, body: dict):
        """Load a year's State Council schedule without a release (``icp-ops calendar load``); open review
        deadlines that counted days of that year are recomputed (P8)."""
        return deadlines.load_calendar_year(self._uow(), read_json(request), self.caller.actor,
                                            review_days=self.settings.review_working_days, now=self.settings.now)

    # --- access providers' intake (X1) ------------------------------------------------------------------------------

    @route("POST", "/register/lookups", access=allow(OPS, REVIEWER), idempotent=False,
           body=RegisterLookupSchema(), answer=RegisterAnswerSchema(), errors=_RULES,
           summary="What the register holds for a sponsor key and domains: filing types (X1, ADR 0006)")
    def register_lookup_http(self, request: Request, body: dict):
        """X1: a provider's intake asks, at draft time, by the sponsor's key (never its document number)."""
        provider = self.caller.principal.provider if self.caller.principal else None
        return register.lookup(self._uow(), body["sponsor_key"], body["domains"], provider, self._scope())

    # --- the public (no login) --------------------------------------------------------------------------------------

    def _client(self, request: Request) -> str:
        """X9: the public query's client: the address the request came from, or the one a trusted proxy (the
        portal) forwarded (``shared.platform.clients``)."""
        return client_address(request, self.settings.trusted_proxies)

    @route("GET", "/public/filings", access=PUBLIC, query=PublicQuery(), answer=PublicFilingOutput(),
           errors={404: "No active filing here for what was asked", **_RULES,
                   429: "More queries from this client than the limit a minute; Retry-After says when (X9)"},
           summary="Public query by ?domain=, ?number= (every format) or ?name= (a unit's exact name), no login")
    def public_query_http(self, request: Request, query: dict):
        """X9: public fields only, never personal data; a client past its limit gets 429 with ``Retry-After``."""
        refused = self._count_public(request)  # the query counts even when nothing is found
        if refused is not None:
            return refused
        return public.public_query(self._uow(), query["domain"], query["number"], query["name"])

    @route("POST", "/public/miit-checks/<filing_id>", access=PUBLIC, body=MiitCodeInput(), idempotent=False,
           errors={**_RULES, 429: "More requests from this client than the limit a minute (X9)"},
           summary="The MIIT SMS check: the code with the ID document's last six characters, no login (X2)")
    def miit_check_http(self, request: Request, filing_id: str, body: dict):
        """X2: a wrong ID tail and an unknown filing get the same 422, so nothing tells whether a filing exists;
        with the right ID tail a wrong code is told the tries left, and a check that ended why (five wrong tries,
        expiry). The fifth wrong try, or a try after 24 hours, returns the filing to the provider."""
        refused = self._count_public(request)
        if refused is not None:
            return refused
        return miit.enter_code(self._uow(), filing_id, body["code"], body["id_tail"], scope=self._scope(),
                               keys=self._keys(), hasher=self.personal.hasher, now=self.settings.now)

    @route("POST", "/public/miit-checks/<filing_id>/resend", access=PUBLIC, body=MiitResendInput(), status=202,
           idempotent=False, errors={409: "The code was sent again three times already (X2)",
                                     429: "More requests from this client than the limit a minute (X9)"},
           summary="Send the MIIT code again (at most three times), no login (X2)")
    def miit_resend_http(self, request: Request, filing_id: str, body: dict):
        refused = self._count_public(request)
        if refused is not None:
            return refused
        return miit.resend(self._uow(), filing_id, body["id_tail"], scope=self._scope(), keys=self._keys(),
                           hasher=self.personal.hasher, now=self.settings.now)

    def _count_public(self, request: Request):
        """X9: a public request counts against its client's limit a minute (committed even when refused);
        the 429 answer when past it, else None."""
        try:
            public.count_query(self._uow(), self.personal.hasher, self._client(request),
                               self.settings.public_query_limit, self.settings.now())
        except public.QueryLimitReached as refused:
            self.db.commit()
            return error_response(refused, locale_of(request), {"Retry-After": str(refused.retry_after)})
        self.db.commit()
        return None
