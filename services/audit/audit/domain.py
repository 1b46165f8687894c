"""The filing center's rules, pure (design.md §2): the hash-chained audit trail, the published check standards
and sampling rule (C3), the automatic ID check's verdict and its findings (P9), the monthly stratified sample and
its phone checks (C1), the bureaus' penalties as the summary follows them (C4), accuracy and filing rate (P10, C2).

Each lifecycle is a function from the current state to the new one (and what it raises), on the frozen objects
below; ``audit.repository`` stores them.

Only the standard library and ``shared.kernel`` are used here; the bulk check of the stock (numpy) is in
``audit.bulk``.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from importlib import resources

from shared.kernel.errors import InvalidValue

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first trail entry."""

TRAIL_RULE = "P9"


# --- audit trail ----------------------------------------------------------------------------------------------


def canonical_json(value) -> str:
    """The one byte-exact spelling hashed for an entry: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, seq: int, event_id: str, event_type: str, source: str, correlation_id: str,
               occurred_at: str, body: dict) -> str:
    """SHA-256 over the previous entry's hash and this entry's every stored field: changing, removing or reordering
    any entry changes the hash of every entry after it."""
    material = canonical_json([prev_hash, seq, event_id, event_type, source, correlation_id, occurred_at, body])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TrailEntry:
    seq: int
    event_id: str
    event_type: str
    source: str
    correlation_id: str
    occurred_at: str
    body: dict
    prev_hash: str
    entry_hash: str


def chain_after(tip: tuple[int, str] | None, event_id: str, event_type: str, source: str, correlation_id: str,
                occurred_at: str, body: dict) -> TrailEntry:
    """P9: the entry that appends an event to the chain whose last entry is ``tip`` (``(seq, entry_hash)``, None
    for an empty trail): the next ``seq``, linked to the tip's hash."""
    seq, prev = (tip[0] + 1, tip[1]) if tip else (1, GENESIS_HASH)
    return TrailEntry(seq, event_id, event_type, source, correlation_id, occurred_at, body, prev,
                      entry_hash(prev, seq, event_id, event_type, source, correlation_id, occurred_at, body))


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain first fails: the entry and what is wrong with it."""

    seq: int
    event_id: str
    problem: str  # "hash_mismatch" (the entry was changed) or "prev_mismatch" (an entry before it went missing)

    def to_dict(self) -> dict:
        return {"seq": self.seq, "event_id": self.event_id, "problem": self.problem}


def verify_chain(entries: Iterable[TrailEntry]) -> tuple[int, ChainBreak | None]:
    """``(entries checked, first break or None)``, walking ``entries`` in ``seq`` order."""
    prev = GENESIS_HASH
    checked = 0
    for entry in entries:
        checked += 1
        if entry.prev_hash != prev:
            return checked, ChainBreak(entry.seq, entry.event_id, "prev_mismatch")
        expected = entry_hash(entry.prev_hash, entry.seq, entry.event_id, entry.event_type, entry.source,
                              entry.correlation_id, entry.occurred_at, entry.body)
        if expected != entry.entry_hash:
            return checked, ChainBreak(entry.seq, entry.event_id, "hash_mismatch")
        prev = entry.entry_hash
    return checked, None


# --- rules (C3) -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleTier:
    up_to: int | None  # stratum sizes up to this (None: any larger)
    take: int | None  # a fixed number (None with percent, or "all" as take=None, percent=None)
    percent: float | None

    def size(self, population: int) -> int:
        if self.take is None and self.percent is None:
            return population
        if self.percent is not None:
            return min(population, max(1, math.ceil(population * self.percent / 100)))
        return min(population, self.take)


@dataclass(frozen=True)
class Rules:
    """The published check standards (C3): every check result and sample records ``version``."""

    version: str
    tiers: tuple[SampleTier, ...]
    phone_results: tuple[str, ...]
    document: dict

    @classmethod
    def parse(cls, data: dict) -> Rules:
        tiers = []
        for tier in data["sampling"]["tiers"]:
            take = tier.get("take")
            tiers.append(SampleTier(tier.get("up_to"), None if take in (None, "all") else int(take),
                                    tier.get("percent")))
        if tiers[-1].up_to is not None:
            raise ValueError("the last sampling tier must cover any stratum size (up_to null)")
        return cls(str(data["version"]), tuple(tiers), tuple(data["phone_results"]), data)

    def sample_size(self, population: int) -> int:
        """C1: how many of a stratum of ``population`` new filings are sampled (e.g. 1 -> all, 2–49 -> 2,
        50–100 -> 3, more -> 3 %, rounded up)."""
        if population <= 0:
            return 0
        for tier in self.tiers:
            if tier.up_to is None or population <= tier.up_to:
                return tier.size(population)
        raise AssertionError("unreachable: the last tier is open")


def shipped_rules(version: str = "2026.1") -> Rules:
    text = resources.files("audit.rules").joinpath(f"{version}.json").read_text(encoding="utf-8")
    return Rules.parse(json.loads(text))


# --- monthly sample (C1) --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    key: str  # a stable identifier (the filing id)
    province: str
    provider_id: str


def draw_sample(candidates: Sequence[Candidate], rules: Rules, seed: int) -> list[tuple[Candidate, str]]:
    """C1: a stratified random sample of the month's new filings, reproducible from ``seed``.

    Strata are (province, provider): each gets ``rules.sample_size(stratum size)`` filings, drawn with a
    ``random.Random`` seeded from ``seed`` and the stratum's name, over candidates sorted by key, so the same
    candidates, rules and seed always give the same sample whatever order they are read in. Returns
    ``(candidate, stratum)`` pairs.
    """
    strata: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        strata.setdefault(f"{candidate.province}|{candidate.provider_id}", []).append(candidate)
    chosen: list[tuple[Candidate, str]] = []
    for stratum in sorted(strata):
        members = sorted(strata[stratum], key=lambda c: c.key)
        rng = random.Random(f"{seed}|{rules.version}|{stratum}")
        picked = rng.sample(members, rules.sample_size(len(members)))
        chosen += [(candidate, stratum) for candidate in sorted(picked, key=lambda c: c.key)]
    return chosen


def month_bounds(month: str) -> tuple[date, date]:
    """``"2026-11"`` -> (first day, first day of the next month)."""
    start = datetime.strptime(month, "%Y-%m").date()
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, end


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """``"2026Q4"`` -> (first day, first day of the next quarter)."""
    year, q = int(quarter[:4]), int(quarter[-1])
    if quarter[4:5].upper() != "Q" or not 1 <= q <= 4 or len(quarter) != 6:
        raise ValueError("a quarter looks like 2026Q4")
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1)
    return start, end


# --- accuracy and filing rate (P10, C2) -----------------------------------------------------------------------


def ratio(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places; None when there is nothing to divide by (not 0 %, not 100 %)."""
    return round(part / whole, 4) if whole else None


# --- the stock and its checks (P9) ----------------------------------------------------------------------------

ID_CHECK = "id_check"
SPOT_CHECK = "spot_check"

AUTHORITY_MESSAGES = {
    "not_found": "Public security does not know this ID number.",
    "mismatch": "Public security does not know this name with this ID number.",
    "invalid": "Public security reports the ID card as not valid.",
}


@dataclass(frozen=True)
class StockFiling:
    """An approved filing as the filing center keeps it: its responsible person's ID number sealed
    (``id_sealed``), name and mobile as tokens, the lookup HMAC; ``pk`` once stored."""

    filing_id: str
    version: int
    filing_number: str
    provider_id: str
    province: str
    sponsor_kind: str
    unit_type: str | None
    approved_at: datetime
    document_type: str
    id_key_version: int
    id_sealed: bytes
    id_hmac: str
    name_token: str
    mobile_token: str
    sites: list
    pk: int | None = None


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check of one stored filing, with the rules version it applied (C3)."""

    stock_pk: int
    check: str
    outcome: str  # "pass", "fail" or "unavailable"
    codes: str  # reason codes, comma separated
    rules_version: str
    checked_at: datetime


@dataclass(frozen=True)
class IdVerdict:
    """The automatic ID check's outcome (``pass``, ``fail`` or ``unavailable``) and the reasons of a failure."""

    outcome: str
    reasons: list[dict]


def id_verdict(document_reasons: list[dict], authority: str | None) -> IdVerdict:
    """P9: the automatic ID check's verdict from the document's validity (``document_reasons``, by the rules in
    force) and public security's answer (``authority``: an ``Outcome`` value; None when it was not asked, as for a
    document that is not a resident ID card or already failed). An unavailable source is ``unavailable``: never a
    pass, never a finding, left for the next batch run."""
    if document_reasons:
        return IdVerdict("fail", document_reasons)
    if authority is None or authority == "match":
        return IdVerdict("pass", [])
    if authority == "unavailable":
        return IdVerdict("unavailable", [])
    return IdVerdict("fail", [{"field": "responsible_person.document_number", "code": f"authority_{authority}",
                               "message": AUTHORITY_MESSAGES[authority], "rule": "P9"}])


@dataclass(frozen=True)
class Finding:
    """An ``audit_finding_raised.v1``: at most one per filing version, check and rules version."""

    id: str
    filing_id: str
    version: int
    provider_id: str
    province: str
    check: str
    rules_version: str
    reasons: list
    raised_at: datetime

    def event_data(self, filing_number: str) -> dict:
        return {"finding_id": self.id, "filing_id": self.filing_id, "filing_number": filing_number,
                "provider_id": self.provider_id, "province": self.province, "check": self.check,
                "rules_version": self.rules_version, "reasons": self.reasons, "raised_at": self.raised_at.isoformat()}


# --- monthly samples and phone checks (C1) --------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    id: str
    month: str
    seed: int
    rules_version: str
    population: int
    size: int
    drawn_by: str
    drawn_at: datetime


@dataclass(frozen=True)
class SampleItem:
    """A sampled filing and the auditor's phone check of it; ``id`` once stored."""

    sample_id: str
    stock_pk: int
    stratum: str
    rules_version: str
    phone_result: str | None = None
    checked_by: str | None = None
    checked_at: datetime | None = None
    id: int | None = None


class PhoneResultConflict(InvalidValue):
    """Another phone-check result is recorded for the item already."""


@dataclass(frozen=True)
class PhoneCheck:
    """A phone check recorded: the item's new state, its check result's outcome and codes, and the reasons of the
    finding it raises (empty when the sponsor confirmed)."""

    item: SampleItem
    outcome: str
    codes: str
    reasons: list[dict] = field(default_factory=list)


def check_phone_result(result: str, rules: Rules) -> None:
    """C1: ``InvalidValue`` unless the published rules list ``result`` as a phone check's result."""
    if result not in rules.phone_results:
        raise InvalidValue("one_of", f"One of {', '.join(rules.phone_results)}.", "C1")


def record_phone_check(item: SampleItem, result: str, actor: str, at: datetime,
                       rules: Rules) -> PhoneCheck | None:
    """C1: an auditor phoned the sponsor of a sampled filing. A result the rules do not list is ``InvalidValue``;
    the result recorded already changes nothing (None); another result is a :class:`PhoneResultConflict`. A result
    other than ``confirmed`` fails the spot check with reasons for a finding."""
    check_phone_result(result, rules)
    if item.phone_result is not None:
        if item.phone_result != result:
            raise PhoneResultConflict("already_recorded", "A different result is recorded already.", "C1")
        return None
    checked = replace(item, phone_result=result, checked_by=actor, checked_at=at)
    if result == "confirmed":
        return PhoneCheck(checked, "pass", "")
    return PhoneCheck(checked, "fail", f"phone_{result}", [{
        "field": "contacts.mobile", "code": f"phone_{result}",
        "message": f"The filing center's phone check of the sponsor gave: {result}.", "rule": "C1"}])


# --- the bureaus' penalties (C4) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Penalty:
    """A bureau's penalty (A1) as the summary follows it: issued, then closed or overdue."""

    penalty_id: str
    provider_id: str
    province: str
    kind: str
    rule: str
    issued_at: datetime
    rectify_by: datetime
    closed_at: datetime | None = None
    overdue_at: datetime | None = None


def follow_up(penalty: Penalty, step: str, at: datetime) -> Penalty:
    """C4: the penalty ``closed`` or ``overdue`` (``step``) at ``at``."""
    return replace(penalty, **{f"{step}_at": at})
