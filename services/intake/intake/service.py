"""The intake service: entrypoints only — parse, call a use case, commit, dump (design.md §2).

HTTP JSON for sponsors and staff, RPC for other services, and the status events it reads. Every POST
needs an ``Idempotency-Key`` (a replay returns the first answer); bodies are size-limited before any
worker runs; every error names the field and the rule.
"""

import eventlet
import structlog
from nameko.rpc import RpcProxy, rpc
from werkzeug.wrappers import Request, Response

from intake import revisits, sign_in, stock, usecases
from intake.dependencies import IntakeSettings, IntakeStorage, setting_timer
from intake.domain import CONTRACT_CLAUSE, CONTRACT_CLAUSE_SHA256, document_guide, nginx_map
from intake.models import idempotency_keys, outbox
from intake.openapi import openapi_document
from intake.schemas import (
    AcceptanceInput,
    AccessInput,
    CancellationInput,
    FilingInput,
    GuideQuery,
    RevisitAnswerInput,
    SignInCodeInput,
    SignInInput,
    StockImportQuery,
)
from shared.contracts.bureau import FILING_APPROVED, FILING_NUMBER_RETIRED, FILING_RETURNED
from shared.contracts.errors import BadRequest, FieldError, ServiceUnavailable, field_errors, from_marshmallow
from shared.contracts.precheck import PRECHECK_FAILED, PRECHECK_PASSED
from shared.contracts.verification import (
    FILING_SENT_TO_BUREAU,
    ONSITE_REJECTED,
    ONSITE_VERIFIED,
    ONSITE_WINDOW_EXPIRED,
)
from shared.kernel.errors import InvalidValue
from shared.platform.auth import (
    AUDITOR,
    ONSITE_VERIFIER,
    OPS,
    PRECHECK,
    PUBLIC,
    REVIEWER,
    SPONSOR,
    STAFF,
    SUPERVISOR,
    Guard,
    Principal,
    allow,
)
from shared.platform.entrypoints import answer_once, read_event
from shared.platform.events import event_handler
from shared.platform.http import http, json_response, load_json
from shared.platform.idempotency import IDEMPOTENCY_HEADER, check_key
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase

log = structlog.get_logger(__name__)

NOTIFY_TIMEOUT_SECONDS = 10
SIGN_IN_MAX_BODY = 1024
READERS = (SPONSOR, *STAFF, REVIEWER, AUDITOR)
PERSONAL_DATA_OPENERS = (ONSITE_VERIFIER, SUPERVISOR, REVIEWER)
"""Roles whose work needs a personal value in full now and then: staff comparing originals (P5), reviewers (B1).
They see filings masked like everybody but the sponsor, and open one value at a time, recorded (issue 17)."""

ACCESS_POLICY = {
    # Every HTTP and RPC entrypoint, deny by default (issue 8); per-filing scope in usecases._load.
    # W2: the procedure, documents and clause are for sponsors "before they start", signed in or not (issue 19).
    "guide": PUBLIC,
    "contract_clause": PUBLIC,
    "create_filing": allow(SPONSOR),
    "get_filing_http": allow(*READERS),
    "edit_filing": allow(SPONSOR),
    "set_access": allow(PRECHECK, ONSITE_VERIFIER, SUPERVISOR),
    "upload_document": allow(SPONSOR),
    "accept_contract": allow(SPONSOR),
    "submit": allow(SPONSOR),
    "timeline": allow(*READERS),
    "document_link": allow(*READERS),
    "open_personal_value": allow(*PERSONAL_DATA_OPENERS),
    "approved_sites": allow(SUPERVISOR, OPS, AUDITOR),
    "get_approved_sites": allow(SUPERVISOR, OPS, AUDITOR, internal=True),
    "request_change": allow(SPONSOR),
    "cancel": allow(SPONSOR, SUPERVISOR),
    "openapi": PUBLIC,
    "request_sign_in_code": PUBLIC,
    "sign_in_sponsor": PUBLIC,
    "get_filing": allow(*STAFF, REVIEWER, AUDITOR, internal=True),
    "get_timeline": allow(*STAFF, REVIEWER, AUDITOR, internal=True),
    # W5 (issue 9): staff record hosting changes; the sponsor answers its revisits (a supervisor may record an
    # answer given by phone after an escalation); staff see the provider's revisits.
    "change_hosting": allow(PRECHECK, ONSITE_VERIFIER, SUPERVISOR),
    "filing_revisits": allow(*READERS),
    "answer_revisit": allow(SPONSOR, SUPERVISOR),
    "revisit_status": allow(*STAFF, AUDITOR),
    # W6 (issue 9): a supervisor imports the stock; staff follow the plan.
    "import_stock": allow(SUPERVISOR),
    "stock_import": allow(*STAFF, AUDITOR),
    "stock_progress": allow(*STAFF, AUDITOR),
}
# The HTTP stock import runs on the worker's green thread: small batches, and a yield after each, keep the hub
# (AMQP heartbeats, other requests) responsive (design.md §4); the command takes larger files and batches.
HTTP_BATCH = 200


class IntakeService(ServiceBase):
    name = "intake"

    caller = Guard(ACCESS_POLICY, signs=True)
    notify = RpcProxy("notify")
    storage = IntakeStorage()
    settings = IntakeSettings()
    relay = OutboxRelay(outbox)

    # --- helpers -------------------------------------------------------------------------------

    def _deps(self, *, sponsor_in_full: bool = False) -> usecases.Deps:
        """``sponsor_in_full``: a sponsor's answer shows its own filing in full (issue 17). Only the answers that
        are never stored ask for it (GET and PATCH of a filing): an Idempotency-Key's stored answer stays masked.
        """
        return usecases.Deps(
            session=self.db,
            cipher=self.personal.cipher,
            hasher=self.personal.hasher,
            store=self.storage,
            bucket=self.settings.bucket,
            provider_id=self.settings.provider_id,
            now=self.settings.now,
            revisit_interval=self.settings.revisit_interval,
            revisit_answer=self.settings.revisit_answer,
            reverification=self.settings.reverification,
            may_see=self.caller.may_see,
            unmasked=sponsor_in_full and self.caller.principal is not None and self.caller.principal.role == SPONSOR,
        )

    def _once(self, request: Request, action, status: int = 200):
        return answer_once(self.db, idempotency_keys, request, self.caller.actor, action, status)

    def _commit(self, result: dict, status: int = 200):
        self.db.commit()
        return json_response(status, result)

    # --- sponsor sign-in (P1, issue 8) ----------------------------------------------------------

    @http("POST", "/sign-in/code", max_body=SIGN_IN_MAX_BODY)
    def request_sign_in_code(self, request: Request):
        """P1: a one-time code to the sponsor's mobile, by notify's SMS; rate-limited per number and per client.
        The answer is the same for every valid number (nothing says whether it has filings)."""
        mobile = sign_in.canonical_mobile(load_json(request, SignInCodeInput())["mobile"])
        code_id, code = sign_in.request_code(self._sign_in_deps(), mobile, request.remote_addr or "")
        self.db.commit()
        cipher = self.personal.cipher
        try:
            with eventlet.Timeout(NOTIFY_TIMEOUT_SECONDS):
                self.notify.send_sms(cipher.encrypt(mobile, context="rpc.recipient"), sign_in.SMS_TEMPLATE,
                                     {"code": cipher.encrypt(code, context="rpc.code")}, f"sign-in:{code_id}")
        except (eventlet.Timeout, Exception) as exc:
            log.warning("sign_in_code_not_sent", error_type=type(exc).__name__)
            raise ServiceUnavailable("The code could not be sent; try again shortly.") from None
        return json_response(202, {"sent": True, "expires_in": int(sign_in.CODE_VALIDITY.total_seconds())})

    @http("POST", "/sign-in", max_body=SIGN_IN_MAX_BODY)
    def sign_in_sponsor(self, request: Request):
        """P1: mobile + code -> a sponsor token (its subject the mobile's keyed HMAC)."""
        body = load_json(request, SignInInput())
        mobile = sign_in.canonical_mobile(body["mobile"])
        try:
            subject = sign_in.verify_code(self._sign_in_deps(), mobile, body["code"])
        finally:
            self.db.commit()  # a wrong guess counts too
        signer = self.caller.signer
        return json_response(200, {"token": signer.mint(Principal(subject, SPONSOR)), "token_type": "Bearer",
                                   "expires_in": signer.ttl})

    def _sign_in_deps(self) -> sign_in.SignInDeps:
        return sign_in.SignInDeps(session=self.db, hasher=self.personal.hasher, now=self.settings.now)

    # --- sponsor and staff HTTP ----------------------------------------------------------------

    @http("GET", "/guide")
    def guide(self, request: Request):
        """W2: the documents and procedure for a kind of sponsor."""
        errors = GuideQuery().validate(request.args)
        if errors:
            raise BadRequest("invalid query", from_marshmallow(errors, rule="W2"))
        try:
            return json_response(200, document_guide(request.args["kind"], request.args.get("unit_type")))
        except InvalidValue as exc:
            raise BadRequest(
                exc.message, field_errors(FieldError("unit_type", exc.code, exc.message, exc.rule))
            ) from None

    @http("GET", "/contract-clause")
    def contract_clause(self, request: Request):
        """W3: the clause shown, verbatim, before submission."""
        return json_response(
            200, {"clause": CONTRACT_CLAUSE, "clause_sha256": CONTRACT_CLAUSE_SHA256, "rule": "W3"}
        )

    @http("POST", "/filings")
    def create_filing(self, request: Request):
        data = load_json(request, FilingInput())
        return self._once(request, lambda actor: usecases.create_draft(self._deps(), actor, data), status=201)

    @http("GET", "/filings/<filing_id>")
    def get_filing_http(self, request: Request, filing_id: str):
        return json_response(200, usecases.get_filing(self._deps(sponsor_in_full=True), filing_id))

    @http("PATCH", "/filings/<filing_id>")
    def edit_filing(self, request: Request, filing_id: str):
        patch = load_json(request, FilingInput())
        return self._commit(usecases.edit_draft(self._deps(sponsor_in_full=True), self.caller.actor, filing_id, patch))

    @http("PUT", "/filings/<filing_id>/access")
    def set_access(self, request: Request, filing_id: str):
        access = load_json(request, AccessInput())
        return self._commit(usecases.set_access(self._deps(), self.caller.actor, filing_id, access))

    @http("POST", "/filings/<filing_id>/documents", max_body=usecases.MAX_SCAN_BYTES)
    def upload_document(self, request: Request, filing_id: str):
        kind = request.args.get("kind")
        body = request.get_data(cache=True)
        return self._once(
            request,
            lambda actor: usecases.upload_scan(self._deps(), actor, filing_id, kind, body),
            status=201,
        )

    @http("POST", "/filings/<filing_id>/contract-acceptance")
    def accept_contract(self, request: Request, filing_id: str):
        payload = load_json(request, AcceptanceInput())
        return self._once(
            request,
            lambda actor: usecases.accept_contract(self._deps(), actor, filing_id, payload["clause_sha256"]),
        )

    @http("POST", "/filings/<filing_id>/submit")
    def submit(self, request: Request, filing_id: str):
        return self._once(request, lambda actor: usecases.submit(self._deps(), actor, filing_id))

    @http("GET", "/filings/<filing_id>/documents/<document_id>")
    def document_link(self, request: Request, filing_id: str, document_id: str):
        """W4, B1: a 300 s link to one scan, every opening recorded (who, which, when)."""
        principal = self.caller.principal
        result = usecases.document_link(self._deps(), principal.actor, principal.role, filing_id, document_id)
        return self._commit(result)

    @http("POST", "/filings/<filing_id>/personal-data/<field>/access")
    def open_personal_value(self, request: Request, filing_id: str, field: str):
        """W4, B1 (issue 17): one personal value in full, the opening recorded. No Idempotency-Key: a stored
        answer would keep the value in the clear, and every opening is one to record."""
        principal = self.caller.principal
        result = usecases.open_personal_value(self._deps(), principal.actor, principal.role, filing_id, field)
        return self._commit(result)

    @http("GET", "/filings/<filing_id>/timeline")
    def timeline(self, request: Request, filing_id: str):
        return json_response(200, usecases.get_timeline(self._deps(), filing_id))

    @http("GET", "/approved-sites")
    def approved_sites(self, request: Request):
        """P8: the domains the provider may connect, as JSON or (``?format=nginx``) an nginx ``map`` file."""
        sites = usecases.approved_sites(self._deps())
        if request.args.get("format") == "nginx":
            return Response(nginx_map(sites["sites"], sites["revision"]), mimetype="text/plain",
                            headers={"X-Sites-Revision": str(sites["revision"])})
        return json_response(200, sites)

    @rpc
    def get_approved_sites(self) -> dict:
        return usecases.approved_sites(self._deps())

    @http("POST", "/filings/<filing_id>/changes")
    def request_change(self, request: Request, filing_id: str):
        return self._once(
            request, lambda actor: usecases.request_change(self._deps(), actor, filing_id), status=201
        )

    @http("POST", "/filings/<filing_id>/cancellation")
    def cancel(self, request: Request, filing_id: str):
        payload = load_json(request, CancellationInput())
        return self._once(
            request, lambda actor: usecases.cancel(self._deps(), actor, filing_id, payload["reason"])
        )

    @http("POST", "/filings/<filing_id>/hosting-changes")
    def change_hosting(self, request: Request, filing_id: str):
        """W5: staff record a change of how the provider hosts an approved site; it goes out as a change."""
        access = load_json(request, AccessInput())
        return self._once(
            request, lambda actor: usecases.change_hosting(self._deps(), actor, filing_id, access), status=201
        )

    # --- W5 revisits ---------------------------------------------------------------------------

    @http("GET", "/filings/<filing_id>/revisits")
    def filing_revisits(self, request: Request, filing_id: str):
        return json_response(200, revisits.filing_revisits(self._deps(), filing_id))

    @http("POST", "/filings/<filing_id>/revisits/<revisit_id>/answer")
    def answer_revisit(self, request: Request, filing_id: str, revisit_id: str):
        """W5: the sponsor confirms its data, or asks to update it (a change draft opens)."""
        reply = load_json(request, RevisitAnswerInput())["answer"]
        return self._once(
            request, lambda actor: revisits.answer(self._deps(), actor, filing_id, revisit_id, reply)
        )

    @http("GET", "/revisits")
    def revisit_status(self, request: Request):
        """W5: the provider's revisits by state, with the escalated and open ones for staff."""
        return json_response(200, revisits.status(self._deps()))

    @setting_timer("REVISIT_TIMER_SECONDS", 60.0)
    def run_revisits(self):
        """W5: open the due revisits and escalate the unanswered ones (each event once, with the outbox)."""
        counts = revisits.run_revisits(self._deps())
        self.db.commit()
        for kind, count in counts.items():
            if count:
                self.metrics.counter("icp_intake_revisit_events_total", "Revisits opened or escalated (W5)",
                                     ("kind",)).labels(kind).inc(count)

    # --- W6 stock re-verification --------------------------------------------------------------

    @http("POST", "/stock/imports", max_body=stock.MAX_HTTP_BYTES)
    def import_stock(self, request: Request):
        """W6: import a CSV of stock filings (``text/csv`` body; ``?deadline=YYYY-MM-DD``). Answers the report:
        rows, imported, already imported, rejected with line, field and rule. Larger files: the command."""
        errors = StockImportQuery().validate(request.args)
        if errors:
            raise BadRequest("invalid query", from_marshmallow(errors, rule="W6"))
        query = StockImportQuery().load(request.args)
        actor = self.caller.actor
        key = check_key(request.headers.get(IDEMPOTENCY_HEADER))
        deps = self._deps()
        text = stock.csv_text(request.get_data(cache=True), request.mimetype)
        result = stock.import_stock(deps, text.splitlines(keepends=True), source="http", actor=actor,
                                    deadline=stock.deadline_of(deps, query.get("deadline")),
                                    request_key=f"{actor}:{key}", batch=HTTP_BATCH,
                                    progress=lambda _report: eventlet.sleep(0))
        return json_response(201, result)

    @http("GET", "/stock/imports/<import_id>")
    def stock_import(self, request: Request, import_id: str):
        return json_response(200, stock.get_import(self._deps(), import_id))

    @http("GET", "/stock/progress")
    def stock_progress(self, request: Request):
        """W6: re-verification progress against the plan: done, pending, overdue (total and per import)."""
        return json_response(200, stock.progress(self._deps()))

    @http("GET", "/openapi.json")
    def openapi(self, request: Request):
        return json_response(200, openapi_document())

    # --- RPC for other services ----------------------------------------------------------------

    @rpc
    def get_filing(self, filing_id: str) -> dict:
        """The filing as shown to staff (masked); raises ``NotFound``."""
        return usecases.get_filing(self._deps(), filing_id)

    @rpc
    def get_timeline(self, filing_id: str) -> dict:
        return usecases.get_timeline(self._deps(), filing_id)

    # --- status events -------------------------------------------------------------------------

    @event_handler("precheck", PRECHECK_PASSED)
    def on_precheck_passed(self, envelope: dict):
        self._handle(
            envelope, lambda deps, data: usecases.record_precheck(deps, _event_id(envelope), data, True)
        )

    @event_handler("precheck", PRECHECK_FAILED)
    def on_precheck_failed(self, envelope: dict):
        self._handle(
            envelope, lambda deps, data: usecases.record_precheck(deps, _event_id(envelope), data, False)
        )

    @event_handler("bureau", FILING_APPROVED)
    def on_filing_approved(self, envelope: dict):
        self._handle(envelope, lambda deps, data: usecases.record_approval(deps, _event_id(envelope), data))

    @event_handler("verification", ONSITE_WINDOW_EXPIRED)
    def on_onsite_window_expired(self, envelope: dict):
        self._step(envelope, "window_expired")

    @event_handler("verification", ONSITE_REJECTED)
    def on_onsite_rejected(self, envelope: dict):
        self._step(envelope, "onsite_rejected")

    @event_handler("verification", ONSITE_VERIFIED)
    def on_onsite_verified(self, envelope: dict):
        self._step(envelope, "onsite_verified")

    @event_handler("verification", FILING_SENT_TO_BUREAU)
    def on_filing_sent_to_bureau(self, envelope: dict):
        self._step(envelope, "sent_to_bureau")

    @event_handler("bureau", FILING_RETURNED)
    def on_filing_returned(self, envelope: dict):
        self._step(envelope, "returned")

    @event_handler("bureau", FILING_NUMBER_RETIRED)
    def on_filing_number_retired(self, envelope: dict):
        self._handle(envelope, lambda deps, data: usecases.record_number_retired(deps, _event_id(envelope), data))

    def _step(self, envelope: dict, step: str) -> None:
        self._handle(envelope, lambda deps, data: usecases.record_step(deps, _event_id(envelope), data, step))

    def _handle(self, envelope: dict, action) -> None:
        action(self._deps(), read_event(envelope))
        self.db.commit()


def _event_id(envelope: dict) -> str:
    return str(envelope["meta"]["id"])
