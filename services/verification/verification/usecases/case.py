"""What every verification use case shares (design.md §2): reading a case
within the caller's scope, the filing as verified so far, the case as staff see it, keeping evidence (W4), and
recording each on-site step with the staff member who took it (W1) and each quality fact (W1).

Personal data is stored sealed under ``verification.<what>``. The entrypoint commits once, with the outbox rows, so
a decision and its events are one transaction (design.md §4).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime

from shared.contracts.errors import Conflict, NotFound
from shared.contracts.intake import personal_paths
from shared.platform.sealing import mask, unseal
from shared.platform.storage import ObjectStore, evidence_retain_until
from verification import domain
from verification.domain import OPEN_STATES, Quality
from verification.models import Case, Evidence, QualityRecord, Step
from verification.repository import VerificationUnitOfWork

STORE_CONTEXT = "verification"
FILING, STOCK = "filing", "stock"
"""A case's purpose: a new filing or change (P3–P7), or an approved stock filing's re-verification (W6)."""
STOCK_ATTEMPT = 0
"""W6: intake keeps an imported stock filing at attempt 0 (it was never submitted through intake)."""


MaySee = Callable[..., bool]
"""The caller's tenant scope (``shared.platform.auth.Caller.may_see``)."""
Clock = Callable[[], datetime]


def record_step(uow: VerificationUnitOfWork, case: Case, step: str, outcome: str, actor: str, *, now: Clock) -> None:
    uow.steps.add(Step(id=str(uuid.uuid4()), case_id=case.id, filing_id=case.filing_id, step=step,
                       outcome=outcome, actor=actor, at=now()))


def record_quality(uow: VerificationUnitOfWork, kind: Quality, actor: str | None, filing_id: str, at: datetime,
                   outcome: str | None = None, *, provider_id: str, now: Clock) -> None:
    """W1: count a fact against the staff member behind ``actor``. Automatic decisions count against nobody;
    a breach nobody had claimed is kept unassigned (the department's)."""
    staff_id = domain.staff_id_of(actor)
    if staff_id is None and kind != Quality.DEADLINE_BREACHED:
        return
    uow.quality.add(QualityRecord(id=str(uuid.uuid4()), staff_id=staff_id, actor=actor if staff_id else None,
                                  provider_id=provider_id, filing_id=filing_id, kind=kind, outcome=outcome, at=at,
                                  recorded_at=now()))


def seal_value(cipher, value, what: str) -> str:
    return cipher.encrypt(json.dumps(value, ensure_ascii=False), context=f"{STORE_CONTEXT}.{what}")


def open_value(cipher, token: str, what: str):
    return json.loads(cipher.decrypt(token, context=f"{STORE_CONTEXT}.{what}"))


def find_case(uow: VerificationUnitOfWork, may_see: MaySee, filing_id: str, *, lock: bool = True) -> Case:
    case = uow.cases.current(filing_id, lock=lock) if is_uuid(filing_id) else None
    if case is None or not visible(uow, may_see, case):
        raise _unknown()  # out of the caller's scope reads exactly like unknown (issue 8)
    return case


def visible(uow: VerificationUnitOfWork, may_see: MaySee, case: Case) -> bool:
    submission = uow.submissions.get(case.submission_id)
    return may_see(provider=submission.provider_id, province=submission.province)


def _unknown() -> NotFound:
    return NotFound.about("filing_id", "unknown", "No filing with this id is waiting for on-site verification.", "P3")


def open_case(uow: VerificationUnitOfWork, may_see: MaySee, now: Clock, filing_id: str) -> Case:
    case = find_case(uow, may_see, filing_id)
    if case.state not in OPEN_STATES:
        raise Conflict.about("state", "conflict", f"The filing is {case.state}: nothing to verify on site.", "P3")
    if now() >= case.closes_at and case.purpose != STOCK:
        raise Conflict.about("state", "window_closed", "The 1-month window for on-site verification has closed.",
                             "P3")
    return case


def filing_of(uow: VerificationUnitOfWork, cipher, case: Case) -> dict:
    """The filing as verified so far: the submission, corrections applied, the access information staff
    entered (R1.8)."""
    submission = uow.submissions.get(case.submission_id)
    filing = unseal(submission.filing, personal_paths(submission.filing["sponsor"]["kind"]), cipher,
                    STORE_CONTEXT)
    for correction in case.corrections:
        filing = domain.with_value(filing, correction["field"], open_value(cipher, correction["after"], "correction"))
    if case.access is not None:
        filing["access"] = case.access
    return filing


def copies_of(uow: VerificationUnitOfWork, case: Case) -> list[str]:
    kinds = (e.kind for e in uow.evidence.of_case(case.id))
    return sorted({k.removeprefix("copy_") for k in kinds if k.startswith("copy_")})


def checks_of(uow: VerificationUnitOfWork, case: Case) -> dict:
    originals = case.originals
    return {"photo": case.photo, "face": case.face, "originals": originals, "copies": copies_of(uow, case),
            "domains": case.domains, "access": case.access, "access_reasons": case.access_reasons,
            "agreement": case.agreement}


def view(uow: VerificationUnitOfWork, cipher, case: Case) -> dict:
    """A case as staff see it: personal data masked, every check with its outcome and who did it."""
    submission = uow.submissions.get(case.submission_id)
    filing = filing_of(uow, cipher, case)
    paths = personal_paths(filing["sponsor"]["kind"])
    outstanding = domain.verdict(checks_of(uow, case))
    return {
        "filing_id": case.filing_id, "version": submission.version, "attempt": submission.attempt,
        "sponsor_ref": case.sponsor_hmac, "state": case.state, "purpose": case.purpose, "sending": case.sending,
        "opens_at": case.opens_at.isoformat(), "closes_at": case.closes_at.isoformat(),
        "warned": case.warned_at is not None, "expired_at": case.expired_at and case.expired_at.isoformat(),
        "appointment": case.appointment, "filing": mask(filing, paths),
        "photo": case.photo, "face": case.face,
        "originals": case.originals and {k: v for k, v in case.originals.items() if k != "sealed"},
        "copies": copies_of(uow, case),
        "corrections": [{"field": c["field"], "by": c["by"], "at": c["at"]} for c in case.corrections],
        "domains": case.domains, "access": case.access, "access_reasons": case.access_reasons,
        "agreement": case.agreement and {k: v for k, v in case.agreement.items() if k != "signed_by"},
        "forms": case.forms, "returned": case.returned,
        "outstanding": outstanding[1] if case.state in OPEN_STATES else [],
        "decided_by": case.decided_by, "decided_at": case.decided_at and case.decided_at.isoformat(),
        "reasons": case.reasons,
    }


def keep(uow: VerificationUnitOfWork, case: Case, kind: str, data: bytes, content_type: str, ext: str, actor: str,
         phash: str | None = None, *, store: ObjectStore, bucket: str, now: Clock) -> Evidence:
    """Store ``data`` under COMPLIANCE retention for 5 years (W4) and file it under the sponsor."""
    submission = uow.submissions.get(case.submission_id)
    at = now()
    key = f"filings/{case.filing_id}/v{submission.version}/s{case.sending}/{kind}-{uuid.uuid4().hex[:12]}.{ext}"
    retain = evidence_retain_until(at)
    ref = store.put(bucket, key, data, content_type, retain_until=retain)
    evidence = Evidence(id=str(uuid.uuid4()), case_id=case.id, filing_id=case.filing_id,
                        sponsor_hmac=case.sponsor_hmac, kind=kind, bucket=ref.bucket, key=ref.key,
                        version_id=ref.version_id, sha256=ref.sha256, phash=phash, content_type=content_type,
                        size=ref.size, retain_until=retain, created_by=actor, created_at=at)
    uow.evidence.add(evidence)
    return evidence


def evidence_ref(evidence: Evidence) -> dict:
    return {"bucket": evidence.bucket, "key": evidence.key, "sha256": evidence.sha256,
            "content_type": evidence.content_type, "size": evidence.size, "version_id": evidence.version_id}


def steps_of(uow: VerificationUnitOfWork, filing_id: str) -> list[dict]:
    return [{"step": r.step, "outcome": r.outcome, "actor": r.actor, "at": r.at.isoformat()}
            for r in uow.steps.of_filing(filing_id)]


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
