"""Precheck use cases, one function per command or event, collaborators passed in (design.md §2).

The entrypoint commits once, with the outbox rows, so a decision and its event are one transaction
(design.md §4). One exception: ``confirm_contact`` commits a wrong try before refusing, because a wrong code
must count even though the request fails.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from precheck import domain
from precheck.domain import OPEN_STATES, CaseState, Context, Rulebook
from precheck.models import Case, Confirmation, calendar_years, outbox
from shared.contracts.envelope import make_envelope
from shared.contracts.errors import BadRequest, Conflict, NotFound, ValidationFailed
from shared.contracts.intake import SEAL_CONTEXT, personal_paths
from shared.contracts.precheck import (
    CONTACT_CONFIRMATION_REQUESTED,
    PRECHECK_DEADLINE_BREACHED,
    PRECHECK_DEADLINE_NEAR,
    PRECHECK_FAILED,
    PRECHECK_PASSED,
)
from shared.kernel.workdays import SHANGHAI, WorkingCalendar
from shared.platform.calendar import deadline_fields, reschedule, store_schedule, working_calendar
from shared.platform.outbox import enqueue
from shared.platform.sealing import unseal

SERVICE = "precheck"
STORE_CONTEXT = "precheck"
CHANNELS = ("sms", "email")


@dataclass
class Deps:
    session: Session
    cipher: object
    hasher: object
    rulebook: Rulebook
    auto_pass: bool
    now: Callable[[], datetime]
    may_see: Callable[..., bool] = lambda **_scope: True
    """The caller's tenant scope (``shared.platform.auth.Caller.may_see``); events and internal RPC see all."""


def calendar(deps: Deps) -> WorkingCalendar:
    """The shipped State Council schedules plus every year an administrator loaded (design.md §6)."""
    return working_calendar(deps.session, calendar_years)


def _emit(deps: Deps, event_type: str, data: dict, filing_id: str) -> None:
    enqueue(deps.session, outbox, make_envelope(event_type, SERVICE, data, filing_id))


def _reseal(deps: Deps, token: str, field: str) -> str:
    """Store-sealed value -> bus-sealed value, never exposed in between."""
    plain = deps.cipher.decrypt(token, context=f"{STORE_CONTEXT}.{field}")
    return deps.cipher.encrypt(plain, context=f"{SEAL_CONTEXT}.{field}")


# --- submission ------------------------------------------------------------------------------------


def on_submitted(deps: Deps, data: dict) -> None:
    """P2: a (re)submitted filing is checked by the rulebook, gets a 5-working-day deadline, and either fails
    at once or has its contacts confirmed by one-time codes (the entrypoint claims each event once)."""
    existing = deps.session.execute(
        select(Case).where(
            Case.filing_id == data["filing_id"], Case.version == data["version"], Case.attempt == data["attempt"]
        )
    ).scalar_one_or_none()
    if existing is not None:
        return  # the same submission under another event id: one case per submission
    filing = unseal(data, personal_paths(data["sponsor"]["kind"]), deps.cipher, SEAL_CONTEXT)
    now = deps.now()
    previous = _supersede_open_cases(deps, data["filing_id"])
    sponsor_hmac = deps.hasher.digest(domain.sponsor_key(filing), kind="sponsor")
    mobile_hmac = data["lookups"]["mobile"]
    shared_mobile = deps.session.execute(
        select(Case.id).where(Case.mobile_hmac == mobile_hmac, Case.sponsor_hmac != sponsor_hmac).limit(1)
    ).first()
    submitted_at = data["submitted_at"]
    # ID numbers are judged on the day intake judged them, however late this runs (shared.kernel.identifiers)
    context = Context(today=submitted_at.astimezone(SHANGHAI).date(),
                      mobile_used_by_other_sponsor=shared_mobile is not None)
    findings = domain.run_rulebook(deps.rulebook, filing, context)
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
        mobile_token=deps.cipher.encrypt(filing["contacts"]["mobile"], context=f"{STORE_CONTEXT}.mobile"),
        findings=[f.to_dict() for f in findings],
        rulebook_version=deps.rulebook.version,
        submitted_at=submitted_at,
        **deadline_fields(calendar(deps), submitted_at, domain.PRECHECK_WORKING_DAYS),
        reasons=[],
        created_at=now,
    )
    deps.session.add(case)
    deps.session.flush()
    if case.state == CaseState.FAILED:
        _decide(
            deps,
            case,
            passed=False,
            reasons=[f.reason() for f in domain.blocking(findings)],
            actor=f"precheck:auto:{deps.rulebook.version}",
        )
        return
    recipients = {"sms": filing["contacts"]["mobile"], "email": filing["contacts"]["email"]}
    confirmed_before = _confirmed_recipients(deps, previous)
    for channel, recipient in recipients.items():
        confirmation = Confirmation(
            id=str(uuid.uuid4()),
            case_id=case.id,
            channel=channel,
            recipient_hmac=deps.hasher.digest(recipient, kind=f"contact.{channel}"),
            recipient_token=deps.cipher.encrypt(recipient, context=f"{STORE_CONTEXT}.recipient"),
            code_digest="",
            expires_at=now,
            tries=0,
            send_times=[],
        )
        if confirmation.recipient_hmac in confirmed_before:
            confirmation.confirmed_at = now  # confirmed for an earlier submission of this filing
        deps.session.add(confirmation)
        if confirmation.confirmed_at is None:
            _send_code(deps, case, confirmation, recipient)
    _advance_if_confirmed(deps, case)


def _supersede_open_cases(deps: Deps, filing_id: str) -> list[Case]:
    cases = list(deps.session.execute(select(Case).where(Case.filing_id == filing_id)).scalars())
    for case in cases:
        if case.state in OPEN_STATES:
            case.state = CaseState.SUPERSEDED
    return cases


def _confirmed_recipients(deps: Deps, cases: list[Case]) -> set[str]:
    if not cases:
        return set()
    rows = deps.session.execute(
        select(Confirmation.recipient_hmac).where(
            Confirmation.case_id.in_([c.id for c in cases]), Confirmation.confirmed_at.is_not(None)
        )
    )
    return {r[0] for r in rows}


def _send_code(deps: Deps, case: Case, confirmation: Confirmation, recipient: str) -> None:
    now = deps.now()
    code = domain.new_code()
    confirmation.code_digest = domain.code_digest(code, confirmation.id)
    confirmation.expires_at = now + domain.CODE_TTL
    confirmation.tries = 0
    confirmation.send_times = [*confirmation.send_times, now.isoformat()]
    _emit(
        deps,
        CONTACT_CONFIRMATION_REQUESTED,
        {
            "filing_id": case.filing_id,
            "confirmation_id": f"{confirmation.id}:{len(confirmation.send_times)}",
            "channel": confirmation.channel,
            "recipient": deps.cipher.encrypt(recipient, context=f"{SEAL_CONTEXT}.recipient"),
            "code": deps.cipher.encrypt(code, context=f"{SEAL_CONTEXT}.code"),
            "expires_at": confirmation.expires_at.isoformat(),
        },
        case.filing_id,
    )


def _advance_if_confirmed(deps: Deps, case: Case) -> None:
    confirmations = _confirmations(deps, case)
    if case.state != CaseState.AWAITING_CONTACTS or any(c.confirmed_at is None for c in confirmations):
        return
    findings = [f for f in case.findings]
    if domain.state_after_contacts(findings, deps.auto_pass) is CaseState.PASSED:
        _decide(deps, case, passed=True, reasons=[], actor=f"precheck:auto:{case.rulebook_version}")
    else:
        case.state = CaseState.NEEDS_REVIEW


def _confirmations(deps: Deps, case: Case) -> list[Confirmation]:
    return list(
        deps.session.execute(
            select(Confirmation).where(Confirmation.case_id == case.id).order_by(Confirmation.channel)
        ).scalars()
    )


def _decide(deps: Deps, case: Case, *, passed: bool, reasons: list[dict], actor: str) -> None:
    now = deps.now()
    case.state = CaseState.PASSED if passed else CaseState.FAILED
    case.decided_by, case.decided_at, case.reasons = actor, now, reasons
    _emit(
        deps,
        PRECHECK_PASSED if passed else PRECHECK_FAILED,
        {
            "filing_id": case.filing_id,
            "version": case.version,
            "attempt": case.attempt,
            "decided_at": now.isoformat(),
            "decided_by": actor,
            "reasons": reasons,
            "mobile": _reseal(deps, case.mobile_token, "mobile"),
            "rulebook_version": case.rulebook_version,
        },
        case.filing_id,
    )


# --- contacts -------------------------------------------------------------------------------------


def _current_case(deps: Deps, filing_id: str, *, lock: bool = False) -> Case:
    try:
        uuid.UUID(filing_id)
    except ValueError:
        raise _unknown() from None
    query = select(Case).where(Case.filing_id == filing_id, Case.state != CaseState.SUPERSEDED)
    query = query.order_by(Case.created_at.desc()).limit(1)
    case = deps.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    # Out of the caller's scope answers exactly like unknown: nobody learns which filings exist (issue 8).
    if case is None or not _visible(deps, case):
        raise _unknown()
    return case


def _visible(deps: Deps, case: Case) -> bool:
    return deps.may_see(provider=case.provider_id, province=case.province, mobile_hmac=case.mobile_hmac)


def _unknown() -> NotFound:
    return NotFound.about("filing_id", "unknown", "No filing with this id is in pre-verification.", "P2")


def _confirmation(deps: Deps, case: Case, channel: str) -> Confirmation:
    if channel not in CHANNELS:
        raise BadRequest.about("channel", "choice", "The channel is sms or email.", "P2")
    if case.state != CaseState.AWAITING_CONTACTS:
        message = f"Contacts are not being confirmed: the filing is {case.state}."
        raise Conflict.about("state", "conflict", message, "P2")
    found = next((c for c in _confirmations(deps, case) if c.channel == channel), None)
    if found is None:
        raise NotFound.about("channel", "unknown", "Nothing to confirm on this channel.", "P2")
    return found


def confirm_contact(deps: Deps, filing_id: str, channel: str, code: str) -> dict:
    """P2: the sponsor enters the code it received; 24 h validity, at most 5 wrong tries."""
    case = _current_case(deps, filing_id, lock=True)
    confirmation = _confirmation(deps, case, channel)
    try:
        domain.check_code(
            given=code,
            digest=confirmation.code_digest,
            confirmation_id=confirmation.id,
            expires_at=confirmation.expires_at,
            tries=confirmation.tries,
            confirmed=confirmation.confirmed_at is not None,
            now=deps.now(),
        )
    except domain.CodeRefused as exc:
        if exc.code == "wrong_code":
            confirmation.tries += 1
            deps.session.commit()  # a wrong try counts even though the request fails
        raise ValidationFailed.about("code", exc.code, exc.message, "P2") from None
    confirmation.confirmed_at = deps.now()
    deps.session.flush()
    _advance_if_confirmed(deps, case)
    return view(deps, case)


def resend_code(deps: Deps, filing_id: str, channel: str) -> dict:
    """A new code replaces the old one; at most 3 sends in 24 hours."""
    case = _current_case(deps, filing_id, lock=True)
    confirmation = _confirmation(deps, case, channel)
    if confirmation.confirmed_at is not None:
        raise Conflict.about("channel", "already_confirmed", "This contact is already confirmed.", "P2")
    try:
        domain.check_resend([datetime.fromisoformat(t) for t in confirmation.send_times], deps.now())
    except domain.CodeRefused as exc:
        raise ValidationFailed.about("channel", exc.code, exc.message, "P2") from None
    recipient = deps.cipher.decrypt(confirmation.recipient_token, context=f"{STORE_CONTEXT}.recipient")
    _send_code(deps, case, confirmation, recipient)
    return view(deps, case)


# --- staff ------------------------------------------------------------------------------------------


def work_queue(deps: Deps) -> list[dict]:
    """Filings that need a human, oldest deadline first."""
    cases = deps.session.execute(
        select(Case).where(Case.state == CaseState.NEEDS_REVIEW).order_by(Case.deadline_at, Case.created_at)
    ).scalars()
    official = calendar(deps)  # read once for the whole queue, not once per provisional deadline
    return [view(deps, c, official) for c in cases if _visible(deps, c)]


def claim(deps: Deps, filing_id: str, actor: str) -> dict:
    case = _current_case(deps, filing_id, lock=True)
    _require_review(case)
    if case.claimed_by and case.claimed_by != actor:
        raise Conflict.about("filing_id", "claimed", f"Already claimed by {case.claimed_by}.", "W1")
    case.claimed_by, case.claimed_at = actor, deps.now()
    return view(deps, case)


def decide(deps: Deps, filing_id: str, actor: str, decision: str, reasons: list[dict]) -> dict:
    """Staff pass or fail a filing in review; a fail needs field-level reasons (P2)."""
    case = _current_case(deps, filing_id, lock=True)
    _require_review(case)
    if case.claimed_by != actor:
        raise Conflict.about("filing_id", "not_claimed", "Claim the filing before deciding it.", "W1")
    if decision == "fail" and not reasons:
        raise ValidationFailed.about("reasons", "required", "A fail needs reasons: say which field and why.", "P2")
    _decide(deps, case, passed=decision == "pass", reasons=reasons, actor=actor)
    return view(deps, case)


def _require_review(case: Case) -> None:
    if case.state != CaseState.NEEDS_REVIEW:
        raise Conflict.about("state", "conflict", f"The filing is {case.state}, not in review.", "P2")


# --- deadlines and calendar -------------------------------------------------------------------------


def raise_deadline_events(deps: Deps) -> int:
    """Raise ``precheck_deadline_near.v1`` one working day before and ``precheck_deadline_breached.v1`` after
    the deadline, each once per case (P2). Returns how many events were raised."""
    now = deps.now()
    raised = 0
    due = or_(
        and_(Case.near_raised_at.is_(None), Case.near_at <= now),
        and_(Case.breached_raised_at.is_(None), Case.deadline_at <= now),
    )
    query = select(Case).where(Case.state.in_([s.value for s in OPEN_STATES]), due)
    if deps.session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for case in deps.session.execute(query).scalars():
        payload = {
            "filing_id": case.filing_id,
            "version": case.version,
            "submitted_at": case.submitted_at.isoformat(),
            "deadline": case.deadline_at.isoformat(),
            "provisional": case.deadline_provisional,
            "claimed_by": case.claimed_by,  # W1: whose breach it is
        }
        if case.near_raised_at is None and now >= case.near_at and now < case.deadline_at:
            case.near_raised_at = now
            _emit(deps, PRECHECK_DEADLINE_NEAR, payload, case.filing_id)
            raised += 1
        if case.breached_raised_at is None and now >= case.deadline_at:
            case.breached_raised_at = now
            _emit(deps, PRECHECK_DEADLINE_BREACHED, payload, case.filing_id)
            raised += 1
    return raised


def open_deadlines(deps: Deps) -> dict:
    """How many cases are open, how many of them are past their deadline and how many deadlines are provisional
    (a year without the State Council's schedule), and how many days of official schedules are left; for
    metrics and staff."""
    row = deps.session.execute(
        select(func.count(), func.count(Case.breached_raised_at),
               func.count().filter(Case.deadline_provisional.is_(True)))
        .where(Case.state.in_([s.value for s in OPEN_STATES]))
    ).one()
    today = deps.now().astimezone(SHANGHAI).date()
    return {"open": row[0], "breached": row[1], "provisional": row[2],
            "official_days_left": calendar(deps).official_days_left(today)}


def load_calendar_year(deps: Deps, schedule: dict, actor: str) -> dict:
    """An administrator loads a year's official schedule; open deadlines that depend on it are recomputed."""
    parsed = store_schedule(deps.session, calendar_years, schedule, actor, deps.now())
    open_cases = deps.session.execute(select(Case).where(Case.state.in_([s.value for s in OPEN_STATES]))).scalars()
    recomputed = reschedule(open_cases, parsed.year, calendar(deps), lambda case: case.submitted_at,
                            domain.PRECHECK_WORKING_DAYS)
    return {"year": parsed.year, "recomputed_deadlines": recomputed}


# --- views ------------------------------------------------------------------------------------------


def _provisional_note(deps: Deps, case: Case, cal: WorkingCalendar | None) -> str | None:
    if not case.deadline_provisional:
        return None
    cal = cal or calendar(deps)
    return domain.provisional_deadline_note([year for year in case.deadline_years if not cal.has_official(year)])


def view(deps: Deps, case: Case, cal: WorkingCalendar | None = None) -> dict:
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
        "deadline_note": _provisional_note(deps, case, cal),
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
            for c in _confirmations(deps, case)
        },
        "claimed_by": case.claimed_by,
        "decided_by": case.decided_by,
        "reasons": case.reasons,
    }


def get_case(deps: Deps, filing_id: str) -> dict:
    return view(deps, _current_case(deps, filing_id))
