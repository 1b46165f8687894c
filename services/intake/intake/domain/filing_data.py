"""What a complete filing is (P1, R1.1–R1.8) and the canonical form it travels in: every problem of a draft at
once, each naming its field and rule; the values a sponsor typed normalised once at the edge (issue 17).

Pure: a filing is a plain dict in the shape of ``schemas.FilingDataSchema``.
"""

import copy
from dataclasses import dataclass
from datetime import date

from intake.domain.guide import CONTRACT_CLAUSE_SHA256
from shared.contracts.errors import FieldError
from shared.kernel.contacts import (
    normalise_typed_contact,
    validate_email,
    validate_landline,
    validate_mobile,
    validate_postal_address,
)
from shared.kernel.documents import (
    UNIT_TYPES,
    ResponsibleRole,
    SponsorKind,
    require_same_person,
    validate_person_document,
    validate_responsible_role,
    validate_typed_text,
    validate_unit_document,
    validate_unit_name,
)
from shared.kernel.errors import InvalidValue
from shared.kernel.identifiers import normalise_typed_number
from shared.kernel.network import is_public_ip, normalise_typed_host, validate_domain, validate_ip
from shared.kernel.provinces import province_by_abbr

# R1.7: content that needs prior or special approval (前置审批/专项审批) before filing.
PRIOR_APPROVAL_CATEGORIES = {
    "news": "新闻",
    "publishing": "出版",
    "education": "教育",
    "health_care": "医疗保健",
    "medicines_and_devices": "药品和医疗器械",
    "culture": "文化",
    "radio_film_tv": "广播电影电视节目",
    "religion": "宗教",
    "online_lending": "网络借贷",
}

# R1.8: how the provider connects the site.
ACCESS_METHODS = ("dedicated_server", "colocation", "virtual_host", "cloud_server", "other")

# Upload kinds a submission needs (P5 keeps copies; the sponsor shows the documents it files under).
SCAN_KINDS = ("sponsor_document", "responsible_person_document", "prior_approval", "other")

WEBSITE_NAME_MAX = 64
SERVICE_CONTENT_MAX = 20

@dataclass
class _Collector:
    errors: list

    def add(self, field: str, code: str, message: str, rule: str) -> None:
        self.errors.append(FieldError(field, code, message, rule))

    def missing(self, field: str, rule: str, what: str) -> None:
        self.add(field, "required", f"{what} is required.", rule)

    def check(self, field: str, fn, *args):
        """Run a kernel validator; its ``InvalidValue`` becomes a field error. Returns the normalised value."""
        try:
            return fn(*args)
        except InvalidValue as exc:
            self.add(field, exc.code, exc.message, exc.rule)
            return None


def validate_filing(
    data: dict, scans: list[str], accepted_clause: str | None, today: date
) -> list[FieldError]:
    """Every problem that keeps ``data`` from being submitted, at once (P1, R1.1–R1.8, W3).

    ``scans`` are the kinds of uploaded document scans, ``accepted_clause`` the SHA-256 of the contract
    clause the submitter accepted for this version (None when not accepted).
    """
    c = _Collector([])
    sponsor = data.get("sponsor") or {}
    kind = sponsor.get("kind")
    _check_sponsor(c, sponsor, today)
    _check_responsible_person(c, kind, sponsor, data.get("responsible_person") or {}, today)
    _check_contacts(c, kind, data.get("contacts") or {})
    _check_websites(c, data.get("websites") or [])
    _check_access(c, data.get("access") or {})
    _check_scans(c, kind, scans)
    if accepted_clause != CONTRACT_CLAUSE_SHA256:
        c.add(
            "contract_acceptance",
            "not_accepted",
            "Read and accept the contract clause before submitting.",
            "W3",
        )
    return c.errors


def _check_sponsor(c: _Collector, sponsor: dict, today: date) -> None:
    kind = sponsor.get("kind")
    if kind not in (SponsorKind.unit, SponsorKind.individual):
        c.add("sponsor.kind", "choice", "The sponsor is a unit or an individual.", "R1.1")
    name = _typed(c, "sponsor.name", sponsor.get("name"), "R1.1", "The sponsor's full legal name")
    if not sponsor.get("province"):
        c.missing("sponsor.province", "R2.1", "The sponsor's province (it decides the reviewing bureau)")
    else:
        c.check("sponsor.province", province_by_abbr, sponsor["province"])
    doc_type, number = sponsor.get("document_type"), sponsor.get("document_number")
    if not doc_type:
        c.missing(
            "sponsor.document_type", "R1.2" if kind == SponsorKind.unit else "R1.4", "The document type"
        )
    if not number:
        c.missing(
            "sponsor.document_number", "R1.2" if kind == SponsorKind.unit else "R1.4", "The document number"
        )
    if kind == SponsorKind.unit:
        unit_type = sponsor.get("unit_type")
        if not unit_type:
            c.missing("sponsor.unit_type", "R1.1", "The unit type")
        elif unit_type not in UNIT_TYPES:
            c.add(
                "sponsor.unit_type",
                "unknown_unit_type",
                f"Unit type must be one of {sorted(UNIT_TYPES)}.",
                "R1.1",
            )
        else:
            if doc_type and number:
                c.check("sponsor.document_number", validate_unit_document, unit_type, doc_type, number)
            if name:
                c.check("sponsor.unit_type", validate_unit_name, unit_type, name)
    elif kind == SponsorKind.individual:
        if sponsor.get("unit_type"):
            c.add("sponsor.unit_type", "not_allowed", "An individual sponsor has no unit type.", "R1.1")
        if doc_type and number:
            c.check("sponsor.document_number", validate_person_document, doc_type, number, today)


def _typed(c: _Collector, field: str, value, rule: str, what: str) -> str:
    """A name as typed, trimmed (``validate_typed_text``): ``required`` when blank, ``hidden_character``
    when it holds a control or invisible character; "" in both cases."""
    if not isinstance(value, str) or not value.strip():
        c.missing(field, rule, what)
        return ""
    return c.check(field, validate_typed_text, value, rule) or ""


def _check_responsible_person(c: _Collector, kind, sponsor: dict, person: dict, today: date) -> None:
    _typed(c, "responsible_person.name", person.get("name"), "R1.3", "The responsible person's name")
    for key, what in (
        ("document_type", "The document type"),
        ("document_number", "The document number"),
    ):
        if not person.get(key):
            c.missing(f"responsible_person.{key}", "R1.3", what)
    if person.get("document_type") and person.get("document_number"):
        c.check(
            "responsible_person.document_number",
            validate_person_document,
            person["document_type"],
            person["document_number"],
            today,
        )
    if kind in (SponsorKind.unit, SponsorKind.individual):
        role = person.get("role") or (ResponsibleRole.sponsor if kind == SponsorKind.individual else "")
        c.check("responsible_person.role", validate_responsible_role, kind, role)
    if kind == SponsorKind.individual and all(
        sponsor.get(k) and person.get(k) for k in ("document_type", "document_number")
    ):
        c.check(
            "responsible_person.document_number",
            require_same_person,
            sponsor["document_type"],
            sponsor["document_number"],
            person["document_type"],
            person["document_number"],
        )
    if kind == SponsorKind.individual and _norm(person.get("name")) != _norm(sponsor.get("name")):
        c.add(
            "responsible_person.name",
            "not_sponsor",
            "For an individual sponsor the responsible person is the sponsor: the names must match.",
            "R1.5",
        )


def _norm(value) -> str:
    return str(value).strip().upper() if value else ""


def _check_contacts(c: _Collector, kind, contacts: dict) -> None:
    required = ["mobile", "email", "postal_address"]
    if kind == SponsorKind.unit:
        required.append("office_phone")
    for key in required:
        if not contacts.get(key):
            c.missing(f"contacts.{key}", "R1.6", key.replace("_", " ").capitalize())
    if kind == SponsorKind.individual and not (contacts.get("office_phone") or contacts.get("home_phone")):
        c.add(
            "contacts.office_phone",
            "required",
            "An individual gives an office phone or a home phone.",
            "R1.6",
        )
    validators = {
        "mobile": validate_mobile,
        "office_phone": validate_landline,
        "home_phone": validate_landline,
        "email": validate_email,
        "postal_address": validate_postal_address,
    }
    for key, fn in validators.items():
        if contacts.get(key):
            c.check(f"contacts.{key}", fn, contacts[key])


def _check_websites(c: _Collector, websites: list) -> None:
    if not websites:
        c.missing("websites", "R1.7", "At least one website")
    seen: dict[str, str] = {}
    for i, site in enumerate(websites):
        at = f"websites.{i}"
        name = _typed(c, f"{at}.name", site.get("name"), "R1.7", "The website name")
        if len(name) > WEBSITE_NAME_MAX:
            c.add(
                f"{at}.name", "length", f"A website name has at most {WEBSITE_NAME_MAX} characters.", "R1.7"
            )
        domains = site.get("domains") or []
        if not domains:
            c.missing(f"{at}.domains", "R1.7", "At least one domain")
        for j, text in enumerate(domains):
            domain = c.check(f"{at}.domains.{j}", validate_domain, text)
            if domain is None:
                continue
            if domain.ascii in seen:
                c.add(
                    f"{at}.domains.{j}",
                    "duplicate",
                    f"The domain is already listed at {seen[domain.ascii]}.",
                    "R1.7",
                )
            seen[domain.ascii] = f"{at}.domains.{j}"
        content = site.get("service_content") or []
        if not content:
            c.missing(f"{at}.service_content", "R1.7", "The service content")
        elif len(content) > SERVICE_CONTENT_MAX:
            c.add(f"{at}.service_content", "length", f"At most {SERVICE_CONTENT_MAX} service items.", "R1.7")
        for k, approval in enumerate(site.get("prior_approvals") or []):
            if approval.get("category") not in PRIOR_APPROVAL_CATEGORIES:
                c.add(
                    f"{at}.prior_approvals.{k}.category",
                    "choice",
                    f"Prior-approval category must be one of {sorted(PRIOR_APPROVAL_CATEGORIES)}.",
                    "R1.7",
                )
            if not (approval.get("approval_number") or "").strip():
                c.missing(f"{at}.prior_approvals.{k}.approval_number", "R1.7", "The approval document number")


def _check_access(c: _Collector, access: dict) -> None:
    for key in ("provider_name", "server_location"):
        if not (access.get(key) or "").strip():
            c.missing(f"access.{key}", "R1.8", key.replace("_", " ").capitalize())
    if access.get("access_method") not in ACCESS_METHODS:
        c.add(
            "access.access_method", "choice", f"Access method must be one of {list(ACCESS_METHODS)}.", "R1.8"
        )
    ips = access.get("ip_addresses") or []
    if not ips:
        c.missing("access.ip_addresses", "R1.8", "At least one website IP address")
    for i, text in enumerate(ips):
        ip = c.check(f"access.ip_addresses.{i}", validate_ip, text)
        if ip is not None and not is_public_ip(ip):
            c.add(
                f"access.ip_addresses.{i}",
                "not_public",
                "A website IP address must be a public address.",
                "R1.8",
            )


def _check_scans(c: _Collector, kind, scans: list[str]) -> None:
    needed = ["responsible_person_document"]
    if kind == SponsorKind.unit:
        needed.append("sponsor_document")
    for scan in needed:
        if scan not in scans:
            c.add("documents", "scan_missing", f"Upload a scan of the {scan.replace('_', ' ')}.", "P5")


# Where each kind of typed value sits in a filing or a partial edit of one (issue 17).
_TYPED_NUMBERS = (("sponsor", "document_number"), ("responsible_person", "document_number"))
_TYPED_CONTACTS = (("contacts", "mobile"), ("contacts", "office_phone"), ("contacts", "home_phone"),
                   ("contacts", "email"))
_TYPED_TEXT = (("sponsor", "name"), ("responsible_person", "name"), ("contacts", "postal_address"))


def normalise_typed(data: dict) -> dict:
    """``data`` (a draft or a partial edit of one) as intake stores it: each value normalised once, at the edge
    (issue 17, requirements §4). Document numbers by ``normalise_typed_number`` (NFKC, trimmed, upper-case),
    phones and e-mail by ``normalise_typed_contact`` (NFKC, trimmed), domains and IP addresses by
    ``normalise_typed_host`` (NFKC, trimmed); names and the postal address keep their characters (P5: the
    full-width brackets of a legal name are part of it) and are only trimmed. Values that are not text are left
    for ``validate_filing`` to name; the result is what is stored, masked, indexed and compared."""
    out = copy.deepcopy(data)
    for paths, fn in ((_TYPED_NUMBERS, normalise_typed_number), (_TYPED_CONTACTS, normalise_typed_contact),
                      (_TYPED_TEXT, str.strip)):
        for section, key in paths:
            part = out.get(section)
            if isinstance(part, dict) and isinstance(part.get(key), str):
                part[key] = fn(part[key])
    for site in out.get("websites") or []:
        if isinstance(site, dict):
            if isinstance(site.get("name"), str):
                site["name"] = site["name"].strip()
            _typed_list(site, "domains")
    if isinstance(out.get("access"), dict):
        _typed_list(out["access"], "ip_addresses")
    return out


def _typed_list(part: dict, key: str) -> None:
    if isinstance(part.get(key), list):
        part[key] = [normalise_typed_host(value) if isinstance(value, str) else value for value in part[key]]


def normalise(data: dict, today: date) -> dict:
    """The canonical form of a valid filing: IDNs in both forms, document and phone numbers as the
    validators print them, so the same number typed two ways is one lookup (requirements §4).

    Call only on data that ``validate_filing`` accepted.
    """
    out = copy.deepcopy(data)
    sponsor, person, contacts = out["sponsor"], out["responsible_person"], out["contacts"]
    sponsor.setdefault("unit_type", None)
    if sponsor["kind"] == SponsorKind.unit:
        sponsor["document_number"] = validate_unit_document(
            sponsor["unit_type"], sponsor["document_type"], sponsor["document_number"]
        )
    else:
        number = sponsor["document_number"]
        sponsor["document_number"] = validate_person_document(sponsor["document_type"], number, today)
    person["document_number"] = validate_person_document(person["document_type"], person["document_number"], today)
    if sponsor["kind"] == SponsorKind.individual:
        person["role"] = ResponsibleRole.sponsor.value
    contacts["mobile"] = validate_mobile(contacts["mobile"])
    contacts["email"] = validate_email(contacts["email"])
    for key in ("office_phone", "home_phone"):
        contacts[key] = validate_landline(contacts[key]) if contacts.get(key) else None
    for site in out["websites"]:
        site["domains"] = [
            {"unicode": d.unicode, "ascii": d.ascii}
            for d in (validate_domain(text) for text in site["domains"])
        ]
        site.setdefault("prior_approvals", [])
    out["access"]["ip_addresses"] = [validate_ip(ip) for ip in out["access"]["ip_addresses"]]
    return out



# What makes a change of how the provider hosts a site (W5: IP, location, access method): any of these fields.
HOSTING_FIELDS = ("ip_addresses", "server_location", "access_method", "provider_name")


def hosting_problems(current: dict, new: dict) -> list[FieldError]:
    """W5/R1.8: the new access information must be complete and valid, and differ from the current one."""
    c = _Collector([])
    _check_access(c, new)
    if not c.errors and all(current.get(k) == new.get(k) for k in HOSTING_FIELDS):
        c.add("access", "unchanged", "The access information is the same as the approved one.", "W5")
    return c.errors
