"""Precheck use cases, one function per command or event, on a unit of work (``precheck.repository``) and only
the collaborators each uses (design.md §2; issue 18).

The entrypoint commits once, with the outbox rows, so a decision and its event are one transaction
(design.md §4). One exception: ``confirm_contact`` commits a wrong try before refusing, because a wrong code
must count even though the request fails.
"""

import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime

import structlog

from precheck import domain
from precheck.domain import CaseState, Context, Rulebook
from precheck.models import Case, Confirmation
from precheck.repository import PrecheckUnitOfWork
from shared.contracts.errors import BadRequest, Conflict, NotFound, ValidationFailed
from shared.contracts.intake import SEAL_CONTEXT, personal_paths
from shared.contracts.precheck import (
    CONTACT_CONFIRMATION_REQUESTED,
    PRECHECK_DEADLINE_BREACHED,
    PRECHECK_DEADLINE_NEAR,
    PRECHECK_FAILED,
    PRECHECK_PASSED,
    PRECHECK_PASSED_V2,
    PassedSubmissionSchema,
)
from shared.kernel.workdays import SHANGHAI, WorkingCalendar
from shared.platform.calendar import deadline_fields, reschedule
from shared.platform.sealing import seal, unseal

log = structlog.get_logger(__name__)

STORE_CONTEXT = "precheck"
SUBMISSION_CONTEXT = f"{STORE_CONTEXT}.submission"
CHANNELS = ("sms", "email")
MaySee = Callable[..., bool]


def everyone(**_scope) -> bool:
    """The scope of events and internal RPC: every case."""
    return True


def _reseal(cipher, token: str, field: str) -> str:
    """Store-sealed value -> bus-sealed value, never exposed in between."""
    plain = cipher.decrypt(token, context=f"{STORE_CONTEXT}.{field}")
    return cipher.encrypt(plain, context=f"{SEAL_CONTEXT}.{field}")


def _stored_submission(cipher, filing: dict) -> dict:
    """The submission as received (``filing``: unsealed), kept for ``precheck_passed.v2``: its personal fields
    sealed under precheck's store context (design.md §5)."""
    received = {**PassedSubmissionSchema().dump(filing), "filing_number": filing.get("filing_number"),
                "previous_version": filing.get("previous_version")}
    return seal(received, personal_paths(filing["sponsor"]["kind"]), cipher, SUBMISSION_CONTEXT)


def _submission_for_the_bus(cipher, stored: dict) -> dict:
    """A stored submission with its personal fields sealed for the bus, as intake seals them."""
    paths = personal_paths(stored["sponsor"]["kind"])
    return seal(unseal(stored, paths, cipher, SUBMISSION_CONTEXT), paths, cipher, SEAL_CONTEXT)


# --- submission ------------------------------------------------------------------------------------


def on_submitted(uow: PrecheckUnitOfWork, data: dict, *, cipher, hasher, rulebook: Rulebook, auto_pass: bool,
                 now: Callable[[], datetime]) -> None:
    """P2: a (re)submitted filing is checked by the rulebook, gets a 5-working-day deadline, and either fails
    at once or has its contacts confirmed by one-time codes (the entrypoint claims each event once). The
    submission is kept, sealed, for ``precheck_passed.v2``."""
    if uow.cases.of_submission(data["filing_id"], data["version"], data["attempt"]) is not None:
        return  # the same submission under another event id: one case per submission
    filing = unseal(data, personal_paths(data["sponsor"]["kind"]), cipher, SEAL_CONTEXT)
    at = now()
    previous = _supersede_open_cases(uow, data["filing_id"])
    sponsor_hmac = hasher.digest(domain.sponsor_key(filing), kind="sponsor")
    mobile_hmac = data["lookups"]["mobile"]
    submitted_at = data["submitted_at"]
    # ID numbers are judged on the day intake judged them, however late this runs (shared.kernel.identifiers)
    context = Context(today=submitted_at.astimezone(SHANGHAI).date(),
                      mobile_used_by_other_sponsor=uow.cases.mobile_used_by_other_sponsor(mobile_hmac, sponsor_hmac))
    findings = domain.run_rulebook(rulebook, filing, context)
    case = Case(
        id=str(uuid.uuid4()),
        filing_id=data["filing_id"],
        version=data["version"],
        attempt=data["attempt"],
        provider_id=data["provider_id"],
        province=data["province"],
        state=domain.state_after_checks(findings),
        sponsor_hmac=sponsor_hmac,
        mobile_hmac=mobile_hmac,
        mobile_token=cipher.encrypt(filing["contacts"]["mobile"], context=f"{STORE_CONTEXT}.mobile"),
        submission=_stored_submission(cipher, filing),
        findings=[f.to_dict() for f in findings],
        rulebook_version=rulebook.version,
        submitted_at=submitted_at,
        **deadline_fields(uow.calendars.calendar(), submitted_at, domain.PRECHECK_WORKING_DAYS),
        reasons=[],
        created_at=at,
    )
    uow.cases.add(case)
    if case.state == CaseState.FAILED:
        reasons = [f.reason() for f in domain.blocking(findings)]
        _record_decision(uow, cipher, case, domain.decided(False), reasons=reasons,
                         actor=f"precheck:auto:{rulebook.version}", at=at)
        return
    recipients = {"sms": filing["contacts"]["mobile"], "email": filing["contacts"]["email"]}
    confirmed_before = uow.confirmations.confirmed_recipients([c.id for c in previous])
    for channel, recipient in recipients.items():
        confirmation = Confirmation(
            id=str(uuid.uuid4()),
            case_id=case.id,
            channel=channel,
            recipient_hmac=hasher.digest(recipient, kind=f"contact.{channel}"),
            recipient_token=cipher.encrypt(recipient, context=f"{STORE_CONTEXT}.recipient"),
            code_digest="",
            expires_at=at,
            tries=0,
            send_times=[],
        )
        if confirmation.recipient_hmac in confirmed_before:
            confirmation.confirmed_at = at  # confirmed for an earlier submission of this filing
        uow.confirmations.add(confirmation)
        if confirmation.confirmed_at is None:
            _send_code(uow, cipher, case, confirmation, recipient, at)
    _advance_if_confirmed(uow, cipher, case, auto_pass=auto_pass, at=at)


def _supersede_open_cases(uow: PrecheckUnitOfWork, filing_id: str) -> list[Case]:
    cases = uow.cases.of_filing(filing_id)
    for case in cases:
        case.state = domain.superseded(case.state)
    return cases


def _send_code(uow: PrecheckUnitOfWork, cipher, case: Case, confirmation: Confirmation, recipient: str,
               at: datetime) -> None:
    code = domain.new_code()
    confirmation.code_digest = domain.code_digest(code, confirmation.id)
    confirmation.expires_at = at + domain.CODE_TTL
    confirmation.tries = 0
    confirmation.send_times = [*confirmation.send_times, at.isoformat()]
    uow.emit(
        CONTACT_CONFIRMATION_REQUESTED,
        {
            "filing_id": case.filing_id,
            "confirmation_id": f"{confirmation.id}:{len(confirmation.send_times)}",
            "channel": confirmation.channel,
            "recipient": cipher.encrypt(recipient, context=f"{SEAL_CONTEXT}.recipient"),
            "code": cipher.encrypt(code, context=f"{SEAL_CONTEXT}.code"),
            "expires_at": confirmation.expires_at.isoformat(),
        },
        case.filing_id,
    )


def _advance_if_confirmed(uow: PrecheckUnitOfWork, cipher, case: Case, *, auto_pass: bool, at: datetime) -> None:
    confirmed = [c.confirmed_at is not None for c in uow.confirmations.of_case(case.id)]
    state, announced = domain.contacts_confirmed(case.state, confirmed, case.findings, auto_pass)
    if announced:
        _record_decision(uow, cipher, case, (state, announced), reasons=[],
                         actor=f"precheck:auto:{case.rulebook_version}", at=at)
    else:
        case.state = state


def _record_decision(uow: PrecheckUnitOfWork, cipher, case: Case, transition: tuple[CaseState, tuple],
                     *, reasons: list[dict], actor: str, at: datetime) -> None:
    """Save a pass or fail of ``case`` and publish it: ``precheck_failed.v1``, or ``precheck_passed.v1`` and
    ``precheck_passed.v2`` (the same outcome with the submission passed, design.md §3: both until every consumer
    reads v2)."""
    case.state, announced = transition
    case.decided_by, case.decided_at, case.reasons = actor, at, reasons
    outcome = {
        "filing_id": case.filing_id,
        "version": case.version,
        "attempt": case.attempt,
        "decided_at": at.isoformat(),
        "decided_by": actor,
        "reasons": reasons,
        "mobile": _reseal(cipher, case.mobile_token, "mobile"),
        "rulebook_version": case.rulebook_version,
    }
    if domain.Announce.FAILED in announced:
        uow.emit(PRECHECK_FAILED, outcome, case.filing_id)
        return
    uow.emit(PRECHECK_PASSED, outcome, case.filing_id)
    if case.submission is None:
        # received before precheck kept submissions (migration 0002): no v2 can be built for it
        log.warning("precheck_passed_v2_without_submission", filing_id=case.filing_id, version=case.version)
        return
    uow.emit(PRECHECK_PASSED_V2, {**outcome, "submission": _submission_for_the_bus(cipher, case.submission)},
             case.filing_id)


# --- contacts -------------------------------------------------------------------------------------


def _current_case(uow: PrecheckUnitOfWork, filing_id: str, may_see: MaySee, *, lock: bool = False) -> Case:
    try:
        uuid.UUID(filing_id)
    except ValueError:
        raise _unknown() from None
    case = uow.cases.current(filing_id, lock=lock)
    # Out of the caller's scope answers exactly like unknown: nobody learns which filings exist (issue 8).
    if case is None or not _visible(may_see, case):
        raise _unknown()
    return case


def _visible(may_see: MaySee, case: Case) -> bool:
    return may_see(provider=case.provider_id, province=case.province, mobile_hmac=case.mobile_hmac)


def _unknown() -> NotFound:
    return NotFound.about("filing_id", "unknown", "No filing with this id is in pre-verification.", "P2")


def _confirmation(uow: PrecheckUnitOfWork, case: Case, channel: str) -> Confirmation:
    if channel not in CHANNELS:
        raise BadRequest.about("channel", "choice", "The channel is sms or email.", "P2")
    if case.state != CaseState.AWAITING_CONTACTS:
        message = f"Contacts are not being confirmed: the filing is {case.state}."
        raise Conflict.about("state", "conflict", message, "P2")
    found = next((c for c in uow.confirmations.of_case(case.id) if c.channel == channel), None)
    if found is None:
        raise NotFound.about("channel", "unknown", "Nothing to confirm on this channel.", "P2")
    return found


def confirm_contact(uow: PrecheckUnitOfWork, filing_id: str, channel: str, code: str, *, cipher, auto_pass: bool,
                    now: Callable[[], datetime], may_see: MaySee = everyone) -> dict:
    """P2: the sponsor enters the code it received; 24 h validity, at most 5 wrong tries."""
    case = _current_case(uow, filing_id, may_see, lock=True)
    confirmation = _confirmation(uow, case, channel)
    at = now()
    try:
        domain.check_code(
            given=code,
            digest=confirmation.code_digest,
            confirmation_id=confirmation.id,
            expires_at=confirmation.expires_at,
            tries=confirmation.tries,
            confirmed=confirmation.confirmed_at is not None,
            now=at,
        )
    except domain.CodeRefused as exc:
        if exc.code == "wrong_code":
            confirmation.tries += 1
            uow.commit()  # a wrong try counts even though the request fails
        raise ValidationFailed.about("code", exc.code, exc.message, "P2") from None
    confirmation.confirmed_at = at
    uow.flush()
    _advance_if_confirmed(uow, cipher, case, auto_pass=auto_pass, at=at)
    return view(uow, case)


def resend_code(uow: PrecheckUnitOfWork, filing_id: str, channel: str, *, cipher, now: Callable[[], datetime],
                may_see: MaySee = everyone) -> dict:
    """A new code replaces the old one; at most 3 sends in 24 hours."""
    case = _current_case(uow, filing_id, may_see, lock=True)
    confirmation = _confirmation(uow, case, channel)
    if confirmation.confirmed_at is not None:
        raise Conflict.about("channel", "already_confirmed", "This contact is already confirmed.", "P2")
    at = now()
    try:
        domain.check_resend([datetime.fromisoformat(t) for t in confirmation.send_times], at)
    except domain.CodeRefused as exc:
        raise ValidationFailed.about("channel", exc.code, exc.message, "P2") from None
    recipient = cipher.decrypt(confirmation.recipient_token, context=f"{STORE_CONTEXT}.recipient")
    _send_code(uow, cipher, case, confirmation, recipient, at)
    return view(uow, case)


# --- staff ------------------------------------------------------------------------------------------


def work_queue(uow: PrecheckUnitOfWork, may_see: MaySee = everyone) -> list[dict]:
    """Filings that need a human, oldest deadline first."""
    official = uow.calendars.calendar()  # read once for the whole queue, not once per provisional deadline
    return [view(uow, c, official) for c in uow.cases.in_review() if _visible(may_see, c)]


def claim(uow: PrecheckUnitOfWork, filing_id: str, actor: str, *, now: Callable[[], datetime],
          may_see: MaySee = everyone) -> dict:
    case = _current_case(uow, filing_id, may_see, lock=True)
    with _refusals():
        case.claimed_by = domain.claim(case.state, case.claimed_by, actor)
    case.claimed_at = now()
    return view(uow, case)


def decide(uow: PrecheckUnitOfWork, filing_id: str, actor: str, decision: str, reasons: list[dict], *, cipher,
           now: Callable[[], datetime], may_see: MaySee = everyone) -> dict:
    """Staff pass or fail a filing in review; a fail needs field-level reasons (P2)."""
    case = _current_case(uow, filing_id, may_see, lock=True)
    with _refusals():
        transition = domain.staff_decision(case.state, case.claimed_by, actor, decision, reasons)
    _record_decision(uow, cipher, case, transition, reasons=reasons, actor=actor, at=now())
    return view(uow, case)


@contextmanager
def _refusals():
    """A transition the domain refuses, as the wire error a caller gets: 409 for the state, 422 for a request."""
    try:
        yield
    except domain.CaseRefused as exc:
        error = Conflict if exc.kind == "conflict" else ValidationFailed
        raise error.about(exc.field, exc.code, exc.message, exc.rule) from None


# --- deadlines and calendar -------------------------------------------------------------------------


def raise_deadline_events(uow: PrecheckUnitOfWork, now: Callable[[], datetime]) -> int:
    """Raise ``precheck_deadline_near.v1`` one working day before and ``precheck_deadline_breached.v1`` after
    the deadline, each once per case (P2). Returns how many events were raised."""
    at = now()
    raised = 0
    for case in uow.cases.deadline_due(at):
        payload = {
            "filing_id": case.filing_id,
            "version": case.version,
            "submitted_at": case.submitted_at.isoformat(),
            "deadline": case.deadline_at.isoformat(),
            "provisional": case.deadline_provisional,
            "claimed_by": case.claimed_by,  # W1: whose breach it is
        }
        for announced in domain.deadline_due(case.near_raised_at is not None, case.breached_raised_at is not None,
                                             case.near_at, case.deadline_at, at):
            if announced is domain.Announce.DEADLINE_NEAR:
                case.near_raised_at = at
                uow.emit(PRECHECK_DEADLINE_NEAR, payload, case.filing_id)
            else:
                case.breached_raised_at = at
                uow.emit(PRECHECK_DEADLINE_BREACHED, payload, case.filing_id)
            raised += 1
    return raised


def open_deadlines(uow: PrecheckUnitOfWork, now: Callable[[], datetime]) -> dict:
    """How many cases are open, how many of them are past their deadline and how many deadlines are provisional
    (a year without the State Council's schedule), and how many days of official schedules are left; for
    metrics and staff."""
    open_cases, breached, provisional = uow.cases.open_counts()
    today = now().astimezone(SHANGHAI).date()
    return {"open": open_cases, "breached": breached, "provisional": provisional,
            "official_days_left": uow.calendars.calendar().official_days_left(today)}


def load_calendar_year(uow: PrecheckUnitOfWork, schedule: dict, actor: str, now: Callable[[], datetime]) -> dict:
    """An administrator loads a year's official schedule; open deadlines that depend on it are recomputed."""
    parsed = uow.calendars.store(schedule, actor, now())
    recomputed = reschedule(uow.cases.open(), parsed.year, uow.calendars.calendar(), lambda case: case.submitted_at,
                            domain.PRECHECK_WORKING_DAYS)
    return {"year": parsed.year, "recomputed_deadlines": recomputed}


# --- views ------------------------------------------------------------------------------------------


def _provisional_note(uow: PrecheckUnitOfWork, case: Case, cal: WorkingCalendar | None) -> str | None:
    if not case.deadline_provisional:
        return None
    cal = cal or uow.calendars.calendar()
    return domain.provisional_deadline_note([year for year in case.deadline_years if not cal.has_official(year)])


def view(uow: PrecheckUnitOfWork, case: Case, cal: WorkingCalendar | None = None) -> dict:
    """A case as staff and the sponsor see it: no personal data, contacts only as confirmed or not; ``cal``, the
    calendar in force when the caller has it already (read otherwise, for a provisional deadline only)."""
    return {
        "filing_id": case.filing_id,
        "version": case.version,
        "attempt": case.attempt,
        "state": case.state,
        "submitted_at": case.submitted_at.isoformat(),
        "deadline": case.deadline_at.isoformat(),
        "deadline_provisional": case.deadline_provisional,
        "deadline_note": _provisional_note(uow, case, cal),
        "deadline_near": case.near_raised_at is not None,
        "deadline_breached": case.breached_raised_at is not None,
        "findings": case.findings,
        "rulebook_version": case.rulebook_version,
        "contacts": {
            c.channel: {
                "confirmed": c.confirmed_at is not None,
                "expires_at": c.expires_at.isoformat(),
                "wrong_tries": c.tries,
            }
            for c in uow.confirmations.of_case(case.id)
        },
        "claimed_by": case.claimed_by,
        "decided_by": case.decided_by,
        "reasons": case.reasons,
    }


def get_case(uow: PrecheckUnitOfWork, filing_id: str, may_see: MaySee = everyone) -> dict:
    return view(uow, _current_case(uow, filing_id, may_see))
