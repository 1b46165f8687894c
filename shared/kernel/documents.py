"""Sponsors, unit types and the documents each must show (R1.1–R1.5).

Unit types are data (``UNIT_TYPES``), so a new kind of unit is one more entry, not new code (R1.1). Each unit
type lists the documents it may show in the order the regulation prefers them (R1.2); person documents are
listed citizen documents first, resident ID card first of all (R1.3, R1.4).
"""

import datetime
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from shared.kernel.errors import InvalidValue
from shared.kernel.identifiers import (
    compact_number,
    validate_household_register_number,
    validate_licence_registration_number,
    validate_officer_card_number,
    validate_organisation_code,
    validate_passport_number,
    validate_resident_id,
    validate_taiwan_permit_number,
    validate_uscc,
)


class SponsorKind(StrEnum):
    """A sponsor (网站主办者) is a unit (单位) or an individual (个人) (R1.1)."""

    unit = "unit"
    individual = "individual"


class DocumentType(StrEnum):
    """Every document a unit (R1.2) or a person (R1.3, R1.4) may show."""

    organisation_code_certificate = "organisation_code_certificate"  # 组织机构代码证书
    public_institution_certificate = "public_institution_certificate"  # 事业单位法人证书
    social_organisation_certificate = "social_organisation_certificate"  # 社会团体法人登记证书
    private_non_enterprise_certificate = "private_non_enterprise_certificate"  # 民办非企业单位登记证书
    foundation_certificate = "foundation_certificate"  # 基金会法人登记证书
    business_licence = "business_licence"  # 营业执照
    military_unit_code_certificate = "military_unit_code_certificate"  # 军队代号证书
    resident_id = "resident_id"  # 居民身份证
    household_register = "household_register"  # 户口簿
    officer_card = "officer_card"  # 军官证
    taiwan_permit = "taiwan_permit"  # 台湾居民来往大陆通行证
    passport = "passport"  # 护照


CITIZEN_DOCUMENTS: tuple[DocumentType, ...] = (
    DocumentType.resident_id,
    DocumentType.household_register,
    DocumentType.officer_card,
    DocumentType.taiwan_permit,
)
"""What a Chinese citizen shows, most preferred first: the resident ID card, else the others (R1.3)."""

NON_CITIZEN_DOCUMENTS: tuple[DocumentType, ...] = (DocumentType.passport,)
"""What a non-citizen shows (R1.3)."""

PERSON_DOCUMENTS: tuple[DocumentType, ...] = CITIZEN_DOCUMENTS + NON_CITIZEN_DOCUMENTS
"""Every document a responsible person (R1.3) or an individual sponsor (R1.4) may show."""


@dataclass(frozen=True)
class UnitType:
    """A kind of unit sponsor (R1.1) and the documents it may show, most preferred first (R1.2).

    ``enterprise_names_allowed`` is true where a name like ``…有限公司`` is normal for the type
    (enterprises, and the military, whose factories are named ``…工厂``).
    """

    code: str
    name_zh: str
    allowed_documents: tuple[DocumentType, ...]
    enterprise_names_allowed: bool = False


# R1.2 groups agencies, public institutions and social organisations: organisation code certificate first,
# else either legal person certificate. Private non-enterprise units and foundations are registered by the
# civil affairs departments like social organisations, each with its own registration certificate.
_NON_PROFIT_DOCUMENTS = (
    DocumentType.organisation_code_certificate,
    DocumentType.public_institution_certificate,
    DocumentType.social_organisation_certificate,
)

UNIT_TYPES: dict[str, UnitType] = {
    unit.code: unit
    for unit in (
        UnitType("agency", "机关", _NON_PROFIT_DOCUMENTS),
        UnitType("public_institution", "事业单位", _NON_PROFIT_DOCUMENTS),
        UnitType("social_organisation", "社会团体", _NON_PROFIT_DOCUMENTS),
        UnitType(
            "enterprise",
            "企业",
            (DocumentType.business_licence, DocumentType.organisation_code_certificate),
            enterprise_names_allowed=True,
        ),
        UnitType(
            "military", "军队", (DocumentType.military_unit_code_certificate,), enterprise_names_allowed=True
        ),
        UnitType(
            "private_non_enterprise",
            "民办非企业单位",
            (DocumentType.organisation_code_certificate, DocumentType.private_non_enterprise_certificate),
        ),
        UnitType(
            "foundation",
            "基金会",
            (DocumentType.organisation_code_certificate, DocumentType.foundation_certificate),
        ),
    )
}


def unit_type(code: str) -> UnitType:
    """The unit type registered under ``code``; InvalidValue ``unknown_unit_type`` (R1.1) otherwise."""
    try:
        return UNIT_TYPES[code]
    except KeyError:
        raise InvalidValue("unknown_unit_type", "This is not a known kind of unit.", "R1.1") from None


def parse_sponsor_kind(text: str) -> SponsorKind:
    """``text`` as a SponsorKind; InvalidValue ``unknown_sponsor_kind`` (R1.1) otherwise."""
    try:
        return SponsorKind(text)
    except ValueError:
        raise InvalidValue(
            "unknown_sponsor_kind", "A sponsor is either a unit or an individual.", "R1.1"
        ) from None


def parse_document_type(text: str) -> DocumentType:
    """``text`` as a DocumentType; InvalidValue ``unknown_document_type`` (R1.2) otherwise."""
    try:
        return DocumentType(text)
    except ValueError:
        raise InvalidValue("unknown_document_type", "This is not a known kind of document.", "R1.2") from None


# --- unit documents (R1.2) ------------------------------------------------------------------------

# A USCC's first two characters name its registration authority and category (GB 32100-2015), so a certificate
# issued by one authority cannot carry another's code: a business licence is issued by market regulation (9x),
# a public institution certificate by the establishment office (12), the civil-affairs certificates by civil
# affairs (51, 52, 53). Organisation code and military certificates carry codes of any origin.
_USCC_PREFIXES: dict[DocumentType, tuple[str, ...]] = {
    DocumentType.business_licence: ("91", "92", "93"),
    DocumentType.public_institution_certificate: ("12",),
    DocumentType.social_organisation_certificate: ("51",),
    DocumentType.private_non_enterprise_certificate: ("52",),
    DocumentType.foundation_certificate: ("53",),
}

_MILITARY_UNIT_DESIGNATION = re.compile(r"[0-9]{5}")


_UNIT_NUMBER_FORMATS: dict[DocumentType, str] = {
    DocumentType.business_licence: (
        "A business licence number is an 18-character unified social credit code, or on older licences a "
        "15-digit registration number or 9-character organisation code."
    ),
    DocumentType.military_unit_code_certificate: (
        "A military unit code certificate carries an 18-character unified social credit code, a 9-character "
        "organisation code or a 5-digit unit designation."
    ),
}
_CERTIFICATE_NUMBER_FORMAT = (
    "A certificate number is an 18-character unified social credit code or, on older certificates, a "
    "9-character organisation code."
)


def validate_unit_document(unit_type_code: str, document_type: str, number: str) -> str:
    """Check that a unit of this type may show this document (R1.2) and that its number is valid; return the
    normalised number.

    The number is recognised by its length, hyphens and spaces ignored: 18 characters are a unified social
    credit code (``validate_uscc``; on a business licence or legal person certificate its first two
    characters must name the authority that issues that certificate), 9 an organisation code
    (``validate_organisation_code``), 15 digits a licence registration number (business licence only,
    ``validate_licence_registration_number``). A military unit code certificate may also carry the unit's
    5-digit designation (部队代号, as in 中国人民解放军61001部队: enter ``61001``).

    InvalidValue: ``unknown_unit_type`` (R1.1), ``unknown_document_type``, ``document_not_allowed``,
    ``document_mismatch``, ``format`` (R1.2), or the identifier validators' own codes.
    """
    unit = unit_type(unit_type_code)
    document = parse_document_type(document_type)
    if document not in unit.allowed_documents:
        raise InvalidValue(
            "document_not_allowed",
            f"A unit of type {unit.name_zh} cannot prove its identity with this document.",
            "R1.2",
        )
    compact = compact_number(number).replace("-", "")
    if len(compact) == 18:
        code = validate_uscc(compact)
        prefixes = _USCC_PREFIXES.get(document)
        if prefixes is not None and not code.startswith(prefixes):
            raise InvalidValue(
                "document_mismatch",
                "The unified social credit code belongs to a different kind of organisation than this "
                "certificate is issued to.",
                "R1.2",
            )
        return code
    if len(compact) == 9:
        return validate_organisation_code(compact)
    if len(compact) == 15 and document is DocumentType.business_licence:
        return validate_licence_registration_number(compact)
    is_military = document is DocumentType.military_unit_code_certificate
    if is_military and _MILITARY_UNIT_DESIGNATION.fullmatch(compact):
        return compact
    raise InvalidValue("format", _UNIT_NUMBER_FORMATS.get(document, _CERTIFICATE_NUMBER_FORMAT), "R1.2")


# --- person documents (R1.3, R1.4) ----------------------------------------------------------------

_PERSON_VALIDATORS: dict[DocumentType, Callable[[str, datetime.date], str]] = {
    DocumentType.resident_id: lambda number, today: validate_resident_id(number, today).number,
    DocumentType.household_register: validate_household_register_number,
    DocumentType.officer_card: lambda number, _today: validate_officer_card_number(number),
    DocumentType.taiwan_permit: lambda number, _today: validate_taiwan_permit_number(number),
    DocumentType.passport: lambda number, _today: validate_passport_number(number),
}


def validate_person_document(document_type: str, number: str, today: datetime.date) -> str:
    """Check a responsible person's (R1.3) or individual sponsor's (R1.4) document number; return it
    normalised.

    ``document_type`` must be one of ``PERSON_DOCUMENTS`` (InvalidValue ``document_not_allowed``, rule R1.3);
    the number is checked by the matching validator in ``shared.kernel.identifiers`` (resident ID and
    household register numbers against ``today``).
    """
    document = parse_document_type(document_type)
    validator = _PERSON_VALIDATORS.get(document)
    if validator is None:
        raise InvalidValue(
            "document_not_allowed",
            "A person proves their identity with a resident ID card, household register, officer card, "
            "Taiwan compatriot permit or passport.",
            "R1.3",
        )
    return validator(number, today)


# --- responsible person (R1.5) --------------------------------------------------------------------


class ResponsibleRole(StrEnum):
    """Who the responsible person (网站负责人) is to the sponsor (R1.5)."""

    legal_representative = "legal_representative"  # 法定代表人
    department_head = "department_head"  # 单位指定的部门负责人
    sponsor = "sponsor"  # the individual sponsor themselves


_ROLES: dict[SponsorKind, tuple[ResponsibleRole, ...]] = {
    SponsorKind.unit: (ResponsibleRole.legal_representative, ResponsibleRole.department_head),
    SponsorKind.individual: (ResponsibleRole.sponsor,),
}


def validate_responsible_role(kind: str, role: str) -> ResponsibleRole:
    """The responsible person's recorded role (R1.5): for a unit its legal representative or a department
    head it appoints; for an individual the sponsor. InvalidValue ``role_not_allowed`` (R1.5) otherwise."""
    sponsor = parse_sponsor_kind(kind)
    try:
        recorded = ResponsibleRole(role)
    except ValueError:
        recorded = None
    if recorded not in _ROLES[sponsor]:
        message = (
            "A unit's responsible person is its legal representative or a department head it appoints."
            if sponsor is SponsorKind.unit
            else "An individual sponsor is their own responsible person."
        )
        raise InvalidValue("role_not_allowed", message, "R1.5")
    return recorded


def _identity(document_type: str, number: str) -> tuple[DocumentType, str]:
    """What names one person: the citizen ID number is the same on the ID card and in the household
    register, so both count as the resident ID; other documents are their own number spaces."""
    document = parse_document_type(document_type)
    if document is DocumentType.household_register:
        document = DocumentType.resident_id
    return document, compact_number(number)


def require_same_person(
    sponsor_document_type: str, sponsor_number: str, person_document_type: str, person_number: str
) -> None:
    """Enforce R1.5 for an individual sponsor: the responsible person is the sponsor, shown by the same
    identity document number. Numbers are compared in ``compact_number`` form (``…002x`` is ``…002X``), and a
    resident ID card and a household register carrying the same citizen ID number are the same person.
    InvalidValue ``not_sponsor`` (R1.5) otherwise."""
    if _identity(sponsor_document_type, sponsor_number) != _identity(person_document_type, person_number):
        raise InvalidValue(
            "not_sponsor",
            "For an individual sponsor the responsible person must be the sponsor, "
            "with the same identity document.",
            "R1.5",
        )


# --- text a person typed: names (R1.1, R1.3, R1.7) and addresses (R1.6) -------------------------------

_HIDDEN_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp"))


def validate_typed_text(text: str, rule: str) -> str:
    """``text`` with surrounding whitespace removed and every other character kept as typed (issue 17).

    Names and addresses are compared with the original documents character for character (P5): the
    full-width brackets of ``北京某某科技有限公司（分公司）`` are part of the legal name, so no NFKC here.
    Refused with InvalidValue ``hidden_character`` and the given ``rule``: control characters (Cc, e.g. NUL,
    a line feed inside a name), invisible format characters (Cf: the bidirectional overrides and isolates
    U+202A–U+202E and U+2066–U+2069, the zero-width characters U+200B–U+200D, U+2060 and U+FEFF, the soft
    hyphen) and line or paragraph separators (Zl, Zp). They make two different texts look alike, or reorder
    what a reviewer sees. The message names the character's code point, never the text.
    """
    trimmed = text.strip()
    hidden = next((char for char in trimmed if unicodedata.category(char) in _HIDDEN_CATEGORIES), None)
    if hidden is not None:
        raise InvalidValue(
            "hidden_character",
            f"This contains an invisible or control character (U+{ord(hidden):04X}); retype it without it.",
            rule,
        )
    return trimmed


# --- unit names (R1.1) ----------------------------------------------------------------------------

ENTERPRISE_NAME_SUFFIXES: tuple[str, ...] = (
    "公司",  # 有限公司, 有限责任公司, 股份有限公司, 分公司
    "集团",
    "企业",  # 个人独资企业
    "厂",
    "商行",
    "商店",
    "经营部",
    "门市部",
    "合伙)",  # (有限合伙), (普通合伙) partnerships; full-width brackets become ASCII under NFKC
)
"""Name endings that mark an enterprise (企业名称登记管理规定: the organisational form closes the name).

Only endings count: ``…有限公司工会委员会`` is a trade union and ``…企业联合会`` a social organisation."""


def looks_like_enterprise(unit_name: str) -> bool:
    """True if ``unit_name`` ends like an enterprise's name (``ENTERPRISE_NAME_SUFFIXES``), e.g.
    ``…有限公司``."""
    name = "".join(unicodedata.normalize("NFKC", unit_name).split())
    return name.endswith(ENTERPRISE_NAME_SUFFIXES)


def validate_unit_name(unit_type_code: str, unit_name: str) -> str:
    """The trimmed unit name, checked against its declared type (R1.1): a name that looks like an enterprise's
    filed as an agency, public institution, social organisation, private non-enterprise unit or foundation is
    refused (InvalidValue ``unit_type_mismatch``); an empty name is InvalidValue ``required``."""
    unit = unit_type(unit_type_code)
    name = unit_name.strip()
    if not name:
        raise InvalidValue("required", "The unit's name is required.", "R1.1")
    if not unit.enterprise_names_allowed and looks_like_enterprise(name):
        raise InvalidValue(
            "unit_type_mismatch",
            f"The name is an enterprise's name, but the unit is filed as a {unit.name_zh}.",
            "R1.1",
        )
    return name
