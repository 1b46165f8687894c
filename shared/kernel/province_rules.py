"""X3: the provinces' own filing rules, as versioned data (``shared/kernel/data/province-rules-<version>.json``).

Each entry is one rule of one province's communications bureau: what it checks (``check``), for which sponsors
(``applies_to``: ``unit``, ``individual`` or ``all``), its ``params``, its ``severity`` (as precheck's rulebook:
``fail`` or ``review``), the day it took effect and the source it is taken from (a key of ``sources``, each a
title and a URL). A province without entries has the national rules only. The file is read and validated once
(:func:`shipped_province_rules`); a malformed file fails at import of the first caller, never mid-request.

The same entries are applied while the sponsor fills in the form (intake's draft ``problems``), again at
pre-verification (precheck's findings), and the review periods give the bureau its per-province review time.
Each problem is ``(field, code, message, rule, severity, params)``: ``rule`` is ``<id>@provinces-<version>``
and ``params`` name the province and the source, so the sentence a person reads cites the rule (shared/i18n).
Nothing here does I/O after loading.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources

from shared.kernel.provinces import province_by_abbr

REQUIREMENT = "X3"
CURRENT_VERSION = "2026.1"
APPLIES_TO = ("unit", "individual", "all")
SEVERITIES = ("fail", "review")
# check -> the params it needs (validated at load)
CHECKS = {
    "review_period": ("working_days",),
    "legal_representative": (),
    "minimum_age": ("years",),
    "domains_per_website": ("limit",),
    "domain_suffix": ("forbidden",),
    "local_phone": ("area_codes",),
    "document_in_province": (),
    "no_prior_approval": (),
}
RESIDENT_IDS = ("resident_id", "household_register")  # the 18-digit citizen number: region and birth date


@dataclass(frozen=True)
class ProvinceRule:
    id: str
    province: str  # one-character abbreviation (shared.kernel.provinces)
    check: str
    applies_to: str
    severity: str
    effective_from: date
    source_title: str
    source_url: str
    text: str
    params: dict = field(default_factory=dict, hash=False, compare=False)

    def to_dict(self) -> dict:
        return {"id": self.id, "province": self.province, "check": self.check, "applies_to": self.applies_to,
                "severity": self.severity, "effective_from": self.effective_from.isoformat(),
                "source": {"title": self.source_title, "url": self.source_url}, "text": self.text,
                "params": self.params}


@dataclass(frozen=True)
class Problem:
    """One breach of a province rule, shaped like a field error plus the rule's severity."""

    field: str
    code: str
    message: str
    rule: str
    severity: str
    params: dict


@dataclass(frozen=True)
class ProvinceRules:
    version: str
    published: date
    rules: tuple[ProvinceRule, ...]

    @classmethod
    def parse(cls, obj: dict) -> "ProvinceRules":
        """The rules of ``obj`` (the JSON file's content), or ValueError naming the first entry that is wrong:
        unknown province, check, audience or severity, a missing param, an unknown source, a bad date or a
        repeated id."""
        sources, rules, seen = obj["sources"], [], set()
        for entry in obj["rules"]:
            rid = entry.get("id") or "?"
            source = sources.get(entry.get("source"))
            check = entry.get("check")
            problems = [
                rid in seen and "repeated id",
                check not in CHECKS and f"unknown check {check!r}",
                entry.get("applies_to") not in APPLIES_TO and "applies_to is unit, individual or all",
                entry.get("severity") not in SEVERITIES and "severity is fail or review",
                not (source and source.get("title") and source.get("url")) and "source needs a title and a url",
                not (entry.get("text") or "").strip() and "text is required",
                *(f"missing param {p!r}" for p in CHECKS.get(check, ()) if p not in (entry.get("params") or {})),
            ]
            if any(problems):
                raise ValueError(f"province rules {obj['version']}, {rid}: {next(p for p in problems if p)}")
            province_by_abbr(entry["province"])  # InvalidValue for a province that does not exist
            seen.add(rid)
            rules.append(ProvinceRule(rid, entry["province"], check, entry["applies_to"], entry["severity"],
                                      date.fromisoformat(entry["effective_from"]), source["title"], source["url"],
                                      entry["text"], entry.get("params") or {}))
        return cls(obj["version"], date.fromisoformat(obj["published"]), tuple(rules))

    @property
    def label(self) -> str:
        """What a finding names as the version of the rules it comes from."""
        return f"provinces-{self.version}"

    def in_force(self, province: str, on: date | None = None) -> list[ProvinceRule]:
        """The province's rules in force ``on`` (every rule listed when ``on`` is None)."""
        return [r for r in self.rules if r.province == province and (on is None or r.effective_from <= on)]

    def review_working_days(self, province: str, on: date | None = None) -> int | None:
        """P8 as the province sets it: its review time in working days, None for the national one."""
        days = [r.params["working_days"] for r in self.in_force(province, on) if r.check == "review_period"]
        return max(days) if days else None

    def to_dict(self) -> dict:
        return {"version": self.version, "published": self.published.isoformat(),
                "rules": [r.to_dict() for r in self.rules]}


@cache
def shipped_province_rules(version: str = CURRENT_VERSION) -> ProvinceRules:
    name = f"province-rules-{version}.json"
    text = resources.files("shared.kernel.data").joinpath(name).read_text(encoding="utf-8")
    return ProvinceRules.parse(json.loads(text))


def check_filing(rules: ProvinceRules, data: dict, today: date) -> list[Problem]:
    """Every breach of the sponsor's province's rules in force ``today`` by the filing ``data`` (a draft may
    be partial: what is missing is the national rules' to report, not these)."""
    sponsor = data.get("sponsor") or {}
    kind = sponsor.get("kind")
    found = []
    for rule in rules.in_force(sponsor.get("province") or "", today):
        if rule.applies_to not in ("all", kind):
            continue
        province = province_by_abbr(rule.province).name
        for fld, code, message, extra in _CHECKS[rule.check](data, today, rule.params):
            params = {"province": province, "source": rule.source_title, **extra}
            found.append(Problem(fld, code, message, f"{rule.id}@{rules.label}", rule.severity, params))
    return found


def _legal_representative(data, _today, _params):
    if (data.get("responsible_person") or {}).get("role") in (None, "", "legal_representative"):
        return []
    return [("responsible_person.role", "province_legal_representative",
             "This province requires the legal representative as the responsible person.", {})]


def _birth_date(person: dict) -> date | None:
    number = (person.get("document_number") or "").strip().upper()
    if person.get("document_type") not in RESIDENT_IDS or not re.fullmatch(r"\d{17}[\dX]", number):
        return None
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None  # a wrong birth date is the national document rule's to report


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _minimum_age(data, today, params):
    found, judged = [], set()
    people = [("responsible_person", data.get("responsible_person") or {})]
    if (data.get("sponsor") or {}).get("kind") == "individual":
        people.append(("sponsor", data.get("sponsor") or {}))
    for prefix, person in people:
        born = _birth_date(person)
        if born and born not in judged and _age(born, today) < params["years"]:
            judged.add(born)  # an individual is their own responsible person: said once
            found.append((f"{prefix}.document_number", "province_minimum_age",
                          f"This province requires the person to be at least {params['years']}.",
                          {"years": params["years"]}))
    return found


def _sites(data):
    return [(i, site) for i, site in enumerate(data.get("websites") or []) if isinstance(site, dict)]


def _domain_text(domain) -> str:
    if isinstance(domain, dict):
        return str(domain.get("ascii") or domain.get("unicode") or "")
    return str(domain or "")


def _domains_per_website(data, _today, params):
    return [(f"websites.{i}.domains", "province_domains_per_website",
             f"This province allows {params['limit']} domain(s) per website.", {"limit": params["limit"]})
            for i, site in _sites(data) if len(site.get("domains") or []) > params["limit"]]


def _domain_suffix(data, _today, params):
    forbidden = {s.lower().lstrip(".") for s in params["forbidden"]}
    found = []
    for i, site in _sites(data):
        for j, domain in enumerate(site.get("domains") or []):
            suffix = _domain_text(domain).strip().rstrip(".").lower().rsplit(".", 1)[-1]
            if suffix in forbidden:
                found.append((f"websites.{i}.domains.{j}", "province_domain_suffix",
                              f"This province does not accept .{suffix} domains.", {"suffix": suffix}))
    return found


def _local_phone(data, _today, params):
    contacts, found = data.get("contacts") or {}, []
    codes = tuple(params["area_codes"])
    for key in ("office_phone", "home_phone"):
        number = re.sub(r"[\s\-()]", "", str(contacts.get(key) or "")).removeprefix("+86").removeprefix("86")
        if number and not number.startswith(codes):
            found.append((f"contacts.{key}", "province_local_phone",
                          "This province requires local phone numbers.", {"area_codes": "、".join(codes)}))
    return found


def _document_in_province(data, _today, _params):
    sponsor = data.get("sponsor") or {}
    number = (sponsor.get("document_number") or "").strip()
    if sponsor.get("document_type") not in RESIDENT_IDS or len(number) != 18:
        return []
    if number[:2] == province_by_abbr(sponsor["province"]).code:
        return []
    return [("sponsor.document_number", "province_document_in_province",
             "This province files individuals whose ID card is of the province only.", {})]


def _no_prior_approval(data, _today, _params):
    return [(f"websites.{i}.prior_approvals", "province_prior_approval",
             "This province does not file websites whose content needs prior approval.", {})
            for i, site in _sites(data) if site.get("prior_approvals")]


_CHECKS = {
    "review_period": lambda data, today, params: [],  # the bureau's review time, nothing to check in a filing
    "legal_representative": _legal_representative,
    "minimum_age": _minimum_age,
    "domains_per_website": _domains_per_website,
    "domain_suffix": _domain_suffix,
    "local_phone": _local_phone,
    "document_in_province": _document_in_province,
    "no_prior_approval": _no_prior_approval,
}
