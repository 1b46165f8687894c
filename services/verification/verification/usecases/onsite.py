"""P3–P6: the on-site steps, each on an open case and recorded with the staff member who took it (W1): the
appointment, the counter photo, copies of the originals, the originals against the authoritative sources,
corrections, the domains' owners, the access information and the security agreement. Image and PDF work runs off
the eventlet hub (``eventlet.tpool``)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from eventlet import tpool

from shared.contracts.errors import BadRequest, Conflict, NotFound, ValidationFailed
from shared.kernel.network import validate_domain
from shared.platform import uploads
from shared.platform.authority import Authorities, Outcome
from verification import domain, photos
from verification.domain import CORRECTABLE_FIELDS, Quality
from verification.forms import render_agreement
from verification.models import Case
from verification.repository import VerificationUnitOfWork
from verification.usecases.case import (
    STOCK,
    Clock,
    MaySee,
    filing_of,
    keep,
    open_case,
    open_value,
    record_quality,
    record_step,
    seal_value,
    view,
)

MAX_COPY = uploads.MAX_BYTES
COPY_SUBJECTS = ("sponsor", "responsible_person")


def book_appointment(uow: VerificationUnitOfWork, filing_id: str, actor: str, at: datetime, *, may_see: MaySee, cipher,
                     now: Clock) -> dict:
    """P3 (optional): a time for the responsible person to come, inside the window; for an overdue stock filing
    (W6), whenever it can still be done."""
    case = open_case(uow, may_see, now, filing_id)
    overdue = case.purpose == STOCK and now() >= case.closes_at
    if not (now() <= at and (overdue or at <= case.closes_at)):
        raise ValidationFailed.about("at", "outside_window", "The appointment must lie between now and the end of "
                                     "the 1-month window.", "P3")
    case.appointment = {"at": at.isoformat(), "by": actor, "booked_at": now().isoformat()}
    record_step(uow, case, "appointment", "booked", actor, now=now)
    return view(uow, cipher, case)


def take_photo(uow: VerificationUnitOfWork, filing_id: str, actor: str, data: bytes, *, may_see: MaySee, cipher,
               store, bucket: str, logo, now: Clock) -> dict:
    """P4: check the counter photo (off the hub), refuse it with every reason, or keep the original and a copy
    with the capture time burnt in, both locked (W4), with SHA-256 and perceptual hash. A photo already used
    for another filing (same bytes, or the same picture re-encoded) is refused."""
    case = open_case(uow, may_see, now, filing_id)
    result = tpool.execute(photos.check_photo, data, logo)
    reasons = list(result.reasons)
    if result.phash:
        used = uow.evidence.photos_of_other_filings(case.filing_id)
        if any(row.sha256 == result.sha256 or (row.phash and photos.hamming(row.phash, result.phash)
                                                <= photos.REUSE_DISTANCE) for row in used):
            reasons.append({"field": "photo", "code": "reused",
                            "message": "This photo was already used for another filing; take a new one.",
                            "rule": "P4"})
    if reasons:
        raise ValidationFailed("the photo does not meet P4", reasons)
    taken_at = now()
    stamped = tpool.execute(photos.stamp, data, taken_at)
    ext = "jpg" if result.content_type == "image/jpeg" else "png"
    original = keep(uow, case, "photo_original", data, result.content_type, ext, actor, result.phash, store=store,
                    bucket=bucket, now=now)
    shown = keep(uow, case, "photo", stamped, "image/jpeg", "jpg", actor, store=store, bucket=bucket, now=now)
    case.photo = {"taken_at": taken_at.isoformat(), "by": actor, "original": original.id, "stamped": shown.id,
                  "sha256": result.sha256, "phash": result.phash, "faces": result.faces,
                  "logo_score": round(result.logo_score, 3)}
    record_step(uow, case, "photo", "accepted", actor, now=now)
    return view(uow, cipher, case)


def keep_copy(uow: VerificationUnitOfWork, filing_id: str, actor: str, subject: str, data: bytes, *, may_see: MaySee,
              cipher, store, bucket: str, now: Clock) -> dict:
    """P5: a copy (scan) of the sponsor's or the responsible person's original document, locked (W4): the original
    bytes, once they decode in full as the JPEG, PNG or PDF they claim to be (:mod:`shared.platform.uploads`)."""
    if subject not in COPY_SUBJECTS:
        raise BadRequest.about("subject", "choice", f"Subject is one of {list(COPY_SUBJECTS)}.", "P5")
    case = open_case(uow, may_see, now, filing_id)
    upload = uploads.accept(data)  # decoded in full off the hub, not sniffed (issue 17.5)
    keep(uow, case, f"copy_{subject}", data, upload.content_type, upload.extension, actor, store=store, bucket=bucket,
         now=now)
    record_step(uow, case, f"copy_{subject}", "kept", actor, now=now)
    uow.flush()
    return view(uow, cipher, case)


def _authority_checks(authorities: Authorities, originals: dict, filing: dict) -> list[dict]:
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
            answer = authorities.public_security.verify_person(doc["name"], doc["document_number"])
        elif doc["document_type"] in ("business_licence", "organisation_code"):
            number = domain.normalise_number(doc["document_number"])
            registry = authorities.business_registry if doc["document_type"] == "business_licence" or len(
                number) == 18 else authorities.organisation_codes
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


def record_originals(uow: VerificationUnitOfWork, filing_id: str, actor: str, originals: dict, *, may_see: MaySee,
                     cipher, authorities: Authorities, now: Clock) -> dict:
    """P5: staff record what the original documents say and confirm the ID card belongs to the person present;
    each is checked with its authoritative source and compared field by field with the filing. Differences are
    listed (the filing is not accepted unless staff correct them on site, P6)."""
    case = open_case(uow, may_see, now, filing_id)
    filing = filing_of(uow, cipher, case)
    authority = _authority_checks(authorities, originals, filing)
    differences = domain.compare_with_originals(filing, originals)
    case.originals = {
        "sealed": seal_value(cipher, originals, "originals"), "recorded_by": actor,
        "recorded_at": now().isoformat(), "person_present_confirmed": originals["person_present_confirmed"],
        "authority": authority, "differences": [{"field": d.field} for d in differences],
    }
    record_step(uow, case, "originals", "differences" if differences else "match", actor, now=now)
    for answer in authority:
        record_step(uow, case, f"authority:{answer['source']}", answer["outcome"], actor, now=now)
    return view(uow, cipher, case)


def correct(uow: VerificationUnitOfWork, filing_id: str, actor: str, field: str, after: str, *, may_see: MaySee, cipher,
            provider_id: str, now: Clock) -> dict:
    """P6: an error found on site is corrected on site; every correction (field, before, after, who, when) is
    kept (values sealed) and printed on the form. The comparison with the originals is redone."""
    if field not in CORRECTABLE_FIELDS:
        raise BadRequest.about("field", "choice", f"Correctable fields: {list(CORRECTABLE_FIELDS)}.", "P6")
    case = open_case(uow, may_see, now, filing_id)
    before = domain.value_at(filing_of(uow, cipher, case), field)
    case.corrections = [*case.corrections, {
        "field": field, "before": seal_value(cipher, before, "correction"),
        "after": seal_value(cipher, after, "correction"), "by": actor, "at": now().isoformat()}]
    if case.originals:
        originals = open_value(cipher, case.originals["sealed"], "originals")
        differences = domain.compare_with_originals(filing_of(uow, cipher, case), originals)
        case.originals = {**case.originals, "differences": [{"field": d.field} for d in differences]}
    record_step(uow, case, f"correction:{field}", "corrected", actor, now=now)
    record_quality(uow, Quality.CORRECTION, actor, case.filing_id, now(), field, provider_id=provider_id, now=now)
    return view(uow, cipher, case)


def check_domains(uow: VerificationUnitOfWork, filing_id: str, actor: str, *, may_see: MaySee, cipher, registrar,
                  store, bucket: str, now: Clock) -> dict:
    """P5: each website's registrable domain is looked up (RDAP, else WHOIS) and its owner compared with the
    sponsor's name; every raw answer is kept as evidence. Lookups are blocking network calls made cooperative
    by eventlet, each bounded by the registrar's timeout."""
    case = open_case(uow, may_see, now, filing_id)
    filing = filing_of(uow, cipher, case)
    registrable = sorted({validate_domain(d["ascii"]).registrable for s in filing["websites"] for d in s["domains"]})
    checks = []
    for name in registrable:
        lookup = registrar.lookup(name)
        outcome = lookup.outcome(filing["sponsor"]["name"])
        raw = lookup.raw or json.dumps({"error": lookup.error, "server": lookup.server}).encode()
        evidence = keep(uow, case, f"{lookup.protocol}_lookup", raw, lookup.content_type.split(";")[0] if
                        lookup.raw else "application/json", "json" if "json" in lookup.content_type or not
                        lookup.raw else "txt", actor, store=store, bucket=bucket, now=now)
        checks.append({"domain": name, "protocol": lookup.protocol, "server": lookup.server,
                       "outcome": outcome.value, "error": lookup.error, "evidence": evidence.id,
                       "looked_up_at": now().isoformat(), "by": actor, "certificate": None,
                       "confirmed_by": None})
        record_step(uow, case, f"domain:{name}", outcome.value, actor, now=now)
    case.domains = checks
    uow.flush()
    return view(uow, cipher, case)


def _domain_check(case: Case, name: str) -> int:
    for index, check in enumerate(case.domains):
        if check["domain"] == name:
            return index
    raise NotFound.about("domain", "unknown", "Look up the domains first; this one is not among them.", "P5")


def domain_certificate(uow: VerificationUnitOfWork, filing_id: str, actor: str, name: str, data: bytes, *,
                       may_see: MaySee, cipher, store, bucket: str, now: Clock) -> dict:
    """P5: when the registry hides the owner, staff upload the domain certificate (kept under lock)."""
    case = open_case(uow, may_see, now, filing_id)
    index = _domain_check(case, name)
    if case.domains[index]["outcome"] != domain.OwnerOutcome.REDACTED:
        raise Conflict.about("domain", "not_redacted", "Only a redacted owner needs a domain certificate.", "P5")
    upload = uploads.accept(data)
    evidence = keep(uow, case, "domain_certificate", data, upload.content_type, upload.extension, actor, store=store,
                    bucket=bucket, now=now)
    checks = list(case.domains)
    checks[index] = {**checks[index], "certificate": evidence.id, "confirmed_by": None}
    case.domains = checks
    record_step(uow, case, f"domain_certificate:{name}", "kept", actor, now=now)
    return view(uow, cipher, case)


def confirm_domain(uow: VerificationUnitOfWork, filing_id: str, actor: str, name: str, *, may_see: MaySee, cipher,
                   now: Clock) -> dict:
    """P5: staff confirm that the uploaded domain certificate names the sponsor as the owner."""
    case = open_case(uow, may_see, now, filing_id)
    index = _domain_check(case, name)
    if not case.domains[index].get("certificate"):
        raise Conflict.about("domain", "certificate_required", "Upload the domain certificate first.", "P5")
    checks = list(case.domains)
    checks[index] = {**checks[index], "confirmed_by": actor, "confirmed_at": now().isoformat()}
    case.domains = checks
    record_step(uow, case, f"domain_confirmation:{name}", "confirmed", actor, now=now)
    return view(uow, cipher, case)


def set_access(uow: VerificationUnitOfWork, filing_id: str, actor: str, access: dict, *, may_see: MaySee, cipher,
               ip_ranges: tuple, now: Clock) -> dict:
    """R1.8/P5: staff enter the access information as the provider actually hosts the site; every IP must be in
    the provider's own ranges. A bad value is refused (422) and nothing is stored."""
    case = open_case(uow, may_see, now, filing_id)
    reasons = domain.check_access(access, ip_ranges)
    if reasons:
        raise ValidationFailed("the access information does not hold", reasons)
    case.access, case.access_reasons = {**access, "entered_by": actor}, []
    record_step(uow, case, "access", "entered", actor, now=now)
    return view(uow, cipher, case)


def sign_agreement(uow: VerificationUnitOfWork, filing_id: str, actor: str, signed_by: str, signature: str, *,
                   may_see: MaySee, cipher, store, bucket: str, sealer, provider_id: str, now: Clock) -> dict:
    """P6/W3: the sponsor signs the security agreement (the W3 clause) on site: the signature record and time
    are kept, the agreement is rendered, sealed by the provider and locked (W4)."""
    case = open_case(uow, may_see, now, filing_id)
    submission = uow.submissions.get(case.submission_id)
    filing = filing_of(uow, cipher, case)
    at = now()
    content = {"sponsor_name": filing["sponsor"]["name"], "provider_id": provider_id,
               "filing_id": case.filing_id, "version": submission.version, "signed_by": signed_by,
               "signed_at": at.isoformat(), "signature_sha256": hashlib.sha256(signature.encode()).hexdigest(),
               "witnessed_by": actor}
    pdf = tpool.execute(lambda: sealer.seal(render_agreement(content), "信息安全管理协议书"))
    evidence = keep(uow, case, "security_agreement", pdf, "application/pdf", "pdf", actor, store=store, bucket=bucket,
                    now=now)
    case.agreement = {"signed_by": seal_value(cipher, signed_by, "agreement"), "signed_at": at.isoformat(),
                      "signature_sha256": content["signature_sha256"], "witnessed_by": actor,
                      "evidence": evidence.id, "clause_sha256": hashlib.sha256(
                          domain.SECURITY_AGREEMENT_CLAUSE.encode()).hexdigest()}
    record_step(uow, case, "agreement", "signed", actor, now=now)
    return view(uow, cipher, case)
