"""The verification service: entrypoints only (design.md §2).

Reads ``precheck_passed.v2`` (opens the on-site window on the submission it passed), ``filing_cancelled.v1``
(closes it), ``filing_returned.v1`` (reopens for re-verification) and ``reverification_requested.v1`` (a stock
filing's window, W6); a timer reminds the sponsor 3 working days before a window closes (X4, counted on the
calendar administrators load at ``POST /calendar/years``) and expires windows; staff do the on-site steps over
HTTP (the staff id is the verified bearer token's subject, kept with every step for W1); supervisors, reviewers
(B1) and auditors read and export the sponsor's file (W4). Supervisors keep the verification department (W1);
precheck's decisions and breaches, the bureau's returns and the filing center's findings (every province's)
measure each member's quality, which supervisors and auditors export. Every HTTP entrypoint declares who may call
it (issue 8: deny by default); the per-filing scope is applied in the use cases (staff see their provider's
filings, a reviewer its province's (B1), an auditor all).
"""

from nameko.timer import timer
from werkzeug.wrappers import Request, Response

from shared.contracts.audit import AUDIT_FINDING_RAISED
from shared.contracts.bureau import FILING_RETURNED
from shared.contracts.calendar import CalendarYearInput, CalendarYearLoaded
from shared.contracts.intake import FILING_CANCELLED, REVERIFICATION_REQUESTED
from shared.contracts.precheck import PRECHECK_DEADLINE_BREACHED, PRECHECK_FAILED, PRECHECK_PASSED_V2
from shared.platform.auth import AUDITOR, ONSITE_VERIFIER, OPS, REVIEWER, SUPERVISOR, Guard, allow
from shared.platform.authority import AuthoritySources
from shared.platform.entrypoints import handles, route
from shared.platform.http import read_json
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase
from verification import department, domain
from verification.dependencies import EvidenceStorage, VerificationSettings
from verification.models import idempotency_keys, outbox, processed_events
from verification.photos import MAX_UPLOAD
from verification.repository import VerificationUnitOfWork
from verification.schemas import (
    AccessInput,
    AgreementInput,
    AppointmentInput,
    CaseOutput,
    CorrectionInput,
    FaceConsentInput,
    FaceDecisionInput,
    FaceSourceQuery,
    OriginalsInput,
    PeriodQuery,
    QualityQuery,
    StaffInput,
    StaffOutput,
    StateQuery,
)
from verification.usecases import face, onsite, outcome, reading, sponsor_file, window

WINDOW_TIMER_SECONDS = 5
MAX_SCAN = onsite.MAX_COPY
ONSITE = allow(ONSITE_VERIFIER, SUPERVISOR)
READERS = allow(ONSITE_VERIFIER, SUPERVISOR, REVIEWER, AUDITOR)
STAFF_READERS = allow(ONSITE_VERIFIER, SUPERVISOR, AUDITOR)
DEPARTMENT_READERS = allow(SUPERVISOR, AUDITOR)
_GONE = {404: "Unknown filing, sponsor file or object, or not open to the caller"}
_STATE = {409: "Not allowed in the case's current state (window closed, already decided), or a reused "
               "Idempotency-Key"}
_CHECK = {422: "A check failed or is missing (every reason is listed with its rule)"}
_UPLOAD = {415: "Upload does not start as a JPEG, PNG or PDF",
           422: "An upload that does not decode in full as its type, carries data after its end or exceeds 40 "
                "megapixels, 50 PDF pages or 32 MiB of PDF content"}
_STEP = {**_GONE, **_STATE}


class VerificationService(ServiceBase):
    name = "verification"
    description = ("On-site verification: window, photo, originals, domain owner, access, sealed form, submission "
                   "to the bureau, the sponsor's file (P3–P7, W4), stock re-verification (W6), the verification "
                   "department and its quality (W1).")
    idempotency_keys = idempotency_keys
    processed_events = processed_events

    caller = Guard()
    settings = VerificationSettings()
    storage = EvidenceStorage()
    authorities = AuthoritySources()
    relay = OutboxRelay(outbox)

    def _uow(self) -> VerificationUnitOfWork:
        return VerificationUnitOfWork(self.db, outbox, self.name)

    def _facts(self) -> dict:
        """What recording a W1 quality fact needs."""
        return {"provider_id": self.settings.provider_id, "now": self.settings.now}

    def _evidence(self) -> dict:
        """Where evidence is kept (W4), with :meth:`_onsite`'s clock."""
        return {"store": self.storage, "bucket": self.settings.bucket}

    def _onsite(self) -> dict:
        """What every on-site step needs: the caller's scope, the store's cipher and the clock."""
        return {"may_see": self.caller.may_see, "cipher": self.personal.cipher, "now": self.settings.now}

    # --- events ------------------------------------------------------------------------------------------

    @handles("precheck", PRECHECK_PASSED_V2, claim="on_precheck_passed")
    def on_precheck_passed(self, data: dict, meta: dict):
        window.on_precheck_passed(self._uow(), data, cipher=self.personal.cipher, hasher=self.personal.hasher,
                                  window_length=self.settings.window, **self._facts())

    @handles("intake", FILING_CANCELLED, claim="on_cancelled")
    def on_filing_cancelled(self, data: dict, meta: dict):
        window.on_cancelled(self._uow(), data, now=self.settings.now)

    @handles("bureau", FILING_RETURNED, claim="on_returned")
    def on_filing_returned(self, data: dict, meta: dict):
        window.on_returned(self._uow(), data, window_length=self.settings.window, **self._facts())

    @handles("intake", REVERIFICATION_REQUESTED, claim="on_reverification_requested")
    def on_reverification_requested(self, data: dict, meta: dict):
        window.on_reverification_requested(self._uow(), data, cipher=self.personal.cipher,
                                           hasher=self.personal.hasher, now=self.settings.now)

    @handles("precheck", PRECHECK_FAILED, claim="on_precheck_failed")
    def on_precheck_failed(self, data: dict, meta: dict):
        department.on_precheck_failed(self._uow(), data, **self._facts())

    @handles("precheck", PRECHECK_DEADLINE_BREACHED, claim="on_precheck_deadline_breached")
    def on_precheck_deadline_breached(self, data: dict, meta: dict):
        department.on_precheck_deadline_breached(self._uow(), data, **self._facts())

    @handles("audit", AUDIT_FINDING_RAISED, claim="on_finding")
    def on_audit_finding_raised(self, data: dict, meta: dict):
        """Routed by province (R2.1): the provider's filings lie in any province, so every key is bound."""
        department.on_finding(self._uow(), data, **self._facts())

    @timer(interval=WINDOW_TIMER_SECONDS, eager=True)
    def check_windows(self):
        """P3, X4: remind the sponsor (and warn staff) 3 working days before an unused window closes, expire it
        when closed; each once. Runs at start-up too, so that ``icp_deadlines_open``/``_breached`` carry the
        database's counts from the first scrape."""
        raised = window.check_windows(self._uow(), cipher=self.personal.cipher, **self._facts())
        self.db.commit()
        if raised:
            self.metrics.counter("icp_verification_window_events_total", "Window events raised").inc(raised)
        counts = window.open_deadlines(self._uow(), now=self.settings.now)
        self.metrics.deadlines(domain.DEADLINE_KIND, counts["open"], counts["breached"])

    @route("POST", "/calendar/years", access=allow(OPS), body=CalendarYearInput(), answer=CalendarYearLoaded(),
           errors={409: _STATE[409], 422: "A schedule that breaks a rule"}, rule="X4",
           summary="Load a year's State Council schedule; the windows' reminders follow it (X4)")
    def load_calendar_year(self, request: Request, body: dict):
        """Load a year's State Council schedule without a release (``icp-ops calendar load``); the reminders of
        open windows that counted days of that year are recomputed (X4)."""
        return window.load_calendar_year(self._uow(), read_json(request), self.caller.actor, now=self.settings.now)

    # --- staff HTTP ----------------------------------------------------------------------------------------

    @route("GET", "/cases", access=STAFF_READERS, query=StateQuery(), rule="P3",
           summary="Open on-site windows (or ?state=…), soonest closing first (P3)")
    def list_cases(self, request: Request, query: dict):
        return {"items": reading.list_cases(self._uow(), query["state"], may_see=self.caller.may_see,
                                              cipher=self.personal.cipher)}

    @route("GET", "/filings/<filing_id>", access=READERS, answer=CaseOutput(), errors=_GONE,
           summary="The on-site case, personal data masked")
    def get_case(self, request: Request, filing_id: str):
        return reading.get_case(self._uow(), filing_id, may_see=self.caller.may_see, cipher=self.personal.cipher)

    @route("GET", "/filings/<filing_id>/steps", access=STAFF_READERS, errors=_GONE,
           summary="Every on-site step and the staff member who took it (W1)")
    def get_steps(self, request: Request, filing_id: str):
        return {"items": reading.steps(self._uow(), filing_id, may_see=self.caller.may_see)}

    @route("GET", "/staff-work", access=DEPARTMENT_READERS, query=PeriodQuery(), rule="W1",
           summary="W1: each staff member's on-site steps in ?since=…&until=…")
    def staff_work(self, request: Request, query: dict):
        """W1: each staff member's on-site steps in a period (``?since=…&until=…``, ISO 8601 with offset)."""
        return {"items": reading.staff_work(self._uow(), query["since"], query["until"],
                                              may_see=self.caller.may_see)}

    # --- the verification department (W1) -----------------------------------------------------------------

    @route("GET", "/staff", access=DEPARTMENT_READERS,
           summary="W1: the verification department: members, roles, the supervisor responsible")
    def staff_list(self, request: Request):
        return department.department(self._uow(), may_see=self.caller.may_see, cipher=self.personal.cipher,
                                     provider_id=self.settings.provider_id)

    @route("PUT", "/staff/<staff_id>", access=allow(SUPERVISOR), body=StaffInput(), answer=StaffOutput(),
           errors=(400, 422), summary="W1: add or change a member of the department")
    def staff_member(self, request: Request, staff_id: str, body: dict):
        return department.register(self._uow(), staff_id, body, self.caller.actor, cipher=self.personal.cipher,
                                   **self._facts())

    @route("GET", "/staff-quality", access=DEPARTMENT_READERS, query=QualityQuery(), rule="W1",
           summary="W1: each member's filing quality in ?since=…&until=… (&format=csv)")
    def staff_quality(self, request: Request, query: dict):
        """W1: each member's filing quality in ``?since=…&until=…`` (``&format=csv`` for the CSV)."""
        report = department.quality(self._uow(), query["since"], query["until"], may_see=self.caller.may_see,
                                    cipher=self.personal.cipher, provider_id=self.settings.provider_id)
        if query["format"] == "csv":
            return Response(department.quality_csv(report), mimetype="text/csv", headers={
                "Content-Disposition": 'attachment; filename="staff-quality.csv"'})
        return report

    # --- on-site steps (answered once per Idempotency-Key) ---------------------------------------------------

    @route("POST", "/filings/<filing_id>/appointment", access=ONSITE, body=AppointmentInput(), answer=CaseOutput(),
           errors={**_STEP, 422: "The appointment lies outside the window"},
           summary="Book a time inside the window (P3)")
    def book(self, request: Request, filing_id: str, body: dict):
        return onsite.book_appointment(self._uow(), filing_id, self.caller.actor, body["at"], **self._onsite())

    @route("POST", "/filings/<filing_id>/photo", access=ONSITE, answer=CaseOutput(), max_body=MAX_UPLOAD,
           errors={**_STEP, 422: "The photo does not meet P4 (every reason is listed)"},
           summary="Upload the counter photo; checked, time-stamped, locked (P4)")
    def photo(self, request: Request, filing_id: str):
        return onsite.take_photo(self._uow(), filing_id, self.caller.actor, request.get_data(cache=True),
                                 logo=self.settings.logo, **self._onsite(), **self._evidence())

    @route("POST", "/filings/<filing_id>/face-consent", access=ONSITE, body=FaceConsentInput(), answer=CaseOutput(),
           rule="X8", errors=_STEP, summary="The person consents (or not) to the face comparison (X8, PIPL 28-29)")
    def face_consent(self, request: Request, filing_id: str, body: dict):
        return face.record_consent(self._uow(), filing_id, self.caller.actor, body["consent"], **self._onsite())

    @route("POST", "/filings/<filing_id>/face-comparison", access=ONSITE, query=FaceSourceQuery(), rule="X8",
           upload="application/octet-stream", answer=CaseOutput(), max_body=MAX_SCAN, errors={**_STEP, **_UPLOAD},
           summary="Compare the counter photo with the ID document's photo, after consent (X8)")
    def face_comparison(self, request: Request, filing_id: str, query: dict):
        return face.compare(self._uow(), filing_id, self.caller.actor, query.get("source"),
                            request.get_data(cache=True), **self._onsite(), **self._evidence())

    @route("POST", "/filings/<filing_id>/face-decision", access=ONSITE, body=FaceDecisionInput(), answer=CaseOutput(),
           rule="X8", errors=_STEP, summary="Staff confirm or overrule the face comparison, or record it by eye (X8)")
    def face_decision(self, request: Request, filing_id: str, body: dict):
        return face.decide(self._uow(), filing_id, self.caller.actor, body["agrees"], body["reason"], **self._onsite())

    @route("POST", "/filings/<filing_id>/copies/<subject>", access=ONSITE, answer=CaseOutput(), max_body=MAX_SCAN,
           errors={**_STEP, **_UPLOAD}, summary="Keep a copy of an original document (P5)")
    def copy(self, request: Request, filing_id: str, subject: str):
        return onsite.keep_copy(self._uow(), filing_id, self.caller.actor, subject, request.get_data(cache=True),
                                **self._onsite(), **self._evidence())

    @route("POST", "/filings/<filing_id>/originals", access=ONSITE, body=OriginalsInput(), answer=CaseOutput(),
           errors=_STEP, summary="Record the originals; authority check and comparison (P5)")
    def originals(self, request: Request, filing_id: str, body: dict):
        return onsite.record_originals(self._uow(), filing_id, self.caller.actor, body, authorities=self.authorities,
                                       **self._onsite())

    @route("POST", "/filings/<filing_id>/corrections", access=ONSITE, body=CorrectionInput(), answer=CaseOutput(),
           errors=_STEP, summary="Correct a field on site (P6)")
    def correction(self, request: Request, filing_id: str, body: dict):
        return onsite.correct(self._uow(), filing_id, self.caller.actor, body["field"], body["after"],
                              provider_id=self.settings.provider_id, **self._onsite())

    @route("POST", "/filings/<filing_id>/domain-checks", access=ONSITE, answer=CaseOutput(), errors=_STEP,
           summary="Look up each domain's owner by RDAP/WHOIS (P5)")
    def domain_checks(self, request: Request, filing_id: str):
        return onsite.check_domains(self._uow(), filing_id, self.caller.actor, registrar=self.settings.registrar,
                                    **self._onsite(), **self._evidence())

    @route("POST", "/filings/<filing_id>/domains/<name>/certificate", access=ONSITE, answer=CaseOutput(),
           max_body=MAX_SCAN, errors={**_STEP, **_UPLOAD},
           summary="Upload the domain certificate of a redacted owner")
    def domain_certificate(self, request: Request, filing_id: str, name: str):
        return onsite.domain_certificate(self._uow(), filing_id, self.caller.actor, name, request.get_data(cache=True),
                                         **self._onsite(), **self._evidence())

    @route("POST", "/filings/<filing_id>/domains/<name>/confirmation", access=ONSITE, answer=CaseOutput(),
           errors=_STEP, summary="Confirm the domain certificate names the sponsor")
    def domain_confirmation(self, request: Request, filing_id: str, name: str):
        return onsite.confirm_domain(self._uow(), filing_id, self.caller.actor, name, **self._onsite())

    @route("PUT", "/filings/<filing_id>/access", access=ONSITE, body=AccessInput(), answer=CaseOutput(),
           errors={**_STEP, 422: "The access information does not hold (every reason is listed)"},
           summary="Enter the access information (R1.8, P5)")
    def access(self, request: Request, filing_id: str, body: dict):
        return onsite.set_access(self._uow(), filing_id, self.caller.actor, body, ip_ranges=self.settings.ip_ranges,
                                 **self._onsite())

    @route("POST", "/filings/<filing_id>/agreement", access=ONSITE, body=AgreementInput(), answer=CaseOutput(),
           errors=_STEP, summary="The sponsor signs the security agreement (P6, W3)")
    def agreement(self, request: Request, filing_id: str, body: dict):
        return onsite.sign_agreement(self._uow(), filing_id, self.caller.actor, body["signed_by"], body["signature"],
                                     sealer=self.settings.sealer, provider_id=self.settings.provider_id,
                                     **self._onsite(), **self._evidence())

    @route("POST", "/filings/<filing_id>/decision", access=ONSITE, answer=CaseOutput(), errors={**_STEP, **_CHECK},
           summary="Verify (seal the form, send to the bureau) or reject (P5–P7)")
    def decision(self, request: Request, filing_id: str):
        return outcome.decide(self._uow(), filing_id, self.caller.actor, exchange=self.personal.exchange,
                              sealer=self.settings.sealer, provider_id=self.settings.provider_id, **self._onsite(),
                              **self._evidence())

    @route("GET", "/filings/<filing_id>/forms/<copy>/validation", access=READERS, errors=_GONE,
           summary="Validate the sealed form's signature offline (P6)")
    def form_validation(self, request: Request, filing_id: str, copy: str):
        return outcome.validate_form(self._uow(), filing_id, copy, may_see=self.caller.may_see, store=self.storage,
                                     sealer=self.settings.sealer)

    # --- the sponsor's file (W4): every reading is recorded ----------------------------------------------------

    @route("GET", "/archive/<sponsor_ref>", access=READERS, errors=_GONE,
           summary="The sponsor's file: cases and kept objects (W4, recorded)")
    def archive(self, request: Request, sponsor_ref: str):
        return sponsor_file.archive(self._uow(), sponsor_ref, self.caller.actor, **self._onsite())

    @route("GET", "/archive/<sponsor_ref>/evidence/<evidence_id>", access=READERS, errors=_GONE,
           summary="A 300 s download link to one object (recorded)")
    def evidence(self, request: Request, sponsor_ref: str, evidence_id: str):
        return sponsor_file.evidence_link(self._uow(), sponsor_ref, evidence_id, self.caller.actor,
                                          may_see=self.caller.may_see, store=self.storage, now=self.settings.now)

    @route("GET", "/archive/<sponsor_ref>/export", access=allow(SUPERVISOR, REVIEWER, AUDITOR), errors=_GONE,
           content="application/zip",
           summary="Everything in the sponsor's file as a ZIP for an inspection (recorded)")
    def export(self, request: Request, sponsor_ref: str):
        data = sponsor_file.export_archive(self._uow(), sponsor_ref, self.caller.actor, store=self.storage,
                                           **self._onsite())
        return Response(data, mimetype="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="archive-{sponsor_ref[:12]}.zip"'})

    @route("GET", "/archive/<sponsor_ref>/accesses", access=DEPARTMENT_READERS, errors=_GONE,
           summary="Who listed, opened or exported the file, and when (W4)")
    def archive_accesses(self, request: Request, sponsor_ref: str):
        return {"items": sponsor_file.accesses(self._uow(), sponsor_ref, self.caller.actor,
                                                    may_see=self.caller.may_see, now=self.settings.now)}
