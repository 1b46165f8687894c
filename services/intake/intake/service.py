"""The intake service: entrypoints only — parse, call a use case, commit, dump (design.md §2).

HTTP JSON for sponsors and staff, RPC for other services, and the status events it reads. Every entrypoint
declares who may call it (issue 8: deny by default; the per-filing scope in ``usecases.filings.load``); every
POST but sign-in and the opening of a personal value is answered once per ``Idempotency-Key`` (a replay returns
the first answer); bodies are size-limited before any worker runs; every error names the field and the rule.
"""

import eventlet
import structlog
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request, Response

from intake import register, sign_in
from intake.dependencies import IntakeSettings, IntakeStorage, setting_timer
from intake.domain.sites import nginx_map
from intake.models import idempotency_keys, outbox, processed_events
from intake.repository import IntakeUnitOfWork
from intake.schemas import (
    AcceptanceInput,
    AccessInput,
    ApprovedSitesOutput,
    ApprovedSitesQuery,
    CancellationInput,
    ClauseOutput,
    DocumentOutput,
    FilingInput,
    FilingOutput,
    GuideQuery,
    PersonalValueOutput,
    RevisitAnswerInput,
    SignInCodeInput,
    SignInCodeOutput,
    SignInInput,
    StockImportQuery,
    TimelineOutput,
    TokenOutput,
    UploadQuery,
)
from intake.usecases import drafts, evidence, filing_types, filings, revisits, sites, status, stock, submission
from intake.usecases.filings import MAX_SCAN_BYTES, Viewer
from intake.usecases.guide import read_clause, read_guide
from shared.contracts.bureau import FILING_APPROVED, FILING_NUMBER_RETIRED, FILING_RETURNED
from shared.contracts.errors import ServiceUnavailable
from shared.contracts.precheck import PRECHECK_FAILED, PRECHECK_PASSED
from shared.contracts.verification import FILING_SENT_TO_BUREAU, ONSITE_REJECTED, ONSITE_VERIFIED, ONSITE_WINDOW_EXPIRED
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
from shared.platform.clients import client_address
from shared.platform.entrypoints import handles, route, rpc_entry
from shared.platform.http import locale_of
from shared.platform.idempotency import IDEMPOTENCY_HEADER
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase

log = structlog.get_logger(__name__)

NOTIFY_TIMEOUT_SECONDS = 10
SIGN_IN_MAX_BODY = 1024
READER_ROLES = (SPONSOR, *STAFF, REVIEWER, AUDITOR)
READERS = allow(*READER_ROLES)
INTERNAL_READERS = allow(*STAFF, REVIEWER, AUDITOR, internal=True)
HOSTING_STAFF = allow(PRECHECK, ONSITE_VERIFIER, SUPERVISOR)
SITE_READERS = (SUPERVISOR, OPS, AUDITOR)
PERSONAL_DATA_OPENERS = allow(ONSITE_VERIFIER, SUPERVISOR, REVIEWER)
"""Roles whose work needs a personal value in full now and then: staff comparing originals (P5), reviewers (B1).
They see filings masked like everybody but the sponsor, and open one value at a time, recorded (issue 17)."""
# The HTTP stock import runs on the worker's green thread: small batches, and a yield after each, keep the hub
# (AMQP heartbeats, other requests) responsive (design.md §4); the command takes larger files and batches.
HTTP_BATCH = 200

_FILING_GONE = {404: "No such filing, or not open to the caller"}
_STATE = {409: "Not allowed in the filing's current state, or an Idempotency-Key reused for another request"}
_RULES = {422: "The filing breaks one or more rules (every problem is listed)"}
_CANCEL = {**_FILING_GONE, **_STATE, **_RULES}
_UPLOAD = {
    415: "Upload does not start as a JPEG, PNG or PDF",
    422: "An upload does not decode in full as its type, carries data after its end or exceeds 40 megapixels, "
         "50 PDF pages or 32 MiB of PDF content",
}


class IntakeService(ServiceBase):
    name = "intake"
    description = "Sponsors file, staff complete access information, the system says exactly why not."
    idempotency_keys = idempotency_keys
    processed_events = processed_events

    caller = Guard(signs=True)
    notify = RpcProxy("notify")
    storage = IntakeStorage()
    settings = IntakeSettings()
    bureau_register = register.BureauRegister()
    relay = OutboxRelay(outbox)

    def _uow(self) -> IntakeUnitOfWork:
        return IntakeUnitOfWork(self.db, self.personal.cipher)

    def _viewer(self, *, sponsor_in_full: bool = False) -> Viewer:
        """``sponsor_in_full``: a sponsor's answer shows its own filing in full (issue 17). Only the answers that
        are never stored ask for it (GET and PATCH of a filing): an Idempotency-Key's stored answer stays masked."""
        principal = self.caller.principal
        return Viewer(self.settings.provider_id, self.caller.may_see,
                      sponsor_in_full and principal is not None and principal.role == SPONSOR)

    # --- what a sponsor reads before it starts (W2, W3) --------------------------------------------

    @route("GET", "/guide", access=PUBLIC, query=GuideQuery(), rule="W2",
           summary="Documents and procedure for a kind of sponsor (W2)")
    def guide(self, request: Request, query: dict):
        """W2: the documents and procedure for a kind of sponsor, in the caller's language."""
        return read_guide(query["kind"], query.get("unit_type"), locale_of(request))

    @route("GET", "/contract-clause", access=PUBLIC, answer=ClauseOutput(),
           summary="The contract clause shown before submission (W3)")
    def contract_clause(self, request: Request):
        """W3: the clause shown, verbatim, before submission."""
        return read_clause()

    # --- sponsor sign-in (P1, issue 8) ----------------------------------------------------------
    # Open to anyone, and without Idempotency-Key: a replayed sign-in must never hand out a stored token.

    @route("POST", "/sign-in/code", access=PUBLIC, body=SignInCodeInput(), answer=SignInCodeOutput(), status=202,
           idempotent=False, max_body=SIGN_IN_MAX_BODY,
           summary="A one-time sign-in code to the sponsor's mobile by SMS (P1)",
           errors={429: "Too many sign-in codes for this number or from this client; try later (issue 8)",
                   503: "The SMS could not be sent in time; try again"})
    def request_sign_in_code(self, request: Request, body: dict):
        """P1: a one-time code to the sponsor's mobile, by notify's SMS; rate-limited per number and per client.
        The answer is the same for every valid number (nothing says whether it has filings)."""
        mobile = sign_in.canonical_mobile(body["mobile"])
        code_id, code = sign_in.request_code(self._uow().sign_in_codes, self.personal.hasher, self.settings.now(),
                                             mobile, client_address(request, self.settings.trusted_proxies))
        self.db.commit()  # the code counts against the limits even when the SMS cannot be sent
        cipher = self.personal.cipher
        try:
            with eventlet.Timeout(NOTIFY_TIMEOUT_SECONDS):
                self.notify.send_sms(cipher.encrypt(mobile, context="rpc.recipient"), sign_in.SMS_TEMPLATE,
                                     {"code": cipher.encrypt(code, context="rpc.code")}, f"sign-in:{code_id}")
        except (eventlet.Timeout, Exception) as exc:
            log.warning("sign_in_code_not_sent", error_type=type(exc).__name__)
            raise ServiceUnavailable("The code could not be sent; try again shortly.") from None
        return {"sent": True, "expires_in": int(sign_in.CODE_VALIDITY.total_seconds())}

    @route("POST", "/sign-in", access=PUBLIC, body=SignInInput(), answer=TokenOutput(), idempotent=False,
           max_body=SIGN_IN_MAX_BODY, summary="Mobile and code in, a sponsor token out (P1)", errors=[401])
    def sign_in_sponsor(self, request: Request, body: dict):
        """P1: mobile + code -> a sponsor token (its subject the mobile's keyed HMAC)."""
        mobile = sign_in.canonical_mobile(body["mobile"])
        try:
            subject = sign_in.verify_code(self._uow().sign_in_codes, self.personal.hasher, self.settings.now(),
                                          mobile, body["code"])
        finally:
            self.db.commit()  # a wrong guess counts too
        signer = self.caller.signer
        return {"token": signer.mint(Principal(subject, SPONSOR)), "token_type": "Bearer", "expires_in": signer.ttl}

    # --- filings: sponsors and staff (P1, R1.8, W3, W4, B1) -------------------------------------

    @route("POST", "/filings", access=allow(SPONSOR), body=FilingInput(), answer=FilingOutput(), status=201,
           errors=_STATE, summary="Start a draft filing (P1)")
    def create_filing(self, request: Request, body: dict):
        return filings.create_draft(self._uow(), self._viewer(), self.caller.actor, body, self.settings.now())

    @route("GET", "/filings/<filing_id>", access=READERS, answer=FilingOutput(), errors=_FILING_GONE,
           summary="A filing: in full to its sponsor, personal data masked to staff (issue 17)")
    def get_filing_http(self, request: Request, filing_id: str):
        return filings.get_filing(self._uow(), self._viewer(sponsor_in_full=True), filing_id, self.settings.now())

    @route("PATCH", "/filings/<filing_id>", access=allow(SPONSOR), body=FilingInput(), answer=FilingOutput(),
           errors={**_FILING_GONE, **_STATE}, summary="Edit a draft (only changed fields)")
    def edit_filing(self, request: Request, filing_id: str, body: dict):
        return filings.edit_draft(self._uow(), self._viewer(sponsor_in_full=True), filing_id, body, self.settings.now())

    @route("PUT", "/filings/<filing_id>/access", access=HOSTING_STAFF, body=AccessInput(), answer=FilingOutput(),
           errors={**_FILING_GONE, **_STATE}, summary="Provider staff enter access information (R1.8)")
    def set_access(self, request: Request, filing_id: str, body: dict):
        return filings.set_access(self._uow(), self._viewer(), filing_id, body, self.settings.now())

    @route("POST", "/filings/<filing_id>/documents", access=allow(SPONSOR), query=UploadQuery(), rule="P5",
           upload="application/octet-stream", answer=DocumentOutput(), status=201,
           max_body=MAX_SCAN_BYTES, errors={**_FILING_GONE, **_STATE, **_UPLOAD},
           summary="Upload a document scan (JPEG/PNG/PDF)")
    def upload_document(self, request: Request, filing_id: str, query: dict):
        return filings.upload_scan(self._uow(), self._viewer(), self.storage, self.settings.bucket, self.caller.actor,
                                   filing_id, query.get("kind"), request.get_data(cache=True), self.settings.now(),
                                   read=self.settings.read_scan)

    @route("POST", "/filings/<filing_id>/contract-acceptance", access=allow(SPONSOR), body=AcceptanceInput(),
           answer=FilingOutput(), errors={**_FILING_GONE, **_STATE}, summary="Accept the contract clause (W3)")
    def accept_contract(self, request: Request, filing_id: str, body: dict):
        return filings.accept_contract(self._uow(), self._viewer(), self.caller.actor, filing_id, body["clause_sha256"],
                                       self.settings.now())

    @route("POST", "/filings/<filing_id>/submit", access=allow(SPONSOR), answer=FilingOutput(),
           errors={**_FILING_GONE, **_STATE, **_RULES}, summary="Submit: validate everything, emit filing_submitted.v1")
    def submit(self, request: Request, filing_id: str):
        return submission.submit(self._uow(), self._viewer(), self.personal.cipher, self.personal.hasher,
                                 self.caller.actor, filing_id, self.settings.now())

    @route("GET", "/filings/<filing_id>/documents/<document_id>", access=READERS,
           errors={404: "No such filing or document, or not open to the caller"},
           summary="A 300 s link to one scan; every opening is recorded (W4, B1)")
    def document_link(self, request: Request, filing_id: str, document_id: str):
        """W4, B1: a 300 s link to one scan, every opening recorded (who, which, when)."""
        principal = self.caller.principal
        return evidence.document_link(self._uow(), self._viewer(), self.storage, principal.actor, principal.role,
                                      filing_id, document_id, self.settings.now())

    @route("POST", "/filings/<filing_id>/personal-data/<field>/access", access=PERSONAL_DATA_OPENERS,
           answer=PersonalValueOutput(), idempotent=False,
           errors={404: "No such filing, or not open to the caller, or a field that is not personal"},
           summary="Staff open one personal value in full (e.g. contacts.mobile); every opening is recorded "
                   "(W4, B1)")
    def open_personal_value(self, request: Request, filing_id: str, field: str):
        """W4, B1 (issue 17): one personal value in full, the opening recorded. No Idempotency-Key: a stored
        answer would keep the value in the clear, and every opening is one to record."""
        principal = self.caller.principal
        return evidence.open_personal_value(self._uow(), self._viewer(), principal.actor, principal.role, filing_id,
                                            field, self.settings.now())

    @route("GET", "/filings/<filing_id>/timeline", access=READERS, answer=TimelineOutput(), errors=_FILING_GONE,
           summary="Every state change with time and actor")
    def timeline(self, request: Request, filing_id: str):
        return filings.get_timeline(self._uow(), self._viewer(), filing_id)

    @route("POST", "/filings/<filing_id>/changes", access=allow(SPONSOR), answer=FilingOutput(), status=201,
           errors={**_FILING_GONE, **_STATE}, summary="Start a change (备案变更) of an approved filing")
    def request_change(self, request: Request, filing_id: str):
        return submission.request_change(self._uow(), self._viewer(), self.caller.actor, filing_id, self.settings.now())

    @route("GET", "/filings/<filing_id>/type", access=READERS, errors={**_FILING_GONE, **_RULES, 503: "No answer"},
           summary="X1: the filing type, from the register of the sponsor's province (ADR 0006)")
    def filing_type(self, request: Request, filing_id: str):
        return filing_types.draft_type(self._uow(), self._viewer(), self.bureau_register, self.personal, filing_id)

    @route("POST", "/filings/<filing_id>/cancellation", access=allow(SPONSOR, SUPERVISOR), errors=_CANCEL,
           body=CancellationInput(), answer=FilingOutput(), summary="Cancel the sponsor, websites or access (注销, X1)")
    def cancel(self, request: Request, filing_id: str, body: dict):
        return filing_types.cancel(self._uow(), self._viewer(), self.caller.actor, filing_id, body, self.settings.now(),
                                   cipher=self.personal.cipher)

    # --- P8: the sites the provider may connect -------------------------------------------------

    @route("GET", "/approved-sites", access=allow(*SITE_READERS), query=ApprovedSitesQuery(), rule="P8",
           answer=ApprovedSitesOutput(),
           summary="P8: the domains the provider may connect (JSON, or ?format=nginx for an nginx map)")
    def approved_sites(self, request: Request, query: dict):
        """P8: the domains the provider may connect, as JSON or (``?format=nginx``) an nginx ``map`` file."""
        listing = sites.approved_sites(self._uow())
        if query.get("format") == "nginx":
            return Response(nginx_map(listing["sites"], listing["revision"]), mimetype="text/plain",
                            headers={"X-Sites-Revision": str(listing["revision"])})
        return listing

    @rpc_entry(access=allow(*SITE_READERS, internal=True))
    def get_approved_sites(self) -> dict:
        return sites.approved_sites(self._uow())

    # --- W5: hosting changes and revisits ---------------------------------------------------------

    @route("POST", "/filings/<filing_id>/hosting-changes", access=HOSTING_STAFF, body=AccessInput(),
           answer=FilingOutput(), status=201, errors={**_FILING_GONE, **_STATE, **_RULES},
           summary="W5: staff record a hosting change (IP, location, access method); sent as filing_changed.v1")
    def change_hosting(self, request: Request, filing_id: str, body: dict):
        """W5: staff record a change of how the provider hosts an approved site; it goes out as a change."""
        return submission.change_hosting(self._uow(), self._viewer(), self.personal.cipher, self.personal.hasher,
                                        self.caller.actor, filing_id, body, self.settings.now())

    @route("GET", "/filings/<filing_id>/revisits", access=READERS, errors=_FILING_GONE,
           summary="W5: the filing's regular revisits")
    def filing_revisits(self, request: Request, filing_id: str):
        return revisits.filing_revisits(self._uow(), self._viewer(), filing_id)

    @route("POST", "/filings/<filing_id>/revisits/<revisit_id>/answer", access=allow(SPONSOR, SUPERVISOR),
           body=RevisitAnswerInput(), errors={404: "No such filing or revisit, or not open to the caller",
                                              409: "The revisit or the filing is not in a state to answer"},
           summary="W5: the sponsor confirms its data or opens a change to update it")
    def answer_revisit(self, request: Request, filing_id: str, revisit_id: str, body: dict):
        """W5: the sponsor confirms its data, or asks to update it (a change draft opens); a supervisor may record
        an answer given by phone after an escalation."""
        return revisits.answer(self._uow(), self._viewer(), self.caller.actor, filing_id, revisit_id, body["answer"],
                               self.settings.now(), self.settings.revisit_interval)

    @route("GET", "/revisits", access=allow(*STAFF, AUDITOR),
           summary="W5: the provider's revisits by state; escalated and open ones listed")
    def revisit_status(self, request: Request):
        """W5: the provider's revisits by state, with the escalated and open ones for staff."""
        return revisits.status(self._uow(), self.settings.provider_id, self.settings.now())

    @setting_timer("REVISIT_TIMER_SECONDS", 60.0)
    def run_revisits(self):
        """W5: open the due revisits and escalate the unanswered ones; X4: remind of and expire stale drafts (each
        event once, with the outbox)."""
        s = self.settings
        counts = revisits.run_revisits(self._uow(), self.personal.cipher, s.provider_id, s.now(), s.revisit_answer)
        counts.update(drafts.run_drafts(self._uow(), self.personal.cipher, s.provider_id, s.now()))
        self.db.commit()
        for kind, count in counts.items():
            if count:
                self.metrics.counter("icp_intake_revisit_events_total", "Revisits opened or escalated (W5), drafts "
                                     "reminded or expired (X4)", ("kind",)).labels(kind).inc(count)

    # --- W6: stock re-verification ----------------------------------------------------------------

    @route("POST", "/stock/imports", access=allow(SUPERVISOR), query=StockImportQuery(), rule="W6",
           upload="text/csv", status=201, max_body=stock.MAX_HTTP_BYTES,
           errors={409: "This import is still running, or an Idempotency-Key reused for another request",
                   415: "A stock import is not text/csv",
                   422: "The CSV's header lacks a column (nothing was imported)"},
           summary="W6: import a CSV of stock filings; rejected rows with line, field and rule")
    def import_stock(self, request: Request, query: dict):
        """W6: import a CSV of stock filings (``text/csv`` body; ``?deadline=YYYY-MM-DD``). Answers the report:
        rows, imported, already imported, rejected with line, field and rule. Larger files: the command. The
        import commits batch by batch (``stock.import_stock``) and keeps the request's key itself, so that a
        replay of an interrupted import is told so rather than run twice."""
        actor, settings = self.caller.actor, self.settings
        text = stock.csv_text(request.get_data(cache=True), request.mimetype)
        deadline = stock.deadline_of(settings.now(), query.get("deadline"), settings.reverification)
        return stock.import_stock(self._uow(), self.personal.cipher, self.personal.hasher, settings.provider_id,
                                  settings.now, text.splitlines(keepends=True), source="http", actor=actor,
                                  deadline=deadline, batch=HTTP_BATCH, progress=lambda _report: eventlet.sleep(0),
                                  request_key=f"{actor}:{request.headers[IDEMPOTENCY_HEADER].strip()}")

    @route("GET", "/stock/imports/<import_id>", access=allow(*STAFF, AUDITOR),
           errors={404: "No such stock import for this provider"}, summary="W6: a stock import's report")
    def stock_import(self, request: Request, import_id: str):
        return stock.get_import(self._uow(), self.settings.provider_id, import_id)

    @route("GET", "/stock/progress", access=allow(*STAFF, AUDITOR),
           summary="W6: re-verification progress: done, pending, overdue")
    def stock_progress(self, request: Request):
        """W6: re-verification progress against the plan: done, pending, overdue (total and per import)."""
        return stock.progress(self._uow(), self.settings.provider_id, self.settings.now())

    # --- RPC for other services ----------------------------------------------------------------

    @rpc_entry(access=INTERNAL_READERS)
    def get_filing(self, filing_id: str) -> dict:
        """The filing as shown to staff (masked); raises ``NotFound``."""
        return filings.get_filing(self._uow(), self._viewer(), filing_id, self.settings.now())

    @rpc_entry(access=INTERNAL_READERS)
    def get_timeline(self, filing_id: str) -> dict:
        return filings.get_timeline(self._uow(), self._viewer(), filing_id)

    # --- status events: each claimed once under the name stored in processed_events ---------------

    @handles("precheck", PRECHECK_PASSED, claim="record_precheck")
    def on_precheck_passed(self, data: dict, meta: dict):
        status.record_precheck(self._uow(), self.settings.provider_id, data, True, self.settings.now())

    @handles("precheck", PRECHECK_FAILED, claim="record_precheck")
    def on_precheck_failed(self, data: dict, meta: dict):
        status.record_precheck(self._uow(), self.settings.provider_id, data, False, self.settings.now())

    @handles("bureau", FILING_APPROVED, claim="record_approval")
    def on_filing_approved(self, data: dict, meta: dict):
        status.record_approval(self._uow(), self.settings.provider_id, data, self.settings.now(),
                               self.settings.revisit_interval)

    @handles("bureau", FILING_NUMBER_RETIRED, claim="record_number_retired")
    def on_filing_number_retired(self, data: dict, meta: dict):
        status.record_number_retired(self._uow(), self.settings.provider_id, data, self.settings.now())

    @handles("verification", ONSITE_WINDOW_EXPIRED, claim="record_window_expired")
    def on_onsite_window_expired(self, data: dict, meta: dict):
        self._step(data, "window_expired")

    @handles("verification", ONSITE_REJECTED, claim="record_onsite_rejected")
    def on_onsite_rejected(self, data: dict, meta: dict):
        self._step(data, "onsite_rejected")

    @handles("verification", ONSITE_VERIFIED, claim="record_onsite_verified")
    def on_onsite_verified(self, data: dict, meta: dict):
        self._step(data, "onsite_verified")

    @handles("verification", FILING_SENT_TO_BUREAU, claim="record_sent_to_bureau")
    def on_filing_sent_to_bureau(self, data: dict, meta: dict):
        self._step(data, "sent_to_bureau")

    @handles("bureau", FILING_RETURNED, claim="record_returned")
    def on_filing_returned(self, data: dict, meta: dict):
        self._step(data, "returned")

    def _step(self, data: dict, step: str) -> None:
        status.record_step(self._uow(), self.settings.provider_id, data, step, self.settings.now(),
                           self.settings.revisit_interval)
