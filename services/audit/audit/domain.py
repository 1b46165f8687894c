"""The filing center's rules, pure (design.md §2): the hash-chained audit trail, the published check standards
and sampling rule (C3), the monthly stratified sample (C1), accuracy and filing rate (P10, C2).

Only the standard library and ``shared.kernel`` are used here; the bulk check of the stock (numpy) is in
``audit.bulk``.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources

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
