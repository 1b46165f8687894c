"""The precheck service: entrypoints only (design.md §2).

Reads ``filing_submitted.v1`` and ``filing_changed.v1``; sponsors confirm their contacts over HTTP; staff work
the review queue over HTTP and RPC; a timer raises deadline events; administrators load holiday schedules.
Every HTTP and RPC entrypoint declares who may call it (issue 8: deny by default); the per-filing scope is
applied in ``usecases.common.current_case``.
"""

from nameko.timer import timer
from werkzeug.wrappers import Request

from precheck.dependencies import PrecheckSettings
from precheck.domain import DEADLINE_KIND
from precheck.models import idempotency_keys, outbox, processed_events
from precheck.repository import PrecheckUnitOfWork
from precheck.schemas import CodeInput, DecisionInput
from precheck.usecases import common, contacts, deadlines, staff, submission
from shared.contracts.calendar import CalendarYearInput
from shared.contracts.intake import FILING_CHANGED, FILING_SUBMITTED
from shared.platform.auth import AUDITOR, OPS, PRECHECK, REVIEWER, SPONSOR, STAFF, SUPERVISOR, Guard, allow
from shared.platform.entrypoints import handles, route, rpc_entry
from shared.platform.http import read_json
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase

DEADLINE_TIMER_SECONDS = 5
READERS = allow(SPONSOR, *STAFF, REVIEWER, AUDITOR)
REVIEWERS = allow(PRECHECK, SUPERVISOR)
_FILING_GONE = {404: "No such filing in pre-verification, or not open to the caller"}
_STATE = {409: "Not allowed in the case's current state, or an Idempotency-Key reused"}
_CHANNEL = {"channel": {"enum": ["sms", "email"]}}


class PrecheckService(ServiceBase):
    name = "precheck"
    description = "P2 pre-verification: sponsors confirm contacts, staff review the queue."
    idempotency_keys = idempotency_keys
    processed_events = processed_events

    caller = Guard()
    settings = PrecheckSettings()
    relay = OutboxRelay(outbox)

    def _uow(self) -> PrecheckUnitOfWork:
        return PrecheckUnitOfWork(self.db)

    # --- events --------------------------------------------------------------------------------

    @handles("intake", FILING_SUBMITTED, claim="on_submitted")
    def on_filing_submitted(self, data: dict, meta: dict):
        self._on_submitted(data)

    @handles("intake", FILING_CHANGED, claim="on_submitted")
    def on_filing_changed(self, data: dict, meta: dict):
        self._on_submitted(data)

    def _on_submitted(self, data: dict) -> None:
        submission.on_submitted(self._uow(), data, cipher=self.personal.cipher, hasher=self.personal.hasher,
                              rulebook=self.settings.rulebook, province_rules=self.settings.province_rules,
                              auto_pass=self.settings.auto_pass, now=self.settings.now)

    @timer(interval=DEADLINE_TIMER_SECONDS, eager=True)
    def check_deadlines(self):
        """P2 deadlines: near one working day before, breached after; each raised once. Runs at start-up too, so
        that ``icp_deadlines_open``/``_breached`` carry the database's counts from the first scrape (issue 7)."""
        uow = self._uow()
        raised = deadlines.raise_deadline_events(uow, self.settings.now)
        self.db.commit()
        if raised:
            self.metrics.counter("icp_precheck_deadline_events_total", "Deadline events raised").inc(raised)
        counts = deadlines.open_deadlines(uow, self.settings.now)
        self.metrics.deadlines(DEADLINE_KIND, counts["open"], counts["breached"], counts["provisional"])
        self.metrics.calendar(counts["official_days_left"])

    # --- sponsor HTTP ----------------------------------------------------------------------------

    @route("GET", "/filings/<filing_id>", access=READERS, summary="The pre-verification case of a filing (P2)",
           errors=_FILING_GONE)
    def get_case_http(self, request: Request, filing_id: str):
        return common.get_case(self._uow(), filing_id, self.caller.may_see)

    @route("POST", "/filings/<filing_id>/contacts/<channel>/confirmation", access=allow(SPONSOR),
           summary="Confirm a contact with its one-time code (P2)", body=CodeInput(), parameters=_CHANNEL,
           errors={**_FILING_GONE, **_STATE, 422: "Wrong code"})
    def confirm_contact(self, request: Request, filing_id: str, channel: str, body: dict):
        """P2: the sponsor enters the one-time code sent to its mobile (sms) or e-mail."""
        return contacts.confirm_contact(self._uow(), filing_id, channel, body["code"], cipher=self.personal.cipher,
                                        auto_pass=self.settings.auto_pass, now=self.settings.now,
                                        may_see=self.caller.may_see)

    @route("POST", "/filings/<filing_id>/contacts/<channel>/resend", access=allow(SPONSOR),
           summary="Send the one-time code again (P2)", parameters=_CHANNEL,
           errors={**_FILING_GONE, **_STATE, 429: "Too many codes sent for this contact; try later"})
    def resend_code(self, request: Request, filing_id: str, channel: str):
        return contacts.resend_code(self._uow(), filing_id, channel, cipher=self.personal.cipher,
                                    now=self.settings.now, may_see=self.caller.may_see)

    # --- staff HTTP and RPC ------------------------------------------------------------------------

    @route("GET", "/queue", access=allow(PRECHECK, SUPERVISOR, AUDITOR),
           summary="Filings that need a human, oldest deadline first")
    def queue_http(self, request: Request):
        """Filings that need a human, oldest deadline first, with how many open filings are past deadline."""
        uow = self._uow()
        return {"items": staff.work_queue(uow, self.caller.may_see),
                "deadlines": deadlines.open_deadlines(uow, self.settings.now)}

    @route("POST", "/queue/<filing_id>/claim", access=REVIEWERS, summary="Staff claim a filing to review",
           errors={**_FILING_GONE, **_STATE})
    def claim_http(self, request: Request, filing_id: str):
        return staff.claim(self._uow(), filing_id, self.caller.actor, now=self.settings.now,
                              may_see=self.caller.may_see)

    @route("POST", "/queue/<filing_id>/decision", access=REVIEWERS, body=DecisionInput(),
           summary="Staff pass or fail a claimed filing, with reasons",
           errors={**_FILING_GONE, **_STATE, 422: "A decision that breaks a rule"})
    def decide_http(self, request: Request, filing_id: str, body: dict):
        return staff.decide(self._uow(), filing_id, self.caller.actor, body["decision"], body["reasons"],
                               cipher=self.personal.cipher, now=self.settings.now, may_see=self.caller.may_see)

    @rpc_entry(access=allow(PRECHECK, SUPERVISOR, AUDITOR, internal=True))
    def work_queue(self) -> list[dict]:
        return staff.work_queue(self._uow(), self.caller.may_see)

    @rpc_entry(access=allow(PRECHECK, SUPERVISOR, internal=True))
    def claim(self, filing_id: str, actor: str) -> dict:
        """``actor`` is the verified caller's when the call carries an identity."""
        result = staff.claim(self._uow(), filing_id, self.caller.actor or actor, now=self.settings.now,
                                may_see=self.caller.may_see)
        self.db.commit()
        return result

    @rpc_entry(access=allow(PRECHECK, SUPERVISOR, internal=True))
    def decide(self, filing_id: str, actor: str, decision: str, reasons: list[dict]) -> dict:
        body = DecisionInput().load({"decision": decision, "reasons": reasons})
        result = staff.decide(self._uow(), filing_id, self.caller.actor or actor, body["decision"],
                                 body["reasons"], cipher=self.personal.cipher, now=self.settings.now,
                                 may_see=self.caller.may_see)
        self.db.commit()
        return result

    @rpc_entry(access=allow(*STAFF, REVIEWER, AUDITOR, internal=True))
    def get_case(self, filing_id: str) -> dict:
        return common.get_case(self._uow(), filing_id, self.caller.may_see)

    # --- administrators -------------------------------------------------------------------------

    @route("POST", "/calendar/years", access=allow(OPS), body=CalendarYearInput(),
           summary="Load a year's State Council schedule (administrators)",
           errors={409: _STATE[409], 422: "A schedule that breaks a rule"})
    def load_calendar_year(self, request: Request, body: dict):
        """Load a year's State Council schedule without a release; open deadlines are recomputed."""
        return deadlines.load_calendar_year(self._uow(), read_json(request), self.caller.actor, self.settings.now)

    @route("GET", "/rulebook", access=allow(SPONSOR, *STAFF, REVIEWER, AUDITOR, OPS),
           summary="The check standards in force (C3)")
    def rulebook(self, request: Request):
        """C3: the check standards in force, published, with the provinces' own rules (X3), each citing its
        source and the day it took effect."""
        return {**self.settings.rulebook.to_dict(), "province_rules": self.settings.province_rules.to_dict()}
