"""P5–P7: the on-site decision: rejected, or verified with the form sealed in two copies and the filing sent to
the bureau (W6: a stock filing is only verified); and the sealed form's offline validation (P6)."""

from __future__ import annotations

import json
from datetime import datetime

from eventlet import tpool

from shared.contracts.errors import NotFound, ValidationFailed
from shared.contracts.intake import SEAL_CONTEXT, personal_paths
from shared.contracts.verification import EXCHANGE_CONTEXT, FILING_SENT_TO_BUREAU, ONSITE_REJECTED, ONSITE_VERIFIED
from shared.i18n import enum_name, label
from shared.platform.sealing import seal
from verification import domain, photos
from verification.domain import Move, Quality, Raised
from verification.domain.face import form_items as face_items
from verification.forms import render_form
from verification.models import Case, Submission
from verification.repository import VerificationUnitOfWork
from verification.usecases.case import (
    STOCK,
    STORE_CONTEXT,
    Clock,
    MaySee,
    checks_of,
    evidence_ref,
    filing_of,
    find_case,
    keep,
    open_case,
    open_value,
    record_quality,
    record_step,
    view,
)

FORM_TITLE = "网站备案信息真实性核验单"


def decide(uow: VerificationUnitOfWork, filing_id: str, actor: str, *, may_see: MaySee, cipher, exchange, store,
           bucket: str, sealer, provider_id: str, now: Clock) -> dict:
    """P5–P7: with every check done, either not accepted (``onsite_rejected.v1`` naming the differing fields) or
    verified: the form in two copies, sealed and locked, ``onsite_verified.v1`` and ``filing_sent_to_bureau.v1``
    through the outbox, all in one transaction (a stock filing, W6: ``onsite_verified.v1`` only). The decision
    counts for its staff member (W1). Missing checks or an unanswered source: 422, nothing changes."""
    case = open_case(uow, may_see, now, filing_id)
    outcome, reasons = domain.verdict(checks_of(uow, case))
    if outcome == "incomplete":
        raise ValidationFailed("on-site verification is not complete", reasons)
    submission = uow.submissions.get(case.submission_id)
    at = now()
    case.decided_by, case.decided_at, case.reasons = actor, at, reasons
    outcome_data = {"filing_id": case.filing_id, "version": submission.version, "attempt": submission.attempt,
                    "provider_id": submission.provider_id, "decided_at": at.isoformat(), "decided_by": actor,
                    "reasons": reasons, "corrections": len(case.corrections)}
    record_quality(uow, Quality.ONSITE_DECISION, actor, case.filing_id, at, outcome, provider_id=provider_id, now=now)
    if outcome == "rejected":
        case.state, _ = domain.moved(case.state, Move.REJECT)
        # X4: the sponsor is told, with the reasons (notify reads the mobile sealed as on ``onsite_window_expired``)
        mobile = cipher.decrypt(case.mobile_token, context=f"{STORE_CONTEXT}.mobile")
        uow.emit(ONSITE_REJECTED, {**outcome_data, "mobile": cipher.encrypt(mobile, context=f"{SEAL_CONTEXT}.mobile")},
                 case.filing_id)
        record_step(uow, case, "decision", "rejected", actor, now=now)
        return view(uow, cipher, case)
    content = _form_content(uow, cipher, provider_id, case, submission, actor, at)
    forms = _seal_forms(uow, case, content, actor, store=store, bucket=bucket, sealer=sealer, now=now)
    case.forms = {copy: evidence.id for copy, evidence in forms.items()}
    case.state, raised = domain.moved(case.state, Move.VERIFY, stock=case.purpose == STOCK)
    uow.emit(ONSITE_VERIFIED, outcome_data, case.filing_id)
    record_step(uow, case, "decision", "verified", actor, now=now)
    if Raised.SENT_TO_BUREAU in raised:  # not for a stock filing (W6): the form is kept, nothing goes on
        uow.emit(FILING_SENT_TO_BUREAU, _sent_data(uow, cipher, exchange, case, submission, forms, actor, at),
                 case.filing_id)
        record_step(uow, case, "sent_to_bureau", "sent", actor, now=now)
    return view(uow, cipher, case)


def _form_content(uow: VerificationUnitOfWork, cipher, provider_id: str, case: Case, submission: Submission,
                  actor: str, now: datetime) -> dict:
    checks = [{"item": "现场照片 (P4)", "result": "合格", "by": case.photo["by"], "at": case.photo["taken_at"]},
              {"item": "证件原件核对 (P5)", "result": "一致", "by": case.originals["recorded_by"],
               "at": case.originals["recorded_at"]}]
    checks += [{"item": f"权威数据源 {enum_name('authority_source', a['source'], 'zh_CN')} {label(a['field'])}",
                "result": enum_name("authority_outcome", a["outcome"], "zh_CN"),
                "by": case.originals["recorded_by"], "at": case.originals["recorded_at"]}
               for a in case.originals["authority"]]
    checks += [{"item": f"域名所有者 {d['domain']} ({d['protocol']})", "result": enum_name(
        "owner_outcome", d["outcome"], "zh_CN") + (
        " 域名证书已确认" if d.get("confirmed_by") else ""), "by": d.get("confirmed_by") or d["by"],
        "at": d["looked_up_at"]} for d in case.domains]
    checks += face_items(case.face)
    checks.append({"item": "接入信息 (R1.8)", "result": "IP 属于本单位", "by": case.access["entered_by"],
                   "at": now.isoformat()})
    return {
        "filing_id": case.filing_id, "version": submission.version, "sending": case.sending,
        "provider_id": provider_id, "verified_by": actor, "verified_at": now.isoformat(),
        "opens_at": case.opens_at.isoformat(), "closes_at": case.closes_at.isoformat(),
        "filing": filing_of(uow, cipher, case), "checks": checks,
        "corrections": [{"field": c["field"], "before": open_value(cipher, c["before"], "correction"),
                         "after": open_value(cipher, c["after"], "correction"), "by": c["by"], "at": c["at"]}
                        for c in case.corrections],
        "agreement": {"signed_by": open_value(cipher, case.agreement["signed_by"], "agreement"),
                      "signed_at": case.agreement["signed_at"]},
    }


def _seal_forms(uow: VerificationUnitOfWork, case: Case, content: dict, actor: str, *, store, bucket: str, sealer,
                now: Clock) -> dict:
    photo = uow.evidence.get(case.photo["stamped"])
    thumb = tpool.execute(photos.thumbnail, store.get(photo.bucket, photo.key, photo.version_id))
    forms = {}
    for copy in ("provider", "bureau"):
        pdf = tpool.execute(lambda copy=copy: sealer.seal(render_form(content, copy, thumb), FORM_TITLE))
        forms[copy] = keep(uow, case, f"form_{copy}", pdf, "application/pdf", "pdf", actor, store=store,
                           bucket=bucket, now=now)
    return forms


def _sent_data(uow: VerificationUnitOfWork, cipher, exchange, case: Case, submission: Submission, forms: dict,
               actor: str, now: datetime) -> dict:
    """P7: the verified filing for the bureau of the sponsor's province, personal fields sealed with the exchange
    ring (docs/decisions/0001), evidence by reference."""
    filing = filing_of(uow, cipher, case)
    paths = personal_paths(filing["sponsor"]["kind"])
    plain = {k: filing[k] for k in ("sponsor", "responsible_person", "contacts", "websites")}
    plain["access"] = {k: filing["access"][k] for k in ("provider_name", "access_method", "server_location",
                                                        "ip_addresses")}
    exchanged = seal(plain, paths, exchange, EXCHANGE_CONTEXT)
    evidence = {e.id: e for e in uow.evidence.of_case(case.id)}
    uow.flush()
    evidence.update({e.id: e for e in forms.values()})
    def exchanged_value(token: str) -> str:
        plain = json.dumps(open_value(cipher, token, "correction"), ensure_ascii=False)
        return exchange.encrypt(plain, context=f"{EXCHANGE_CONTEXT}.correction")

    corrections = [{"field": c["field"], "by": c["by"], "at": c["at"], "before": exchanged_value(c["before"]),
                    "after": exchanged_value(c["after"])} for c in case.corrections]
    return {
        "filing_id": case.filing_id, "version": submission.version, "attempt": submission.attempt,
        "submission": case.sending, "provider_id": submission.provider_id, "province": submission.province,
        "change_of": submission.change_of, "sent_at": now.isoformat(), "sent_by": actor,
        "verified_at": now.isoformat(), "verified_by": actor, "filing": exchanged,
        "evidence": {
            "form_provider_copy": evidence_ref(forms["provider"]), "form_bureau_copy": evidence_ref(forms["bureau"]),
            "photo": evidence_ref(evidence[case.photo["stamped"]]),
            "document_copies": [evidence_ref(e) for e in evidence.values() if e.kind.startswith("copy_")],
            "domain_lookups": [evidence_ref(evidence[d["evidence"]]) for d in case.domains],
            "security_agreement": evidence_ref(evidence[case.agreement["evidence"]]),
        },
        "corrections": corrections,
    }


def validate_form(uow: VerificationUnitOfWork, filing_id: str, copy: str, *, may_see: MaySee, store, sealer) -> dict:
    """P6: the sealed form's signature, validated offline against the provider's certificate."""
    case = find_case(uow, may_see, filing_id, lock=False)
    if not case.forms or copy not in case.forms:
        raise NotFound.about("copy", "unknown", "No sealed form of this copy (provider or bureau).", "P6")
    evidence = uow.evidence.get(case.forms[copy])
    pdf = store.get(evidence.bucket, evidence.key, evidence.version_id)
    return {"copy": copy, "sha256": evidence.sha256, **tpool.execute(sealer.validate, pdf)}
