"""Intake use cases, one function per command or event, collaborators passed in (design.md §2).

No function here commits: the entrypoint commits once, together with the stored idempotent answer and the
outbox row, so a state change and its event are one transaction (design.md §4).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intake import domain
from intake.domain import FilingState
from intake.models import (
    ApprovedSite,
    ContractAcceptance,
    DocumentAccess,
    DocumentScan,
    Filing,
    FilingVersion,
    PersonalDataAccess,
    Revisit,
    SitesRevision,
    StockReverification,
    TimelineEntry,
    outbox,
)
from shared.contracts.envelope import make_envelope
from shared.contracts.errors import (
    BadRequest,
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
    field_errors,
)
from shared.contracts.intake import (
    APPROVED_SITES_CHANGED,
    FILING_CANCELLED,
    FILING_CHANGED,
    FILING_SUBMITTED,
    SEAL_CONTEXT,
    personal_paths,
)
from shared.platform import uploads
from shared.platform.outbox import enqueue
from shared.platform.sealing import mask, seal, unseal, value_at
from shared.platform.storage import ObjectStore, evidence_retain_until

log = structlog.get_logger(__name__)

SERVICE = "intake"
STORE_CONTEXT = "intake"
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_SCAN_BYTES = uploads.MAX_BYTES


@dataclass
class Deps:
    """What the use cases touch; the service builds it per worker, tests build it with fakes."""

    session: Session
    cipher: object
    hasher: object
    store: ObjectStore
    bucket: str
    provider_id: str
    now: Callable[[], datetime]
    revisit_interval: timedelta = timedelta(days=365)  # W5: how often an approved sponsor is revisited
    revisit_answer: timedelta = timedelta(days=30)  # W5: how long it has to answer before staff are told
    reverification: timedelta = timedelta(days=90)  # W6: default deadline of a stock import's re-verification
    may_see: Callable[..., bool] = lambda **_scope: True
    """The caller's tenant scope (``shared.platform.auth.Caller.may_see``); events and internal RPC see all."""
    unmasked: bool = False
    """The caller is the sponsor, who sees its own filing in full to proofread what it typed (issue 17); staff
    see personal data masked and open a full value with ``open_personal_value``, which is recorded."""


def _all_personal_paths() -> tuple[str, ...]:
    return personal_paths("individual")


def _load(deps: Deps, filing_id: str, *, lock: bool = False) -> Filing:
    try:
        uuid.UUID(filing_id)
    except ValueError:
        raise NotFound("no such filing", field_errors(_unknown_filing())) from None
    query = select(Filing).where(Filing.id == filing_id, Filing.provider_id == deps.provider_id)
    filing = deps.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    # Out of the caller's scope answers exactly like unknown: nobody learns which filings exist (issue 8).
    if filing is None or not deps.may_see(provider=filing.provider_id, province=filing.province,
                                          owner=filing.created_by, mobile_hmac=filing.mobile_hmac):
        raise NotFound("no such filing", field_errors(_unknown_filing()))
    return filing


def _unknown_filing() -> FieldError:
    return FieldError("filing_id", "unknown", "No filing with this id exists or is open to you.", "P1")


def _version(deps: Deps, filing: Filing, version: int | None = None) -> FilingVersion:
    return deps.session.execute(
        select(FilingVersion).where(
            FilingVersion.filing_id == filing.id, FilingVersion.version == (version or filing.version)
        )
    ).scalar_one()


def _plain(deps: Deps, row: FilingVersion) -> dict:
    return unseal(row.data, _all_personal_paths(), deps.cipher, STORE_CONTEXT)


def _store(deps: Deps, row: FilingVersion, data: dict) -> None:
    row.data = seal(data, _all_personal_paths(), deps.cipher, STORE_CONTEXT)


def _guard(action: str, filing: Filing, allowed: set) -> None:
    try:
        domain.ensure_state(action, filing.state, allowed)
    except domain.StateConflict as exc:
        raise Conflict(
            exc.message, field_errors(FieldError("state", "conflict", exc.message, "P1"))
        ) from None


def _record(
    deps: Deps, filing: Filing, state: str, actor: str, note: str | None = None, reasons=None
) -> None:
    now = deps.now()
    filing.state = state
    filing.updated_at = now
    deps.session.add(
        TimelineEntry(
            filing_id=filing.id,
            at=now,
            state=state,
            version=filing.version,
            actor=actor,
            note=note,
            reasons=reasons or [],
        )
    )


def create_draft(deps: Deps, actor: str, data: dict) -> dict:
    """P1: a sponsor starts a filing; the draft may be incomplete. What is stored (here and in every edit) is
    the typed data normalised once (``domain.normalise_typed``, issue 17)."""
    now = deps.now()
    filing = Filing(
        id=str(uuid.uuid4()),
        provider_id=deps.provider_id,
        state=FilingState.DRAFT,
        version=1,
        attempt=0,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    deps.session.add(filing)
    row = FilingVersion(filing_id=filing.id, version=1, data={})
    _store(deps, row, domain.normalise_typed(data))
    deps.session.add(row)
    deps.session.flush()
    _record(deps, filing, FilingState.DRAFT, actor, "draft created")
    return view(deps, filing)


def edit_draft(deps: Deps, actor: str, filing_id: str, patch: dict) -> dict:
    """Merge a partial edit; after a failed precheck only the changed fields need re-entry."""
    filing = _load(deps, filing_id, lock=True)
    _guard("edit", filing, domain.EDITABLE)
    row = _version(deps, filing)
    _store(deps, row, domain.merge(_plain(deps, row), domain.normalise_typed(patch)))
    filing.updated_at = deps.now()
    return view(deps, filing)


def set_access(deps: Deps, actor: str, filing_id: str, access: dict) -> dict:
    """R1.8: provider staff enter the access information as the provider hosts the site."""
    filing = _load(deps, filing_id, lock=True)
    _guard("enter access information for", filing, domain.EDITABLE)
    row = _version(deps, filing)
    _store(deps, row, domain.merge(_plain(deps, row), domain.normalise_typed({"access": access})))
    filing.updated_at = deps.now()
    return view(deps, filing)


def upload_scan(deps: Deps, actor: str, filing_id: str, kind: str | None, body: bytes) -> dict:
    """Store a document scan in object storage under retention (W4) and attach it to the filing: the original
    bytes, once they decode in full as the JPEG, PNG or PDF they claim to be (:mod:`shared.platform.uploads`)."""
    if kind not in domain.SCAN_KINDS:
        raise BadRequest(
            "unknown scan kind",
            field_errors(
                FieldError("kind", "choice", f"kind must be one of {list(domain.SCAN_KINDS)}.", "P5")
            ),
        )
    if not body:
        raise BadRequest(
            "empty upload", field_errors(FieldError("body", "required", "The upload is empty.", "P5"))
        )
    # Decoded in full as the type it claims, off the hub, before the filing is locked (issue 17.5).
    content_type = uploads.accept(body).content_type
    filing = _load(deps, filing_id, lock=True)
    _guard("upload documents for", filing, domain.EDITABLE)
    scan_id = str(uuid.uuid4())
    now = deps.now()
    ref = deps.store.put(
        deps.bucket,
        f"filings/{filing.id}/{scan_id}",
        body,
        content_type,
        retain_until=evidence_retain_until(now),
    )
    scan = DocumentScan(
        id=scan_id,
        filing_id=filing.id,
        version=filing.version,
        kind=kind,
        bucket=ref.bucket,
        key=ref.key,
        version_id=ref.version_id,
        sha256=ref.sha256,
        content_type=ref.content_type,
        size=ref.size,
        uploaded_by=actor,
        uploaded_at=now,
    )
    deps.session.add(scan)
    filing.updated_at = now
    return _scan_view(scan)


def accept_contract(deps: Deps, actor: str, filing_id: str, clause_sha256: str) -> dict:
    """W3: record who accepted the clause, for which version, and when."""
    filing = _load(deps, filing_id, lock=True)
    _guard("accept the contract for", filing, domain.EDITABLE)
    existing = _acceptance(deps, filing)
    if existing is None:
        deps.session.add(
            ContractAcceptance(
                filing_id=filing.id,
                version=filing.version,
                clause_sha256=clause_sha256,
                accepted_by=actor,
                accepted_at=deps.now(),
            )
        )
        deps.session.flush()
    return view(deps, filing)


def _acceptance(deps: Deps, filing: Filing) -> ContractAcceptance | None:
    return deps.session.execute(
        select(ContractAcceptance).where(
            ContractAcceptance.filing_id == filing.id, ContractAcceptance.version == filing.version
        )
    ).scalar_one_or_none()


def _scans(deps: Deps, filing: Filing) -> list[DocumentScan]:
    return list(
        deps.session.execute(
            select(DocumentScan).where(DocumentScan.filing_id == filing.id).order_by(DocumentScan.uploaded_at)
        ).scalars()
    )


def _problems(deps: Deps, filing: Filing, data: dict) -> list[FieldError]:
    acceptance = _acceptance(deps, filing)
    return domain.validate_filing(
        data,
        [s.kind for s in _scans(deps, filing)],
        acceptance.clause_sha256 if acceptance else None,
        deps.now().astimezone(SHANGHAI).date(),
    )


def submit(deps: Deps, actor: str, filing_id: str) -> dict:
    """P1: validate everything and, on success, store the filing and emit ``filing_submitted.v1`` (or
    ``filing_changed.v1`` for a change of an approved filing) through the outbox. On failure every problem
    is returned at once and nothing changes."""
    filing = _load(deps, filing_id, lock=True)
    _guard("submit", filing, domain.SUBMITTABLE)
    _submit_current(deps, filing, actor)
    return view(deps, filing)


def _submit_current(deps: Deps, filing: Filing, actor: str) -> None:
    row = _version(deps, filing)
    data = _plain(deps, row)
    problems = _problems(deps, filing, data)
    if problems:
        raise ValidationFailed(
            f"the filing has {len(problems)} problem(s); nothing was submitted", field_errors(*problems)
        )
    # The draft stays as entered (so it can be edited after a failure); the event carries the canonical form.
    data = domain.normalise(data, deps.now().astimezone(SHANGHAI).date())
    is_change = domain.is_change(filing.state)
    now = deps.now()
    row.submitted_at = now
    filing.attempt += 1
    filing.sponsor_kind = data["sponsor"]["kind"]
    filing.province = data["sponsor"]["province"]
    filing.person_document_hmac = deps.hasher.digest(
        data["responsible_person"]["document_number"], kind="person_document"
    )
    filing.mobile_hmac = deps.hasher.digest(data["contacts"]["mobile"], kind="mobile")
    _record(
        deps,
        filing,
        domain.state_after_submit(filing.state),
        actor,
        "change submitted" if is_change else "submitted",
    )
    enqueue(deps.session, outbox, _submitted_envelope(deps, filing, data, is_change, now))


def _submitted_envelope(deps: Deps, filing: Filing, data: dict, is_change: bool, now: datetime) -> dict:
    acceptance = _acceptance(deps, filing)
    payload = {
        "filing_id": filing.id,
        "version": filing.version,
        "attempt": filing.attempt,
        "provider_id": filing.provider_id,
        "province": filing.province,
        "submitted_at": now.isoformat(),
        **seal(data, personal_paths(data["sponsor"]["kind"]), deps.cipher, SEAL_CONTEXT),
        "documents": [{"kind": s.kind, "object": _ref(s)} for s in _scans(deps, filing)],
        "lookups": {"responsible_person_document": filing.person_document_hmac, "mobile": filing.mobile_hmac},
        "contract_acceptance": {
            "clause_sha256": acceptance.clause_sha256,
            "accepted_at": acceptance.accepted_at.isoformat(),
            "accepted_by": acceptance.accepted_by,
        },
    }
    if is_change:
        payload.update(filing_number=filing.filing_number, previous_version=filing.approved_version)
    return make_envelope(FILING_CHANGED if is_change else FILING_SUBMITTED, SERVICE, payload, filing.id)


def _ref(scan: DocumentScan) -> dict:
    return {
        "bucket": scan.bucket,
        "key": scan.key,
        "sha256": scan.sha256,
        "content_type": scan.content_type,
        "size": scan.size,
        "version_id": scan.version_id,
    }


def request_change(deps: Deps, actor: str, filing_id: str) -> dict:
    """备案变更: an approved filing gets a new draft version holding the approved data to edit."""
    filing = _load(deps, filing_id, lock=True)
    _guard("change", filing, {FilingState.APPROVED})
    _start_change(deps, filing, actor, {})
    return view(deps, filing)


def _start_change(deps: Deps, filing: Filing, actor: str, patch: dict) -> None:
    """A new draft version of an approved filing holding the approved data with ``patch`` merged in."""
    data = domain.merge(_plain(deps, _version(deps, filing)), patch)
    filing.version += 1
    row = FilingVersion(filing_id=filing.id, version=filing.version, data={})
    _store(deps, row, data)
    deps.session.add(row)
    _record(
        deps,
        filing,
        FilingState.CHANGE_DRAFT,
        actor,
        f"change started from version {filing.approved_version}",
    )


def change_hosting(deps: Deps, actor: str, filing_id: str, access: dict) -> dict:
    """W5: the provider's hosting of an approved site changed (IP, location, access method): the access
    information is updated in a new version that goes out at once as a change (``filing_changed.v1``) toward the
    bureau, through pre-verification like every change. The sponsor's acceptance of the contract clause (W3)
    carries over: the clause is the same and the sponsor's own data did not change."""
    filing = _load(deps, filing_id, lock=True)
    _guard("change the hosting of", filing, {FilingState.APPROVED})
    current = _plain(deps, _version(deps, filing)).get("access") or {}
    problems = domain.hosting_problems(current, access)
    if problems:
        raise ValidationFailed("the access information cannot be changed so", field_errors(*problems))
    accepted = _acceptance(deps, filing)
    _start_change(deps, filing, actor, domain.normalise_typed({"access": access}))
    if accepted is not None:
        deps.session.add(ContractAcceptance(filing_id=filing.id, version=filing.version,
                                            clause_sha256=accepted.clause_sha256, accepted_by=accepted.accepted_by,
                                            accepted_at=accepted.accepted_at))
        deps.session.flush()
    _submit_current(deps, filing, actor)
    return view(deps, filing)


def cancel(deps: Deps, actor: str, filing_id: str, reason: str) -> dict:
    """注销: the filing ends; an approved filing's number is retired by the bureau (filing_cancelled.v1)."""
    filing = _load(deps, filing_id, lock=True)
    _guard("cancel", filing, domain.CANCELLABLE)
    was_draft = filing.state == FilingState.DRAFT
    _record(deps, filing, FilingState.CANCELLED, actor, reason)
    _set_sites(deps, filing, {}, deps.now())
    deps.session.execute(update(Revisit).where(
        Revisit.filing_id == filing.id, Revisit.state.in_([domain.RevisitState.SCHEDULED, *domain.ANSWERABLE])
    ).values(state=domain.RevisitState.CLOSED))
    if not was_draft:
        now = deps.now()
        enqueue(
            deps.session,
            outbox,
            make_envelope(
                FILING_CANCELLED,
                SERVICE,
                {
                    "filing_id": filing.id,
                    "provider_id": filing.provider_id,
                    "province": filing.province,
                    "filing_number": filing.filing_number,
                    "reason": reason,
                    "cancelled_at": now.isoformat(),
                    "cancelled_by": actor,
                },
                filing.id,
            ),
        )
    return view(deps, filing)


def _for_event(deps: Deps, filing_id: str) -> Filing | None:
    """The filing an event is about, or None when it is not this provider's: such an event can never apply,
    so it is recorded as processed instead of being requeued for ever."""
    try:
        return _load(deps, filing_id, lock=True)
    except NotFound:
        log.warning("event_for_unknown_filing", filing_id=filing_id)
        return None


def record_precheck(deps: Deps, data: dict, passed: bool) -> None:
    """Show the precheck outcome (P2); a failed filing becomes editable and can be resubmitted."""
    filing = _for_event(deps, data["filing_id"])
    if filing is None or filing.state != FilingState.SUBMITTED or filing.version != data["version"]:
        return  # an outcome for a superseded submission: the timeline already moved on
    state = FilingState.PRECHECK_PASSED if passed else FilingState.PRECHECK_FAILED
    _record(deps, filing, state, data["decided_by"], None, data["reasons"])


def record_step(deps: Deps, data: dict, step: str) -> None:
    """Show the steps after pre-verification (P3–P8) on the sponsor's timeline: the on-site window expired, the
    filing was rejected or verified on site, sent to the bureau, returned by it. An outcome for a filing that
    has moved on (another version, a later state) is recorded as processed and changes nothing."""
    filing = _for_event(deps, data["filing_id"])
    if filing is not None and step == "onsite_verified":
        _record_reverified(deps, filing, data)
    allowed, state, actor, note = _STEPS[step](data)
    if filing is None or filing.state not in allowed or filing.version != data["version"]:
        return
    if step == "sent_to_bureau" and filing.state in domain.AWAITING_VERIFICATION:
        # onsite_verified.v1 travels on a queue of its own and may arrive after the sending it preceded: the
        # sending implies it (same staff, same corrections), so the timeline keeps the step and the late event
        # then finds the filing moved on.
        _record(deps, filing, FilingState.ONSITE_VERIFIED, data["sent_by"], _corrected(len(data["corrections"])))
    _record(deps, filing, state, actor, note, data.get("reasons") or [])


def _corrected(count: int) -> str | None:
    return f"{count} field(s) corrected on site (P6)" if count else None


_STEPS = {
    "window_expired": lambda d: ({FilingState.PRECHECK_PASSED}, FilingState.ONSITE_WINDOW_EXPIRED, "verification",
                                 f"nobody came for on-site verification by {d['closes_at'].isoformat()} (P3)"),
    "onsite_rejected": lambda d: (domain.AWAITING_VERIFICATION, FilingState.ONSITE_REJECTED, d["decided_by"],
                                  "not accepted on site (P5)"),
    "onsite_verified": lambda d: (domain.AWAITING_VERIFICATION, FilingState.ONSITE_VERIFIED, d["decided_by"],
                                  _corrected(d["corrections"])),
    "sent_to_bureau": lambda d: (domain.AWAITING_VERIFICATION | {FilingState.ONSITE_VERIFIED},
                                 FilingState.IN_BUREAU_REVIEW, d["sent_by"], f"sent to the {d['province']} bureau"),
    "returned": lambda d: (domain.AWAITING_BUREAU, FilingState.RETURNED_BY_BUREAU, d["returned_by"],
                           "returned by the bureau; the provider verifies again (P8)"),
}


def _record_reverified(deps: Deps, filing: Filing, data: dict) -> None:
    """W6: a stock filing verified on site is done, and from now on revisited like every approved filing (W5)."""
    plan = deps.session.execute(select(StockReverification).where(
        StockReverification.filing_id == filing.id, StockReverification.state == "pending").with_for_update()
    ).scalar_one_or_none()
    if plan is None:
        return
    plan.state = "done"
    plan.done_at = data["decided_at"]
    _record(deps, filing, filing.state, data["decided_by"], "stock filing verified on site (W6)")
    _schedule_revisit(deps, filing, data["decided_at"])


def _schedule_revisit(deps: Deps, filing: Filing, after: datetime) -> None:
    """W5: the filing's next revisit, ``revisit_interval`` after ``after``, unless one is already pending."""
    pending = deps.session.execute(select(Revisit.id).where(
        Revisit.filing_id == filing.id,
        Revisit.state.in_([domain.RevisitState.SCHEDULED, *domain.ANSWERABLE]))).first()
    if pending is None:
        deps.session.add(Revisit(id=str(uuid.uuid4()), filing_id=filing.id, provider_id=filing.provider_id,
                                 state=domain.RevisitState.SCHEDULED, due_at=after + deps.revisit_interval))


def record_approval(deps: Deps, data: dict) -> None:
    """P8: the bureau issued the filing number."""
    filing = _for_event(deps, data["filing_id"])
    if filing is None or filing.state == FilingState.CANCELLED:
        return
    filing.filing_number = data["filing_number"]
    filing.approved_version = data["version"]
    _record(deps, filing, FilingState.APPROVED, data["approved_by"], f"filing number {data['filing_number']}")
    _set_sites(deps, filing, data["website_numbers"], data["approved_at"])
    _schedule_revisit(deps, filing, data["approved_at"])


def record_number_retired(deps: Deps, data: dict) -> None:
    """The bureau retired a cancelled filing's number: none of its sites may stay connected (P8)."""
    filing = _for_event(deps, data["filing_id"])
    if filing is not None:
        _set_sites(deps, filing, {}, deps.now())


def _set_sites(deps: Deps, filing: Filing, website_numbers: dict[str, str], approved_at) -> None:
    """Make ``website_numbers`` (ASCII domain -> website number) the filing's approved sites; a change bumps the
    list's revision and emits ``approved_sites_changed.v1`` in the same transaction."""
    current = {row.domain: row for row in deps.session.execute(
        select(ApprovedSite).where(ApprovedSite.filing_id == filing.id)).scalars()}
    for domain_name, row in current.items():
        if domain_name not in website_numbers:
            deps.session.delete(row)
    changed = False
    for domain_name, number in website_numbers.items():
        row = current.get(domain_name) or deps.session.get(ApprovedSite, domain_name)
        if row is None:
            deps.session.add(ApprovedSite(domain=domain_name, filing_id=filing.id, website_number=number,
                                          approved_at=approved_at))
            changed = True
        elif (row.filing_id, row.website_number) != (filing.id, number):
            row.filing_id, row.website_number, row.approved_at = filing.id, number, approved_at
            changed = True
    added = sorted(set(website_numbers) - set(current))
    removed = sorted(set(current) - set(website_numbers))
    if not (changed or removed):
        return
    bump_sites_revision(deps, filing.provider_id, added, removed, filing.id)


# The dialects' INSERT ... ON CONFLICT (the services run on PostgreSQL, the embedded demo on SQLite).
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def bump_sites_revision(deps: Deps, provider_id: str, added: list[str], removed: list[str], correlation_id: str):
    """A new revision of the approved-sites list, and its ``approved_sites_changed.v1`` in the same transaction.

    The list's single revision row is locked for the transaction, so concurrent changes get consecutive
    revisions. The first change ever creates the row: two first changes at once both insert it, and ``ON
    CONFLICT DO NOTHING`` makes the second wait for the first and then bump its row instead of failing on the
    primary key (issue 17: a burnt delivery)."""
    deps.session.flush()
    now = deps.now()
    insert = _UPSERTS[deps.session.get_bind().dialect.name]
    deps.session.execute(insert(SitesRevision).values(id=1, revision=0, changed_at=now)
                         .on_conflict_do_nothing(index_elements=[SitesRevision.id]))
    revision = deps.session.get(SitesRevision, 1, with_for_update=True, populate_existing=True)
    revision.revision += 1
    revision.changed_at = now
    count = deps.session.execute(select(func.count()).select_from(ApprovedSite)).scalar_one()
    enqueue(deps.session, outbox, make_envelope(APPROVED_SITES_CHANGED, SERVICE, {
        "provider_id": provider_id, "revision": revision.revision, "changed_at": now.isoformat(),
        "added": added, "removed": removed, "count": count,
    }, correlation_id))


def approved_sites(deps: Deps) -> dict:
    """P8: the domains the provider may connect, with their website numbers, and the list's revision."""
    revision = deps.session.get(SitesRevision, 1)
    sites = [{"domain": row.domain, "website_number": row.website_number, "filing_id": row.filing_id,
              "approved_at": row.approved_at.isoformat()}
             for row in deps.session.execute(select(ApprovedSite).order_by(ApprovedSite.domain)).scalars()]
    return {"revision": revision.revision if revision else 0,
            "changed_at": revision.changed_at.isoformat() if revision else None, "sites": sites}


def view(deps: Deps, filing: Filing) -> dict:
    """The filing as a sponsor or staff member sees it, open problems listed: the sponsor in full (its own, to
    proofread), anybody else with personal data masked (issue 17, design.md §5)."""
    data = _plain(deps, _version(deps, filing))
    acceptance = _acceptance(deps, filing)
    problems = _problems(deps, filing, data) if filing.state in domain.EDITABLE else []
    return {
        "id": filing.id,
        "state": filing.state,
        "version": filing.version,
        "attempt": filing.attempt,
        "provider_id": filing.provider_id,
        "filing_number": filing.filing_number,
        "data": data if deps.unmasked else mask(data, personal_paths((data.get("sponsor") or {}).get("kind")
                                                                     or "individual")),
        "documents": [_scan_view(s) for s in _scans(deps, filing)],
        "contract_accepted": acceptance is not None,
        "problems": [p.to_dict() for p in problems],
        "created_at": filing.created_at.isoformat(),
        "updated_at": filing.updated_at.isoformat(),
    }


def _scan_view(scan: DocumentScan) -> dict:
    return {
        "id": scan.id,
        "kind": scan.kind,
        "content_type": scan.content_type,
        "size": scan.size,
        "sha256": scan.sha256,
        "uploaded_at": scan.uploaded_at.isoformat(),
        "uploaded_by": scan.uploaded_by,
    }


def get_filing(deps: Deps, filing_id: str) -> dict:
    return view(deps, _load(deps, filing_id))


DOCUMENT_LINK_LIFE = timedelta(seconds=300)
"""design.md §5: a presigned link lives at most 300 s."""


def document_link(deps: Deps, actor: str, role: str, filing_id: str, document_id: str) -> dict:
    """W4, B1: a short-lived link to one scan of a filing in the caller's scope (a reviewer: its province's),
    with the access recorded (who, which, when) in the same transaction; the caller commits. A scan that is
    not this filing's answers like an unknown filing."""
    filing = _load(deps, filing_id)
    scan = next((s for s in _scans(deps, filing) if s.id == document_id), None)
    if scan is None:
        raise NotFound("no such document", field_errors(
            FieldError("document_id", "unknown", "No document with this id exists or is open to you.", "W4")))
    deps.session.add(DocumentAccess(scan_id=scan.id, filing_id=filing.id, accessed_by=actor, role=role,
                                    accessed_at=deps.now()))
    url = deps.store.presigned_get(scan.bucket, scan.key, DOCUMENT_LINK_LIFE, scan.version_id)
    return {"document": _scan_view(scan), "url": url, "expires_in": int(DOCUMENT_LINK_LIFE.total_seconds())}


def open_personal_value(deps: Deps, actor: str, role: str, filing_id: str, field: str) -> dict:
    """W4, B1 (issue 17): one personal value of a filing in the caller's scope, in full, as the current version
    holds it; the opening is recorded (who, role, which field of which version, when) in the same transaction,
    like a scan's. ``field`` is one of the filing's personal paths (``contacts.mobile``,
    ``responsible_person.document_number``, …); any other answers 404 naming ``field``."""
    filing = _load(deps, filing_id)
    data = _plain(deps, _version(deps, filing))
    paths = personal_paths((data.get("sponsor") or {}).get("kind") or "individual")
    if field not in paths:
        raise NotFound("no such personal field", field_errors(FieldError(
            "field", "unknown", f"Personal fields of this filing: {', '.join(paths)}.", "W4")))
    now = deps.now()
    deps.session.add(PersonalDataAccess(filing_id=filing.id, version=filing.version, field=field, accessed_by=actor,
                                        role=role, accessed_at=now))
    return {"filing_id": filing.id, "version": filing.version, "field": field, "value": value_at(data, field),
            "opened_at": now.isoformat()}


def get_timeline(deps: Deps, filing_id: str) -> dict:
    """Every state change with time and actor, oldest first."""
    filing = _load(deps, filing_id)
    entries = deps.session.execute(
        select(TimelineEntry).where(TimelineEntry.filing_id == filing.id).order_by(TimelineEntry.id)
    ).scalars()
    return {
        "id": filing.id,
        "state": filing.state,
        "timeline": [
            {
                "at": e.at.isoformat(),
                "state": e.state,
                "version": e.version,
                "actor": e.actor,
                "note": e.note,
                "reasons": e.reasons,
            }
            for e in entries
        ],
    }
