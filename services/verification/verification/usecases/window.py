"""P3 and W6: the on-site window. A pass opens it on the submission passed, a cancellation closes it, the bureau's
return reopens it (P8), a stock filing's re-verification opens one to the plan's deadline (W6), and the timer
reminds the sponsor 3 working days before it closes (X4) and expires it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from shared.contracts.intake import SEAL_CONTEXT, personal_paths
from shared.contracts.verification import ONSITE_WINDOW_EXPIRED, ONSITE_WINDOW_EXPIRING, ONSITE_WINDOW_OPENED
from shared.kernel.workdays import SHANGHAI
from shared.platform.sealing import seal, unseal
from verification import domain
from verification.domain import OPEN_STATES, CaseState, Due, Move, Quality
from verification.models import Case, Submission
from verification.repository import VerificationUnitOfWork
from verification.usecases.case import (
    FILING,
    STOCK,
    STOCK_ATTEMPT,
    STORE_CONTEXT,
    Clock,
    record_quality,
    record_step,
)


def _keep_submission(uow: VerificationUnitOfWork, data: dict, attempt: int, submitted_at: datetime, *, cipher, hasher,
                     now: Clock) -> tuple[Submission, dict]:
    """The filing of an intake event (sealed for the bus as ``filing_submitted.v1`` seals it), re-sealed for this
    store; with the plain data."""
    paths = personal_paths(data["sponsor"]["kind"])
    plain = unseal({k: data[k] for k in ("sponsor", "responsible_person", "contacts", "websites", "access")},
                   paths, cipher, SEAL_CONTEXT)
    submission = Submission(
        id=str(uuid.uuid4()), filing_id=data["filing_id"], version=data["version"], attempt=attempt,
        provider_id=data["provider_id"], province=data["province"], change_of=data.get("filing_number"),
        sponsor_hmac=_sponsor_ref(hasher, plain["sponsor"]), filing=seal(plain, paths, cipher, STORE_CONTEXT),
        submitted_at=submitted_at, created_at=now(),
    )
    uow.submissions.add(submission)
    return submission, plain


def _sponsor_ref(hasher, sponsor: dict) -> str:
    """W4: the sponsor's file is keyed by a keyed HMAC of its document number (no personal data in keys)."""
    return hasher.digest(f"{sponsor['kind']}:{domain.normalise_number(sponsor['document_number'])}", kind="sponsor")


def on_precheck_passed(uow: VerificationUnitOfWork, data: dict, *, cipher, hasher, provider_id: str, now: Clock,
                       window_length: timedelta | None) -> None:
    """P3: a pass (``precheck_passed.v2``) opens a 1-month window for the responsible person to come in, on
    exactly the submission passed (filing, version, attempt), which the event carries: it is kept here (personal
    fields re-sealed for this store) for on-site staff to compare the originals with (P5) and for the form to
    print (P6). A newer pass supersedes an open window of an earlier submission. Once per submission: a
    submission already kept (from an earlier release's ``filing_submitted.v1``) is reused, and one whose window
    has opened opens nothing again. The pass counts for the staff member who decided it (W1). ``window_length``
    shortens the window in tests (``VERIFICATION_WINDOW_SECONDS``); None: 1 month."""
    passed = data["submission"]
    submission = uow.submissions.find(data["filing_id"], data["version"], data["attempt"])
    if submission is not None and uow.cases.opened_for(submission.id):
        return
    record_quality(uow, Quality.PRECHECK_DECISION, data["decided_by"], data["filing_id"], data["decided_at"], "passed",
                   provider_id=provider_id, now=now)
    if submission is None:
        submission, _plain = _keep_submission(uow, passed, data["attempt"], passed["submitted_at"], cipher=cipher,
                                              hasher=hasher, now=now)
        uow.flush()
    for case in uow.cases.of_filing(data["filing_id"]):
        if case.state in OPEN_STATES:
            case.state, _ = domain.moved(case.state, Move.SUPERSEDE)
    mobile = cipher.decrypt(data["mobile"], context=f"{SEAL_CONTEXT}.mobile")
    window = domain.onsite_window(data["decided_at"], uow.calendar.working(), window_length)
    _open(uow, submission, window, mobile, FILING, cipher=cipher, now=now)


def _open(uow: VerificationUnitOfWork, submission: Submission, window: domain.Window, mobile: str, purpose: str, *,
          cipher, now: Clock) -> Case:
    case = Case(
        id=str(uuid.uuid4()), filing_id=submission.filing_id, submission_id=submission.id,
        sponsor_hmac=submission.sponsor_hmac, state=CaseState.WINDOW_OPEN, purpose=purpose, sending=1,
        mobile_token=cipher.encrypt(mobile, context=f"{STORE_CONTEXT}.mobile"),
        opens_at=window.opens_at, closes_at=window.closes_at, warn_at=window.warn_at,
        corrections=[], domains=[], access_reasons=[], returned=[], reasons=[], created_at=now(),
    )
    uow.cases.add(case)
    uow.flush()
    uow.emit(ONSITE_WINDOW_OPENED, _window_data(case, submission), case.filing_id)
    return case


def on_reverification_requested(uow: VerificationUnitOfWork, data: dict, *, cipher, hasher, now: Clock) -> None:
    """W6: a stock filing (approved before face-to-face verification existed) gets an on-site window from the
    request to the plan's deadline; verified on site, it answers ``onsite_verified.v1`` with the same filing id
    (intake counts it done). Redelivered events and a repeated request for the filing do nothing."""
    if uow.submissions.find(data["filing_id"], data["version"], STOCK_ATTEMPT) is not None:
        return
    submission, plain = _keep_submission(uow, data, STOCK_ATTEMPT, data["requested_at"], cipher=cipher, hasher=hasher,
                                         now=now)
    uow.flush()
    _open(uow, submission, domain.stock_window(data["requested_at"], data["deadline"], uow.calendar.working()),
          plain["contacts"]["mobile"], STOCK, cipher=cipher, now=now)


def _window_data(case: Case, submission: Submission) -> dict:
    return {"filing_id": case.filing_id, "version": submission.version, "attempt": submission.attempt,
            "provider_id": submission.provider_id, "opens_at": case.opens_at.isoformat(),
            "closes_at": case.closes_at.isoformat()}


def on_cancelled(uow: VerificationUnitOfWork, data: dict, *, now: Clock) -> None:
    """The sponsor cancelled: an open window closes (nobody is expected any more)."""
    for case in uow.cases.of_filing(data["filing_id"]):
        if case.state in OPEN_STATES:
            case.state, _ = domain.moved(case.state, Move.CANCEL)
            record_step(uow, case, "window", "cancelled", data["cancelled_by"], now=now)


def on_returned(uow: VerificationUnitOfWork, data: dict, *, provider_id: str, now: Clock,
                window_length: timedelta | None) -> None:
    """P8: the bureau returned the filing: it reopens for re-verification, with the bureau's reasons shown to
    staff, a new 1-month window, and the next sending number. Evidence already kept stays in the file."""
    case = next((c for c in uow.cases.of_filing(data["filing_id"]) if c.state == CaseState.SENT), None)
    if case is None:
        return
    submission = uow.submissions.get(case.submission_id)
    if submission.version != data["version"] or case.sending != data["submission"]:
        return  # a return of an older sending: nothing open to reopen
    record_quality(uow, Quality.RETURNED, case.decided_by, case.filing_id, case.decided_at, "returned",
                   provider_id=provider_id, now=now)
    window = domain.onsite_window(now(), uow.calendar.working(), window_length)
    case.state, _ = domain.moved(case.state, Move.RETURN)
    case.sending += 1
    case.opens_at, case.closes_at, case.warn_at = window.opens_at, window.closes_at, window.warn_at
    case.warned_at = case.expired_at = None
    case.returned = [*case.returned, {"returned_at": data["returned_at"].isoformat(), "by": data["returned_by"],
                                      "reasons": data["reasons"]}]
    case.decided_by = case.decided_at = None
    case.reasons, case.forms, case.agreement = [], None, None
    record_step(uow, case, "bureau_return", "reopened", data["returned_by"], now=now)
    uow.emit(ONSITE_WINDOW_OPENED, _window_data(case, submission), case.filing_id)


def _sealed_mobile(cipher, case: Case) -> str:
    """The sponsor's mobile sealed for the bus (``event.mobile``): notify texts it."""
    mobile = cipher.decrypt(case.mobile_token, context=f"{STORE_CONTEXT}.mobile")
    return cipher.encrypt(mobile, context=f"{SEAL_CONTEXT}.mobile")


def check_windows(uow: VerificationUnitOfWork, *, cipher, provider_id: str, now: Clock) -> int:
    """P3, X4: 3 working days before an unused window closes, warn staff and remind the sponsor (by SMS at the
    mobile the event carries sealed), and expire the window when it has closed (the filing returns to the
    sponsor, told by SMS). Each event once per window; rows are locked so that two replicas never raise the same
    one."""
    at = now()
    raised = 0
    for case in uow.cases.due(at):
        submission = uow.submissions.get(case.submission_id)
        window = _window_data(case, submission)
        action = domain.due(case.purpose == STOCK, case.closes_at, case.warned_at, at)
        if action is Due.OVERDUE:
            # W6: past the plan's deadline the filing is overdue (intake reports it) and is still verified; no
            # SMS tells the sponsor that a filing returned. The breach counts once, against whoever booked the
            # appointment, else the department (W1).
            case.expired_at = at
            record_step(uow, case, "window", "overdue", "verification:timer", now=now)
            record_quality(uow, Quality.DEADLINE_BREACHED, (case.appointment or {}).get("by"), case.filing_id,
                           case.closes_at, "stock", provider_id=provider_id, now=now)
            raised += 1
        elif action is Due.EXPIRE:
            case.state, _ = domain.moved(case.state, Move.EXPIRE)
            case.expired_at = at
            uow.emit(ONSITE_WINDOW_EXPIRED, {**window, "mobile": _sealed_mobile(cipher, case)}, case.filing_id)
            record_step(uow, case, "window", "expired", "verification:timer", now=now)
            raised += 1
        elif action is Due.WARN:
            case.warned_at = at
            uow.emit(ONSITE_WINDOW_EXPIRING, {**window, "mobile": _sealed_mobile(cipher, case)}, case.filing_id)
            raised += 1
    return raised


def open_deadlines(uow: VerificationUnitOfWork, *, now: Clock) -> dict:
    """P3: how many windows are open and how many of them have closed without being expired (the timer expires
    them as they close, so a breach that stays means the timer is not doing its work), for metrics. An overdue
    stock filing (W6) stays open on purpose and is reported by intake's progress, not here."""
    opened, breached = uow.cases.deadline_counts(now(), STOCK)
    return {"open": opened, "breached": breached}


def load_calendar_year(uow: VerificationUnitOfWork, schedule: dict, actor: str, *, now: Clock) -> dict:
    """X4: keep a year's State Council schedule (``icp-ops calendar load``) and move the reminder of every open
    window not yet reminded whose days from reminder to closing lie in that year (they were counted by the
    provisional rule, or by the schedule replaced)."""
    parsed = uow.calendar.store(schedule, actor, now())
    calendar = uow.calendar.working()
    recomputed = 0
    for case in uow.cases.in_state(CaseState.WINDOW_OPEN):
        years = range(case.warn_at.astimezone(SHANGHAI).year, case.closes_at.astimezone(SHANGHAI).year + 1)
        if case.warned_at is None and parsed.year in years:
            case.warn_at = domain.warn_time(case.opens_at, case.closes_at, calendar)
            recomputed += 1
    return {"year": parsed.year, "recomputed_deadlines": recomputed}
