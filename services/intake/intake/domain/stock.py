"""W6: the stock — filings approved before face-to-face verification existed — as CSV rows, each checked by the
rules of a submission (R1.1–R1.8) but the scans and the clause it never had. Pure."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from intake.domain.filing_data import (
    _check_access,
    _check_contacts,
    _check_responsible_person,
    _check_sponsor,
    _check_websites,
    _Collector,
    normalise,
)
from shared.contracts.errors import FieldError
from shared.kernel.errors import InvalidValue
from shared.kernel.filing_numbers import parse_filing_number
from shared.kernel.provinces import province_by_abbr

STOCK_COLUMNS = (
    "filing_number", "sponsor_kind", "unit_type", "sponsor_name", "sponsor_document_type", "sponsor_document_number",
    "person_name", "person_document_type", "person_document_number", "person_role", "mobile", "office_phone",
    "email", "postal_address", "website_name", "domains", "service_content", "ip_addresses", "access_method",
    "server_location", "access_provider_name",
)
_LIST_SEPARATOR = ";"
# Numbers issued before 2016 have a 2-digit year and a 6-digit serial (京ICP备05012345号): the stock has them.
_LEGACY_FILING_NUMBER = re.compile(r"(?P<abbr>.)ICP备(?P<digits>[0-9]{8})号")


@dataclass
class StockImport:
    """One import of stock filings (a CSV file): who started it, the re-verification deadline it plans, its
    counts and the first rejected rows (line, filing number, errors); ``finished_at`` stays empty while it runs or
    when it was interrupted."""

    id: str
    provider_id: str
    request_key: str | None
    source: str
    started_by: str
    started_at: datetime
    deadline: datetime
    finished_at: datetime | None = None
    rows: int = 0
    imported: int = 0
    already_imported: int = 0
    rejected: int = 0
    rejections: list = field(default_factory=list)


def stock_header_problems(header: list[str]) -> list[FieldError]:
    """W6: the CSV's first line must name every stock column (any order; extra columns are ignored)."""
    missing = [name for name in STOCK_COLUMNS if name not in header]
    return [FieldError("header", "missing_column", f"The CSV header lacks the column {name}.", "W6")
            for name in missing]


def stock_filing_number(text: str) -> tuple[str, str]:
    """The canonical sponsor filing number of a stock row and its province abbreviation; current numbers
    (``京ICP备2026012345号``) and pre-2016 ones (``京ICP备05012345号``). InvalidValue otherwise."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip()
    legacy = _LEGACY_FILING_NUMBER.fullmatch(cleaned)
    if legacy:
        return cleaned, province_by_abbr(legacy["abbr"]).abbr
    number = parse_filing_number(cleaned)
    if number.site is not None:
        raise InvalidValue("site_number", "Give the sponsor's filing number, without the website's -k.", "W6")
    return str(number), number.abbr


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(_LIST_SEPARATOR) if part.strip()]


def stock_row(row: dict[str, str], today: date) -> tuple[str | None, dict | None, list[FieldError]]:
    """W6: one CSV row of the stock as ``(filing number, filing data in the canonical form, problems)``.

    The row is checked by the same rules as a submission (R1.1–R1.8) except the scans and the contract clause,
    which the stock never had; the filing number must be one the bureau issued and its province is the
    sponsor's. Every problem of the row is returned at once (field = the CSV column's path in the filing)."""
    c = _Collector([])
    number = province = None
    try:
        number, province = stock_filing_number(row.get("filing_number") or "")
    except InvalidValue as exc:
        c.add("filing_number", exc.code, exc.message, exc.rule)
    kind = (row.get("sponsor_kind") or "").strip()
    data = {
        "sponsor": {"kind": kind, "unit_type": (row.get("unit_type") or "").strip() or None,
                    "name": (row.get("sponsor_name") or "").strip(),
                    "document_type": (row.get("sponsor_document_type") or "").strip(),
                    "document_number": (row.get("sponsor_document_number") or "").strip(),
                    "province": province or ""},
        "responsible_person": {"name": (row.get("person_name") or "").strip(),
                               "document_type": (row.get("person_document_type") or "").strip(),
                               "document_number": (row.get("person_document_number") or "").strip(),
                               "role": (row.get("person_role") or "").strip()},
        "contacts": {"mobile": (row.get("mobile") or "").strip(),
                     "office_phone": (row.get("office_phone") or "").strip() or None, "home_phone": None,
                     "email": (row.get("email") or "").strip(),
                     "postal_address": (row.get("postal_address") or "").strip()},
        "websites": [{"name": (row.get("website_name") or "").strip(), "domains": _split(row.get("domains")),
                      "service_content": _split(row.get("service_content")), "prior_approvals": []}],
        "access": {"provider_name": (row.get("access_provider_name") or "").strip(),
                   "access_method": (row.get("access_method") or "").strip(),
                   "server_location": (row.get("server_location") or "").strip(),
                   "ip_addresses": _split(row.get("ip_addresses"))},
    }
    if number is not None:
        _check_sponsor(c, data["sponsor"], today)
    _check_responsible_person(c, kind, data["sponsor"], data["responsible_person"], today)
    _check_contacts(c, kind, data["contacts"])
    _check_websites(c, data["websites"])
    _check_access(c, data["access"])
    if c.errors:
        return number, None, c.errors
    return number, normalise(data, today), []

