"""Bureau use cases, one function per command or event, collaborators passed in (design.md §2).

The entrypoint commits once, with the outbox rows, so a decision and its events are one transaction
(design.md §4). A deployment serves one province (R2.1): its queues receive only that province's filings, its
database holds only them, and an event for another province that still reaches it is refused.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bureau import domain
from bureau.domain import OPEN_STATES, PenaltyState, ReviewState
from bureau.forms import FormCheck, check_form
from bureau.models import (
    EvidenceAccess,
    FilingNumberRecord,
    Inspection,
    NumberCounter,
    Penalty,
    Review,
    Website,
    calendar_years,
    outbox,
)
from shared.contracts.bureau import (
    EVIDENCE_ACCESSED,
    FILING_APPROVED,
    FILING_NUMBER_RETIRED,
    FILING_RETURNED,
    INSPECTION_RECORDED,
    PENALTY_ISSUED,
    RECTIFICATION_CLOSED,
    RECTIFICATION_OVERDUE,
    REVIEW_DEADLINE_BREACHED,
    REVIEW_DEADLINE_NEAR,
)
from shared.contracts.envelope import make_envelope
from shared.contracts.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed, field_errors
from shared.contracts.intake import personal_paths
from shared.contracts.verification import EXCHANGE_CONTEXT
from shared.kernel.errors import InvalidValue
from shared.kernel.filing_numbers import FilingNumber, parse_filing_number
from shared.kernel.network import validate_domain
from shared.kernel.provinces import Province
from shared.kernel.workdays import SHANGHAI
from shared.platform.calendar import deadline_fields, reschedule, store_schedule, working_calendar
from shared.platform.crypto import DecryptionError
from shared.platform.events import PoisonEvent
from shared.platform.outbox import enqueue
from shared.platform.sealing import mask, seal, unseal
from shared.platform.storage import ObjectNotFound, ObjectStore

SERVICE = "bureau"
FILING_CONTEXT = "bureau.filing"  # the bureau's own seal of stored personal fields
CORRECTION_CONTEXT = "bureau.correction"
SINGLE_EVIDENCE = ("form_bureau_copy", "form_provider_copy", "photo", "security_agreement")
LISTED_EVIDENCE = ("document_copies", "domain_lookups")


@dataclass
class Deps:
    session: Session
    cipher: object
    exchange: object
    store: ObjectStore | None
    province: Province
    review_working_days: int
    trusted_seals: list
    evidence_link_seconds: int
    now: Callable[[], datetime]
    run_cpu: Callable = lambda fn, *args: fn(*args)
    may_see: Callable[..., bool] = lambda **_scope: True
    """The caller's scope (``shared.platform.auth.Caller.may_see``): a reviewer sees its own province only; events
    and timers see all."""


def _emit(deps: Deps, event_type: str, data: dict, correlation_id: str) -> None:
    enqueue(deps.session, outbox, make_envelope(event_type, SERVICE, data, correlation_id))


def _scope(deps: Deps, provider_id: str) -> dict:
    return {"provider_id": provider_id, "province": deps.province.abbr}


# --- receipt (P8, B1) -------------------------------------------------------------------------------------------------


def on_sent_to_bureau(deps: Deps, data: dict) -> None:
    """P8: a verified filing enters the review queue with a deadline of the province's review time (20 working days
    from receipt unless the province sets more); its form's seal is checked at once (P6, B1). A redelivered event,
    the same submission under another event id, or an older submission arriving late adds nothing. A later
    submission supersedes open reviews of the filing (a return and re-send, P8)."""
    if data["province"] != deps.province.abbr:
        raise PoisonEvent("filing_sent_to_bureau.v1 for another province")  # R2.1: never stored here
    newest = deps.session.execute(
        select(Review.version, Review.submission).where(Review.filing_id == data["filing_id"])
        .order_by(Review.version.desc(), Review.submission.desc()).limit(1)
    ).first()
    if newest is not None and (data["version"], data["submission"]) <= tuple(newest):
        return  # the same submission under another event id, or an older one overtaken by a newer: nothing new
    paths = personal_paths(data["filing"]["sponsor"]["kind"])
    try:
        plain = unseal(data["filing"], paths, deps.exchange, EXCHANGE_CONTEXT)
    except DecryptionError:
        raise PoisonEvent("filing_sent_to_bureau.v1 sealed with keys this bureau does not hold") from None
    stored = seal(plain, paths, deps.cipher, FILING_CONTEXT)
    corrections = [_reseal_correction(deps, c) for c in data["corrections"]]
    for review in deps.session.execute(
        select(Review).where(Review.filing_id == data["filing_id"], Review.state.in_(OPEN_STATES))
    ).scalars():
        review.state = ReviewState.SUPERSEDED
    now = deps.now()
    deps.session.add(Review(
        id=str(uuid.uuid4()),
        filing_id=data["filing_id"],
        version=data["version"],
        attempt=data["attempt"],
        submission=data["submission"],
        provider_id=data["provider_id"],
        province=data["province"],
        change_of=data["change_of"],
        state=ReviewState.PENDING,
        filing=stored,
        evidence=data["evidence"],
        corrections=corrections,
        form_check=_check_form(deps, data["evidence"]["form_bureau_copy"]).to_dict(),
        sent_at=data["sent_at"],
        sent_by=data["sent_by"],
        verified_by=data["verified_by"],
        received_at=now,
        **deadline_fields(working_calendar(deps.session, calendar_years), now, deps.review_working_days),
        reasons=[],
    ))


def _reseal_correction(deps: Deps, correction: dict) -> dict:
    """P6: a correction made on site, its before/after values (sealed with the exchange ring under
    ``exchange.correction``) re-sealed with the bureau's own keys."""
    out = dict(correction)
    for side in ("before", "after"):
        if isinstance(out.get(side), str):
            try:
                plain = deps.exchange.decrypt(out[side], context=f"{EXCHANGE_CONTEXT}.correction")
            except DecryptionError:
                raise PoisonEvent("a correction is not sealed with the exchange ring") from None
            out[side] = deps.cipher.encrypt(plain, context=CORRECTION_CONTEXT)
    return out


def _check_form(deps: Deps, ref: dict) -> FormCheck:
    """The seal check of P6/B1; a missing object is a finding on the review, an unavailable store an error (the
    event is retried)."""
    try:
        content = deps.store.get(ref["bucket"], ref["key"], ref.get("version_id"))
    except ObjectNotFound:
        return FormCheck(False, None, [{"field": "evidence.form_bureau_copy", "code": "missing",
                                        "message": "The form is not in the provider's evidence store.", "rule": "P6"}])
    return deps.run_cpu(check_form, content, ref["sha256"], deps.trusted_seals)


# --- decisions (P8) ---------------------------------------------------------------------------------------------------


def _current(deps: Deps, filing_id: str, *, lock: bool = False) -> Review:
    try:
        uuid.UUID(filing_id)
    except ValueError:
        raise _unknown() from None
    query = select(Review).where(Review.filing_id == filing_id, Review.state != ReviewState.SUPERSEDED)
    query = query.order_by(Review.received_at.desc()).limit(1)
    review = deps.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if review is None or not _visible(deps, review):
        raise _unknown()  # out of scope answers exactly like unknown (issue 8)
    return review


def _visible(deps: Deps, review: Review) -> bool:
    return deps.may_see(provider=review.provider_id, province=review.province)


def _require_scope(deps: Deps) -> None:
    """Oversight of providers (B2, A1) is this province's reviewers' (and auditors' to read)."""
    if not deps.may_see(provider=None, province=deps.province.abbr):
        message = "Only this province's reviewers may do this."
        raise Forbidden(message, field_errors(FieldError("Authorization", "forbidden", message, "B1")))


def _unknown() -> NotFound:
    return NotFound.about("filing_id", "unknown", "No filing with this id was sent to this bureau.", "P8")


def _require_pending(review: Review) -> None:
    if review.state != ReviewState.PENDING:
        detail = f" as {review.filing_number}" if review.filing_number else ""
        raise Conflict.about("state", "decided", f"The filing is already {review.state}{detail}.", "P8")


def _allocate(deps: Deps, year: int) -> FilingNumber:
    """The next serial of the province and year, taken in the approving transaction (see ``NumberCounter``)."""
    insert = postgresql.insert if deps.session.bind.dialect.name == "postgresql" else sqlite.insert
    deps.session.execute(
        insert(NumberCounter).values(province=deps.province.abbr, year=year, last_serial=0).on_conflict_do_nothing()
    )
    serial = deps.session.execute(
        update(NumberCounter)
        .where(NumberCounter.province == deps.province.abbr, NumberCounter.year == year)
        .values(last_serial=NumberCounter.last_serial + 1)
        .returning(NumberCounter.last_serial)
    ).scalar_one()
    return FilingNumber(deps.province.abbr, year, serial)


def approve(deps: Deps, filing_id: str, actor: str) -> dict:
    """P8: issue the filing number ``{abbr}ICP备{yyyy}{nnnnnn}号`` and ``-k`` per website, and emit
    ``filing_approved.v1`` (intake shows it, notify texts it to the sponsor). A change (备案变更) keeps its number;
    its websites keep their ``k``, new ones get new ``k``s and removed ones' ``k`` is retired. The review row is locked
    first, so a second approval of the same filing waits and then finds it decided: nothing new is issued."""
    review = _current(deps, filing_id, lock=True)
    _require_pending(review)
    if not review.form_check["valid"]:
        raise Conflict.about("evidence.form_bureau_copy", "form_not_valid",
                             "The verification form's seal did not check out: return the filing.", "P6")
    now = deps.now()
    sites = [[d["ascii"] for d in site["domains"]] for site in review.filing["websites"]]
    if review.change_of:
        record = _number_record(deps, review.change_of, lock=True)
        if record.filing_id != review.filing_id or record.retired_at is not None:
            raise Conflict.about("change_of", "not_active", "The number this change changes is not active.", "P8")
        number = parse_filing_number(record.number)
        old = {w.domain_ascii: w for w in deps.session.execute(
            select(Website).where(Website.filing_number == record.number, Website.retired_at.is_(None))).scalars()}
        kept = {d: parse_filing_number(w.website_number).site for d, w in old.items()}
    else:
        number = _allocate(deps, now.astimezone(SHANGHAI).year)
        record = FilingNumberRecord(number=str(number), filing_id=review.filing_id, highest_site=0)
        deps.session.add(record)
        old, kept = {}, {}
    assigned, record.highest_site = domain.website_numbers(sites, kept, record.highest_site)
    sponsor = review.filing["sponsor"]
    record.provider_id, record.version, record.approved_at = review.provider_id, review.version, now
    record.sponsor_kind = sponsor["kind"]
    # an individual's name is personal data: the public copy keeps a unit's name only
    record.sponsor_name = sponsor["name"] if sponsor["kind"] != "individual" else None
    website_numbers = {d: str(number.for_site(k)) for d, k in assigned.items()}
    _record_websites(deps, review, record, old, website_numbers, now)
    review.state, review.decided_by, review.decided_at = ReviewState.APPROVED, actor, now
    review.filing_number = str(number)
    paths = personal_paths(sponsor["kind"])
    plain = unseal(review.filing, paths, deps.cipher, FILING_CONTEXT)
    _emit(deps, FILING_APPROVED, {
        "filing_id": review.filing_id,
        "version": review.version,
        **_scope(deps, review.provider_id),
        "change_of": review.change_of,
        "filing_number": str(number),
        "website_numbers": website_numbers,
        "approved_at": now.isoformat(),
        "approved_by": actor,
        "filing": seal(plain, paths, deps.exchange, EXCHANGE_CONTEXT),
    }, review.filing_id)
    return view(deps, review)


def _record_websites(deps: Deps, review: Review, record: FilingNumberRecord, old: dict[str, Website],
                     numbers: dict[str, str], now: datetime) -> None:
    unicode_of = {d["ascii"]: (d["unicode"], site["name"])
                  for site in review.filing["websites"] for d in site["domains"]}
    deps.session.flush()
    for domain_ascii, website in old.items():
        # A website removed by a change: its -k is retired here (never reissued, see ``highest_site``). No
        # filing_number_retired.v1: that event retires the whole filing for its readers; filing_approved.v1's
        # website_numbers already leave the site out.
        if domain_ascii not in numbers:
            website.retired_at = now
    for domain_ascii, website_number in numbers.items():
        taken = deps.session.get(Website, domain_ascii)
        if taken is not None and taken.retired_at is None and taken.filing_number != record.number:
            raise Conflict.about("filing.websites", "domain_filed",
                                 f"{domain_ascii} is filed under {taken.filing_number}.", "P8")
        if taken is None:
            taken = Website(domain_ascii=domain_ascii)
            deps.session.add(taken)
        taken.domain_unicode, taken.name = unicode_of[domain_ascii]
        taken.filing_number, taken.website_number = record.number, website_number
        taken.approved_at, taken.retired_at = now, None


def return_filing(deps: Deps, filing_id: str, actor: str, reasons: list[dict]) -> dict:
    """P8: return the filing to the access provider with field-level reasons; it verifies again and sends it
    anew (a new submission)."""
    if not reasons:
        raise ValidationFailed.about("reasons", "required", "A return needs reasons: say which field and why.", "P8")
    review = _current(deps, filing_id, lock=True)
    _require_pending(review)
    now = deps.now()
    review.state, review.decided_by, review.decided_at, review.reasons = ReviewState.RETURNED, actor, now, reasons
    _emit(deps, FILING_RETURNED, {
        "filing_id": review.filing_id, "version": review.version, "submission": review.submission,
        **_scope(deps, review.provider_id), "returned_at": now.isoformat(), "returned_by": actor, "reasons": reasons,
    }, review.filing_id)
    return view(deps, review)


# --- cancellations ----------------------------------------------------------------------------------------------------


def _number_record(deps: Deps, number: str, *, lock: bool = False) -> FilingNumberRecord:
    query = select(FilingNumberRecord).where(FilingNumberRecord.number == number)
    record = deps.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if record is None:
        raise NotFound.about("filing_number", "unknown", "This bureau never issued that number.", "P8")
    return record


def on_cancelled(deps: Deps, data: dict) -> None:
    """A cancelled filing (注销): an open review ends, and its number and website numbers are retired for good
    (never issued again: the counter only grows). Redeliveries do nothing."""
    if data["province"] != deps.province.abbr:
        raise PoisonEvent("filing_cancelled.v1 for another province")
    for review in deps.session.execute(
        select(Review).where(Review.filing_id == data["filing_id"], Review.state.in_(OPEN_STATES))
    ).scalars():
        review.state, review.decided_by, review.decided_at = ReviewState.CANCELLED, data["cancelled_by"], deps.now()
    record = deps.session.execute(
        select(FilingNumberRecord).where(FilingNumberRecord.filing_id == data["filing_id"]).with_for_update()
    ).scalar_one_or_none()
    if record is None or record.retired_at is not None:
        return
    now = deps.now()
    record.retired_at, record.retired_reason = now, data["reason"][:200]
    deps.session.execute(update(Website).where(Website.filing_number == record.number, Website.retired_at.is_(None))
                         .values(retired_at=now))
    _emit(deps, FILING_NUMBER_RETIRED, {
        "filing_id": record.filing_id, **_scope(deps, record.provider_id), "filing_number": record.number,
        "retired_at": now.isoformat(), "reason": "cancelled: " + data["reason"],
    }, record.filing_id)


# --- evidence (B1) ----------------------------------------------------------------------------------------------------


def _evidence_ref(review: Review, item: str) -> dict:
    name, _, index = item.partition(".")
    evidence = review.evidence
    if name in SINGLE_EVIDENCE and not index:
        return evidence[name]
    if name in LISTED_EVIDENCE and index.isdigit() and int(index) < len(evidence[name]):
        return evidence[name][int(index)]
    raise NotFound.about("item", "unknown", f"No evidence {item!r}: one of {', '.join(evidence_items(review))}.", "B1")


def evidence_items(review: Review) -> list[str]:
    listed = [f"{name}.{i}" for name in LISTED_EVIDENCE for i in range(len(review.evidence[name]))]
    return [*SINGLE_EVIDENCE, *listed]


def open_evidence(deps: Deps, filing_id: str, item: str, viewer: str) -> dict:
    """B1: a presigned link (at most 300 s) to one original scan, photo or form; the access is recorded (who,
    what, when) and announced as ``evidence_accessed.v1``."""
    review = _current(deps, filing_id)
    ref = _evidence_ref(review, item)
    seconds = deps.evidence_link_seconds
    url = deps.store.presigned_get(ref["bucket"], ref["key"], timedelta(seconds=seconds), ref.get("version_id"))
    now = deps.now()
    access = EvidenceAccess(id=str(uuid.uuid4()), review_id=review.id, filing_id=review.filing_id, item=item,
                            bucket=ref["bucket"], key=ref["key"], viewer=viewer, accessed_at=now, expires_in=seconds)
    deps.session.add(access)
    _emit(deps, EVIDENCE_ACCESSED, {
        "access_id": access.id, "filing_id": review.filing_id, **_scope(deps, review.provider_id),
        "bucket": ref["bucket"], "key": ref["key"], "viewer": viewer, "accessed_at": now.isoformat(),
        "expires_in": seconds,
    }, review.filing_id)
    return {"url": url, "expires_in": seconds, "access_id": access.id, "item": item,
            "content_type": ref["content_type"], "sha256": ref["sha256"]}


def evidence_accesses(deps: Deps, filing_id: str) -> list[dict]:
    _current(deps, filing_id)
    rows = deps.session.execute(
        select(EvidenceAccess).where(EvidenceAccess.filing_id == filing_id).order_by(EvidenceAccess.accessed_at)
    ).scalars()
    return [{"access_id": a.id, "item": a.item, "bucket": a.bucket, "key": a.key, "viewer": a.viewer,
             "accessed_at": a.accessed_at.isoformat(), "expires_in": a.expires_in} for a in rows]


# --- deadlines --------------------------------------------------------------------------------------------------------


def raise_deadline_events(deps: Deps) -> int:
    """P8: ``review_deadline_approached.v1`` one working day before and ``review_deadline_breached.v1`` after the
    deadline, each once per review; A1: ``rectification_deadline_passed.v1`` once per overdue order."""
    now = deps.now()
    raised = 0
    due = or_(and_(Review.near_raised_at.is_(None), Review.near_at <= now),
              and_(Review.breached_raised_at.is_(None), Review.deadline_at <= now))
    query = select(Review).where(Review.state.in_(OPEN_STATES), due)
    if deps.session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for review in deps.session.execute(query).scalars():
        payload = {"filing_id": review.filing_id, "version": review.version, "submission": review.submission,
                   **_scope(deps, review.provider_id), "received_at": review.received_at.isoformat(),
                   "deadline": review.deadline_at.isoformat(), "provisional": review.deadline_provisional}
        if review.near_raised_at is None and review.near_at <= now < review.deadline_at:
            review.near_raised_at = now
            _emit(deps, REVIEW_DEADLINE_NEAR, payload, review.filing_id)
            raised += 1
        if review.breached_raised_at is None and now >= review.deadline_at:
            review.breached_raised_at = now
            _emit(deps, REVIEW_DEADLINE_BREACHED, payload, review.filing_id)
            raised += 1
    overdue = select(Penalty).where(Penalty.state == PenaltyState.OPEN, Penalty.rectify_by <= now)
    if deps.session.bind.dialect.name == "postgresql":
        overdue = overdue.with_for_update(skip_locked=True)
    for penalty in deps.session.execute(overdue).scalars():
        penalty.state, penalty.overdue_raised_at = PenaltyState.OVERDUE, now
        _emit(deps, RECTIFICATION_OVERDUE, {
            "penalty_id": penalty.id, **_scope(deps, penalty.provider_id),
            "rectify_by": penalty.rectify_by.isoformat(), "at": now.isoformat(), "by": SERVICE,
        }, penalty.id)
        raised += 1
    return raised


def open_counts(deps: Deps) -> dict:
    """Open reviews, how many are past their deadline and how many deadlines are provisional (a year without
    the State Council's schedule), and how many days of official schedules are left; for metrics."""
    row = deps.session.execute(
        select(func.count(), func.count(Review.breached_raised_at),
               func.count().filter(Review.deadline_provisional.is_(True))).where(Review.state.in_(OPEN_STATES))
    ).one()
    today = deps.now().astimezone(SHANGHAI).date()
    days_left = working_calendar(deps.session, calendar_years).official_days_left(today)
    return {"open": row[0], "breached": row[1], "provisional": row[2], "official_days_left": days_left}


def load_calendar_year(deps: Deps, schedule: dict, actor: str) -> dict:
    """An administrator loads a year's State Council schedule (P8: the 20 working days follow it); the open
    reviews whose deadline counted days of that year by the provisional rule are recomputed from their receipt."""
    parsed = store_schedule(deps.session, calendar_years, schedule, actor, deps.now())
    open_reviews = deps.session.execute(select(Review).where(Review.state.in_(OPEN_STATES))).scalars()
    recomputed = reschedule(open_reviews, parsed.year, working_calendar(deps.session, calendar_years),
                            lambda review: review.received_at, deps.review_working_days)
    return {"year": parsed.year, "recomputed_deadlines": recomputed}


# --- views ------------------------------------------------------------------------------------------------------------


def view(deps: Deps, review: Review) -> dict:
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
        "filing": mask(unseal(review.filing, paths, deps.cipher, FILING_CONTEXT), paths),
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


def get_review(deps: Deps, filing_id: str) -> dict:
    return view(deps, _current(deps, filing_id))


def review_queue(deps: Deps) -> list[dict]:
    """B1: every open review, oldest deadline first."""
    rows = deps.session.execute(
        select(Review).where(Review.state.in_(OPEN_STATES)).order_by(Review.deadline_at, Review.received_at)
    ).scalars()
    return [view(deps, r) for r in rows if _visible(deps, r)]


# --- inspections (B2) -------------------------------------------------------------------------------------------------


def plan_inspection(deps: Deps, provider_id: str, kind: str, year: int, sample_size: int, seed: str | None,
                    actor: str) -> dict:
    """B2: an inspection of a provider, scheduled or random, with a reproducible random selection of the
    provider's filings reviewed by this bureau in ``year`` (the seed is recorded and shown)."""
    _require_scope(deps)
    inspection_id = str(uuid.uuid4())
    seed = seed or inspection_id
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    filings = [r[0] for r in deps.session.execute(
        select(Review.filing_id).where(Review.provider_id == provider_id, Review.received_at >= start,
                                       Review.received_at < start.replace(year=year + 1)).distinct())]
    try:
        sample = domain.select_sample(filings, seed, sample_size) if filings else []
    except InvalidValue as exc:
        raise ValidationFailed.about("sample_size", exc.code, exc.message, exc.rule) from None
    inspection = Inspection(id=inspection_id, provider_id=provider_id, kind=kind, year=year, seed=seed,
                            population=len(filings), sample=sample, planned_by=actor, planned_at=deps.now())
    deps.session.add(inspection)
    return inspection_view(inspection)


def record_inspection(deps: Deps, inspection_id: str, findings: list[dict], actor: str) -> dict:
    """B2: the findings (department, procedure, retained evidence) and the score; ``inspection_recorded.v1``."""
    _require_scope(deps)
    inspection = _inspection(deps, inspection_id, lock=True)
    if inspection.recorded_at is not None:
        raise Conflict.about("inspection_id", "recorded", "This inspection's findings are already recorded.", "B2")
    try:
        parsed = [domain.Finding(**f) for f in findings]
    except InvalidValue as exc:
        raise ValidationFailed.about("findings", exc.code, exc.message, exc.rule) from None
    now = deps.now()
    inspection.findings = [f.to_dict() for f in parsed]
    inspection.score = domain.inspection_score(parsed)
    inspection.recorded_by, inspection.recorded_at = actor, now
    _emit(deps, INSPECTION_RECORDED, {
        "inspection_id": inspection.id, **_scope(deps, inspection.provider_id), "kind": inspection.kind,
        "year": inspection.year, "findings": len(parsed), "score": inspection.score,
        "recorded_at": now.isoformat(), "recorded_by": actor,
    }, inspection.id)
    return inspection_view(inspection)


def _inspection(deps: Deps, inspection_id: str, *, lock: bool = False) -> Inspection:
    query = select(Inspection).where(Inspection.id == inspection_id)
    found = deps.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if found is None:
        raise NotFound.about("inspection_id", "unknown", "No such inspection.", "B2")
    return found


def get_inspection(deps: Deps, inspection_id: str) -> dict:
    _require_scope(deps)
    return inspection_view(_inspection(deps, inspection_id))


def inspection_view(inspection: Inspection) -> dict:
    return {"inspection_id": inspection.id, "provider_id": inspection.provider_id, "kind": inspection.kind,
            "year": inspection.year, "seed": inspection.seed, "population": inspection.population,
            "sample": inspection.sample, "planned_by": inspection.planned_by,
            "findings": inspection.findings, "score": inspection.score, "recorded_by": inspection.recorded_by,
            "recorded_at": inspection.recorded_at.isoformat() if inspection.recorded_at else None}


def compliance(deps: Deps, provider_id: str, year: int) -> dict:
    """B2: the provider's compliance score for the year, from its recorded inspections; with its open and overdue
    rectification orders (A1), which the licence review reads beside it."""
    _require_scope(deps)
    scores = [r[0] for r in deps.session.execute(
        select(Inspection.score).where(Inspection.provider_id == provider_id, Inspection.year == year,
                                       Inspection.recorded_at.is_not(None)).order_by(Inspection.recorded_at))]
    orders = dict(deps.session.execute(
        select(Penalty.state, func.count()).where(Penalty.provider_id == provider_id).group_by(Penalty.state)
    ).all())
    return {"provider_id": provider_id, "province": deps.province.abbr, "year": year, "inspections": len(scores),
            "score": domain.compliance_score(scores),
            "rectifications": {s.value: orders.get(s.value, 0) for s in PenaltyState}}


# --- penalties (A1) ---------------------------------------------------------------------------------------------------


def issue_penalty(deps: Deps, body: dict, actor: str) -> dict:
    """A1: penalise a provider and order correction by ``rectify_by``; ``penalty_issued.v1`` for the filing
    center's summary (C4). The order is then tracked: closed by a reviewer, or overdue (timer)."""
    _require_scope(deps)
    now = deps.now()
    if body["rectify_by"] <= now:
        raise ValidationFailed.about("rectify_by", "past", "The rectification deadline is in the future.", "A1")
    penalty = Penalty(id=str(uuid.uuid4()), provider_id=body["provider_id"], filing_id=body.get("filing_id"),
                      kind=body["kind"], reason=body["reason"], rule=body["rule"], state=PenaltyState.OPEN,
                      issued_by=actor, issued_at=now, rectify_by=body["rectify_by"])
    deps.session.add(penalty)
    _emit(deps, PENALTY_ISSUED, {
        "penalty_id": penalty.id, **_scope(deps, penalty.provider_id), "kind": penalty.kind,
        "reason": penalty.reason, "rule": penalty.rule, "issued_at": now.isoformat(), "issued_by": actor,
        "rectify_by": penalty.rectify_by.isoformat(),
    }, penalty.id)
    return penalty_view(penalty)


def close_penalty(deps: Deps, penalty_id: str, note: str, actor: str) -> dict:
    """A1: the provider rectified: the order is closed (also after it went overdue); ``rectification_closed.v1``."""
    _require_scope(deps)
    query = select(Penalty).where(Penalty.id == penalty_id).with_for_update()
    penalty = deps.session.execute(query).scalar_one_or_none()
    if penalty is None:
        raise NotFound.about("penalty_id", "unknown", "No such penalty.", "A1")
    if penalty.state == PenaltyState.CLOSED:
        raise Conflict.about("penalty_id", "closed", "This rectification order is already closed.", "A1")
    now = deps.now()
    penalty.state, penalty.closed_by, penalty.closed_at, penalty.closing_note = PenaltyState.CLOSED, actor, now, note
    _emit(deps, RECTIFICATION_CLOSED, {
        "penalty_id": penalty.id, **_scope(deps, penalty.provider_id), "rectify_by": penalty.rectify_by.isoformat(),
        "at": now.isoformat(), "by": actor,
    }, penalty.id)
    return penalty_view(penalty)


def penalties(deps: Deps, provider_id: str | None) -> list[dict]:
    _require_scope(deps)
    query = select(Penalty).order_by(Penalty.issued_at)
    if provider_id:
        query = query.where(Penalty.provider_id == provider_id)
    return [penalty_view(p) for p in deps.session.execute(query).scalars()]


def penalty_view(penalty: Penalty) -> dict:
    return {"penalty_id": penalty.id, "provider_id": penalty.provider_id, "filing_id": penalty.filing_id,
            "kind": penalty.kind, "reason": penalty.reason, "rule": penalty.rule, "state": penalty.state,
            "issued_by": penalty.issued_by, "issued_at": penalty.issued_at.isoformat(),
            "rectify_by": penalty.rectify_by.isoformat(),
            "overdue_since": penalty.overdue_raised_at.isoformat() if penalty.overdue_raised_at else None,
            "closed_by": penalty.closed_by, "closed_at": penalty.closed_at.isoformat() if penalty.closed_at else None}


# --- public query -----------------------------------------------------------------------------------------------------


def public_query(deps: Deps, domain_name: str | None, number: str | None) -> dict:
    """The public query, no login: by domain or filing number, only public fields (sponsor name and kind, filing
    number, website names, approval date). Built from the public copy only, so personal data cannot appear; an
    individual sponsor's name is personal data and is not shown."""
    if bool(domain_name) == bool(number):
        raise ValidationFailed.about("query", "one_of", "Ask by domain or by filing number (one of them).", "P8")
    if domain_name:
        try:
            ascii_name = validate_domain(domain_name).ascii
        except InvalidValue as exc:
            raise ValidationFailed.about("domain", exc.code, exc.message, exc.rule) from None
        website = deps.session.get(Website, ascii_name)
        if website is None or website.retired_at is not None:
            raise NotFound.about("domain", "not_filed", "No active filing for this domain here.", "P8")
        sponsor_number = website.filing_number
    else:
        try:
            sponsor_number = str(parse_filing_number(number).sponsor_number)
        except InvalidValue as exc:
            raise ValidationFailed.about("number", exc.code, exc.message, exc.rule) from None
    record = deps.session.get(FilingNumberRecord, sponsor_number)
    if record is None or record.retired_at is not None:
        raise NotFound.about("number", "not_filed", "No active filing with this number here.", "P8")
    websites = deps.session.execute(
        select(Website).where(Website.filing_number == record.number, Website.retired_at.is_(None))
        .order_by(Website.website_number, Website.domain_ascii)).scalars()
    return {
        "filing_number": record.number,
        "sponsor_kind": record.sponsor_kind,
        "sponsor_name": record.sponsor_name,
        "approved_at": record.approved_at.astimezone(SHANGHAI).date().isoformat(),
        "websites": [{"website_number": w.website_number, "name": w.name, "domain": w.domain_unicode,
                      "domain_ascii": w.domain_ascii} for w in websites],
    }
