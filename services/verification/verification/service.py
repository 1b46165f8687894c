"""The verification service: entrypoints only (design.md §2).

Reads intake's submissions (to compare the originals with), ``precheck_passed.v1`` (opens the on-site window),
``filing_cancelled.v1`` (closes it) and ``filing_returned.v1`` (reopens for re-verification); a timer warns and
expires windows; staff do the on-site steps over HTTP (the staff id is the verified bearer token's subject, kept
with every step for W1); supervisors, reviewers (B1) and auditors read and export the sponsor's file (W4).
"""

from marshmallow import ValidationError
from nameko.timer import timer
from werkzeug.wrappers import Request, Response

from shared.contracts.bureau import FILING_RETURNED
from shared.contracts.errors import BadRequest, from_marshmallow
from shared.contracts.intake import FILING_CANCELLED, FILING_CHANGED, FILING_SUBMITTED
from shared.contracts.precheck import PRECHECK_PASSED
from shared.platform.auth import AUDITOR, ONSITE_VERIFIER, PUBLIC, REVIEWER, SUPERVISOR, Guard, allow
from shared.platform.authority import AuthoritySources
from shared.platform.entrypoints import answer_once, read_event
from shared.platform.events import event_handler
from shared.platform.http import http, json_response, load_json
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase
from verification import domain, usecases
from verification.dependencies import EvidenceStorage, VerificationSettings
from verification.models import idempotency_keys, outbox
from verification.openapi import openapi_document
from verification.photos import MAX_UPLOAD
from verification.schemas import (
    AccessInput,
    AgreementInput,
    AppointmentInput,
    CorrectionInput,
    OriginalsInput,
    PeriodQuery,
)

WINDOW_TIMER_SECONDS = 5
MAX_SCAN = usecases.MAX_COPY
_ONSITE = allow(ONSITE_VERIFIER, SUPERVISOR)
_READ = allow(ONSITE_VERIFIER, SUPERVISOR, REVIEWER, AUDITOR)

ACCESS_POLICY = {
    # Every HTTP entrypoint, deny by default (issue 8); the per-filing scope is applied in usecases._case and the
    # archive readers: staff see their provider's filings, a reviewer its province's (B1), an auditor all.
    "openapi": PUBLIC,
    "list_cases": allow(ONSITE_VERIFIER, SUPERVISOR, AUDITOR),
    "get_case": _READ,
    "get_steps": allow(ONSITE_VERIFIER, SUPERVISOR, AUDITOR),
    "staff_work": allow(SUPERVISOR, AUDITOR),
    "book": _ONSITE,
    "photo": _ONSITE,
    "copy": _ONSITE,
    "originals": _ONSITE,
    "correction": _ONSITE,
    "domain_checks": _ONSITE,
    "domain_certificate": _ONSITE,
    "domain_confirmation": _ONSITE,
    "access": _ONSITE,
    "agreement": _ONSITE,
    "decision": _ONSITE,
    "form_validation": _READ,
    "archive": _READ,
    "evidence": _READ,
    "export": allow(SUPERVISOR, REVIEWER, AUDITOR),
    "archive_accesses": allow(SUPERVISOR, AUDITOR),
}


class VerificationService(ServiceBase):
    name = "verification"

    caller = Guard(ACCESS_POLICY)
    settings = VerificationSettings()
    storage = EvidenceStorage()
    authorities = AuthoritySources()
    relay = OutboxRelay(outbox)

    def _deps(self) -> usecases.Deps:
        s = self.settings
        return usecases.Deps(
            session=self.db, provider_id=s.provider_id, cipher=self.personal.cipher, hasher=self.personal.hasher,
            exchange=self.personal.exchange, store=self.storage, bucket=s.bucket, authorities=self.authorities,
            registrar=s.registrar, sealer=s.sealer, ip_ranges=s.ip_ranges, logo=s.logo, now=s.now,
            may_see=self.caller.may_see, window=s.window,
        )

    def _once(self, request: Request, action, status: int = 200):
        return answer_once(self.db, idempotency_keys, request, self.caller.actor, action, status)

    # --- events ------------------------------------------------------------------------------------------

    @event_handler("intake", FILING_SUBMITTED)
    def on_filing_submitted(self, envelope: dict):
        usecases.on_submitted(self._deps(), str(envelope["meta"]["id"]), read_event(envelope))
        self.db.commit()

    @event_handler("intake", FILING_CHANGED)
    def on_filing_changed(self, envelope: dict):
        usecases.on_submitted(self._deps(), str(envelope["meta"]["id"]), read_event(envelope))
        self.db.commit()

    @event_handler("precheck", PRECHECK_PASSED)
    def on_precheck_passed(self, envelope: dict):
        usecases.on_precheck_passed(self._deps(), str(envelope["meta"]["id"]), read_event(envelope))
        self.db.commit()

    @event_handler("intake", FILING_CANCELLED)
    def on_filing_cancelled(self, envelope: dict):
        usecases.on_cancelled(self._deps(), str(envelope["meta"]["id"]), read_event(envelope))
        self.db.commit()

    @event_handler("bureau", FILING_RETURNED)
    def on_filing_returned(self, envelope: dict):
        usecases.on_returned(self._deps(), str(envelope["meta"]["id"]), read_event(envelope))
        self.db.commit()

    @timer(interval=WINDOW_TIMER_SECONDS, eager=True)
    def check_windows(self):
        """P3: warn a few days before an unused window closes, expire it when closed; each once. Runs at start-up
        too, so that ``icp_deadlines_open``/``_breached`` carry the database's counts from the first scrape."""
        raised = usecases.check_windows(self._deps())
        self.db.commit()
        if raised:
            self.metrics.counter("icp_verification_window_events_total", "Window events raised").inc(raised)
        counts = usecases.open_deadlines(self._deps())
        self.metrics.deadlines(domain.DEADLINE_KIND, counts["open"], counts["breached"])

    # --- staff HTTP ----------------------------------------------------------------------------------------

    @http("GET", "/openapi.json")
    def openapi(self, request: Request):
        return json_response(200, openapi_document())

    @http("GET", "/cases")
    def list_cases(self, request: Request):
        return json_response(200, {"items": usecases.list_cases(self._deps(), request.args.get("state"))})

    @http("GET", "/filings/<filing_id>")
    def get_case(self, request: Request, filing_id: str):
        return json_response(200, usecases.get_case(self._deps(), filing_id))

    @http("GET", "/filings/<filing_id>/steps")
    def get_steps(self, request: Request, filing_id: str):
        return json_response(200, {"items": usecases.steps(self._deps(), filing_id)})

    @http("GET", "/staff-work")
    def staff_work(self, request: Request):
        """W1: each staff member's on-site steps in a period (``?since=…&until=…``, ISO 8601 with offset)."""
        try:
            period = PeriodQuery().load(request.args.to_dict())
        except ValidationError as exc:
            raise BadRequest("invalid query", from_marshmallow(exc.messages, rule="W1")) from None
        return json_response(200, {"items": usecases.staff_work(self._deps(), period["since"], period["until"])})

    @http("POST", "/filings/<filing_id>/appointment")
    def book(self, request: Request, filing_id: str):
        at = load_json(request, AppointmentInput())["at"]
        return self._once(request, lambda actor: usecases.book_appointment(self._deps(), filing_id, actor, at))

    @http("POST", "/filings/<filing_id>/photo", max_body=MAX_UPLOAD)
    def photo(self, request: Request, filing_id: str):
        body = request.get_data(cache=True)
        return self._once(request, lambda actor: usecases.take_photo(self._deps(), filing_id, actor, body))

    @http("POST", "/filings/<filing_id>/copies/<subject>", max_body=MAX_SCAN)
    def copy(self, request: Request, filing_id: str, subject: str):
        body = request.get_data(cache=True)
        return self._once(request, lambda actor: usecases.keep_copy(self._deps(), filing_id, actor, subject, body))

    @http("POST", "/filings/<filing_id>/originals")
    def originals(self, request: Request, filing_id: str):
        body = load_json(request, OriginalsInput())
        return self._once(request, lambda actor: usecases.record_originals(self._deps(), filing_id, actor, body))

    @http("POST", "/filings/<filing_id>/corrections")
    def correction(self, request: Request, filing_id: str):
        body = load_json(request, CorrectionInput())
        return self._once(
            request, lambda actor: usecases.correct(self._deps(), filing_id, actor, body["field"], body["after"]))

    @http("POST", "/filings/<filing_id>/domain-checks")
    def domain_checks(self, request: Request, filing_id: str):
        return self._once(request, lambda actor: usecases.check_domains(self._deps(), filing_id, actor))

    @http("POST", "/filings/<filing_id>/domains/<name>/certificate", max_body=MAX_SCAN)
    def domain_certificate(self, request: Request, filing_id: str, name: str):
        body = request.get_data(cache=True)
        return self._once(
            request, lambda actor: usecases.domain_certificate(self._deps(), filing_id, actor, name, body))

    @http("POST", "/filings/<filing_id>/domains/<name>/confirmation")
    def domain_confirmation(self, request: Request, filing_id: str, name: str):
        return self._once(request, lambda actor: usecases.confirm_domain(self._deps(), filing_id, actor, name))

    @http("PUT", "/filings/<filing_id>/access")
    def access(self, request: Request, filing_id: str):
        body = load_json(request, AccessInput())
        result = usecases.set_access(self._deps(), filing_id, self.caller.actor, body)
        self.db.commit()
        return json_response(200, result)

    @http("POST", "/filings/<filing_id>/agreement")
    def agreement(self, request: Request, filing_id: str):
        body = load_json(request, AgreementInput())
        return self._once(request, lambda actor: usecases.sign_agreement(
            self._deps(), filing_id, actor, body["signed_by"], body["signature"]))

    @http("POST", "/filings/<filing_id>/decision")
    def decision(self, request: Request, filing_id: str):
        return self._once(request, lambda actor: usecases.decide(self._deps(), filing_id, actor))

    @http("GET", "/filings/<filing_id>/forms/<copy>/validation")
    def form_validation(self, request: Request, filing_id: str, copy: str):
        return json_response(200, usecases.validate_form(self._deps(), filing_id, copy))

    # --- the sponsor's file (W4) --------------------------------------------------------------------------

    @http("GET", "/archive/<sponsor_ref>")
    def archive(self, request: Request, sponsor_ref: str):
        result = usecases.archive(self._deps(), sponsor_ref, self.caller.actor)
        self.db.commit()
        return json_response(200, result)

    @http("GET", "/archive/<sponsor_ref>/evidence/<evidence_id>")
    def evidence(self, request: Request, sponsor_ref: str, evidence_id: str):
        result = usecases.evidence_link(self._deps(), sponsor_ref, evidence_id, self.caller.actor)
        self.db.commit()
        return json_response(200, result)

    @http("GET", "/archive/<sponsor_ref>/export")
    def export(self, request: Request, sponsor_ref: str):
        data = usecases.export_archive(self._deps(), sponsor_ref, self.caller.actor)
        self.db.commit()
        return Response(data, mimetype="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="archive-{sponsor_ref[:12]}.zip"'})

    @http("GET", "/archive/<sponsor_ref>/accesses")
    def archive_accesses(self, request: Request, sponsor_ref: str):
        result = usecases.accesses(self._deps(), sponsor_ref, self.caller.actor)
        self.db.commit()
        return json_response(200, {"items": result})
