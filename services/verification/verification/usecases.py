"""Verification use cases, one function per command or event, collaborators passed in (design.md §2).

The entrypoint commits once, with the outbox rows, so a decision and its events are one transaction (design.md
§4). Image and PDF work runs off the eventlet hub (``eventlet.tpool``). Every on-site action is recorded with the
staff member who took it (``steps``, W1). Personal data is stored sealed under ``verification.<what>``.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from eventlet import tpool
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.contracts.envelope import make_envelope
from shared.contracts.errors import BadRequest, Conflict, NotFound, ValidationFailed
from shared.contracts.intake import SEAL_CONTEXT, personal_paths
from shared.contracts.verification import (
    EXCHANGE_CONTEXT,
    FILING_SENT_TO_BUREAU,
    ONSITE_REJECTED,
    ONSITE_VERIFIED,
    ONSITE_WINDOW_EXPIRED,
    ONSITE_WINDOW_EXPIRING,
    ONSITE_WINDOW_OPENED,
)
from shared.kernel.network import validate_domain
from shared.platform import uploads
from shared.platform.authority import Authorities, Outcome
from shared.platform.idempotency import claim_event
from shared.platform.outbox import enqueue
from shared.platform.sealing import mask, seal, unseal
from shared.platform.storage import MAX_PRESIGN, ObjectStore, evidence_retain_until
from verification import domain, photos
from verification.domain import CORRECTABLE_FIELDS, OPEN_STATES, CaseState, Quality
from verification.forms import Sealer, render_agreement, render_form
from verification.models import (
    Case,
    Evidence,
    EvidenceAccess,
    QualityRecord,
    Step,
    Submission,
    outbox,
    processed_events,
)
from verification.registrar import Registrar

SERVICE = "verification"
STORE_CONTEXT = "verification"
FILING, STOCK = "filing", "stock"
"""A case's purpose: a new filing or change (P3–P7), or an approved stock filing's re-verification (W6)."""
STOCK_ATTEMPT = 0
"""W6: intake keeps an imported stock filing at attempt 0 (it was never submitted through intake)."""
MAX_COPY = uploads.MAX_BYTES
COPY_SUBJECTS = ("sponsor", "responsible_person")
FORM_TITLE = "网站备案信息真实性核验单"


@dataclass
class Deps:
    session: Session
    provider_id: str
    cipher: object
    hasher: object
    exchange: object
    store: ObjectStore
    bucket: str
    authorities: Authorities
    registrar: Registrar
    sealer: Sealer
    ip_ranges: tuple
    logo: object
    now: Callable[[], datetime]
    may_see: Callable[..., bool] = lambda **_scope: True
    """The caller's tenant scope (``shared.platform.auth.Caller.may_see``); events and timers see all."""
    window: timedelta | None = None
    """The on-site window's length when a test shortens it (``VERIFICATION_WINDOW_SECONDS``); None: 1 month (P3)."""


class SubmissionNotYetKnown(Exception):
    """``precheck_passed.v1`` overtook ``filing_submitted.v1`` (events of different types may): the handler fails
    and the bounded queue redelivers it after a backoff, by when the submission has arrived."""


def _emit(deps: Deps, event_type: str, data: dict, filing_id: str) -> None:
    enqueue(deps.session, outbox, make_envelope(event_type, SERVICE, data, filing_id))


def _step(deps: Deps, case: Case, step: str, outcome: str, actor: str) -> None:
    deps.session.add(Step(id=str(uuid.uuid4()), case_id=case.id, filing_id=case.filing_id, step=step,
                          outcome=outcome, actor=actor, at=deps.now()))


def record_quality(deps: Deps, kind: Quality, actor: str | None, filing_id: str, at: datetime,
             outcome: str | None = None) -> None:
    """W1: count a fact against the staff member behind ``actor``. Automatic decisions count against nobody;
    a breach nobody had claimed is kept unassigned (the department's)."""
    staff_id = domain.staff_id_of(actor)
    if staff_id is None and kind != Quality.DEADLINE_BREACHED:
        return
    deps.session.add(QualityRecord(id=str(uuid.uuid4()), staff_id=staff_id, actor=actor if staff_id else None,
                                   provider_id=deps.provider_id, filing_id=filing_id, kind=kind, outcome=outcome,
                                   at=at, recorded_at=deps.now()))


def _seal_value(deps: Deps, value, what: str) -> str:
    return deps.cipher.encrypt(json.dumps(value, ensure_ascii=False), context=f"{STORE_CONTEXT}.{what}")


def _open_value(deps: Deps, token: str, what: str):
    return json.loads(deps.cipher.decrypt(token, context=f"{STORE_CONTEXT}.{what}"))


# --- events -------------------------------------------------------------------------------------------------


def on_submitted(deps: Deps, event_id: str, data: dict) -> None:
    """Keep intake's filing as submitted (personal fields re-sealed for this store): on-site staff compare the
    originals with it (P5) and the form prints it (P6). Redelivered events and repeated submissions do nothing."""
    if not claim_event(deps.session, processed_events, event_id, "on_submitted"):
        return
    exists = deps.session.execute(select(Submission.id).where(
        Submission.filing_id == data["filing_id"], Submission.version == data["version"],
        Submission.attempt == data["attempt"])).first()
    if exists:
        return
    _keep_submission(deps, data, data["attempt"], data["submitted_at"])


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
    deps.session.add(submission)
    return submission, plain


def _sponsor_ref(deps: Deps, sponsor: dict) -> str:
    """W4: the sponsor's file is keyed by a keyed HMAC of its document number (no personal data in keys)."""
    return deps.hasher.digest(f"{sponsor['kind']}:{domain.normalise_number(sponsor['document_number'])}",
                              kind="sponsor")


def on_precheck_passed(deps: Deps, event_id: str, data: dict) -> None:
    """P3: a pass opens a 1-month window for the responsible person to come in, for exactly the submission
    passed (filing, version, attempt): a resubmission's pass that overtakes its ``filing_submitted.v1`` waits for
    it rather than opening the window on the failed attempt's data. Once per submission (redelivery-safe by event
    id and by submission)."""
    if not claim_event(deps.session, processed_events, event_id, "on_precheck_passed"):
        return
    record_quality(deps, Quality.PRECHECK_DECISION, data["decided_by"], data["filing_id"], data["decided_at"], "passed")
    submission = deps.session.execute(select(Submission).where(
        Submission.filing_id == data["filing_id"], Submission.version == data["version"],
        Submission.attempt == data["attempt"])).scalar_one_or_none()
    if submission is None:
        raise SubmissionNotYetKnown(data["filing_id"])
    if deps.session.execute(select(Case.id).where(Case.submission_id == submission.id)).first():
        return
    for case in _cases(deps, data["filing_id"]):
        if case.state in OPEN_STATES:
            case.state = CaseState.SUPERSEDED
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
    deps.session.add(case)
    deps.session.flush()
    _emit(deps, ONSITE_WINDOW_OPENED, _window_data(case, submission), case.filing_id)
    return case


def on_reverification_requested(deps: Deps, event_id: str, data: dict) -> None:
    """W6: a stock filing (approved before face-to-face verification existed) gets an on-site window from the
    request to the plan's deadline; verified on site, it answers ``onsite_verified.v1`` with the same filing id
    (intake counts it done). Redelivered events and a repeated request for the filing do nothing."""
    if not claim_event(deps.session, processed_events, event_id, "on_reverification_requested"):
        return
    known = deps.session.execute(select(Submission.id).where(
        Submission.filing_id == data["filing_id"], Submission.version == data["version"],
        Submission.attempt == STOCK_ATTEMPT)).first()
    if known:
        return
    submission, plain = _keep_submission(deps, data, STOCK_ATTEMPT, data["requested_at"])
    deps.session.flush()
    _open(deps, submission, domain.stock_window(data["requested_at"], data["deadline"]),
          plain["contacts"]["mobile"], STOCK)


def _window_data(case: Case, submission: Submission) -> dict:
    return {"filing_id": case.filing_id, "version": submission.version, "attempt": submission.attempt,
            "provider_id": submission.provider_id, "opens_at": case.opens_at.isoformat(),
            "closes_at": case.closes_at.isoformat()}


def on_cancelled(deps: Deps, event_id: str, data: dict) -> None:
    """The sponsor cancelled: an open window closes (nobody is expected any more)."""
    if not claim_event(deps.session, processed_events, event_id, "on_cancelled"):
        return
    for case in _cases(deps, data["filing_id"]):
        if case.state in OPEN_STATES:
            case.state = CaseState.CANCELLED
            _step(deps, case, "window", "cancelled", data["cancelled_by"])


def on_returned(deps: Deps, event_id: str, data: dict) -> None:
    """P8: the bureau returned the filing: it reopens for re-verification, with the bureau's reasons shown to
    staff, a new 1-month window, and the next sending number. Evidence already kept stays in the file."""
    if not claim_event(deps.session, processed_events, event_id, "on_returned"):
        return
    case = next((c for c in _cases(deps, data["filing_id"]) if c.state == CaseState.SENT), None)
    if case is None:
        return
    submission = deps.session.get(Submission, case.submission_id)
    if submission.version != data["version"] or case.sending != data["submission"]:
        return  # a return of an older sending: nothing open to reopen
    record_quality(deps, Quality.RETURNED, case.decided_by, case.filing_id, case.decided_at, "returned")
    window = domain.onsite_window(deps.now(), deps.window)
    case.state, case.sending = CaseState.WINDOW_OPEN, case.sending + 1
    case.opens_at, case.closes_at, case.warn_at = window.opens_at, window.closes_at, window.warn_at
    case.warned_at = case.expired_at = None
    case.returned = [*case.returned, {"returned_at": data["returned_at"].isoformat(), "by": data["returned_by"],
                                      "reasons": data["reasons"]}]
    case.decided_by = case.decided_at = None
    case.reasons, case.forms, case.agreement = [], None, None
    _step(deps, case, "bureau_return", "reopened", data["returned_by"])
    _emit(deps, ONSITE_WINDOW_OPENED, _window_data(case, submission), case.filing_id)


def check_windows(deps: Deps) -> int:
    """P3: warn staff a few days before an unused window closes, and expire it when it has closed (the filing
    returns to the sponsor, told by SMS). Each event once per window; rows are locked so that two replicas
    never raise the same one."""
    now = deps.now()
    query = select(Case).where(Case.state.in_([s.value for s in OPEN_STATES]), Case.warn_at <= now,
                               Case.expired_at.is_(None))
    if deps.session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    raised = 0
    for case in deps.session.execute(query).scalars():
        submission = deps.session.get(Submission, case.submission_id)
        window = _window_data(case, submission)
        if now >= case.closes_at and case.purpose == STOCK:
            # W6: past the plan's deadline the filing is overdue (intake reports it) and is still verified; no
            # SMS tells the sponsor that a filing returned. The breach counts once, against whoever booked the
            # appointment, else the department (W1).
            case.expired_at = now
            _step(deps, case, "window", "overdue", "verification:timer")
            record_quality(deps, Quality.DEADLINE_BREACHED, (case.appointment or {}).get("by"), case.filing_id,
                           case.closes_at, "stock")
            raised += 1
        elif now >= case.closes_at:
            case.state, case.expired_at = CaseState.EXPIRED, now
            mobile = deps.cipher.decrypt(case.mobile_token, context=f"{STORE_CONTEXT}.mobile")
            sealed = deps.cipher.encrypt(mobile, context=f"{SEAL_CONTEXT}.mobile")
            _emit(deps, ONSITE_WINDOW_EXPIRED, {**window, "mobile": sealed}, case.filing_id)
            _step(deps, case, "window", "expired", "verification:timer")
            raised += 1
        elif case.warned_at is None:
            case.warned_at = now
            _emit(deps, ONSITE_WINDOW_EXPIRING, window, case.filing_id)
            raised += 1
    return raised


# --- reading cases ------------------------------------------------------------------------------------------


def _cases(deps: Deps, filing_id: str) -> list[Case]:
    return list(deps.session.execute(select(Case).where(Case.filing_id == filing_id)
                                     .order_by(Case.created_at)).scalars())


def _case(deps: Deps, filing_id: str, *, lock: bool = True) -> Case:
    try:
        uuid.UUID(filing_id)
    except ValueError:
        raise _unknown() from None
    query = select(Case).where(Case.filing_id == filing_id, Case.state != CaseState.SUPERSEDED)
    query = query.order_by(Case.created_at.desc()).limit(1)
    case = deps.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if case is None or not _visible(deps, case):
        raise _unknown()  # out of the caller's scope reads exactly like unknown (issue 8)
    return case


def _visible(deps: Deps, case: Case) -> bool:
    submission = deps.session.get(Submission, case.submission_id)
    return deps.may_see(provider=submission.provider_id, province=submission.province)


def _unknown() -> NotFound:
    return NotFound.about("filing_id", "unknown", "No filing with this id is waiting for on-site verification.", "P3")


def _open_case(deps: Deps, filing_id: str) -> Case:
    case = _case(deps, filing_id)
    if case.state not in OPEN_STATES:
        raise Conflict.about("state", "conflict", f"The filing is {case.state}: nothing to verify on site.", "P3")
    if deps.now() >= case.closes_at and case.purpose != STOCK:
        raise Conflict.about("state", "window_closed", "The 1-month window for on-site verification has closed.",
                             "P3")
    return case


def _filing(deps: Deps, case: Case) -> dict:
    """The filing as verified so far: the submission, corrections applied, the access information staff
    entered (R1.8)."""
    submission = deps.session.get(Submission, case.submission_id)
    filing = unseal(submission.filing, personal_paths(submission.filing["sponsor"]["kind"]), deps.cipher,
                    STORE_CONTEXT)
    for correction in case.corrections:
        filing = domain.with_value(filing, correction["field"], _open_value(deps, correction["after"], "correction"))
    if case.access is not None:
        filing["access"] = case.access
    return filing


def _copies(deps: Deps, case: Case) -> list[str]:
    kinds = deps.session.execute(select(Evidence.kind).where(Evidence.case_id == case.id)).scalars()
    return sorted({k.removeprefix("copy_") for k in kinds if k.startswith("copy_")})


def _checks(deps: Deps, case: Case) -> dict:
    originals = case.originals
    return {"photo": case.photo, "originals": originals, "copies": _copies(deps, case), "domains": case.domains,
            "access": case.access, "access_reasons": case.access_reasons, "agreement": case.agreement}


def view(deps: Deps, case: Case) -> dict:
    """A case as staff see it: personal data masked, every check with its outcome and who did it."""
    submission = deps.session.get(Submission, case.submission_id)
    filing = _filing(deps, case)
    paths = personal_paths(filing["sponsor"]["kind"])
    outstanding = domain.verdict(_checks(deps, case))
    return {
        "filing_id": case.filing_id, "version": submission.version, "attempt": submission.attempt,
        "sponsor_ref": case.sponsor_hmac, "state": case.state, "purpose": case.purpose, "sending": case.sending,
        "opens_at": case.opens_at.isoformat(), "closes_at": case.closes_at.isoformat(),
        "warned": case.warned_at is not None, "expired_at": case.expired_at and case.expired_at.isoformat(),
        "appointment": case.appointment, "filing": mask(filing, paths),
        "photo": case.photo,
        "originals": case.originals and {k: v for k, v in case.originals.items() if k != "sealed"},
        "copies": _copies(deps, case),
        "corrections": [{"field": c["field"], "by": c["by"], "at": c["at"]} for c in case.corrections],
        "domains": case.domains, "access": case.access, "access_reasons": case.access_reasons,
        "agreement": case.agreement and {k: v for k, v in case.agreement.items() if k != "signed_by"},
        "forms": case.forms, "returned": case.returned,
        "outstanding": outstanding[1] if case.state in OPEN_STATES else [],
        "decided_by": case.decided_by, "decided_at": case.decided_at and case.decided_at.isoformat(),
        "reasons": case.reasons,
    }


def get_case(deps: Deps, filing_id: str) -> dict:
    return view(deps, _case(deps, filing_id, lock=False))


def list_cases(deps: Deps, state: str | None) -> list[dict]:
    """Open windows (or cases in ``state``), the soonest-closing first."""
    wanted = state or CaseState.WINDOW_OPEN.value
    if wanted not in {s.value for s in CaseState}:
        raise BadRequest.about("state", "choice", f"State is one of {[s.value for s in CaseState]}.", "P3")
    cases = deps.session.execute(select(Case).where(Case.state == wanted).order_by(Case.closes_at)).scalars()
    return [view(deps, c) for c in cases if _visible(deps, c)]


def steps(deps: Deps, filing_id: str) -> list[dict]:
    """W1: every on-site action on the filing and who took it; a filing out of the caller's scope reads as
    unknown (issue 8), like every other per-filing read."""
    _case(deps, filing_id, lock=False)
    return _steps(deps, filing_id)


def _steps(deps: Deps, filing_id: str) -> list[dict]:
    rows = deps.session.execute(select(Step).where(Step.filing_id == filing_id).order_by(Step.at, Step.id)).scalars()
    return [{"step": r.step, "outcome": r.outcome, "actor": r.actor, "at": r.at.isoformat()} for r in rows]


def staff_work(deps: Deps, since: datetime, until: datetime) -> list[dict]:
    """W1: how many on-site steps each staff member took between ``since`` and ``until``, by step and outcome,
    over the filings the caller may see (a supervisor: its provider's)."""
    rows = deps.session.execute(
        select(Step.actor, Step.step, Step.outcome, Submission.provider_id, Submission.province)
        .join(Case, Case.id == Step.case_id).join(Submission, Submission.id == Case.submission_id)
        .where(Step.at >= since, Step.at < until)).all()
    counts: dict[tuple[str, str, str], int] = {}
    for row in rows:
        if deps.may_see(provider=row.provider_id, province=row.province):
            key = (row.actor, row.step.split(":", 1)[0], row.outcome)
            counts[key] = counts.get(key, 0) + 1
    return [{"actor": a, "step": s, "outcome": o, "count": n} for (a, s, o), n in sorted(counts.items())]


# --- on-site steps ------------------------------------------------------------------------------------------


def book_appointment(deps: Deps, filing_id: str, actor: str, at: datetime) -> dict:
    """P3 (optional): a time for the responsible person to come, inside the window; for an overdue stock filing
    (W6), whenever it can still be done."""
    case = _open_case(deps, filing_id)
    overdue = case.purpose == STOCK and deps.now() >= case.closes_at
    if not (deps.now() <= at and (overdue or at <= case.closes_at)):
        raise ValidationFailed.about("at", "outside_window", "The appointment must lie between now and the end of "
                                     "the 1-month window.", "P3")
    case.appointment = {"at": at.isoformat(), "by": actor, "booked_at": deps.now().isoformat()}
    _step(deps, case, "appointment", "booked", actor)
    return view(deps, case)


def _keep(deps: Deps, case: Case, kind: str, data: bytes, content_type: str, ext: str, actor: str,
          phash: str | None = None) -> Evidence:
    """Store ``data`` under COMPLIANCE retention for 5 years (W4) and file it under the sponsor."""
    submission = deps.session.get(Submission, case.submission_id)
    now = deps.now()
    key = f"filings/{case.filing_id}/v{submission.version}/s{case.sending}/{kind}-{uuid.uuid4().hex[:12]}.{ext}"
    retain = evidence_retain_until(now)
    ref = deps.store.put(deps.bucket, key, data, content_type, retain_until=retain)
    evidence = Evidence(id=str(uuid.uuid4()), case_id=case.id, filing_id=case.filing_id,
                        sponsor_hmac=case.sponsor_hmac, kind=kind, bucket=ref.bucket, key=ref.key,
                        version_id=ref.version_id, sha256=ref.sha256, phash=phash, content_type=content_type,
                        size=ref.size, retain_until=retain, created_by=actor, created_at=now)
    deps.session.add(evidence)
    return evidence


def _ref(evidence: Evidence) -> dict:
    return {"bucket": evidence.bucket, "key": evidence.key, "sha256": evidence.sha256,
            "content_type": evidence.content_type, "size": evidence.size, "version_id": evidence.version_id}


def take_photo(deps: Deps, filing_id: str, actor: str, data: bytes) -> dict:
    """P4: check the counter photo (off the hub), refuse it with every reason, or keep the original and a copy
    with the capture time burnt in, both locked (W4), with SHA-256 and perceptual hash. A photo already used
    for another filing (same bytes, or the same picture re-encoded) is refused."""
    case = _open_case(deps, filing_id)
    result = tpool.execute(photos.check_photo, data, deps.logo)
    reasons = list(result.reasons)
    if result.phash:
        used = deps.session.execute(select(Evidence.filing_id, Evidence.sha256, Evidence.phash).where(
            Evidence.kind == "photo_original", Evidence.filing_id != case.filing_id)).all()
        if any(row.sha256 == result.sha256 or (row.phash and photos.hamming(row.phash, result.phash)
                                                <= photos.REUSE_DISTANCE) for row in used):
            reasons.append({"field": "photo", "code": "reused",
                            "message": "This photo was already used for another filing; take a new one.",
                            "rule": "P4"})
    if reasons:
        raise ValidationFailed("the photo does not meet P4", reasons)
    taken_at = deps.now()
    stamped = tpool.execute(photos.stamp, data, taken_at)
    ext = "jpg" if result.content_type == "image/jpeg" else "png"
    original = _keep(deps, case, "photo_original", data, result.content_type, ext, actor, result.phash)
    shown = _keep(deps, case, "photo", stamped, "image/jpeg", "jpg", actor)
    case.photo = {"taken_at": taken_at.isoformat(), "by": actor, "original": original.id, "stamped": shown.id,
                  "sha256": result.sha256, "phash": result.phash, "faces": result.faces,
                  "logo_score": round(result.logo_score, 3)}
    _step(deps, case, "photo", "accepted", actor)
    return view(deps, case)


def keep_copy(deps: Deps, filing_id: str, actor: str, subject: str, data: bytes) -> dict:
    """P5: a copy (scan) of the sponsor's or the responsible person's original document, locked (W4): the original
    bytes, once they decode in full as the JPEG, PNG or PDF they claim to be (:mod:`shared.platform.uploads`)."""
    if subject not in COPY_SUBJECTS:
        raise BadRequest.about("subject", "choice", f"Subject is one of {list(COPY_SUBJECTS)}.", "P5")
    case = _open_case(deps, filing_id)
    upload = uploads.accept(data)  # decoded in full off the hub, not sniffed (issue 17.5)
    _keep(deps, case, f"copy_{subject}", data, upload.content_type, upload.extension, actor)
    _step(deps, case, f"copy_{subject}", "kept", actor)
    deps.session.flush()
    return view(deps, case)


def _authority_checks(deps: Deps, originals: dict, filing: dict) -> list[dict]:
    """P5: the originals against the authoritative sources: public security for resident ID cards, the
    business registry for USCC/licences (name, legal representative, status), organisation codes."""
    answers = []
    for subject in ("sponsor", "responsible_person"):
        doc = originals[subject]
        field = f"{subject}.document_number"
        if subject == "sponsor" and filing["sponsor"]["kind"] == "individual" and doc == originals[
                "responsible_person"]:
            continue  # the same card as the responsible person's, checked once
        if doc["document_type"] == "resident_id":
            answer = deps.authorities.public_security.verify_person(doc["name"], doc["document_number"])
        elif doc["document_type"] in ("business_licence", "organisation_code"):
            number = domain.normalise_number(doc["document_number"])
            registry = deps.authorities.business_registry if doc["document_type"] == "business_licence" or len(
                number) == 18 else deps.authorities.organisation_codes
            answer = registry.lookup(number)
            if answer.outcome is Outcome.MATCH:
                record = answer.record
                if domain.normalise_name(record.get("name", "")) != domain.normalise_name(doc["name"]):
                    answer = type(answer)(answer.source, Outcome.MISMATCH, {}, "the registered name differs")
                elif (filing["responsible_person"]["role"] == "legal_representative"
                      and record.get("legal_representative")
                      and domain.normalise_name(record["legal_representative"])
                      != domain.normalise_name(originals["responsible_person"]["name"])):
                    field = "responsible_person.name"
                    answer = type(answer)(answer.source, Outcome.MISMATCH, {},
                                          "the registered legal representative differs")
        else:
            answers.append({"field": field, "source": "none", "outcome": "no_source",
                            "detail": f"no authoritative source for {doc['document_type']}"})
            continue
        answers.append({"field": field, "source": answer.source, "outcome": answer.outcome.value,
                        "detail": answer.detail})
    return answers


def record_originals(deps: Deps, filing_id: str, actor: str, originals: dict) -> dict:
    """P5: staff record what the original documents say and confirm the ID card belongs to the person present;
    each is checked with its authoritative source and compared field by field with the filing. Differences are
    listed (the filing is not accepted unless staff correct them on site, P6)."""
    case = _open_case(deps, filing_id)
    filing = _filing(deps, case)
    authority = _authority_checks(deps, originals, filing)
    differences = domain.compare_with_originals(filing, originals)
    case.originals = {
        "sealed": _seal_value(deps, originals, "originals"), "recorded_by": actor,
        "recorded_at": deps.now().isoformat(), "person_present_confirmed": originals["person_present_confirmed"],
        "authority": authority, "differences": [{"field": d.field} for d in differences],
    }
    _step(deps, case, "originals", "differences" if differences else "match", actor)
    for answer in authority:
        _step(deps, case, f"authority:{answer['source']}", answer["outcome"], actor)
    return view(deps, case)


def correct(deps: Deps, filing_id: str, actor: str, field: str, after: str) -> dict:
    """P6: an error found on site is corrected on site; every correction (field, before, after, who, when) is
    kept (values sealed) and printed on the form. The comparison with the originals is redone."""
    if field not in CORRECTABLE_FIELDS:
        raise BadRequest.about("field", "choice", f"Correctable fields: {list(CORRECTABLE_FIELDS)}.", "P6")
    case = _open_case(deps, filing_id)
    before = domain.value_at(_filing(deps, case), field)
    case.corrections = [*case.corrections, {
        "field": field, "before": _seal_value(deps, before, "correction"),
        "after": _seal_value(deps, after, "correction"), "by": actor, "at": deps.now().isoformat()}]
    if case.originals:
        originals = _open_value(deps, case.originals["sealed"], "originals")
        differences = domain.compare_with_originals(_filing(deps, case), originals)
        case.originals = {**case.originals, "differences": [{"field": d.field} for d in differences]}
    _step(deps, case, f"correction:{field}", "corrected", actor)
    record_quality(deps, Quality.CORRECTION, actor, case.filing_id, deps.now(), field)
    return view(deps, case)


def check_domains(deps: Deps, filing_id: str, actor: str) -> dict:
    """P5: each website's registrable domain is looked up (RDAP, else WHOIS) and its owner compared with the
    sponsor's name; every raw answer is kept as evidence. Lookups are blocking network calls made cooperative
    by eventlet, each bounded by the registrar's timeout."""
    case = _open_case(deps, filing_id)
    filing = _filing(deps, case)
    registrable = sorted({validate_domain(d["ascii"]).registrable for s in filing["websites"] for d in s["domains"]})
    checks = []
    for name in registrable:
        lookup = deps.registrar.lookup(name)
        outcome = lookup.outcome(filing["sponsor"]["name"])
        raw = lookup.raw or json.dumps({"error": lookup.error, "server": lookup.server}).encode()
        evidence = _keep(deps, case, f"{lookup.protocol}_lookup", raw, lookup.content_type.split(";")[0] if
                         lookup.raw else "application/json", "json" if "json" in lookup.content_type or not
                         lookup.raw else "txt", actor)
        checks.append({"domain": name, "protocol": lookup.protocol, "server": lookup.server,
                       "outcome": outcome.value, "error": lookup.error, "evidence": evidence.id,
                       "looked_up_at": deps.now().isoformat(), "by": actor, "certificate": None,
                       "confirmed_by": None})
        _step(deps, case, f"domain:{name}", outcome.value, actor)
    case.domains = checks
    deps.session.flush()
    return view(deps, case)


def _domain_check(case: Case, name: str) -> int:
    for index, check in enumerate(case.domains):
        if check["domain"] == name:
            return index
    raise NotFound.about("domain", "unknown", "Look up the domains first; this one is not among them.", "P5")


def domain_certificate(deps: Deps, filing_id: str, actor: str, name: str, data: bytes) -> dict:
    """P5: when the registry hides the owner, staff upload the domain certificate (kept under lock)."""
    case = _open_case(deps, filing_id)
    index = _domain_check(case, name)
    if case.domains[index]["outcome"] != domain.OwnerOutcome.REDACTED:
        raise Conflict.about("domain", "not_redacted", "Only a redacted owner needs a domain certificate.", "P5")
    upload = uploads.accept(data)
    evidence = _keep(deps, case, "domain_certificate", data, upload.content_type, upload.extension, actor)
    checks = list(case.domains)
    checks[index] = {**checks[index], "certificate": evidence.id, "confirmed_by": None}
    case.domains = checks
    _step(deps, case, f"domain_certificate:{name}", "kept", actor)
    return view(deps, case)


def confirm_domain(deps: Deps, filing_id: str, actor: str, name: str) -> dict:
    """P5: staff confirm that the uploaded domain certificate names the sponsor as the owner."""
    case = _open_case(deps, filing_id)
    index = _domain_check(case, name)
    if not case.domains[index].get("certificate"):
        raise Conflict.about("domain", "certificate_required", "Upload the domain certificate first.", "P5")
    checks = list(case.domains)
    checks[index] = {**checks[index], "confirmed_by": actor, "confirmed_at": deps.now().isoformat()}
    case.domains = checks
    _step(deps, case, f"domain_confirmation:{name}", "confirmed", actor)
    return view(deps, case)


def set_access(deps: Deps, filing_id: str, actor: str, access: dict) -> dict:
    """R1.8/P5: staff enter the access information as the provider actually hosts the site; every IP must be in
    the provider's own ranges. A bad value is refused (422) and nothing is stored."""
    case = _open_case(deps, filing_id)
    reasons = domain.check_access(access, deps.ip_ranges)
    if reasons:
        raise ValidationFailed("the access information does not hold", reasons)
    case.access, case.access_reasons = {**access, "entered_by": actor}, []
    _step(deps, case, "access", "entered", actor)
    return view(deps, case)


def sign_agreement(deps: Deps, filing_id: str, actor: str, signed_by: str, signature: str) -> dict:
    """P6/W3: the sponsor signs the security agreement (the W3 clause) on site: the signature record and time
    are kept, the agreement is rendered, sealed by the provider and locked (W4)."""
    case = _open_case(deps, filing_id)
    submission = deps.session.get(Submission, case.submission_id)
    filing = _filing(deps, case)
    now = deps.now()
    content = {"sponsor_name": filing["sponsor"]["name"], "provider_id": deps.provider_id,
               "filing_id": case.filing_id, "version": submission.version, "signed_by": signed_by,
               "signed_at": now.isoformat(), "signature_sha256": hashlib.sha256(signature.encode()).hexdigest(),
               "witnessed_by": actor}
    pdf = tpool.execute(lambda: deps.sealer.seal(render_agreement(content), "信息安全管理协议书"))
    evidence = _keep(deps, case, "security_agreement", pdf, "application/pdf", "pdf", actor)
    case.agreement = {"signed_by": _seal_value(deps, signed_by, "agreement"), "signed_at": now.isoformat(),
                      "signature_sha256": content["signature_sha256"], "witnessed_by": actor,
                      "evidence": evidence.id, "clause_sha256": hashlib.sha256(
                          domain.SECURITY_AGREEMENT_CLAUSE.encode()).hexdigest()}
    _step(deps, case, "agreement", "signed", actor)
    return view(deps, case)


def decide(deps: Deps, filing_id: str, actor: str) -> dict:
    """P5–P7: with every check done, either not accepted (``onsite_rejected.v1`` naming the differing fields) or
    verified: the form in two copies, sealed and locked, ``onsite_verified.v1`` and ``filing_sent_to_bureau.v1``
    through the outbox, all in one transaction (a stock filing, W6: ``onsite_verified.v1`` only). The decision
    counts for its staff member (W1). Missing checks or an unanswered source: 422, nothing changes."""
    case = _open_case(deps, filing_id)
    outcome, reasons = domain.verdict(_checks(deps, case))
    if outcome == "incomplete":
        raise ValidationFailed("on-site verification is not complete", reasons)
    submission = deps.session.get(Submission, case.submission_id)
    now = deps.now()
    case.decided_by, case.decided_at, case.reasons = actor, now, reasons
    outcome_data = {"filing_id": case.filing_id, "version": submission.version, "attempt": submission.attempt,
                    "provider_id": submission.provider_id, "decided_at": now.isoformat(), "decided_by": actor,
                    "reasons": reasons, "corrections": len(case.corrections)}
    record_quality(deps, Quality.ONSITE_DECISION, actor, case.filing_id, now, outcome)
    if outcome == "rejected":
        case.state = CaseState.REJECTED
        _emit(deps, ONSITE_REJECTED, outcome_data, case.filing_id)
        _step(deps, case, "decision", "rejected", actor)
        return view(deps, case)
    forms = _seal_forms(deps, case, submission, actor, now)
    case.forms = {copy: evidence.id for copy, evidence in forms.items()}
    _emit(deps, ONSITE_VERIFIED, outcome_data, case.filing_id)
    if case.purpose == STOCK:
        case.state = CaseState.REVERIFIED  # W6: approved long ago; the form is kept, nothing goes to the bureau
        _step(deps, case, "decision", "verified", actor)
        return view(deps, case)
    case.state = CaseState.SENT
    _emit(deps, FILING_SENT_TO_BUREAU, _sent_data(deps, case, submission, forms, actor, now), case.filing_id)
    _step(deps, case, "decision", "verified", actor)
    _step(deps, case, "sent_to_bureau", "sent", actor)
    return view(deps, case)


def _form_content(deps: Deps, case: Case, submission: Submission, actor: str, now: datetime) -> dict:
    checks = [{"item": "现场照片 (P4)", "result": "合格", "by": case.photo["by"], "at": case.photo["taken_at"]},
              {"item": "证件原件核对 (P5)", "result": "一致", "by": case.originals["recorded_by"],
               "at": case.originals["recorded_at"]}]
    checks += [{"item": f"权威数据源 {a['source']} {a['field']}", "result": a["outcome"],
                "by": case.originals["recorded_by"], "at": case.originals["recorded_at"]}
               for a in case.originals["authority"]]
    checks += [{"item": f"域名所有者 {d['domain']} ({d['protocol']})", "result": d["outcome"] + (
        " 域名证书已确认" if d.get("confirmed_by") else ""), "by": d.get("confirmed_by") or d["by"],
        "at": d["looked_up_at"]} for d in case.domains]
    checks.append({"item": "接入信息 (R1.8)", "result": "IP 属于本单位", "by": case.access["entered_by"],
                   "at": now.isoformat()})
    return {
        "filing_id": case.filing_id, "version": submission.version, "sending": case.sending,
        "provider_id": deps.provider_id, "verified_by": actor, "verified_at": now.isoformat(),
        "opens_at": case.opens_at.isoformat(), "closes_at": case.closes_at.isoformat(),
        "filing": _filing(deps, case), "checks": checks,
        "corrections": [{"field": c["field"], "before": _open_value(deps, c["before"], "correction"),
                         "after": _open_value(deps, c["after"], "correction"), "by": c["by"], "at": c["at"]}
                        for c in case.corrections],
        "agreement": {"signed_by": _open_value(deps, case.agreement["signed_by"], "agreement"),
                      "signed_at": case.agreement["signed_at"]},
    }


def _seal_forms(deps: Deps, case: Case, submission: Submission, actor: str, now: datetime) -> dict:
    content = _form_content(deps, case, submission, actor, now)
    photo = deps.session.get(Evidence, case.photo["stamped"])
    thumb = tpool.execute(photos.thumbnail, deps.store.get(photo.bucket, photo.key, photo.version_id))
    forms = {}
    for copy in ("provider", "bureau"):
        pdf = tpool.execute(lambda copy=copy: deps.sealer.seal(render_form(content, copy, thumb), FORM_TITLE))
        forms[copy] = _keep(deps, case, f"form_{copy}", pdf, "application/pdf", "pdf", actor)
    return forms


def _sent_data(deps: Deps, case: Case, submission: Submission, forms: dict, actor: str, now: datetime) -> dict:
    """P7: the verified filing for the bureau of the sponsor's province, personal fields sealed with the exchange
    ring (docs/decisions/0001), evidence by reference."""
    filing = _filing(deps, case)
    paths = personal_paths(filing["sponsor"]["kind"])
    plain = {k: filing[k] for k in ("sponsor", "responsible_person", "contacts", "websites")}
    plain["access"] = {k: filing["access"][k] for k in ("provider_name", "access_method", "server_location",
                                                        "ip_addresses")}
    exchanged = seal(plain, paths, deps.exchange, EXCHANGE_CONTEXT)
    evidence = {e.id: e for e in deps.session.execute(select(Evidence).where(Evidence.case_id == case.id)).scalars()}
    deps.session.flush()
    evidence.update({e.id: e for e in forms.values()})
    def exchanged_value(token: str) -> str:
        plain = json.dumps(_open_value(deps, token, "correction"), ensure_ascii=False)
        return deps.exchange.encrypt(plain, context=f"{EXCHANGE_CONTEXT}.correction")

    corrections = [{"field": c["field"], "by": c["by"], "at": c["at"], "before": exchanged_value(c["before"]),
                    "after": exchanged_value(c["after"])} for c in case.corrections]
    return {
        "filing_id": case.filing_id, "version": submission.version, "attempt": submission.attempt,
        "submission": case.sending, "provider_id": submission.provider_id, "province": submission.province,
        "change_of": submission.change_of, "sent_at": now.isoformat(), "sent_by": actor,
        "verified_at": now.isoformat(), "verified_by": actor, "filing": exchanged,
        "evidence": {
            "form_provider_copy": _ref(forms["provider"]), "form_bureau_copy": _ref(forms["bureau"]),
            "photo": _ref(evidence[case.photo["stamped"]]),
            "document_copies": [_ref(e) for e in evidence.values() if e.kind.startswith("copy_")],
            "domain_lookups": [_ref(evidence[d["evidence"]]) for d in case.domains],
            "security_agreement": _ref(evidence[case.agreement["evidence"]]),
        },
        "corrections": corrections,
    }


def validate_form(deps: Deps, filing_id: str, copy: str) -> dict:
    """P6: the sealed form's signature, validated offline against the provider's certificate."""
    case = _case(deps, filing_id, lock=False)
    if not case.forms or copy not in case.forms:
        raise NotFound.about("copy", "unknown", "No sealed form of this copy (provider or bureau).", "P6")
    evidence = deps.session.get(Evidence, case.forms[copy])
    pdf = deps.store.get(evidence.bucket, evidence.key, evidence.version_id)
    return {"copy": copy, "sha256": evidence.sha256, **tpool.execute(deps.sealer.validate, pdf)}


# --- the sponsor's file (W4) ---------------------------------------------------------------------------------


def _record_access(deps: Deps, sponsor_ref: str, action: str, viewer: str, evidence_id: str | None = None) -> None:
    deps.session.add(EvidenceAccess(id=str(uuid.uuid4()), sponsor_hmac=sponsor_ref, evidence_id=evidence_id,
                                    action=action, viewer=viewer, at=deps.now()))


def _archive_cases(deps: Deps, sponsor_ref: str) -> list[Case]:
    cases = [c for c in deps.session.execute(select(Case).where(Case.sponsor_hmac == sponsor_ref)
                                             .order_by(Case.created_at)).scalars() if _visible(deps, c)]
    if not cases:
        raise NotFound.about("sponsor_ref", "unknown", "No file is kept for this sponsor.", "W4")
    return cases


def _evidence_rows(deps: Deps, sponsor_ref: str, cases: list[Case]) -> list[Evidence]:
    visible = {c.id for c in cases}
    rows = deps.session.execute(select(Evidence).where(Evidence.sponsor_hmac == sponsor_ref)
                                .order_by(Evidence.created_at, Evidence.id)).scalars()
    return [e for e in rows if e.case_id in visible]


def _evidence_view(e: Evidence) -> dict:
    return {"id": e.id, "filing_id": e.filing_id, "kind": e.kind, **_ref(e),
            "retain_until": e.retain_until.isoformat(), "created_by": e.created_by,
            "created_at": e.created_at.isoformat()}


def archive(deps: Deps, sponsor_ref: str, viewer: str) -> dict:
    """W4: the sponsor's file: every case (data masked) and every kept object with its retention; recorded."""
    cases = _archive_cases(deps, sponsor_ref)
    _record_access(deps, sponsor_ref, "list", viewer)
    return {"sponsor_ref": sponsor_ref, "cases": [view(deps, c) for c in cases],
            "evidence": [_evidence_view(e) for e in _evidence_rows(deps, sponsor_ref, cases)]}


def evidence_link(deps: Deps, sponsor_ref: str, evidence_id: str, viewer: str) -> dict:
    """W4: a download link that lives at most 300 s (design.md §5); the access is recorded."""
    evidence = deps.session.get(Evidence, evidence_id) if _is_uuid(evidence_id) else None
    if evidence is None or evidence.sponsor_hmac != sponsor_ref or not _visible(
            deps, deps.session.get(Case, evidence.case_id)):
        raise NotFound.about("evidence_id", "unknown", "No such object in this sponsor's file.", "W4")
    _record_access(deps, sponsor_ref, "download", viewer, evidence.id)
    url = deps.store.presigned_get(evidence.bucket, evidence.key, MAX_PRESIGN, evidence.version_id)
    return {"url": url, "expires_in": int(MAX_PRESIGN.total_seconds()), **_evidence_view(evidence)}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def export_archive(deps: Deps, sponsor_ref: str, viewer: str) -> bytes:
    """W4: everything in the sponsor's file for an inspection, as a ZIP: ``manifest.json`` (cases with the data
    as verified, unmasked for the inspector, every object with SHA-256 and retention) and the objects
    themselves, each checked against its SHA-256 on the way out. The export is recorded."""
    cases = _archive_cases(deps, sponsor_ref)
    rows = _evidence_rows(deps, sponsor_ref, cases)
    manifest = {"sponsor_ref": sponsor_ref, "exported_at": deps.now().isoformat(), "exported_by": viewer,
                "cases": [{**view(deps, c), "filing": _filing(deps, c), "steps": _steps(deps, c.filing_id)}
                          for c in cases],
                "evidence": [_evidence_view(e) for e in rows]}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive_zip:
        archive_zip.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1, default=str))
        for e in rows:
            archive_zip.writestr(f"objects/{e.key}", deps.store.get(e.bucket, e.key, e.version_id))
    _record_access(deps, sponsor_ref, "export", viewer)
    return out.getvalue()


def accesses(deps: Deps, sponsor_ref: str, viewer: str) -> list[dict]:
    """W4: who listed, opened or exported the sponsor's file, and when (reading this list is recorded too)."""
    _archive_cases(deps, sponsor_ref)
    _record_access(deps, sponsor_ref, "audit", viewer)
    deps.session.flush()
    rows = deps.session.execute(select(EvidenceAccess).where(EvidenceAccess.sponsor_hmac == sponsor_ref)
                                .order_by(EvidenceAccess.at, EvidenceAccess.id)).scalars()
    return [{"action": r.action, "viewer": r.viewer, "evidence_id": r.evidence_id, "at": r.at.isoformat()}
            for r in rows]


def open_deadlines(deps: Deps) -> dict:
    """P3: how many windows are open and how many of them have closed without being expired (the timer expires
    them as they close, so a breach that stays means the timer is not doing its work), for metrics. An overdue
    stock filing (W6) stays open on purpose and is reported by intake's progress, not here."""
    row = deps.session.execute(
        select(func.count(), func.count().filter(Case.closes_at <= deps.now(), Case.purpose != STOCK))
        .where(Case.state.in_([s.value for s in OPEN_STATES]))
    ).one()
    return {"open": row[0], "breached": row[1]}

