"""The reviewers' work (P8, B1): the queue, one review as reviewers see it, approval with the filing number and
website numbers, and the return to the provider with reasons."""

from collections.abc import Callable
from datetime import datetime

from bureau import domain
from bureau.domain import NotAllowed
from bureau.models import FilingNumberRecord, Review, Website
from bureau.repository import BureauUnitOfWork
from bureau.usecases.common import FILING_CONTEXT, Keys, Scope, conflict, current_review
from bureau.usecases.evidence import evidence_items
from shared.contracts.bureau import FILING_APPROVED, FILING_RETURNED
from shared.contracts.errors import Conflict, NotFound, ValidationFailed
from shared.contracts.intake import personal_paths
from shared.contracts.verification import EXCHANGE_CONTEXT
from shared.kernel.errors import InvalidValue
from shared.kernel.filing_numbers import FilingNumber, parse_filing_number
from shared.kernel.workdays import SHANGHAI
from shared.platform.sealing import mask, seal, unseal


def _decide(review: Review, decision: domain.Decision) -> None:
    review.state, review.decided_by, review.decided_at = decision.state, decision.by, decision.at


def approve(uow: BureauUnitOfWork, filing_id: str, actor: str, *, scope: Scope, keys: Keys,
            now: Callable[[], datetime]) -> dict:
    """P8: issue the filing number ``{abbr}ICP备{yyyy}{nnnnnn}号`` and ``-k`` per website, and emit
    ``filing_approved.v1`` (intake shows it, notify texts it to the sponsor). A change (备案变更) keeps its number;
    its websites keep their ``k``, new ones get new ``k``s and removed ones' ``k`` is retired. The review row is locked
    first, so a second approval of the same filing waits and then finds it decided: nothing new is issued."""
    review = current_review(uow, scope, filing_id, lock=True)
    approved_at = now()
    try:
        decision = domain.approve(review.state, review.filing_number, review.form_check["valid"], actor, approved_at)
    except NotAllowed as exc:
        raise conflict(exc) from None
    sites = [[d["ascii"] for d in site["domains"]] for site in review.filing["websites"]]
    if review.change_of:
        record = uow.numbers.get(review.change_of, lock=True)
        if record is None:
            raise NotFound.about("filing_number", "unknown", "This bureau never issued that number.", "P8")
        if record.filing_id != review.filing_id or record.retired_at is not None:
            raise Conflict.about("change_of", "not_active", "The number this change changes is not active.", "P8")
        number = parse_filing_number(record.number)
        old = {w.domain_ascii: w for w in uow.websites.active_of(record.number)}
        kept = {d: parse_filing_number(w.website_number).site for d, w in old.items()}
    else:
        year = approved_at.astimezone(SHANGHAI).year
        number = FilingNumber(scope.province.abbr, year, uow.numbers.next_serial(scope.province.abbr, year))
        record = FilingNumberRecord(number=str(number), filing_id=review.filing_id, highest_site=0)
        uow.numbers.add(record)
        old, kept = {}, {}
    assigned, record.highest_site = domain.website_numbers(sites, kept, record.highest_site)
    sponsor = review.filing["sponsor"]
    record.provider_id, record.version, record.approved_at = review.provider_id, review.version, approved_at
    record.sponsor_kind = sponsor["kind"]
    # an individual's name is personal data: the public copy keeps a unit's name only
    record.sponsor_name = sponsor["name"] if sponsor["kind"] != "individual" else None
    website_numbers = {d: str(number.for_site(k)) for d, k in assigned.items()}
    _record_websites(uow, review, record, old, website_numbers, approved_at)
    _decide(review, decision)
    review.filing_number = str(number)
    paths = personal_paths(sponsor["kind"])
    plain = unseal(review.filing, paths, keys.cipher, FILING_CONTEXT)
    uow.emit(FILING_APPROVED, {
        "filing_id": review.filing_id,
        "version": review.version,
        **scope.of(review.provider_id),
        "change_of": review.change_of,
        "filing_number": str(number),
        "website_numbers": website_numbers,
        "approved_at": approved_at.isoformat(),
        "approved_by": actor,
        "filing": seal(plain, paths, keys.exchange, EXCHANGE_CONTEXT),
    }, review.filing_id)
    return view(review, keys)


def _record_websites(uow: BureauUnitOfWork, review: Review, record: FilingNumberRecord, old: dict[str, Website],
                     numbers: dict[str, str], now: datetime) -> None:
    unicode_of = {d["ascii"]: (d["unicode"], site["name"])
                  for site in review.filing["websites"] for d in site["domains"]}
    uow.flush()  # the number's record before the websites that refer to it
    for domain_ascii, website in old.items():
        # A website removed by a change: its -k is retired here (never reissued, see ``highest_site``). No
        # filing_number_retired.v1: that event retires the whole filing for its readers; filing_approved.v1's
        # website_numbers already leave the site out.
        if domain_ascii not in numbers:
            website.retired_at = now
    for domain_ascii, website_number in numbers.items():
        taken = uow.websites.get(domain_ascii)
        if taken is not None and taken.retired_at is None and taken.filing_number != record.number:
            raise Conflict.about("filing.websites", "domain_filed",
                                 f"{domain_ascii} is filed under {taken.filing_number}.", "P8",
                                 {"domain": domain_ascii, "filing_number": taken.filing_number})
        if taken is None:
            taken = Website(domain_ascii=domain_ascii)
            uow.websites.add(taken)
        taken.domain_unicode, taken.name = unicode_of[domain_ascii]
        taken.filing_number, taken.website_number = record.number, website_number
        taken.approved_at, taken.retired_at = now, None


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
    _decide(review, decision)
    review.reasons = decision.reasons
    uow.emit(FILING_RETURNED, {
        "filing_id": review.filing_id, "version": review.version, "submission": review.submission,
        **scope.of(review.provider_id), "returned_at": decision.at.isoformat(), "returned_by": actor,
        "reasons": reasons,
    }, review.filing_id)
    return view(review, keys)


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
    }


def get_review(uow: BureauUnitOfWork, filing_id: str, *, scope: Scope, keys: Keys) -> dict:
    return view(current_review(uow, scope, filing_id), keys)


def review_queue(uow: BureauUnitOfWork, *, scope: Scope, keys: Keys) -> list[dict]:
    """B1: every open review the caller may see, oldest deadline first."""
    return [view(r, keys) for r in uow.reviews.open() if scope.sees(r)]
