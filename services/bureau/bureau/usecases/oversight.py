"""The bureau's oversight of access providers: inspections with a reproducible random sample, findings and a
yearly compliance score (B2); penalties ordering rectification by a deadline, tracked to closure (A1)."""

import uuid
from collections.abc import Callable
from datetime import datetime

from bureau import domain
from bureau.domain import NotAllowed, PenaltyState
from bureau.models import Inspection, Penalty
from bureau.repository import BureauUnitOfWork
from bureau.usecases.common import Scope, conflict
from shared.contracts.bureau import INSPECTION_RECORDED, PENALTY_ISSUED, RECTIFICATION_CLOSED
from shared.contracts.errors import NotFound, ValidationFailed
from shared.kernel.errors import InvalidValue
from shared.kernel.workdays import SHANGHAI

# --- inspections (B2) -------------------------------------------------------------------------------------------------


def plan_inspection(uow: BureauUnitOfWork, provider_id: str, kind: str, year: int, sample_size: int,
                    seed: str | None, actor: str, *, scope: Scope, now: Callable[[], datetime]) -> dict:
    """B2: an inspection of a provider, scheduled or random, with a reproducible random selection of the
    provider's filings reviewed by this bureau in ``year`` (the seed is recorded and shown)."""
    scope.require_oversight()
    inspection_id = str(uuid.uuid4())
    seed = seed or inspection_id
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    filings = uow.reviews.filings_of(provider_id, start, start.replace(year=year + 1))
    try:
        sample = domain.select_sample(filings, seed, sample_size) if filings else []
    except InvalidValue as exc:
        raise ValidationFailed.about("sample_size", exc.code, exc.message, exc.rule) from None
    inspection = Inspection(id=inspection_id, provider_id=provider_id, kind=kind, year=year, seed=seed,
                            population=len(filings), sample=sample, planned_by=actor, planned_at=now())
    uow.inspections.add(inspection)
    return inspection_view(inspection)


def record_inspection(uow: BureauUnitOfWork, inspection_id: str, findings: list[dict], actor: str, *,
                      scope: Scope, now: Callable[[], datetime]) -> dict:
    """B2: the findings (department, procedure, retained evidence) and the score; ``inspection_recorded.v1``."""
    scope.require_oversight()
    inspection = _inspection(uow, inspection_id, lock=True)
    try:
        domain.require_unrecorded(inspection.recorded_at)
    except NotAllowed as exc:
        raise conflict(exc) from None
    try:
        parsed = [domain.Finding(**f) for f in findings]
    except InvalidValue as exc:
        raise ValidationFailed.about("findings", exc.code, exc.message, exc.rule) from None
    recorded = now()
    inspection.findings = [f.to_dict() for f in parsed]
    inspection.score = domain.inspection_score(parsed)
    inspection.recorded_by, inspection.recorded_at = actor, recorded
    uow.emit(INSPECTION_RECORDED, {
        "inspection_id": inspection.id, **scope.of(inspection.provider_id), "kind": inspection.kind,
        "year": inspection.year, "findings": len(parsed), "score": inspection.score,
        "recorded_at": recorded.isoformat(), "recorded_by": actor,
    }, inspection.id)
    return inspection_view(inspection)


def _inspection(uow: BureauUnitOfWork, inspection_id: str, *, lock: bool = False) -> Inspection:
    found = uow.inspections.get(inspection_id, lock=lock)
    if found is None:
        raise NotFound.about("inspection_id", "unknown", "No such inspection.", "B2")
    return found


def get_inspection(uow: BureauUnitOfWork, inspection_id: str, *, scope: Scope) -> dict:
    scope.require_oversight()
    return inspection_view(_inspection(uow, inspection_id))


def inspections(uow: BureauUnitOfWork, provider_id: str | None, *, scope: Scope) -> list[dict]:
    """B2: the inspections planned here (or of ``provider_id``), newest first, each with its state: recorded or
    still to be recorded."""
    scope.require_oversight()
    return [inspection_view(i) for i in uow.inspections.listed(provider_id)]


def inspection_view(inspection: Inspection) -> dict:
    return {"inspection_id": inspection.id, "provider_id": inspection.provider_id, "kind": inspection.kind,
            "year": inspection.year, "seed": inspection.seed, "population": inspection.population,
            "sample": inspection.sample, "planned_by": inspection.planned_by,
            "planned_at": inspection.planned_at.isoformat(),
            "findings": inspection.findings, "score": inspection.score, "recorded_by": inspection.recorded_by,
            "recorded_at": inspection.recorded_at.isoformat() if inspection.recorded_at else None}


def compliance(uow: BureauUnitOfWork, provider_id: str, year: int, *, scope: Scope) -> dict:
    """B2: the provider's compliance score for the year, from its recorded inspections; with its open and overdue
    rectification orders (A1), which the licence review reads beside it."""
    scope.require_oversight()
    scores = uow.inspections.scores(provider_id, year)
    orders = uow.penalties.states(provider_id)
    return {"provider_id": provider_id, "province": scope.province.abbr, "year": year, "inspections": len(scores),
            "score": domain.compliance_score(scores),
            "rectifications": {s.value: orders.get(s.value, 0) for s in PenaltyState}}


# --- penalties (A1) ---------------------------------------------------------------------------------------------------


def issue_penalty(uow: BureauUnitOfWork, body: dict, actor: str, *, scope: Scope,
                  now: Callable[[], datetime]) -> dict:
    """A1: penalise a provider and order correction by ``rectify_by``; ``penalty_issued.v1`` for the filing
    center's summary (C4). The order is then tracked: closed by a reviewer, or overdue (timer)."""
    scope.require_oversight()
    issued = now()
    if body["rectify_by"] <= issued:
        raise ValidationFailed.about("rectify_by", "past", "The rectification deadline is in the future.", "A1")
    penalty = Penalty(id=str(uuid.uuid4()), provider_id=body["provider_id"], filing_id=body.get("filing_id"),
                      kind=body["kind"], reason=body["reason"], rule=body["rule"], state=PenaltyState.OPEN,
                      issued_by=actor, issued_at=issued, rectify_by=body["rectify_by"])
    uow.penalties.add(penalty)
    uow.emit(PENALTY_ISSUED, {
        "penalty_id": penalty.id, **scope.of(penalty.provider_id), "kind": penalty.kind,
        "reason": penalty.reason, "rule": penalty.rule, "issued_at": issued.isoformat(), "issued_by": actor,
        "rectify_by": penalty.rectify_by.isoformat(),
    }, penalty.id)
    return penalty_view(penalty)


def close_penalty(uow: BureauUnitOfWork, penalty_id: str, note: str, actor: str, *, scope: Scope,
                  now: Callable[[], datetime]) -> dict:
    """A1: the provider rectified: the order is closed (also after it went overdue); ``rectification_closed.v1``."""
    scope.require_oversight()
    penalty = uow.penalties.get(penalty_id, lock=True)
    if penalty is None:
        raise NotFound.about("penalty_id", "unknown", "No such penalty.", "A1")
    try:
        state = domain.close_penalty(penalty.state)
    except NotAllowed as exc:
        raise conflict(exc) from None
    closed = now()
    penalty.state, penalty.closed_by, penalty.closed_at, penalty.closing_note = state, actor, closed, note
    uow.emit(RECTIFICATION_CLOSED, {
        "penalty_id": penalty.id, **scope.of(penalty.provider_id), "rectify_by": penalty.rectify_by.isoformat(),
        "at": closed.isoformat(), "by": actor,
    }, penalty.id)
    return penalty_view(penalty)


def penalties(uow: BureauUnitOfWork, provider_id: str | None, *, scope: Scope) -> list[dict]:
    scope.require_oversight()
    return [penalty_view(p) for p in uow.penalties.listed(provider_id)]


def penalty_view(penalty: Penalty) -> dict:
    return {"penalty_id": penalty.id, "provider_id": penalty.provider_id, "filing_id": penalty.filing_id,
            "kind": penalty.kind, "reason": penalty.reason, "rule": penalty.rule, "state": penalty.state,
            "issued_by": penalty.issued_by, "issued_at": penalty.issued_at.isoformat(),
            "rectify_by": penalty.rectify_by.isoformat(),
            "overdue_since": penalty.overdue_raised_at.isoformat() if penalty.overdue_raised_at else None,
            "closed_by": penalty.closed_by, "closed_at": penalty.closed_at.isoformat() if penalty.closed_at else None}
