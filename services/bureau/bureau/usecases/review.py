"""The reviewers' work (P8, B1): the queue, one review as reviewers see it, approval with the filing number and
website numbers, and the return to the provider with reasons."""

from collections.abc import Callable
from datetime import datetime

from bureau import domain
from bureau.domain import NotAllowed
from bureau.models import Review
from bureau.repository import BureauUnitOfWork
from bureau.usecases import register
from bureau.usecases.common import FILING_CONTEXT, Keys, Scope, conflict, current_review
from bureau.usecases.evidence import evidence_items
from shared.contracts.bureau import FILING_APPROVED, FILING_RETURNED, sponsor_key
from shared.contracts.errors import ValidationFailed
from shared.contracts.intake import personal_paths
from shared.contracts.verification import EXCHANGE_CONTEXT
from shared.kernel.errors import InvalidValue
from shared.platform.sealing import mask, seal, unseal


def _decide(review: Review, decision: domain.Decision) -> None:
    review.state, review.decided_by, review.decided_at = decision.state, decision.by, decision.at


def approve(uow: BureauUnitOfWork, filing_id: str, actor: str, *, scope: Scope, keys: Keys,
            now: Callable[[], datetime]) -> dict:
    """P8, X1: approve with the sponsor's number ``{abbr}ICP备{yyyy}{nnnnnn}号`` and ``-k`` per website, and emit
    ``filing_approved.v1`` (intake shows it, notify texts it to the sponsor). A sponsor that already holds a number
    here keeps it: this filing's websites come under it (``register.number_for``, ``register.place_websites``); a
    change (备案变更) keeps its number, its websites keep their ``k`` and removed ones' ``k`` is retired. The review
    row is locked first, so a second approval of the same filing waits and then finds it decided: nothing new is
    issued."""
    review = current_review(uow, scope, filing_id, lock=True)
    approved_at = now()
    try:
        domain.require_miit_passed(review.miit_state)
        decision = domain.approve(review.state, review.filing_number, review.form_check["valid"], actor, approved_at)
    except NotAllowed as exc:
        raise conflict(exc) from None
    sponsor = review.filing["sponsor"]
    paths = personal_paths(sponsor["kind"])
    plain = unseal(review.filing, paths, keys.cipher, FILING_CONTEXT)
    key = sponsor_key(keys.lookup, sponsor["kind"], plain["sponsor"]["document_number"])
    record = register.number_for(uow, review, scope, key, approved_at)
    record.provider_id, record.version, record.approved_at = review.provider_id, review.version, approved_at
    record.sponsor_kind = sponsor["kind"]
    # an individual's name is personal data: the public copy keeps a unit's name only, and only a unit is found by it
    unit = sponsor["kind"] != "individual"
    record.sponsor_name = sponsor["name"] if unit else None
    record.name_key = domain.name_key(sponsor["name"]) if unit else None
    website_numbers = register.place_websites(uow, review, record, approved_at)
    _decide(review, decision)
    review.filing_number = record.number
    uow.emit(FILING_APPROVED, {
        "filing_id": review.filing_id,
        "version": review.version,
        **scope.of(review.provider_id),
        "change_of": review.change_of,
        "filing_number": record.number,
        "website_numbers": website_numbers,
        "approved_at": approved_at.isoformat(),
        "approved_by": actor,
        "filing": seal(plain, paths, keys.exchange, EXCHANGE_CONTEXT),
    }, review.filing_id)
    return view(review, keys)


def return_filing(uow: BureauUnitOfWork, filing_id: str, actor: str, reasons: list[dict], *, scope: Scope,
                  keys: Keys, now: Callable[[], datetime]) -> dict:
    """P8: return the filing to the access provider with field-level reasons; it verifies again and sends it
    anew (a new submission)."""
    review = current_review(uow, scope, filing_id, lock=True)
    try:
        decision = domain.return_review(review.state, review.filing_number, reasons, actor, now())
    except NotAllowed as exc:
        raise conflict(exc) from None
    except InvalidValue as exc:
        raise ValidationFailed.about("reasons", exc.code, exc.message, exc.rule) from None
    emit_returned(uow, review, decision, scope, keys)
    return view(review, keys)


def emit_returned(uow: BureauUnitOfWork, review: Review, decision: domain.Decision, scope: Scope, keys: Keys) -> None:
    """P8 (and X2's failed check): the review returned with its reasons, ``filing_returned.v1`` emitted with the
    sponsor's mobile sealed for notify to tell it (X4)."""
    _decide(review, decision)
    review.reasons = decision.reasons
    mobile = keys.cipher.decrypt(review.filing["contacts"]["mobile"], context=f"{FILING_CONTEXT}.contacts.mobile")
    uow.emit(FILING_RETURNED, {
        "filing_id": review.filing_id, "version": review.version, "submission": review.submission,
        **scope.of(review.provider_id), "returned_at": decision.at.isoformat(), "returned_by": decision.by,
        "reasons": decision.reasons,
        "mobile": keys.exchange.encrypt(mobile, context=f"{EXCHANGE_CONTEXT}.contacts.mobile"),
    }, review.filing_id)


def view(review: Review, keys: Keys) -> dict:
    """A review as reviewers see it: personal fields masked (``110105********002X``); the originals are opened as
    evidence (B1)."""
    paths = personal_paths(review.filing["sponsor"]["kind"])
    return {
        "filing_id": review.filing_id,
        "version": review.version,
        "submission": review.submission,
        "provider_id": review.provider_id,
        "province": review.province,
        "change_of": review.change_of,
        "state": review.state,
        "filing": mask(unseal(review.filing, paths, keys.cipher, FILING_CONTEXT), paths),
        "evidence_items": evidence_items(review),
        "form_check": review.form_check,
        "corrections": [{"field": c.get("field"), "by": c.get("by"), "at": c.get("at")} for c in review.corrections],
        "received_at": review.received_at.isoformat(),
        "deadline": review.deadline_at.isoformat(),
        "deadline_provisional": review.deadline_provisional,
        "deadline_near": review.near_raised_at is not None,
        "deadline_breached": review.breached_raised_at is not None,
        "decided_by": review.decided_by,
        "decided_at": review.decided_at.isoformat() if review.decided_at else None,
        "reasons": review.reasons,
        "filing_number": review.filing_number,
        "miit_check": review.miit_state,
    }


def get_review(uow: BureauUnitOfWork, filing_id: str, *, scope: Scope, keys: Keys) -> dict:
    return view(current_review(uow, scope, filing_id), keys)


def review_queue(uow: BureauUnitOfWork, *, scope: Scope, keys: Keys) -> list[dict]:
    """B1: every open review the caller may see, oldest deadline first; X2: only once its MIIT check passed."""
    return [view(r, keys) for r in uow.reviews.open() if scope.sees(r) and r.miit_state in (None, "passed")]
