"""The on-site check (P4–P6, R1.8, W3): the photo's size, the originals compared with the filing, the access
information, the domains' owner, and the verdict on the whole case. Pure."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from shared.kernel.provinces import PROVINCES
from verification.domain.face import reasons as face_reasons

PHOTO_SIZE = (800, 600)
"""P4: the photo's electronic size, width × height in pixels."""

ACCESS_METHODS = ("dedicated_server", "colocation", "virtual_host", "cloud_server", "other")
"""R1.8: the fixed list of access methods (the same list intake offers sponsors)."""

SECURITY_AGREEMENT_CLAUSE = (
    "依据《非经营性互联网备案管理办法》第二十三条规定，如备案信息不真实，将关闭网站并注销备案。请您承诺并确认：您提交的所有备案"
    "信息真实有效，当您的备案信息发生变化时请及时到备案系统中提交更新信息，如因未及时更新而导致备案信息不准确，我公司有权依法对"
    "接入网站进行关闭处理。"
)
"""W3, verbatim: the clause the security agreement signed on site carries (P6)."""

# Fields staff compare with the originals and may correct on site (P5, P6): holder, document type, content.
CHECKED_FIELDS = (
    "sponsor.name",
    "sponsor.document_type",
    "sponsor.document_number",
    "responsible_person.name",
    "responsible_person.document_type",
    "responsible_person.document_number",
)
CORRECTABLE_FIELDS = (*CHECKED_FIELDS, "contacts.mobile", "contacts.office_phone", "contacts.home_phone",
                      "contacts.email", "contacts.postal_address")


# --- comparing the originals (P5) ------------------------------------------------------------------------

_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "[", "】": "]", "〔": "[", "〕": "]", "［": "[", "］": "]"})


def normalise_name(text: str) -> str:
    """A name as compared for equality (P5): full-width to half-width (NFKC), brackets unified, spaces and
    case ignored. ``北京示例（科技）有限公司`` equals ``北京示例 (科技) 有限公司``."""
    folded = unicodedata.normalize("NFKC", text or "").translate(_BRACKETS)
    return re.sub(r"\s+", "", folded).casefold()


def normalise_number(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).upper()


def value_at(data: dict, path: str):
    node = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def with_value(data: dict, path: str, value) -> dict:
    """A copy of ``data`` with ``path`` set to ``value``."""
    head, _, rest = path.partition(".")
    copy = dict(data)
    copy[head] = with_value(dict(data.get(head) or {}), rest, value) if rest else value
    return copy


@dataclass(frozen=True)
class Difference:
    field: str
    submitted: str | None
    original: str | None

    def reason(self) -> dict:
        return {"field": self.field, "code": "mismatch",
                "message": "The original document says otherwise; correct it on site or the filing is not accepted.",
                "rule": "P5"}


def compare_with_originals(filing: dict, originals: dict) -> list[Difference]:
    """P5: holder, document type and document content of the sponsor and the responsible person must match the
    originals **exactly** (names compared after :func:`normalise_name`, numbers after removing spaces)."""
    differences = []
    for path in CHECKED_FIELDS:
        submitted, original = value_at(filing, path), value_at(originals, path)
        norm = normalise_number if path.endswith("document_number") else normalise_name
        if norm(str(submitted or "")) != norm(str(original or "")):
            differences.append(Difference(path, submitted, original))
    return differences


# --- access information (R1.8, P5) -------------------------------------------------------------------------


def check_access(access: dict, ranges, province_names: tuple[str, ...] | None = None) -> list[dict]:
    """R1.8/P5: the access method is one of the fixed list, the server location names a province (and city), and
    every website IP lies in the provider's own ranges. Returns reasons ``{field, code, message, rule}``."""
    reasons = []
    if access.get("access_method") not in ACCESS_METHODS:
        reasons.append({"field": "access.access_method", "code": "choice",
                        "message": f"Access method must be one of {list(ACCESS_METHODS)}.", "rule": "R1.8"})
    location = str(access.get("server_location") or "")
    names = province_names or tuple(p.name for p in PROVINCES)
    if not any(location.startswith(name) or location.startswith(name.rstrip("省市")) for name in names):
        reasons.append({"field": "access.server_location", "code": "province",
                        "message": "Server location starts with a province-level division (e.g. 北京市海淀区).",
                        "rule": "R1.8"})
    ips = access.get("ip_addresses") or []
    if not ips:
        reasons.append({"field": "access.ip_addresses", "code": "required",
                        "message": "At least one website IP address.", "rule": "R1.8"})
    for index, text in enumerate(ips):
        try:
            address = ipaddress.ip_address(str(text).strip())
        except ValueError:
            reasons.append({"field": f"access.ip_addresses.{index}", "code": "format",
                            "message": "Not an IPv4 or IPv6 address.", "rule": "R1.8"})
            continue
        if not any(address.version == net.version and address in net for net in ranges):
            reasons.append({"field": f"access.ip_addresses.{index}", "code": "not_provider_ip",
                            "message": "The address is not in the provider's own IP ranges.", "rule": "P5"})
    return reasons


# --- domain owner (P5) --------------------------------------------------------------------------------------


class OwnerOutcome(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    REDACTED = "redacted"  # the registry hides the owner: a domain certificate and a staff confirmation decide
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"  # no answer from RDAP nor WHOIS: never a pass


def owner_outcome(registrant: str | None, redacted: bool, sponsor_name: str) -> OwnerOutcome:
    if redacted or (registrant is not None and not registrant.strip()):
        return OwnerOutcome.REDACTED
    if registrant is None:
        return OwnerOutcome.NOT_FOUND
    same = normalise_name(registrant) == normalise_name(sponsor_name)
    return OwnerOutcome.MATCH if same else OwnerOutcome.MISMATCH


def domain_passed(check: dict) -> bool:
    """A domain's owner is verified when the lookup matched, or when the registry redacted it and staff confirmed
    an uploaded domain certificate."""
    if check.get("outcome") == OwnerOutcome.MATCH:
        return True
    return check.get("outcome") == OwnerOutcome.REDACTED and bool(check.get("certificate")) and bool(
        check.get("confirmed_by"))


# --- the whole on-site check (P5, P6) -----------------------------------------------------------------------


def blocking_reasons(case: dict) -> list[dict]:
    """Everything that keeps a filing from being verified, as reasons for people; empty means verified.

    ``case`` holds ``photo``, ``originals`` (with ``differences`` after corrections and ``authority``),
    ``copies`` (subjects whose original was copied), ``domains``, ``access``, ``access_reasons`` and
    ``agreement``. An authority answer ``no_source`` (a document no authoritative source covers, e.g. a passport)
    does not block."""
    reasons = []
    if not case.get("photo"):
        reasons.append({"field": "photo", "code": "required", "message": "Take the on-site photo.", "rule": "P4"})
    reasons += face_reasons(case.get("face"))
    originals = case.get("originals")
    if not originals:
        reasons.append({"field": "originals", "code": "required",
                        "message": "Record what the original documents say.", "rule": "P5"})
    else:
        reasons += [Difference(d["field"], None, None).reason() for d in originals.get("differences", [])]
        for answer in originals.get("authority", []):
            if answer["outcome"] not in ("match", "no_source"):
                reasons.append({"field": answer["field"], "code": f"authority_{answer['outcome']}",
                                "message": f"{answer['source']}: {answer['outcome']} {answer.get('detail', '')}"
                                .strip(),
                                "rule": "P5"})
        if not originals.get("person_present_confirmed"):
            reasons.append({"field": "originals.person_present_confirmed", "code": "required",
                            "message": "Confirm that the ID card belongs to the person present.", "rule": "P5"})
    missing = {"sponsor", "responsible_person"} - set(case.get("copies", []))
    for subject in sorted(missing):
        reasons.append({"field": f"copies.{subject}", "code": "required",
                        "message": "Keep a copy of this original document.", "rule": "P5"})
    domains = case.get("domains")
    if not domains:
        reasons.append({"field": "domains", "code": "required",
                        "message": "Check each domain's owner.", "rule": "P5"})
    for check in domains or []:
        if not domain_passed(check):
            reasons.append({"field": f"domains.{check['domain']}", "code": f"owner_{check['outcome']}",
                            "message": "The domain's owner is not shown to be the sponsor.", "rule": "P5"})
    if case.get("access") is None:
        reasons.append({"field": "access", "code": "required",
                        "message": "Enter the access information as the provider hosts the site.", "rule": "R1.8"})
    reasons += case.get("access_reasons") or []
    if not case.get("agreement"):
        reasons.append({"field": "agreement", "code": "required",
                        "message": "The sponsor signs the security agreement.", "rule": "P6"})
    return reasons


_REJECTING_CODES = frozenset({"mismatch", "authority_mismatch", "authority_not_found", "authority_invalid",
                              "owner_mismatch", "owner_not_found", "not_same_person"})


def verdict(case: dict) -> tuple[str, list[dict]]:
    """``("verified", [])``, ``("rejected", reasons)`` when the originals or the domain owner differ from the
    filing (不予受理, P5: only the differing fields are named), or ``("incomplete", reasons)`` when a check is
    missing or a source could not answer (never a pass, never a rejection: staff finish or retry)."""
    reasons = blocking_reasons(case)
    rejecting = [r for r in reasons if r["code"] in _REJECTING_CODES]
    if rejecting:
        return "rejected", rejecting
    return ("incomplete", reasons) if reasons else ("verified", [])
