"""Reviewers open a provider's original evidence through short-lived links, and every access is recorded and
announced (B1)."""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from bureau.models import EvidenceAccess, Review
from bureau.repository import BureauUnitOfWork
from bureau.usecases.common import Scope, current_review
from shared.contracts.bureau import EVIDENCE_ACCESSED
from shared.contracts.errors import NotFound
from shared.platform.storage import ObjectStore

SINGLE_EVIDENCE = ("form_bureau_copy", "form_provider_copy", "photo", "security_agreement")
LISTED_EVIDENCE = ("document_copies", "domain_lookups")


def evidence_items(review: Review) -> list[str]:
    """The names a reviewer opens the review's evidence by: ``photo``, ``document_copies.0`` ..."""
    listed = [f"{name}.{i}" for name in LISTED_EVIDENCE for i in range(len(review.evidence[name]))]
    return [*SINGLE_EVIDENCE, *listed]


def _evidence_ref(review: Review, item: str) -> dict:
    name, _, index = item.partition(".")
    evidence = review.evidence
    if name in SINGLE_EVIDENCE and not index:
        return evidence[name]
    if name in LISTED_EVIDENCE and index.isdigit() and int(index) < len(evidence[name]):
        return evidence[name][int(index)]
    raise NotFound.about("item", "unknown", f"No evidence {item!r}: one of {', '.join(evidence_items(review))}.", "B1")


def open_evidence(uow: BureauUnitOfWork, filing_id: str, item: str, viewer: str, *, scope: Scope,
                  store: ObjectStore, link_seconds: int, now: Callable[[], datetime]) -> dict:
    """B1: a presigned link (at most 300 s) to one original scan, photo or form; the access is recorded (who,
    what, when) and announced as ``evidence_accessed.v1``."""
    review = current_review(uow, scope, filing_id)
    ref = _evidence_ref(review, item)
    url = store.presigned_get(ref["bucket"], ref["key"], timedelta(seconds=link_seconds), ref.get("version_id"))
    accessed = now()
    access = EvidenceAccess(id=str(uuid.uuid4()), review_id=review.id, filing_id=review.filing_id, item=item,
                            bucket=ref["bucket"], key=ref["key"], viewer=viewer, accessed_at=accessed,
                            expires_in=link_seconds)
    uow.accesses.add(access)
    uow.emit(EVIDENCE_ACCESSED, {
        "access_id": access.id, "filing_id": review.filing_id, **scope.of(review.provider_id),
        "bucket": ref["bucket"], "key": ref["key"], "viewer": viewer, "accessed_at": accessed.isoformat(),
        "expires_in": link_seconds,
    }, review.filing_id)
    return {"url": url, "expires_in": link_seconds, "access_id": access.id, "item": item,
            "content_type": ref["content_type"], "sha256": ref["sha256"]}


def evidence_accesses(uow: BureauUnitOfWork, filing_id: str, *, scope: Scope) -> list[dict]:
    """B1: who opened which of the filing's evidence, when, through a link valid for how long."""
    current_review(uow, scope, filing_id)
    return [{"access_id": a.id, "item": a.item, "bucket": a.bucket, "key": a.key, "viewer": a.viewer,
             "accessed_at": a.accessed_at.isoformat(), "expires_in": a.expires_in}
            for a in uow.accesses.of_filing(filing_id)]
