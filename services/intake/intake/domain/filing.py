"""The filing as intake sees it (P1, P2–P8 as they reach the sponsor, changes and cancellation): its states and
the transitions between them. Each transition takes the filing and returns a :class:`Change`: the filing's new
state, the steps its timeline gains and the events to emit; it raises :class:`StateConflict` when the action does
not fit the state. Pure: no I/O, no clock (the time comes in).
"""

import copy
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from shared.contracts.intake import (
    ACCESS_CANCELLED,
    FILING_CANCELLED,
    FILING_CHANGED,
    FILING_SUBMITTED,
    WEBSITE_CANCELLED,
)


class FilingState(StrEnum):
    """The filing's state as intake shows it to the sponsor."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PRECHECK_FAILED = "precheck_failed"
    PRECHECK_PASSED = "precheck_passed"
    ONSITE_WINDOW_EXPIRED = "onsite_window_expired"
    ONSITE_REJECTED = "onsite_rejected"
    ONSITE_VERIFIED = "onsite_verified"
    IN_BUREAU_REVIEW = "in_bureau_review"
    RETURNED_BY_BUREAU = "returned_by_bureau"
    APPROVED = "approved"
    CHANGE_DRAFT = "change_draft"
    CANCELLED = "cancelled"


# The sponsor edits and resubmits after a precheck failure, an on-site rejection (P5 不予受理) or an unused window
# (P3); a bureau return goes back to the provider, which verifies again (P8).
EDITABLE = {
    FilingState.DRAFT,
    FilingState.PRECHECK_FAILED,
    FilingState.ONSITE_WINDOW_EXPIRED,
    FilingState.ONSITE_REJECTED,
    FilingState.CHANGE_DRAFT,
}
SUBMITTABLE = EDITABLE
CANCELLABLE = set(FilingState) - {FilingState.CANCELLED}
# Where each later step of the workflow may find the filing (an outcome for an older state is stale).
AWAITING_VERIFICATION = {FilingState.PRECHECK_PASSED, FilingState.RETURNED_BY_BUREAU}
AWAITING_BUREAU = {FilingState.ONSITE_VERIFIED, FilingState.IN_BUREAU_REVIEW}


class StateConflict(Exception):
    """The action does not fit the filing's state; ``message`` says what would."""

    def __init__(self, action: str, state: str, allowed: set):
        names = ", ".join(sorted(s.value for s in allowed))
        super().__init__(f"cannot {action} a filing in state {state}; allowed in: {names}")
        self.message = str(self)


def ensure_state(action: str, state: str, allowed: set) -> None:
    if FilingState(state) not in allowed:
        raise StateConflict(action, state, allowed)


def is_change(state: str) -> bool:
    return FilingState(state) is FilingState.CHANGE_DRAFT


def merge(current: dict, patch: dict) -> dict:
    """Deep-merge a partial edit into a draft: objects merge, lists and scalars replace (a resubmission
    after a failure only re-enters the changed fields)."""
    out = copy.deepcopy(current)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass(frozen=True)
class Filing:
    """One filing of this provider; its data lives per version beside it (the repository keeps it sealed)."""

    id: str
    provider_id: str
    state: FilingState
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    attempt: int = 0
    approved_version: int | None = None
    filing_number: str | None = None
    sponsor_kind: str | None = None
    province: str | None = None
    person_document_hmac: str | None = None
    mobile_hmac: str | None = None
    draft_reminders: int = 0  # X4: expiry reminders sent for the draft as it stands


@dataclass(frozen=True)
class Step:
    """One entry of the filing's timeline: the state it entered (or kept), in which version, who, when, why."""

    state: str
    version: int
    actor: str
    at: datetime
    note: str | None = None
    reasons: list = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """What a transition decided: the filing after it, its new timeline steps, the events ``(type, data)``."""

    filing: Filing
    steps: tuple[Step, ...] = ()
    events: tuple[tuple[str, dict], ...] = ()


def _enter(filing: Filing, state: str, actor: str, at: datetime, note: str | None = None,
           reasons=None) -> tuple[Filing, Step]:
    moved = replace(filing, state=FilingState(state), updated_at=at)
    return moved, Step(state, moved.version, actor, at, note, list(reasons or []))


def new_draft(filing_id: str, provider_id: str, actor: str, at: datetime) -> Change:
    """P1: a sponsor starts a filing (version 1, a draft that may be incomplete)."""
    filing = Filing(filing_id, provider_id, FilingState.DRAFT, 1, actor, at, at)
    filing, step = _enter(filing, FilingState.DRAFT, actor, at, "draft created")
    return Change(filing, (step,))


def edited(filing: Filing, action: str, at: datetime) -> Filing:
    """P1, R1.8, W3: the draft's data, scans or acceptance changed; only an editable filing takes that."""
    ensure_state(action, filing.state, EDITABLE)
    return replace(filing, updated_at=at)


def submit(filing: Filing, actor: str, at: datetime, *, sponsor_kind: str, province: str, person_document_hmac: str,
           mobile_hmac: str) -> Change:
    """P1: a valid draft goes out: the next attempt, its lookups, and ``filing_submitted.v1`` — or
    ``filing_changed.v1`` for a change of an approved filing. The event's data here is its head; the use case
    adds the sealed filing data, the documents and the acceptance."""
    ensure_state("submit", filing.state, SUBMITTABLE)
    change = is_change(filing.state)
    filing = replace(filing, attempt=filing.attempt + 1, sponsor_kind=sponsor_kind, province=province,
                     person_document_hmac=person_document_hmac, mobile_hmac=mobile_hmac)
    filing, step = _enter(filing, FilingState.SUBMITTED, actor, at, "change submitted" if change else "submitted")
    head = {"filing_id": filing.id, "version": filing.version, "attempt": filing.attempt,
            "provider_id": filing.provider_id, "province": filing.province, "submitted_at": at.isoformat()}
    if change:
        head.update(filing_number=filing.filing_number, previous_version=filing.approved_version)
    return Change(filing, (step,), ((FILING_CHANGED if change else FILING_SUBMITTED, head),))


def start_change(filing: Filing, actor: str, at: datetime, action: str = "change") -> Change:
    """备案变更: an approved filing gets a new draft version (the use case copies the approved data into it)."""
    ensure_state(action, filing.state, {FilingState.APPROVED})
    filing, step = _enter(replace(filing, version=filing.version + 1), FilingState.CHANGE_DRAFT, actor, at,
                          f"change started from version {filing.approved_version}")
    return Change(filing, (step,))


def cancel(filing: Filing, actor: str, reason: str, at: datetime) -> Change:
    """注销: the filing ends; unless it was only a draft, ``filing_cancelled.v1`` lets the bureau retire its
    number."""
    ensure_state("cancel", filing.state, CANCELLABLE)
    was_draft = filing.state == FilingState.DRAFT
    filing, step = _enter(filing, FilingState.CANCELLED, actor, at, reason)
    if was_draft:
        return Change(filing, (step,))
    event = {"filing_id": filing.id, "provider_id": filing.provider_id, "province": filing.province,
             "filing_number": filing.filing_number, "reason": reason, "cancelled_at": at.isoformat(),
             "cancelled_by": actor}
    return Change(filing, (step,), ((FILING_CANCELLED, event),))


def cancel_sites(filing: Filing, actor: str, kind: str, domains: list[str], remaining: int, reason: str,
                 at: datetime) -> Change:
    """X1: 注销网站 (``kind`` ``website``) or 取消接入 (``access``) of some websites of an approved filing: the bureau
    is told (``website_cancelled.v1`` / ``access_cancelled.v1``); a filing left with no website (``remaining``)
    ends here (the bureau retires the sponsor's number when it has no website left anywhere)."""
    ensure_state(f"cancel the {kind} of", filing.state, {FilingState.APPROVED})
    note = f"{kind} cancelled for {', '.join(domains)}: {reason}"
    state = filing.state if remaining else FilingState.CANCELLED
    filing, step = _enter(filing, state, actor, at, note)
    event = {"filing_id": filing.id, "provider_id": filing.provider_id, "province": filing.province,
             "filing_number": filing.filing_number, "domains": domains, "reason": reason,
             "cancelled_at": at.isoformat(), "cancelled_by": actor}
    return Change(filing, (step,), ((WEBSITE_CANCELLED if kind == "website" else ACCESS_CANCELLED, event),))


def confirmed(filing: Filing, actor: str, at: datetime, note: str) -> Change:
    """A note on the timeline without a change of state (W5 data confirmed, W6 stock verified on site)."""
    filing, step = _enter(filing, filing.state, actor, at, note)
    return Change(filing, (step,))


def precheck_outcome(filing: Filing, data: dict, passed: bool, at: datetime) -> Change:
    """P2: the precheck outcome of the current submission; a failed filing becomes editable. An outcome for a
    superseded submission changes nothing (the timeline already moved on)."""
    if filing.state != FilingState.SUBMITTED or filing.version != data["version"]:
        return Change(filing)
    state = FilingState.PRECHECK_PASSED if passed else FilingState.PRECHECK_FAILED
    filing, step = _enter(filing, state, data["decided_by"], at, None, data["reasons"])
    return Change(filing, (step,))


def _corrected(count: int) -> str | None:
    return f"{count} field(s) corrected on site (P6)" if count else None


STEPS = {
    "window_expired": lambda d: ({FilingState.PRECHECK_PASSED}, FilingState.ONSITE_WINDOW_EXPIRED, "verification",
                                 f"nobody came for on-site verification by {d['closes_at'].isoformat()} (P3)"),
    "onsite_rejected": lambda d: (AWAITING_VERIFICATION, FilingState.ONSITE_REJECTED, d["decided_by"],
                                  "not accepted on site (P5)"),
    "onsite_verified": lambda d: (AWAITING_VERIFICATION, FilingState.ONSITE_VERIFIED, d["decided_by"],
                                  _corrected(d["corrections"])),
    "sent_to_bureau": lambda d: (AWAITING_VERIFICATION | {FilingState.ONSITE_VERIFIED},
                                 FilingState.IN_BUREAU_REVIEW, d["sent_by"], f"sent to the {d['province']} bureau"),
    "returned": lambda d: (AWAITING_BUREAU, FilingState.RETURNED_BY_BUREAU, d["returned_by"],
                           "returned by the bureau; the provider verifies again (P8)"),
}
"""The steps after pre-verification (P3–P8) by name: ``data -> (states it may find the filing in, the state it
enters, who, the note)``."""


def workflow_step(filing: Filing, step: str, data: dict, at: datetime) -> Change:
    """P3–P8 on the sponsor's timeline: the on-site window expired, the filing was rejected or verified on site,
    sent to the bureau, returned by it. An outcome for a filing that has moved on (another version, a later
    state) changes nothing."""
    allowed, state, actor, note = STEPS[step](data)
    if filing.state not in allowed or filing.version != data["version"]:
        return Change(filing)
    steps = []
    if step == "sent_to_bureau" and filing.state in AWAITING_VERIFICATION:
        # onsite_verified.v1 travels on a queue of its own and may arrive after the sending it preceded: the
        # sending implies it (same staff, same corrections), so the timeline keeps the step and the late event
        # then finds the filing moved on.
        filing, implied = _enter(filing, FilingState.ONSITE_VERIFIED, data["sent_by"], at,
                                 _corrected(len(data["corrections"])))
        steps.append(implied)
    filing, entered = _enter(filing, state, actor, at, note, data.get("reasons"))
    return Change(filing, (*steps, entered))


def approve(filing: Filing, data: dict, at: datetime) -> Change:
    """P8: the bureau issued the filing number (a cancelled filing stays cancelled)."""
    if filing.state == FilingState.CANCELLED:
        return Change(filing)
    filing = replace(filing, filing_number=data["filing_number"], approved_version=data["version"])
    filing, step = _enter(filing, FilingState.APPROVED, data["approved_by"], at,
                          f"filing number {data['filing_number']}")
    return Change(filing, (step,))


@dataclass(frozen=True)
class Scan:
    """An uploaded document scan (P5 keeps copies, W4 under retention); the bytes live in object storage."""

    id: str
    filing_id: str
    version: int
    kind: str
    bucket: str
    key: str
    version_id: str | None
    sha256: str
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: datetime
    reading: dict | None = None  # X7: what OCR read of an identity document (intake.domain.reading)

    def ref(self) -> dict:
        """The object reference events carry (design.md §1)."""
        return {"bucket": self.bucket, "key": self.key, "sha256": self.sha256, "content_type": self.content_type,
                "size": self.size, "version_id": self.version_id}


@dataclass(frozen=True)
class Acceptance:
    """W3: who accepted which clause text (by hash) for which version, and when."""

    filing_id: str
    version: int
    clause_sha256: str
    accepted_by: str
    accepted_at: datetime
