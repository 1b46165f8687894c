"""Pure rules of pre-verification (P2): the versioned rulebook (C3), the deadline of
5 working days, and how a case moves from submission to pass or fail (one-time codes: ``precheck.codes``).

A filing here is the unsealed ``data`` of ``filing_submitted.v1`` (plain dict). Nothing here does I/O.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from importlib import resources

from shared.contracts.errors import FieldError
from shared.kernel.contacts import validate_email, validate_landline, validate_mobile, validate_postal_address
from shared.kernel.documents import (
    SponsorKind,
    require_same_person,
    validate_person_document,
    validate_unit_document,
)
from shared.kernel.errors import InvalidValue

PRECHECK_WORKING_DAYS = 5  # P2: pre-verification finishes within 5 working days of submission
DEADLINE_KIND = "precheck_5_working_days"  # the ``kind`` of icp_deadlines_open/_breached (deploy/monitoring)



class CaseState(StrEnum):
    AWAITING_CONTACTS = "awaiting_contacts"
    NEEDS_REVIEW = "needs_review"
    PASSED = "passed"
    FAILED = "failed"
    SUPERSEDED = "superseded"


OPEN_STATES = (CaseState.AWAITING_CONTACTS, CaseState.NEEDS_REVIEW)


class Severity(StrEnum):
    FAIL = "fail"
    REVIEW = "review"


@dataclass(frozen=True)
class Rule:
    id: str
    requirement: str
    severity: Severity
    check: str
    text: str
    params: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Rulebook:
    """The check standards in force (C3): data, versioned, and every finding names its version."""

    version: str
    rules: tuple[Rule, ...]

    @classmethod
    def parse(cls, obj: dict) -> "Rulebook":
        rules = tuple(
            Rule(r["id"], r["requirement"], Severity(r["severity"]), r["check"], r["text"], r.get("params", {}))
            for r in obj["rules"]
        )
        unknown = {r.check for r in rules} - set(_CHECKS)
        if unknown:
            raise ValueError(f"rulebook {obj['version']} uses unknown checks {sorted(unknown)}")
        return cls(obj["version"], rules)

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "rules": [
                {
                    "id": r.id,
                    "requirement": r.requirement,
                    "severity": r.severity.value,
                    "check": r.check,
                    "text": r.text,
                    "params": r.params,
                }
                for r in self.rules
            ],
        }


CURRENT_RULEBOOK = "2026.2"
"""The rulebook precheck applies unless ``PRECHECK_RULEBOOK`` says otherwise: 2026.1 and the scans' comparison (X7)."""


@cache
def shipped_rulebook(version: str = CURRENT_RULEBOOK) -> Rulebook:
    text = resources.files("precheck.rulebooks").joinpath(f"{version}.json").read_text(encoding="utf-8")
    return Rulebook.parse(json.loads(text))


@dataclass(frozen=True)
class Finding:
    """One problem found: the field, why, the rule that found it and the rulebook version (C3)."""

    field: str
    code: str
    message: str
    rule: str
    requirement: str
    severity: Severity
    rulebook_version: str
    details: dict | None = None  # X7: what was entered, what the scan says, the confidence
    params: dict | None = None  # X3: the province and the source its sentence cites

    def reason(self) -> dict:
        """The ``{field, code, message, rule}`` a sponsor sees; ``rule`` names rule and rulebook version."""
        return FieldError(self.field, self.code, self.message, f"{self.rule}@{self.rulebook_version}",
                          self.params).to_dict()

    def to_dict(self) -> dict:
        details = {"details": self.details} if self.details else {}
        return {**self.reason(), "requirement": self.requirement, "severity": self.severity.value, **details}


@dataclass(frozen=True)
class Context:
    """Facts from outside the filing that rules need: the day it was submitted (Beijing), which ID numbers are
    judged on, and whether another sponsor uses the mobile."""

    today: date
    mobile_used_by_other_sponsor: bool = False
    scan_differences: tuple = ()  # X7: what the scans say against what was entered (precheck.readings)


def run_rulebook(book: Rulebook, data: dict, context: Context) -> list[Finding]:
    """Apply every rule of ``book`` to the filing ``data``; findings name their rule and the book's version."""
    findings: list[Finding] = []
    for rule in book.rules:
        for fld, code, message, *details in _CHECKS[rule.check](data, context, rule.params):
            findings.append(Finding(fld, code, message, rule.id, rule.requirement, rule.severity, book.version,
                                    *details))
    return findings


def _catch(fld: str, fn, *args) -> list[tuple[str, str, str]]:
    try:
        fn(*args)
    except InvalidValue as exc:
        return [(fld, exc.code, exc.message)]
    return []


def _unit_document(data, context, _params):
    sponsor = data["sponsor"]
    if sponsor["kind"] != SponsorKind.unit:
        return []
    return _catch(
        "sponsor.document_number",
        validate_unit_document,
        sponsor.get("unit_type") or "",
        sponsor["document_type"],
        sponsor["document_number"],
    )


def _person_document(data, context, _params):
    person = data["responsible_person"]
    return _catch(
        "responsible_person.document_number",
        validate_person_document,
        person["document_type"],
        person["document_number"],
        context.today,
    )


def _individual_document(data, context, _params):
    sponsor = data["sponsor"]
    if sponsor["kind"] != SponsorKind.individual:
        return []
    return _catch(
        "sponsor.document_number",
        validate_person_document,
        sponsor["document_type"],
        sponsor["document_number"],
        context.today,
    )


def _same_person(data, context, _params):
    sponsor, person = data["sponsor"], data["responsible_person"]
    if sponsor["kind"] != SponsorKind.individual:
        return []
    found = _catch(
        "responsible_person.document_number",
        require_same_person,
        sponsor["document_type"],
        sponsor["document_number"],
        person["document_type"],
        person["document_number"],
    )
    if _fold(sponsor["name"]) != _fold(person["name"]):
        found.append(("responsible_person.name", "not_sponsor", "The responsible person's name is not the sponsor's."))
    return found


def _contacts(data, context, _params):
    contacts, kind = data["contacts"], data["sponsor"]["kind"]
    found = []
    required = (("mobile", validate_mobile), ("email", validate_email), ("postal_address", validate_postal_address))
    for key, fn in required:
        if not contacts.get(key):
            found.append((f"contacts.{key}", "required", "This contact is required."))
        else:
            found += _catch(f"contacts.{key}", fn, contacts[key])
    phones = [k for k in ("office_phone", "home_phone") if contacts.get(k)]
    if kind == SponsorKind.unit and "office_phone" not in phones:
        found.append(("contacts.office_phone", "required", "A unit gives the responsible person's office phone."))
    if kind == SponsorKind.individual and not phones:
        found.append(("contacts.office_phone", "required", "An individual gives an office phone or a home phone."))
    for key in phones:
        found += _catch(f"contacts.{key}", validate_landline, contacts[key])
    return found


def _mobile_shared(data, context, _params):
    if context.mobile_used_by_other_sponsor:
        return [("contacts.mobile", "shared_mobile", "This mobile number is already used by a different sponsor.")]
    return []


_HAN_NAME = re.compile(r"^[\u4e00-\u9fff]+(·[\u4e00-\u9fff]+)*$")
_LATIN_NAME = re.compile(r"^[A-Za-z]+([ '\-.][A-Za-z]+)+$")


def _full_person_name(data, context, params):
    found = []
    people = [("responsible_person.name", data["responsible_person"])]
    if data["sponsor"]["kind"] == SponsorKind.individual:
        people.append(("sponsor.name", data["sponsor"]))
    for fld, person in people:
        name = unicodedata.normalize("NFKC", person["name"]).strip().replace("•", "·").replace("・", "·")
        latin_allowed = person["document_type"] == "passport"
        well_formed = _HAN_NAME.match(name) or (latin_allowed and _LATIN_NAME.match(name))
        if not (params["min_length"] <= len(name) <= params["max_length"]) or not well_formed:
            found.append((fld, "not_full_name", "Enter the full legal name exactly as on the document."))
    return found


def _full_unit_name(data, context, params):
    sponsor = data["sponsor"]
    if sponsor["kind"] != SponsorKind.unit:
        return []
    name = "".join(unicodedata.normalize("NFKC", sponsor["name"]).split())
    if len(name) < params["min_length"] or name in params["suffixes_not_alone"]:
        return [("sponsor.name", "not_full_name", "Enter the unit's full registered name, as on its certificate.")]
    return []


def _website_name(data, context, params):
    found = []
    individual = data["sponsor"]["kind"] == SponsorKind.individual
    for i, site in enumerate(data["websites"]):
        fld = f"websites.{i}.name"
        name = unicodedata.normalize("NFKC", site["name"]).strip()
        lowered = name.lower()
        domains = {d["ascii"] for d in site["domains"]} | {d["unicode"] for d in site["domains"]}
        if not (params["min_length"] <= len(name) <= params["max_length"]):
            length = f"{params['min_length']}–{params['max_length']}"
            found.append((fld, "length", f"A website name has {length} characters."))
        elif "://" in name or lowered in domains or re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", lowered):
            found.append((fld, "domain_as_name", "A website name describes the site; it is not its domain or URL."))
        elif lowered in params["generic"]:
            found.append((fld, "generic_name", "A website name must say what the site is, not a generic word."))
        elif individual and any(word in name for word in params["individual_forbidden"]):
            message = "An individual's website name may not suggest a state body, an enterprise or a public service."
            found.append((fld, "not_for_individuals", message))
    return found


_CHECKS = {
    "unit_document": _unit_document,
    "person_document": _person_document,
    "individual_document": _individual_document,
    "same_person": _same_person,
    "contacts": _contacts,
    "mobile_shared": _mobile_shared,
    "full_person_name": _full_person_name,
    "full_unit_name": _full_unit_name,
    "website_name": _website_name,
    "scan_readings": lambda data, context, _params: list(context.scan_differences),
}


def _fold(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def provisional_deadline_note(years: list[int]) -> str:
    """What the sponsor and staff read beside a provisional P2 deadline: the ``years`` whose State Council
    holiday schedule is not loaded yet, so the deadline is an estimate that may move."""
    listed = "、".join(f"{year}年" for year in years)
    return (f"此期限为暂定：{listed}的国务院节假日安排尚未载入，期限暂按固定假日估算，"
            "安排公布并载入后可能调整。")


def sponsor_key(data: dict) -> str:
    """What identifies a sponsor across filings: its kind, document type and document number."""
    sponsor = data["sponsor"]
    return f"{sponsor['kind']}:{sponsor['document_type']}:{_fold(sponsor['document_number'])}"


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.FAIL]


def state_after_checks(findings: list[Finding]) -> CaseState:
    """A filing with a failing finding fails at once (no need to confirm contacts of a filing that must be
    corrected); otherwise its contacts are confirmed first (P2)."""
    return CaseState.FAILED if blocking(findings) else CaseState.AWAITING_CONTACTS


# --- the case's lifecycle (P2, W1): each transition returns the new state and what to announce ---------------


class Announce(StrEnum):
    """What a transition announces; the use case publishes the matching event."""

    PASSED = "passed"
    FAILED = "failed"
    DEADLINE_NEAR = "deadline_near"
    DEADLINE_BREACHED = "deadline_breached"


class CaseRefused(Exception):
    """A transition the case's state does not allow: ``kind`` is ``conflict`` (the state) or ``invalid`` (the
    request), ``field``/``code``/``message``/``rule`` say why, as a field error does."""

    def __init__(self, kind: str, field: str, code: str, message: str, rule: str):
        super().__init__(message)
        self.kind, self.field, self.code, self.message, self.rule = kind, field, code, message, rule


def superseded(state: CaseState) -> CaseState:
    """A resubmission of the filing supersedes its open case; a decided case stays as decided."""
    return CaseState.SUPERSEDED if state in OPEN_STATES else state


def contacts_confirmed(state: CaseState, confirmed: list[bool], findings: list[dict],
                       auto_pass: bool) -> tuple[CaseState, tuple[Announce, ...]]:
    """Once every contact is confirmed: a clean filing passes automatically where the provider allows it;
    anything else goes to staff (P2). Before that, or in another state, nothing changes."""
    if state != CaseState.AWAITING_CONTACTS or not all(confirmed):
        return state, ()
    if auto_pass and not findings:
        return CaseState.PASSED, (Announce.PASSED,)
    return CaseState.NEEDS_REVIEW, ()


def _require_review(state: CaseState) -> None:
    if state != CaseState.NEEDS_REVIEW:
        raise CaseRefused("conflict", "state", "conflict", f"The filing is {state}, not in review.", "P2")


def claim(state: CaseState, claimed_by: str | None, actor: str) -> str:
    """W1: staff claim a case in review that nobody else claimed; the claimer."""
    _require_review(state)
    if claimed_by and claimed_by != actor:
        raise CaseRefused("conflict", "filing_id", "claimed", f"Already claimed by {claimed_by}.", "W1")
    return actor


def staff_decision(state: CaseState, claimed_by: str | None, actor: str, decision: str,
                   reasons: list[dict]) -> tuple[CaseState, tuple[Announce, ...]]:
    """Staff pass or fail a case in review that they claimed (W1); a fail needs field-level reasons (P2)."""
    _require_review(state)
    if claimed_by != actor:
        raise CaseRefused("conflict", "filing_id", "not_claimed", "Claim the filing before deciding it.", "W1")
    if decision == "fail" and not reasons:
        raise CaseRefused("invalid", "reasons", "required", "A fail needs reasons: say which field and why.", "P2")
    return decided(decision == "pass")


def decided(passed: bool) -> tuple[CaseState, tuple[Announce, ...]]:
    return (CaseState.PASSED, (Announce.PASSED,)) if passed else (CaseState.FAILED, (Announce.FAILED,))


def deadline_due(near_raised: bool, breached_raised: bool, near_at: datetime, deadline_at: datetime,
                 now: datetime) -> tuple[Announce, ...]:
    """P2's deadline events due ``now`` for an open case: near one working day before (if not already past),
    breached after; each once."""
    due = ()
    if not near_raised and near_at <= now < deadline_at:
        due += (Announce.DEADLINE_NEAR,)
    if not breached_raised and now >= deadline_at:
        due += (Announce.DEADLINE_BREACHED,)
    return due
