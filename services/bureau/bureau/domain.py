"""The bureau's pure rules (stdlib and shared.kernel only): review time, the review's lifecycle, website numbers,
inspection samples and scores, rectification orders (P8, B1, B2, A1). A transition takes the aggregate's state
and returns the new one (or raises :class:`NotAllowed`); the use cases load, decide here, save and emit."""

import hashlib
import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from shared.kernel.errors import InvalidValue
from shared.kernel.province_rules import shipped_province_rules

REVIEW_WORKING_DAYS = 20
"""P8: the bureau reviews within 20 working days of receipt."""

# The ``kind`` of icp_deadlines_open/_breached (deploy/monitoring): 20 or, where the province says so, 30 working days.
DEADLINE_KIND = "bureau_review_working_days"


class ReviewState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"
    SUPERSEDED = "superseded"  # a later submission of the same filing arrived
    CANCELLED = "cancelled"  # the sponsor cancelled the filing before a decision


OPEN_STATES = (ReviewState.PENDING,)


class NotAllowed(InvalidValue):
    """A transition the aggregate's current state does not allow (answered 409); ``field`` names what is in the
    way; ``params`` are the values its sentence names (shared/i18n)."""

    def __init__(self, field: str, code: str, message: str, rule: str, params: dict | None = None) -> None:
        super().__init__(code, message, rule)
        self.field, self.params = field, params


@dataclass(frozen=True)
class Decision:
    """A review's decision (P8): its new state, who decided and when, and a return's reasons."""

    state: ReviewState
    by: str
    at: datetime
    reasons: list = field(default_factory=list)


def is_newer(incoming: tuple[int, int], newest: tuple[int, int] | None) -> bool:
    """P8: a submission ``(version, submission)`` opens a review only if it is newer than every one received: the
    same submission under another event id, or an older one overtaken by a newer, adds nothing."""
    return newest is None or incoming > newest


def _require_pending(state: str, filing_number: str | None) -> None:
    if state != ReviewState.PENDING:
        detail = f" as {filing_number}" if filing_number else ""
        raise NotAllowed("state", "decided", f"The filing is already {state}{detail}.", "P8",
                         {"filing_number": filing_number or "—"})


def approve(state: str, filing_number: str | None, form_valid: bool, by: str, at: datetime) -> Decision:
    """P8: only a pending review is approved, and only if its form's seal checked out (P6)."""
    _require_pending(state, filing_number)
    if not form_valid:
        raise NotAllowed("evidence.form_bureau_copy", "form_not_valid",
                         "The verification form's seal did not check out: return the filing.", "P6")
    return Decision(ReviewState.APPROVED, by, at)


def return_review(state: str, filing_number: str | None, reasons: list[dict], by: str, at: datetime) -> Decision:
    """P8: a pending review goes back to the provider with field-level reasons (InvalidValue ``required``
    without)."""
    if not reasons:
        raise InvalidValue("required", "A return needs reasons: say which field and why.", "P8")
    _require_pending(state, filing_number)
    return Decision(ReviewState.RETURNED, by, at, list(reasons))


def cancel(state: str, by: str, at: datetime) -> Decision | None:
    """A filing cancelled (注销) during its review ends it; a decided review stays as decided (None)."""
    return Decision(ReviewState.CANCELLED, by, at) if state in OPEN_STATES else None


class DeadlineEvent(StrEnum):
    NEAR = "near"
    BREACHED = "breached"


def deadline_events(near_raised: bool, breached_raised: bool, near_at: datetime, deadline_at: datetime,
                    now: datetime) -> list[DeadlineEvent]:
    """P8: the deadline events an open review is due at ``now``: near from one working day before the deadline
    (while it is still ahead), breached from the deadline on; each once."""
    due = []
    if not near_raised and near_at <= now < deadline_at:
        due.append(DeadlineEvent.NEAR)
    if not breached_raised and now >= deadline_at:
        due.append(DeadlineEvent.BREACHED)
    return due


def review_working_days(province_abbr: str, configured: int | None = None) -> int:
    """P8: 20 working days, or the province's own longer time (its review period in the province rules, X3:
    Zhejiang 30); a configured value may lengthen it, never
    shorten it below the regulation (InvalidValue ``too_short``)."""
    days = shipped_province_rules().review_working_days(province_abbr) or REVIEW_WORKING_DAYS  # X3: 浙 30
    if configured is None:
        return days
    if configured < REVIEW_WORKING_DAYS:
        raise InvalidValue("too_short", f"The review time is at least {REVIEW_WORKING_DAYS} working days.", "P8")
    return configured


def website_numbers(sites: list[list[str]], kept: dict[str, int], highest_site: int) -> tuple[dict[str, int], int]:
    """P8, requirements §4: each website gets ``-k``. ``sites`` lists each website's ASCII domains; ``kept`` maps
    a domain to the ``k`` its website had before (a change, 备案变更): a website keeps its ``k`` if any of its
    domains had one, a new website gets the next ``k`` after ``highest_site`` (numbers are never reused).
    Returns ``({domain: k}, new highest k)``."""
    assigned: dict[str, int] = {}
    used: set[int] = set()
    for domains in sites:
        previous = sorted({kept[d] for d in domains if d in kept} - used)
        if previous:
            k = previous[0]
        else:
            highest_site += 1
            k = highest_site
        used.add(k)
        for domain in domains:
            assigned[domain] = k
    return assigned, highest_site


# --- X1, X9: the register and its public query ----------------------------------------------------------------------


def name_key(name: str) -> str:
    """X9: the form a unit's name is looked up by (exact, normalised): NFKC (full-width brackets and letters read as
    ASCII), inner runs of whitespace as one space, case-folded. ``北京示例（科技）有限公司 `` finds
    ``北京示例(科技)有限公司``; a part of a name finds nothing."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


PUBLIC_QUERY_WINDOW_SECONDS = 60
"""X9: the public query counts each client's queries per minute (the limit is a setting, 30 by default)."""


def window_start(now: datetime, seconds: int = PUBLIC_QUERY_WINDOW_SECONDS) -> datetime:
    """The fixed window ``now`` falls in (aligned on the epoch, so every replica computes the same one)."""
    stamp = now.timestamp()
    return datetime.fromtimestamp(stamp - stamp % seconds, tz=now.tzinfo)


def retry_after(hits: int, limit: int, start: datetime, now: datetime,
                seconds: int = PUBLIC_QUERY_WINDOW_SECONDS) -> int | None:
    """X9: None while ``hits`` (this one included) is within ``limit``; else the whole seconds until the window
    ends, at least 1 (the ``Retry-After`` of the 429)."""
    if hits <= limit:
        return None
    return max(1, math.ceil(seconds - (now - start).total_seconds()))


def register_state(filed_under: str | None, sponsor_number: str | None) -> str:
    """X1: how the register holds one domain for the sponsor asking (whose number is ``sponsor_number``):
    ``not_filed``, ``this_sponsor`` or ``another_sponsor``."""
    if filed_under is None:
        return "not_filed"
    return "this_sponsor" if filed_under == sponsor_number else "another_sponsor"


# --- B2: inspections ------------------------------------------------------------------------------------------------

AREAS = ("department", "procedure", "evidence")
"""B2: what an inspection examines: the verification department and its staff, the procedure followed, and the
retained evidence."""

DEDUCTIONS = {"minor": 2.0, "major": 10.0, "critical": 25.0}
"""Points a finding costs on a 100-point inspection score (bureau's scoring rules, published with B2)."""


@dataclass(frozen=True)
class Finding:
    area: str
    severity: str
    note: str
    filing_id: str | None = None

    def __post_init__(self) -> None:
        if self.area not in AREAS:
            raise InvalidValue("choice", f"A finding's area is one of {', '.join(AREAS)}.", "B2")
        if self.severity not in DEDUCTIONS:
            raise InvalidValue("choice", f"A finding's severity is one of {', '.join(DEDUCTIONS)}.", "B2")

    def to_dict(self) -> dict:
        return {"area": self.area, "severity": self.severity, "note": self.note, "filing_id": self.filing_id}


def inspection_score(findings: list[Finding]) -> float:
    """B2: 100 less each finding's deduction, at least 0."""
    return max(0.0, 100.0 - sum(DEDUCTIONS[f.severity] for f in findings))


def compliance_score(inspection_scores: list[float]) -> float | None:
    """B2: a provider's compliance score for a year is the mean of that year's inspection scores (None without
    inspections); it counts in the provider's licence review."""
    if not inspection_scores:
        return None
    return round(sum(inspection_scores) / len(inspection_scores), 2)


def select_sample(filing_ids: list[str], seed: str, size: int) -> list[str]:
    """B2: a random selection of a provider's filings to examine that anyone can reproduce from ``seed`` and the
    same filings: the ids are sorted first, so the order they were read in does not matter; the generator is
    seeded with SHA-256 of the seed (stable across Python versions, unlike ``hash()``)."""
    if size < 1:
        raise InvalidValue("range", "An inspection examines at least one filing.", "B2")
    population = sorted(set(filing_ids))
    generator = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big"))
    return sorted(generator.sample(population, min(size, len(population))))


# --- A1: penalties ----------------------------------------------------------------------------------------------------

PENALTY_KINDS = ("warning", "rectification_order", "fine")
"""A1: what a bureau may impose on a provider that did not verify face to face or submitted untrue information;
every kind orders correction within a time limit."""


class PenaltyState(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    CLOSED = "closed"


def penalty_overdue(state: str, rectify_by: datetime, now: datetime) -> PenaltyState | None:
    """A1: an open order whose rectification deadline passed goes overdue (once; None otherwise)."""
    return PenaltyState.OVERDUE if state == PenaltyState.OPEN and rectify_by <= now else None


def close_penalty(state: str) -> PenaltyState:
    """A1: the provider rectified: an open or overdue order is closed; a closed one cannot be closed again."""
    if state == PenaltyState.CLOSED:
        raise NotAllowed("penalty_id", "closed", "This rectification order is already closed.", "A1")
    return PenaltyState.CLOSED


def require_unrecorded(recorded_at: datetime | None) -> None:
    """B2: an inspection's findings are recorded once."""
    if recorded_at is not None:
        raise NotAllowed("inspection_id", "recorded", "This inspection's findings are already recorded.", "B2")


# --- X2: the MIIT SMS check -----------------------------------------------------------------------------------------

MIIT_CODE_HOURS = 24
"""X2: the responsible person enters the code within 24 hours of its sending (a resend starts the 24 hours anew)."""
MIIT_MAX_TRIES = 5
MIIT_MAX_RESENDS = 3
MIIT_REMIND_HOURS = 4
"""X4: the sponsor is reminded 4 hours before the code expires."""
MIIT_ID_TAIL = 6  # the last six characters of the responsible person's ID document


class MiitState(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    RETURNED = "returned"  # five wrong tries or expiry: the filing went back to the provider


class MiitOutcome(StrEnum):
    PASSED = "passed"
    WRONG = "wrong"
    TOO_MANY_TRIES = "too_many_tries"
    EXPIRED = "expired"


def miit_expiry(sent_at: datetime) -> datetime:
    return sent_at + timedelta(hours=MIIT_CODE_HOURS)


def miit_attempt(state: str | None, expires_at: datetime | None, tries: int, matches: bool,
                 now: datetime) -> MiitOutcome | None:
    """X2: one entry of the code with the ID tail (``matches``: both right). None: no check is pending (the
    caller answers exactly as for a wrong code). Past the expiry the check fails as expired; the fifth wrong
    entry fails it as too many tries."""
    if state != MiitState.PENDING:
        return None
    if now >= expires_at:
        return MiitOutcome.EXPIRED
    if matches:
        return MiitOutcome.PASSED
    return MiitOutcome.TOO_MANY_TRIES if tries + 1 >= MIIT_MAX_TRIES else MiitOutcome.WRONG


def miit_tries_left(tries: int) -> int:
    """X2: wrong entries left before the check fails (five in all)."""
    return max(0, MIIT_MAX_TRIES - tries)


def miit_resend(resends: int) -> int:
    """X2: at most three resends of a pending check (NotAllowed ``too_many_resends`` for a fourth)."""
    if resends >= MIIT_MAX_RESENDS:
        raise NotAllowed("resend", "too_many_resends", f"The code is sent again at most {MIIT_MAX_RESENDS} times.",
                         "X2", {"max": MIIT_MAX_RESENDS})
    return resends + 1


def miit_due(state: str | None, expires_at: datetime | None, reminded_at: datetime | None,
             now: datetime) -> MiitOutcome | str | None:
    """X2, X4: what the timer owes a check at ``now``: ``EXPIRED`` from its expiry, else ``"remind"`` once from
    four hours before it, else nothing."""
    if state != MiitState.PENDING:
        return None
    if now >= expires_at:
        return MiitOutcome.EXPIRED
    if reminded_at is None and now >= expires_at - timedelta(hours=MIIT_REMIND_HOURS):
        return "remind"
    return None


def require_miit_passed(state: str | None) -> None:
    """X2: the bureau reviews only filings whose MIIT check passed (None: received without the check)."""
    if state not in (None, MiitState.PASSED):
        raise NotAllowed("miit_check", "not_passed",
                         "The responsible person has not passed the MIIT SMS check yet.", "X2")


def miit_return_reason(outcome: MiitOutcome) -> dict:
    """X2: the reason a failed check returns the filing with (the existing return path, P8)."""
    message = ("The MIIT SMS code was entered wrongly five times." if outcome == MiitOutcome.TOO_MANY_TRIES
               else "The MIIT SMS code was not entered within 24 hours.")
    return {"field": "miit_check", "code": str(outcome), "message": message, "rule": "X2"}
