"""The intake service: entrypoints only — parse, call a use case, commit, dump (design.md §2).

HTTP JSON for sponsors and staff, RPC for other services, and the status events it reads. Every POST
needs an ``Idempotency-Key`` (a replay returns the first answer); bodies are size-limited before any
worker runs; every error names the field and the rule.
"""

import eventlet
from nameko.rpc import rpc
from werkzeug.wrappers import Request, Response

from intake import revisits, stock, usecases
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
    StockImportQuery,
)
from shared.contracts.bureau import FILING_APPROVED, FILING_NUMBER_RETIRED, FILING_RETURNED
from shared.contracts.errors import BadRequest, FieldError, field_errors, from_marshmallow
from shared.contracts.precheck import PRECHECK_FAILED, PRECHECK_PASSED
from shared.contracts.verification import (
    FILING_SENT_TO_BUREAU,
    ONSITE_REJECTED,
    ONSITE_VERIFIED,
    ONSITE_WINDOW_EXPIRED,
)
from shared.kernel.errors import InvalidValue
from shared.platform.entrypoints import actor_of, answer_once, read_event
from shared.platform.events import event_handler
from shared.platform.http import http, json_response, load_json
from shared.platform.idempotency import IDEMPOTENCY_HEADER, check_key
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase

# The HTTP import runs on the worker's green thread: small batches, and a yield after each, keep the hub (AMQP
# heartbeats, other requests) responsive (design.md §4); the command takes larger files and batches.
HTTP_BATCH = 200


class IntakeService(ServiceBase):
    name = "intake"

    storage = IntakeStorage()
    settings = IntakeSettings()
    relay = OutboxRelay(outbox)

    # --- helpers -------------------------------------------------------------------------------

    def _deps(self) -> usecases.Deps:
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
        )

    def _once(self, request: Request, action, status: int = 200):
        return answer_once(self.db, idempotency_keys, request, action, status)

    def _commit(self, result: dict, status: int = 200):
        self.db.commit()
        return json_response(status, result)

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
        return json_response(200, usecases.get_filing(self._deps(), filing_id))

    @http("PATCH", "/filings/<filing_id>")
    def edit_filing(self, request: Request, filing_id: str):
        patch = load_json(request, FilingInput())
        return self._commit(usecases.edit_draft(self._deps(), actor_of(request), filing_id, patch))

    @http("PUT", "/filings/<filing_id>/access")
    def set_access(self, request: Request, filing_id: str):
        access = load_json(request, AccessInput())
        return self._commit(usecases.set_access(self._deps(), actor_of(request), filing_id, access))

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
        if any(counts.values()):
            self.metrics.counter("icp_intake_revisit_events_total", "Revisits opened or escalated",
                                 ("kind",)).labels("opened").inc(counts["opened"])
            self.metrics.counter("icp_intake_revisit_events_total", "Revisits opened or escalated",
                                 ("kind",)).labels("escalated").inc(counts["escalated"])

    # --- W6 stock re-verification --------------------------------------------------------------

    @http("POST", "/stock/imports", max_body=stock.MAX_HTTP_BYTES)
    def import_stock(self, request: Request):
        """W6: import a CSV of stock filings (``text/csv`` body; ``?deadline=YYYY-MM-DD``). Answers the report:
        rows, imported, already imported, rejected with line, field and rule. Larger files: the command."""
        errors = StockImportQuery().validate(request.args)
        if errors:
            raise BadRequest("invalid query", from_marshmallow(errors, rule="W6"))
        query = StockImportQuery().load(request.args)
        actor = actor_of(request)
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
