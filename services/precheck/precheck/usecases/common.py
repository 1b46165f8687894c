"""What precheck's use cases share (P2; issue 8): the contexts personal data is sealed under, the caller's scope
(a case out of it answers exactly as an unknown one), a refused transition as its wire error, and a case as staff
and the sponsor see it."""

import uuid
from collections.abc import Callable
from contextlib import contextmanager

from precheck import domain
from precheck.models import Case
from precheck.repository import PrecheckUnitOfWork
from shared.contracts.errors import Conflict, NotFound, ValidationFailed
from shared.kernel.workdays import WorkingCalendar

STORE_CONTEXT = "precheck"
SUBMISSION_CONTEXT = f"{STORE_CONTEXT}.submission"
CHANNELS = ("sms", "email")
MaySee = Callable[..., bool]


def everyone(**_scope) -> bool:
    """The scope of events and internal RPC: every case."""
    return True


def current_case(uow: PrecheckUnitOfWork, filing_id: str, may_see: MaySee, *, lock: bool = False) -> Case:
    try:
        uuid.UUID(filing_id)
    except ValueError:
        raise _unknown() from None
    case = uow.cases.current(filing_id, lock=lock)
    # Out of the caller's scope answers exactly like unknown: nobody learns which filings exist (issue 8).
    if case is None or not visible(may_see, case):
        raise _unknown()
    return case


def visible(may_see: MaySee, case: Case) -> bool:
    return may_see(provider=case.provider_id, province=case.province, mobile_hmac=case.mobile_hmac)


def _unknown() -> NotFound:
    return NotFound.about("filing_id", "unknown", "No filing with this id is in pre-verification.", "P2")


@contextmanager
def refusals():
    """A transition the domain refuses, as the wire error a caller gets: 409 for the state, 422 for a request."""
    try:
        yield
    except domain.CaseRefused as exc:
        error = Conflict if exc.kind == "conflict" else ValidationFailed
        raise error.about(exc.field, exc.code, exc.message, exc.rule) from None


def _provisional_note(uow: PrecheckUnitOfWork, case: Case, cal: WorkingCalendar | None) -> str | None:
    if not case.deadline_provisional:
        return None
    cal = cal or uow.calendar.working()
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
    return view(uow, current_case(uow, filing_id, may_see))
