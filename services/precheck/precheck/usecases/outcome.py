"""A case's outcome (P2): advancing once its contacts are confirmed, and saving and publishing a pass or a fail
(``precheck_passed.v1`` and ``.v2``, ``precheck_failed.v1``), personal fields resealed from the store for the bus."""

from datetime import datetime

import structlog

from precheck import domain
from precheck.domain import CaseState
from precheck.models import Case
from precheck.repository import PrecheckUnitOfWork
from precheck.usecases.common import STORE_CONTEXT, SUBMISSION_CONTEXT
from shared.contracts.intake import SEAL_CONTEXT, personal_paths
from shared.contracts.precheck import (
    PRECHECK_FAILED,
    PRECHECK_PASSED,
    PRECHECK_PASSED_V2,
    PassedSubmissionSchema,
)
from shared.platform.sealing import seal, unseal

log = structlog.get_logger(__name__)


def reseal(cipher, token: str, field: str) -> str:
    """Store-sealed value -> bus-sealed value, never exposed in between."""
    plain = cipher.decrypt(token, context=f"{STORE_CONTEXT}.{field}")
    return cipher.encrypt(plain, context=f"{SEAL_CONTEXT}.{field}")


def _stored_submission(cipher, filing: dict) -> dict:
    """The submission as received (``filing``: unsealed), kept for ``precheck_passed.v2``: its personal fields
    sealed under precheck's store context (design.md §5)."""
    received = {**PassedSubmissionSchema().dump(filing), "filing_number": filing.get("filing_number"),
                "previous_version": filing.get("previous_version")}
    return seal(received, personal_paths(filing["sponsor"]["kind"]), cipher, SUBMISSION_CONTEXT)


def submission_for_the_bus(cipher, stored: dict) -> dict:
    """A stored submission with its personal fields sealed for the bus, as intake seals them."""
    paths = personal_paths(stored["sponsor"]["kind"])
    return seal(unseal(stored, paths, cipher, SUBMISSION_CONTEXT), paths, cipher, SEAL_CONTEXT)


def advance_if_confirmed(uow: PrecheckUnitOfWork, cipher, case: Case, *, auto_pass: bool, at: datetime) -> None:
    confirmed = [c.confirmed_at is not None for c in uow.confirmations.of_case(case.id)]
    state, announced = domain.contacts_confirmed(case.state, confirmed, case.findings, auto_pass)
    if announced:
        record_decision(uow, cipher, case, (state, announced), reasons=[],
                         actor=f"precheck:auto:{case.rulebook_version}", at=at)
    else:
        case.state = state


def record_decision(uow: PrecheckUnitOfWork, cipher, case: Case, transition: tuple[CaseState, tuple],
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
        "mobile": reseal(cipher, case.mobile_token, "mobile"),
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
    uow.emit(PRECHECK_PASSED_V2, {**outcome, "submission": submission_for_the_bus(cipher, case.submission)},
             case.filing_id)
