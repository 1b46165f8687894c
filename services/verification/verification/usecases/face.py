"""X8: the face comparison at the counter, an aid to P5 (身份证与当事人是否一致): the person's consent first (PIPL
art. 28–29), the model's comparison off the eventlet hub, and the staff's decision with its reason. The
comparison's record is kept with the evidence under lock (W4); the faces' encodings are not kept."""

from __future__ import annotations

import json

from eventlet import tpool

from shared.contracts.errors import BadRequest, Conflict, ValidationFailed
from shared.platform import uploads
from verification import faces
from verification.domain import face as rules
from verification.repository import VerificationUnitOfWork
from verification.usecases.case import Clock, MaySee, keep, open_case, record_step, view


def _refused(exc: rules.FaceRefused):
    error = ValidationFailed if exc.field == "reason" else Conflict
    return error.about(exc.field, exc.code, exc.message, "X8")


def record_consent(uow: VerificationUnitOfWork, filing_id: str, actor: str, given: bool, *, may_see: MaySee, cipher,
                   now: Clock) -> dict:
    """Whether the person consents to the machine comparing their face (asked before any comparison); a new
    answer starts the item again."""
    case = open_case(uow, may_see, now, filing_id)
    case.face = {"consent": given, "consent_recorded_by": actor, "consent_at": now().isoformat()}
    record_step(uow, case, "face_consent", "given" if given else "refused", actor, now=now)
    return view(uow, cipher, case)


def compare(uow: VerificationUnitOfWork, filing_id: str, actor: str, source: str | None, document: bytes, *,
            may_see: MaySee, cipher, store, bucket: str, now: Clock) -> dict:
    """The accepted counter photo against the ID document's photo (``source``: a scan of the card's front or
    the chip photo), off the hub; the outcome, distance and threshold become the item staff decide, and the
    comparison's record and the document's image are kept as evidence."""
    if source not in rules.SOURCES:
        raise BadRequest.about("source", "choice", f"source is one of {list(rules.SOURCES)}.", "X8")
    upload = uploads.accept(document)
    case = open_case(uow, may_see, now, filing_id)
    try:
        rules.may_compare(case.face, case.photo)
    except rules.FaceRefused as exc:
        raise _refused(exc) from None
    photo = uow.evidence.get(case.photo["original"])
    counter = store.get(photo.bucket, photo.key, photo.version_id)
    result = tpool.execute(faces.compare, counter, document)
    kept = keep(uow, case, f"face_{source}", document, upload.content_type, upload.extension, actor, store=store,
                bucket=bucket, now=now)
    record = {"outcome": result.outcome, "distance": result.distance, "threshold": result.threshold,
              "faces": list(result.faces), "model": rules.MODEL, "source": source, "document": kept.id,
              "photo": photo.id, "compared_by": actor, "compared_at": now().isoformat()}
    evidence = keep(uow, case, "face_comparison", json.dumps({**record, "consent": case.face}).encode(),
                    "application/json", "json", actor, store=store, bucket=bucket, now=now)
    case.face = {**case.face, **record, "evidence": evidence.id, "decision": None}
    record_step(uow, case, "face_comparison", result.outcome, actor, now=now)
    return view(uow, cipher, case)


def decide(uow: VerificationUnitOfWork, filing_id: str, actor: str, agrees: bool, reason: str | None, *,
           may_see: MaySee, cipher, now: Clock) -> dict:
    """Staff keep the decision: they confirm the model's outcome or overrule it with a reason, or, without
    consent or a usable face, record what they saw comparing by eye."""
    case = open_case(uow, may_see, now, filing_id)
    try:
        taken = rules.decision(case.face, agrees, reason)
    except rules.FaceRefused as exc:
        raise _refused(exc) from None
    case.face = {**case.face, "decision": {**taken, "by": actor, "at": now().isoformat()}}
    record_step(uow, case, "face_decision", taken["method"], actor, now=now)
    return view(uow, cipher, case)
