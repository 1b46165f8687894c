"""W4: the sponsor's file: its cases and kept objects, download links, the export for an inspection, and the
record of every reading."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

from shared.contracts.errors import NotFound
from shared.platform.storage import MAX_PRESIGN
from verification.models import Case, Evidence, EvidenceAccess
from verification.repository import VerificationUnitOfWork
from verification.usecases.case import Clock, MaySee, evidence_ref, filing_of, is_uuid, steps_of, view, visible


def _record_access(uow: VerificationUnitOfWork, sponsor_ref: str, action: str, viewer: str, now: Clock,
                   evidence_id: str | None = None) -> None:
    uow.accesses.add(EvidenceAccess(id=str(uuid.uuid4()), sponsor_hmac=sponsor_ref, evidence_id=evidence_id,
                                    action=action, viewer=viewer, at=now()))


def _archive_cases(uow: VerificationUnitOfWork, may_see: MaySee, sponsor_ref: str) -> list[Case]:
    cases = [c for c in uow.cases.of_sponsor(sponsor_ref) if visible(uow, may_see, c)]
    if not cases:
        raise NotFound.about("sponsor_ref", "unknown", "No file is kept for this sponsor.", "W4")
    return cases


def _evidence_rows(uow: VerificationUnitOfWork, sponsor_ref: str, cases: list[Case]) -> list[Evidence]:
    visible = {c.id for c in cases}
    return [e for e in uow.evidence.of_sponsor(sponsor_ref) if e.case_id in visible]


def _evidence_view(e: Evidence) -> dict:
    return {"id": e.id, "filing_id": e.filing_id, "kind": e.kind, **evidence_ref(e),
            "retain_until": e.retain_until.isoformat(), "created_by": e.created_by,
            "created_at": e.created_at.isoformat()}


def archive(uow: VerificationUnitOfWork, sponsor_ref: str, viewer: str, *, may_see: MaySee, cipher,
            now: Clock) -> dict:
    """W4: the sponsor's file: every case (data masked) and every kept object with its retention; recorded."""
    cases = _archive_cases(uow, may_see, sponsor_ref)
    _record_access(uow, sponsor_ref, "list", viewer, now)
    return {"sponsor_ref": sponsor_ref, "cases": [view(uow, cipher, c) for c in cases],
            "evidence": [_evidence_view(e) for e in _evidence_rows(uow, sponsor_ref, cases)]}


def evidence_link(uow: VerificationUnitOfWork, sponsor_ref: str, evidence_id: str, viewer: str, *, may_see: MaySee,
                  store, now: Clock) -> dict:
    """W4: a download link that lives at most 300 s (design.md §5); the access is recorded."""
    evidence = uow.evidence.get(evidence_id) if is_uuid(evidence_id) else None
    if evidence is None or evidence.sponsor_hmac != sponsor_ref or not visible(
            uow, may_see, uow.cases.get(evidence.case_id)):
        raise NotFound.about("evidence_id", "unknown", "No such object in this sponsor's file.", "W4")
    _record_access(uow, sponsor_ref, "download", viewer, now, evidence.id)
    url = store.presigned_get(evidence.bucket, evidence.key, MAX_PRESIGN, evidence.version_id)
    return {"url": url, "expires_in": int(MAX_PRESIGN.total_seconds()), **_evidence_view(evidence)}


def export_archive(uow: VerificationUnitOfWork, sponsor_ref: str, viewer: str, *, may_see: MaySee, cipher, store,
                   now: Clock) -> bytes:
    """W4: everything in the sponsor's file for an inspection, as a ZIP: ``manifest.json`` (cases with the data
    as verified, unmasked for the inspector, every object with SHA-256 and retention) and the objects
    themselves, each checked against its SHA-256 on the way out. The export is recorded."""
    cases = _archive_cases(uow, may_see, sponsor_ref)
    rows = _evidence_rows(uow, sponsor_ref, cases)
    manifest = {"sponsor_ref": sponsor_ref, "exported_at": now().isoformat(), "exported_by": viewer,
                "cases": [{**view(uow, cipher, c), "filing": filing_of(uow, cipher, c),
                           "steps": steps_of(uow, c.filing_id)}
                          for c in cases],
                "evidence": [_evidence_view(e) for e in rows]}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive_zip:
        archive_zip.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1, default=str))
        for e in rows:
            archive_zip.writestr(f"objects/{e.key}", store.get(e.bucket, e.key, e.version_id))
    _record_access(uow, sponsor_ref, "export", viewer, now)
    return out.getvalue()


def accesses(uow: VerificationUnitOfWork, sponsor_ref: str, viewer: str, *, may_see: MaySee, now: Clock) -> list[dict]:
    """W4: who listed, opened or exported the sponsor's file, and when (reading this list is recorded too)."""
    _archive_cases(uow, may_see, sponsor_ref)
    _record_access(uow, sponsor_ref, "audit", viewer, now)
    uow.flush()
    rows = uow.accesses.of_sponsor(sponsor_ref)
    return [{"action": r.action, "viewer": r.viewer, "evidence_id": r.evidence_id, "at": r.at.isoformat()}
            for r in rows]
