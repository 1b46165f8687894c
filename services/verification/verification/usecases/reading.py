"""Reading cases: one case, the open windows, a filing's steps, and each staff member's work (W1), within the
caller's scope (issue 8)."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.errors import BadRequest
from verification.domain import CaseState
from verification.repository import VerificationUnitOfWork
from verification.usecases.case import MaySee, find_case, steps_of, view, visible


def get_case(uow: VerificationUnitOfWork, filing_id: str, *, may_see: MaySee, cipher) -> dict:
    return view(uow, cipher, find_case(uow, may_see, filing_id, lock=False))


def list_cases(uow: VerificationUnitOfWork, state: str | None, *, may_see: MaySee, cipher) -> list[dict]:
    """Open windows (or cases in ``state``), the soonest-closing first."""
    wanted = state or CaseState.WINDOW_OPEN.value
    if wanted not in {s.value for s in CaseState}:
        raise BadRequest.about("state", "choice", f"State is one of {[s.value for s in CaseState]}.", "P3")
    return [view(uow, cipher, c) for c in uow.cases.in_state(wanted) if visible(uow, may_see, c)]


def steps(uow: VerificationUnitOfWork, filing_id: str, *, may_see: MaySee) -> list[dict]:
    """W1: every on-site action on the filing and who took it; a filing out of the caller's scope reads as
    unknown (issue 8), like every other per-filing read."""
    find_case(uow, may_see, filing_id, lock=False)
    return steps_of(uow, filing_id)


def staff_work(uow: VerificationUnitOfWork, since: datetime, until: datetime, *, may_see: MaySee) -> list[dict]:
    """W1: how many on-site steps each staff member took between ``since`` and ``until``, by step and outcome,
    over the filings the caller may see (a supervisor: its provider's)."""
    counts: dict[tuple[str, str, str], int] = {}
    for row in uow.steps.in_period(since, until):
        if may_see(provider=row.provider_id, province=row.province):
            key = (row.actor, row.step.split(":", 1)[0], row.outcome)
            counts[key] = counts.get(key, 0) + 1
    return [{"actor": a, "step": s, "outcome": o, "count": n} for (a, s, o), n in sorted(counts.items())]
