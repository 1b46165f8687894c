"""W1: the verification department's filing quality — each member's decisions, the decisions the bureau returned
or a finding contradicted, corrections and breached deadlines, counted per staff member. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Quality(StrEnum):
    """What a quality record counts (W1)."""

    PRECHECK_DECISION = "precheck_decision"
    ONSITE_DECISION = "onsite_decision"
    RETURNED = "returned"  # a decision the bureau later returned (P8)
    CONTRADICTED = "contradicted"  # a verified filing a filing-center finding later contradicted (P9)
    CORRECTION = "correction"  # a field corrected on site (P6)
    DEADLINE_BREACHED = "deadline_breached"  # P2's 5 working days, W6's plan deadline


STAFF_ROLES = ("precheck", "onsite_verifier", "supervisor")
"""W1: the roles of the verification department (those of ``shared.platform.auth.STAFF``)."""

QUALITY_COLUMNS = ("staff_id", "name", "roles", "supervisor_id", "active", "registered", "filings_handled",
                   "precheck_decisions", "onsite_decisions", "returned_by_bureau", "contradicted_by_findings",
                   "corrections", "deadlines_breached")
_COUNTED = {Quality.PRECHECK_DECISION: "precheck_decisions", Quality.ONSITE_DECISION: "onsite_decisions",
            Quality.RETURNED: "returned_by_bureau", Quality.CONTRADICTED: "contradicted_by_findings",
            Quality.CORRECTION: "corrections", Quality.DEADLINE_BREACHED: "deadlines_breached"}
_DECISIONS = (Quality.PRECHECK_DECISION, Quality.ONSITE_DECISION)


def staff_id_of(actor: str | None) -> str | None:
    """The staff member behind a recorded actor (``role:subject``, ``shared.platform.auth.Principal.actor``), or
    None for anything that is not a department member: automatic decisions (``precheck:auto:…``), timers,
    the bureau."""
    role, _, subject = (actor or "").partition(":")
    if role not in STAFF_ROLES or not subject or (role == "precheck" and subject.startswith("auto:")):
        return None
    return subject


@dataclass(frozen=True)
class Fact:
    """One quality record as the report reads it."""

    staff_id: str | None
    kind: str
    filing_id: str


def quality_report(staff: list[dict], facts: list[Fact]) -> tuple[list[dict], dict]:
    """W1: per staff member, the period's facts counted (columns :data:`QUALITY_COLUMNS`): every registered
    member (active or not, so that the year's leavers are assessed too) and every other actor that left a
    fact (``registered`` false: someone working without being in the department is itself a finding);
    ``filings_handled`` counts distinct filings decided. The second value counts the facts nobody owned."""
    rows = {m["staff_id"]: {**m, "registered": True} for m in staff}
    handled: dict[str, set[str]] = {}
    unassigned = dict.fromkeys(_COUNTED.values(), 0)
    for fact in facts:
        if fact.staff_id is None:
            unassigned[_COUNTED[Quality(fact.kind)]] += 1
            continue
        row = rows.setdefault(fact.staff_id, {"staff_id": fact.staff_id, "name": None, "roles": [],
                                              "supervisor_id": None, "active": False, "registered": False})
        column = _COUNTED[Quality(fact.kind)]
        row[column] = row.get(column, 0) + 1
        if fact.kind in _DECISIONS:
            handled.setdefault(fact.staff_id, set()).add(fact.filing_id)
    report = []
    for staff_id in sorted(rows):
        row = rows[staff_id]
        counts = {column: row.get(column, 0) for column in _COUNTED.values()}
        report.append({**{k: row[k] for k in QUALITY_COLUMNS[:6]},
                       "filings_handled": len(handled.get(staff_id, ())), **counts})
    return report, unassigned
