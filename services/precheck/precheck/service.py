"""The precheck service: entrypoints only (design.md §2).

Reads ``filing_submitted.v1`` and ``filing_changed.v1``; sponsors confirm their contacts over HTTP; staff work
the review queue over HTTP and RPC; a timer raises deadline events; administrators load holiday schedules.
"""

from nameko.rpc import rpc
from nameko.timer import timer
from werkzeug.wrappers import Request

from precheck import usecases
from precheck.dependencies import PrecheckSettings
from precheck.domain import DEADLINE_KIND
from precheck.models import idempotency_keys, outbox
from precheck.openapi import openapi_document
from precheck.schemas import CodeInput, DecisionInput
from shared.contracts.calendar import CalendarYearInput
from shared.contracts.intake import FILING_CHANGED, FILING_SUBMITTED
from shared.platform.auth import (
    AUDITOR,
    OPS,
    PRECHECK,
    PUBLIC,
    REVIEWER,
    SPONSOR,
    STAFF,
    SUPERVISOR,
    Guard,
    allow,
)
from shared.platform.entrypoints import answer_once, read_event
from shared.platform.events import event_handler
from shared.platform.http import http, json_response, load_json, read_json
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase

DEADLINE_TIMER_SECONDS = 5


ACCESS_POLICY = {
    # Every HTTP and RPC entrypoint, deny by default (issue 8); per-filing scope in usecases._current_case.
    "get_case_http": allow(SPONSOR, *STAFF, REVIEWER, AUDITOR),
    "confirm_contact": allow(SPONSOR),
    "resend_code": allow(SPONSOR),
    "queue_http": allow(PRECHECK, SUPERVISOR, AUDITOR),
    "claim_http": allow(PRECHECK, SUPERVISOR),
    "decide_http": allow(PRECHECK, SUPERVISOR),
    "work_queue": allow(PRECHECK, SUPERVISOR, AUDITOR, internal=True),
    "claim": allow(PRECHECK, SUPERVISOR, internal=True),
    "decide": allow(PRECHECK, SUPERVISOR, internal=True),
    "get_case": allow(*STAFF, REVIEWER, AUDITOR, internal=True),
    "load_calendar_year": allow(OPS),
    "rulebook": allow(SPONSOR, *STAFF, REVIEWER, AUDITOR, OPS),
    "openapi": PUBLIC,
}


class PrecheckService(ServiceBase):
    name = "precheck"

    caller = Guard(ACCESS_POLICY)
    settings = PrecheckSettings()
    relay = OutboxRelay(outbox)

    def _deps(self) -> usecases.Deps:
        return usecases.Deps(
            session=self.db,
            cipher=self.personal.cipher,
            hasher=self.personal.hasher,
            rulebook=self.settings.rulebook,
            auto_pass=self.settings.auto_pass,
            now=self.settings.now,
            may_see=self.caller.may_see,
        )

    def _once(self, request: Request, action, status: int = 200):
        return answer_once(self.db, idempotency_keys, request, self.caller.actor, action, status)

    # --- events --------------------------------------------------------------------------------

    @event_handler("intake", FILING_SUBMITTED)
    def on_filing_submitted(self, envelope: dict):
        self._submitted(envelope)

    @event_handler("intake", FILING_CHANGED)
    def on_filing_changed(self, envelope: dict):
        self._submitted(envelope)

    def _submitted(self, envelope: dict) -> None:
        usecases.on_submitted(self._deps(), str(envelope["meta"]["id"]), read_event(envelope))
        self.db.commit()

    @timer(interval=DEADLINE_TIMER_SECONDS, eager=True)
    def check_deadlines(self):
        """P2 deadlines: near one working day before, breached after; each raised once. Runs at start-up too, so
        that ``icp_deadlines_open``/``_breached`` carry the database's counts from the first scrape (issue 7)."""
        raised = usecases.raise_deadline_events(self._deps())
        self.db.commit()
        if raised:
            self.metrics.counter("icp_precheck_deadline_events_total", "Deadline events raised").inc(raised)
        counts = usecases.open_deadlines(self._deps())
        self.metrics.deadlines(DEADLINE_KIND, counts["open"], counts["breached"], counts["provisional"])
        self.metrics.calendar(counts["official_days_left"])

    # --- sponsor HTTP ----------------------------------------------------------------------------

    @http("GET", "/filings/<filing_id>")
    def get_case_http(self, request: Request, filing_id: str):
        return json_response(200, usecases.get_case(self._deps(), filing_id))

    @http("POST", "/filings/<filing_id>/contacts/<channel>/confirmation")
    def confirm_contact(self, request: Request, filing_id: str, channel: str):
        """P2: the sponsor enters the one-time code sent to its mobile (sms) or e-mail."""
        code = load_json(request, CodeInput())["code"]
        return self._once(request, lambda _a: usecases.confirm_contact(self._deps(), filing_id, channel, code))

    @http("POST", "/filings/<filing_id>/contacts/<channel>/resend")
    def resend_code(self, request: Request, filing_id: str, channel: str):
        return self._once(request, lambda _a: usecases.resend_code(self._deps(), filing_id, channel))

    # --- staff HTTP and RPC ------------------------------------------------------------------------

    @http("GET", "/queue")
    def queue_http(self, request: Request):
        """Filings that need a human, oldest deadline first, with how many open filings are past deadline."""
        deps = self._deps()
        return json_response(200, {"items": usecases.work_queue(deps), "deadlines": usecases.open_deadlines(deps)})

    @http("POST", "/queue/<filing_id>/claim")
    def claim_http(self, request: Request, filing_id: str):
        return self._once(request, lambda actor: usecases.claim(self._deps(), filing_id, actor))

    @http("POST", "/queue/<filing_id>/decision")
    def decide_http(self, request: Request, filing_id: str):
        body = load_json(request, DecisionInput())
        return self._once(
            request, lambda actor: usecases.decide(self._deps(), filing_id, actor, body["decision"], body["reasons"])
        )

    @rpc
    def work_queue(self) -> list[dict]:
        return usecases.work_queue(self._deps())

    @rpc
    def claim(self, filing_id: str, actor: str) -> dict:
        """``actor`` is the verified caller's when the call carries an identity."""
        result = usecases.claim(self._deps(), filing_id, self.caller.actor or actor)
        self.db.commit()
        return result

    @rpc
    def decide(self, filing_id: str, actor: str, decision: str, reasons: list[dict]) -> dict:
        body = DecisionInput().load({"decision": decision, "reasons": reasons})
        result = usecases.decide(self._deps(), filing_id, self.caller.actor or actor, body["decision"],
                                 body["reasons"])
        self.db.commit()
        return result

    @rpc
    def get_case(self, filing_id: str) -> dict:
        return usecases.get_case(self._deps(), filing_id)

    # --- administrators -------------------------------------------------------------------------

    @http("POST", "/calendar/years")
    def load_calendar_year(self, request: Request):
        """Load a year's State Council schedule without a release; open deadlines are recomputed."""
        load_json(request, CalendarYearInput())
        schedule = read_json(request)
        return self._once(request, lambda actor: usecases.load_calendar_year(self._deps(), schedule, actor))

    @http("GET", "/rulebook")
    def rulebook(self, request: Request):
        """C3: the check standards in force, published."""
        return json_response(200, self.settings.rulebook.to_dict())

    @http("GET", "/openapi.json")
    def openapi(self, request: Request):
        return json_response(200, openapi_document())
