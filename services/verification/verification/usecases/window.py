"""P3 and W6: the on-site window. A pass opens it on the submission passed, a cancellation closes it, the bureau's
return reopens it (P8), a stock filing's re-verification opens one to the plan's deadline (W6), and the timer warns
and expires it."""

from __future__ import annotations

import uuid
from datetime import datetime

from shared.contracts.intake import SEAL_CONTEXT, personal_paths
from shared.contracts.verification import ONSITE_WINDOW_EXPIRED, ONSITE_WINDOW_EXPIRING, ONSITE_WINDOW_OPENED
from shared.platform.sealing import seal, unseal
from verification import domain
from verification.domain import OPEN_STATES, CaseState, Due, Move, Quality
from verification.models import Case, Submission
from verification.usecases.case import (
    FILING,
    STOCK,
    STOCK_ATTEMPT,
    STORE_CONTEXT,
    Deps,
    emit,
    record_quality,
    record_step,
)


def _keep_submission(deps: Deps, data: dict, attempt: int, submitted_at: datetime) -> tuple[Submission, dict]:
    """The filing of an intake event (sealed for the bus as ``filing_submitted.v1`` seals it), re-sealed for this
    store; with the plain data."""
    paths = personal_paths(data["sponsor"]["kind"])
    plain = unseal({k: data[k] for k in ("sponsor", "responsible_person", "contacts", "websites", "access")},
                   paths, deps.cipher, SEAL_CONTEXT)
    submission = Submission(
        id=str(uuid.uuid4()), filing_id=data["filing_id"], version=data["version"], attempt=attempt,
        provider_id=data["provider_id"], province=data["province"], change_of=data.get("filing_number"),
        sponsor_hmac=_sponsor_ref(deps, plain["sponsor"]), filing=seal(plain, paths, deps.cipher, STORE_CONTEXT),
        submitted_at=submitted_at, created_at=deps.now(),
    )
    deps.uow.submissions.add(submission)
    return submission, plain


def _sponsor_ref(deps: Deps, sponsor: dict) -> str:
    """W4: the sponsor's file is keyed by a keyed HMAC of its document number (no personal data in keys)."""
    return deps.hasher.digest(f"{sponsor['kind']}:{domain.normalise_number(sponsor['document_number'])}",
                              kind="sponsor")


def on_precheck_passed(deps: Deps, data: dict) -> None:
    """P3: a pass (``precheck_passed.v2``) opens a 1-month window for the responsible person to come in, on
    exactly the submission passed (filing, version, attempt), which the event carries: it is kept here (personal
    fields re-sealed for this store) for on-site staff to compare the originals with (P5) and for the form to
    print (P6). A newer pass supersedes an open window of an earlier submission. Once per submission: a
    submission already kept (from an earlier release's ``filing_submitted.v1``) is reused, and one whose window
    has opened opens nothing again. The pass counts for the staff member who decided it (W1)."""
    passed = data["submission"]
    submission = deps.uow.submissions.find(data["filing_id"], data["version"], data["attempt"])
    if submission is not None and deps.uow.cases.opened_for(submission.id):
        return
    record_quality(deps, Quality.PRECHECK_DECISION, data["decided_by"], data["filing_id"], data["decided_at"], "passed")
    if submission is None:
        submission, _plain = _keep_submission(deps, passed, data["attempt"], passed["submitted_at"])
        deps.uow.flush()
    for case in deps.uow.cases.of_filing(data["filing_id"]):
        if case.state in OPEN_STATES:
            case.state, _ = domain.moved(case.state, Move.SUPERSEDE)
    mobile = deps.cipher.decrypt(data["mobile"], context=f"{SEAL_CONTEXT}.mobile")
    _open(deps, submission, domain.onsite_window(data["decided_at"], deps.window), mobile, FILING)


def _open(deps: Deps, submission: Submission, window: domain.Window, mobile: str, purpose: str) -> Case:
    case = Case(
        id=str(uuid.uuid4()), filing_id=submission.filing_id, submission_id=submission.id,
        sponsor_hmac=submission.sponsor_hmac, state=CaseState.WINDOW_OPEN, purpose=purpose, sending=1,
        mobile_token=deps.cipher.encrypt(mobile, context=f"{STORE_CONTEXT}.mobile"),
        opens_at=window.opens_at, closes_at=window.closes_at, warn_at=window.warn_at,
        corrections=[], domains=[], access_reasons=[], returned=[], reasons=[], created_at=deps.now(),
    )
    deps.uow.cases.add(case)
    deps.uow.flush()
    emit(deps, ONSITE_WINDOW_OPENED, _window_data(case, submission), case.filing_id)
    return case


def on_reverification_requested(deps: Deps, data: dict) -> None:
    """W6: a stock filing (approved before face-to-face verification existed) gets an on-site window from the
    request to the plan's deadline; verified on site, it answers ``onsite_verified.v1`` with the same filing id
    (intake counts it done). Redelivered events and a repeated request for the filing do nothing."""
    if deps.uow.submissions.find(data["filing_id"], data["version"], STOCK_ATTEMPT) is not None:
        return
    submission, plain = _keep_submission(deps, data, STOCK_ATTEMPT, data["requested_at"])
    deps.uow.flush()
    _open(deps, submission, domain.stock_window(data["requested_at"], data["deadline"]),
          plain["contacts"]["mobile"], STOCK)


def _window_data(case: Case, submission: Submission) -> dict:
    return {"filing_id": case.filing_id, "version": submission.version, "attempt": submission.attempt,
            "provider_id": submission.provider_id, "opens_at": case.opens_at.isoformat(),
            "closes_at": case.closes_at.isoformat()}


def on_cancelled(deps: Deps, data: dict) -> None:
    """The sponsor cancelled: an open window closes (nobody is expected any more)."""
    for case in deps.uow.cases.of_filing(data["filing_id"]):
        if case.state in OPEN_STATES:
            case.state, _ = domain.moved(case.state, Move.CANCEL)
            record_step(deps, case, "window", "cancelled", data["cancelled_by"])


def on_returned(deps: Deps, data: dict) -> None:
    """P8: the bureau returned the filing: it reopens for re-verification, with the bureau's reasons shown to
    staff, a new 1-month window, and the next sending number. Evidence already kept stays in the file."""
    case = next((c for c in deps.uow.cases.of_filing(data["filing_id"]) if c.state == CaseState.SENT), None)
    if case is None:
        return
    submission = deps.uow.submissions.get(case.submission_id)
    if submission.version != data["version"] or case.sending != data["submission"]:
        return  # a return of an older sending: nothing open to reopen
    record_quality(deps, Quality.RETURNED, case.decided_by, case.filing_id, case.decided_at, "returned")
    window = domain.onsite_window(deps.now(), deps.window)
    case.state, _ = domain.moved(case.state, Move.RETURN)
    case.sending += 1
    case.opens_at, case.closes_at, case.warn_at = window.opens_at, window.closes_at, window.warn_at
    case.warned_at = case.expired_at = None
    case.returned = [*case.returned, {"returned_at": data["returned_at"].isoformat(), "by": data["returned_by"],
                                      "reasons": data["reasons"]}]
    case.decided_by = case.decided_at = None
    case.reasons, case.forms, case.agreement = [], None, None
    record_step(deps, case, "bureau_return", "reopened", data["returned_by"])
    emit(deps, ONSITE_WINDOW_OPENED, _window_data(case, submission), case.filing_id)


def check_windows(deps: Deps) -> int:
    """P3: warn staff a few days before an unused window closes, and expire it when it has closed (the filing
    returns to the sponsor, told by SMS). Each event once per window; rows are locked so that two replicas
    never raise the same one."""
    now = deps.now()
    raised = 0
    for case in deps.uow.cases.due(now):
        submission = deps.uow.submissions.get(case.submission_id)
        window = _window_data(case, submission)
        action = domain.due(case.purpose == STOCK, case.closes_at, case.warned_at, now)
        if action is Due.OVERDUE:
            # W6: past the plan's deadline the filing is overdue (intake reports it) and is still verified; no
            # SMS tells the sponsor that a filing returned. The breach counts once, against whoever booked the
            # appointment, else the department (W1).
            case.expired_at = now
            record_step(deps, case, "window", "overdue", "verification:timer")
            record_quality(deps, Quality.DEADLINE_BREACHED, (case.appointment or {}).get("by"), case.filing_id,
                           case.closes_at, "stock")
            raised += 1
        elif action is Due.EXPIRE:
            case.state, _ = domain.moved(case.state, Move.EXPIRE)
            case.expired_at = now
            mobile = deps.cipher.decrypt(case.mobile_token, context=f"{STORE_CONTEXT}.mobile")
            sealed = deps.cipher.encrypt(mobile, context=f"{SEAL_CONTEXT}.mobile")
            emit(deps, ONSITE_WINDOW_EXPIRED, {**window, "mobile": sealed}, case.filing_id)
            record_step(deps, case, "window", "expired", "verification:timer")
            raised += 1
        elif action is Due.WARN:
            case.warned_at = now
            emit(deps, ONSITE_WINDOW_EXPIRING, window, case.filing_id)
            raised += 1
    return raised


def open_deadlines(deps: Deps) -> dict:
    """P3: how many windows are open and how many of them have closed without being expired (the timer expires
    them as they close, so a breach that stays means the timer is not doing its work), for metrics. An overdue
    stock filing (W6) stays open on purpose and is reported by intake's progress, not here."""
    opened, breached = deps.uow.cases.deadline_counts(deps.now(), STOCK)
    return {"open": opened, "breached": breached}
