"""shared.kernel.documents: sponsors, unit types and their documents (R1.1–R1.5).

Sample numbers are built with the check-character functions that test_kernel_identifiers proves against
the standards.
"""

import datetime

import pytest
from stdnum.iso7064 import mod_11_2

from shared.kernel.documents import (
    CITIZEN_DOCUMENTS,
    NON_CITIZEN_DOCUMENTS,
    PERSON_DOCUMENTS,
    UNIT_TYPES,
    DocumentType,
    ResponsibleRole,
    SponsorKind,
    UnitType,
    looks_like_enterprise,
    parse_document_type,
    parse_sponsor_kind,
    require_same_person,
    unit_type,
    validate_person_document,
    validate_responsible_role,
    validate_typed_text,
    validate_unit_document,
    validate_unit_name,
)
from shared.kernel.errors import InvalidValue
from shared.kernel.identifiers import organisation_code_check_character, uscc_check_character

TODAY = datetime.date(2026, 5, 1)
D = DocumentType


def org(body: str) -> str:
    return body + organisation_code_check_character(body)


def uscc(head8: str, org_body: str = "MA01AB2C") -> str:
    first17 = head8 + org(org_body)
    return first17 + uscc_check_character(first17)


def licence(first14: str) -> str:
    """ISO 7064 MOD 11,10 check digit (proved in test_kernel_identifiers)."""
    product = 10
    for digit in first14:
        product = ((product + int(digit)) % 10 or 10) * 2 % 11
    return first14 + str((11 - product) % 10)


def error(call) -> tuple[str, str]:
    with pytest.raises(InvalidValue) as caught:
        call()
    return caught.value.code, caught.value.rule


# --- R1.1 sponsors and unit types ---------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("R1.1")
def test_a_sponsor_is_a_unit_or_an_individual():
    assert [kind.value for kind in SponsorKind] == ["unit", "individual"]
    assert parse_sponsor_kind("individual") is SponsorKind.individual
    assert error(lambda: parse_sponsor_kind("company")) == ("unknown_sponsor_kind", "R1.1")


@pytest.mark.unit
@pytest.mark.req("R1.1")
@pytest.mark.parametrize(
    ("code", "name_zh"),
    [
        ("agency", "机关"),
        ("public_institution", "事业单位"),
        ("social_organisation", "社会团体"),
        ("enterprise", "企业"),
        ("military", "军队"),
        ("private_non_enterprise", "民办非企业单位"),
        ("foundation", "基金会"),
    ],
)
def test_unit_types_of_the_regulation_and_its_extensions(code, name_zh):
    assert unit_type(code).name_zh == name_zh
    assert UNIT_TYPES[code].code == code


@pytest.mark.unit
@pytest.mark.req("R1.1")
def test_unknown_unit_type_is_refused():
    assert error(lambda: unit_type("church")) == ("unknown_unit_type", "R1.1")


@pytest.mark.unit
@pytest.mark.req("R1.1")
def test_unit_types_are_data_so_a_new_type_is_one_entry(monkeypatch):
    cooperative = UnitType("cooperative", "农民专业合作社", (D.business_licence,))
    monkeypatch.setitem(UNIT_TYPES, "cooperative", cooperative)
    number = uscc("93510000")
    assert validate_unit_document("cooperative", "business_licence", number) == number


@pytest.mark.unit
@pytest.mark.req("R1.1")
@pytest.mark.parametrize(
    "name",
    [
        "北京某某科技有限公司",
        "某某股份有限公司",
        "某某有限责任公司上海分公司",
        "某某集团",
        "某某个人独资企业",
        "某某市第一印刷厂",
        "某某商行",
        "某某商店",
        "某某经营部",
        "某某门市部",
        "某某投资中心（有限合伙）",
        "某某会计师事务所(普通合伙)",
        " 某某 有限 公司 ",
    ],
)
def test_names_that_look_like_enterprises(name):
    assert looks_like_enterprise(name)


@pytest.mark.unit
@pytest.mark.req("R1.1")
@pytest.mark.parametrize(
    "name",
    [
        "北京市海淀区人民政府",
        "中国科学院某某研究所",
        "某某市中小企业服务中心",
        "中国企业联合会",
        "某某有限公司工会委员会",
        "中国某某基金会",
        "某某大学",
        "中国人民解放军61001部队",
    ],
)
def test_names_that_do_not_look_like_enterprises(name):
    assert not looks_like_enterprise(name)


@pytest.mark.unit
@pytest.mark.req("R1.1")
@pytest.mark.parametrize(
    ("unit", "name", "result"),
    [
        ("enterprise", " 北京某某科技有限公司 ", "北京某某科技有限公司"),
        ("military", "中国人民解放军第四八〇六工厂", "中国人民解放军第四八〇六工厂"),
        ("social_organisation", "中国企业联合会", "中国企业联合会"),
        ("agency", "北京市海淀区人民政府", "北京市海淀区人民政府"),
    ],
)
def test_unit_names_that_fit_their_type(unit, name, result):
    assert validate_unit_name(unit, name) == result


@pytest.mark.unit
@pytest.mark.req("R1.1")
@pytest.mark.parametrize(
    ("unit", "name", "code"),
    [
        ("social_organisation", "北京某某科技有限公司", "unit_type_mismatch"),
        ("agency", "某某集团", "unit_type_mismatch"),
        ("public_institution", "某某印刷厂", "unit_type_mismatch"),
        ("private_non_enterprise", "某某培训有限公司", "unit_type_mismatch"),
        ("foundation", "某某商行", "unit_type_mismatch"),
        ("enterprise", "   ", "required"),
    ],
)
def test_unit_names_that_contradict_their_type_are_refused(unit, name, code):
    assert error(lambda: validate_unit_name(unit, name)) == (code, "R1.1")


# --- R1.2 unit documents -------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("R1.2")
@pytest.mark.parametrize(
    ("unit", "documents"),
    [
        (
            "agency",
            (
                D.organisation_code_certificate,
                D.public_institution_certificate,
                D.social_organisation_certificate,
            ),
        ),
        (
            "public_institution",
            (
                D.organisation_code_certificate,
                D.public_institution_certificate,
                D.social_organisation_certificate,
            ),
        ),
        (
            "social_organisation",
            (
                D.organisation_code_certificate,
                D.public_institution_certificate,
                D.social_organisation_certificate,
            ),
        ),
        ("enterprise", (D.business_licence, D.organisation_code_certificate)),
        ("military", (D.military_unit_code_certificate,)),
        ("private_non_enterprise", (D.organisation_code_certificate, D.private_non_enterprise_certificate)),
        ("foundation", (D.organisation_code_certificate, D.foundation_certificate)),
    ],
)
def test_each_unit_type_allows_the_regulations_documents_in_order_of_preference(unit, documents):
    assert unit_type(unit).allowed_documents == documents


@pytest.mark.unit
@pytest.mark.req("R1.2")
@pytest.mark.parametrize(
    ("unit", "document", "number", "expected"),
    [
        ("enterprise", "business_licence", "91110000600037341L", "91110000600037341L"),
        ("enterprise", "business_licence", "9135 0100 m000 100y 43", "91350100M000100Y43"),
        ("enterprise", "business_licence", uscc("92330106"), uscc("92330106")),
        ("enterprise", "business_licence", licence("11010800000001"), licence("11010800000001")),
        ("enterprise", "business_licence", "60003734-1", "600037341"),
        ("enterprise", "organisation_code_certificate", "91110000600037341L", "91110000600037341L"),
        ("enterprise", "organisation_code_certificate", "600037341", "600037341"),
        ("agency", "organisation_code_certificate", uscc("11100000"), uscc("11100000")),
        ("agency", "organisation_code_certificate", org("00001312"), org("00001312")),
        ("public_institution", "public_institution_certificate", uscc("12110000"), uscc("12110000")),
        ("public_institution", "public_institution_certificate", org("40000001"), org("40000001")),
        ("social_organisation", "social_organisation_certificate", uscc("51100000"), uscc("51100000")),
        ("private_non_enterprise", "private_non_enterprise_certificate", uscc("52110108"), uscc("52110108")),
        ("foundation", "foundation_certificate", uscc("53100000"), uscc("53100000")),
        ("military", "military_unit_code_certificate", uscc("A1110000"), uscc("A1110000")),
        ("military", "military_unit_code_certificate", org("MB1E0001"), org("MB1E0001")),
        ("military", "military_unit_code_certificate", " 61001 ", "61001"),
    ],
)
def test_valid_unit_documents(unit, document, number, expected):
    assert validate_unit_document(unit, document, number) == expected


@pytest.mark.unit
@pytest.mark.req("R1.2")
@pytest.mark.parametrize(
    ("unit", "document", "number", "code", "rule"),
    [
        ("enterprise", "passport", "E12345678", "document_not_allowed", "R1.2"),
        ("enterprise", "social_organisation_certificate", uscc("51100000"), "document_not_allowed", "R1.2"),
        ("military", "business_licence", "91110000600037341L", "document_not_allowed", "R1.2"),
        ("agency", "business_licence", "91110000600037341L", "document_not_allowed", "R1.2"),
        ("foundation", "social_organisation_certificate", uscc("53100000"), "document_not_allowed", "R1.2"),
        ("enterprise", "licence", "91110000600037341L", "unknown_document_type", "R1.2"),
        ("church", "business_licence", "91110000600037341L", "unknown_unit_type", "R1.1"),
        ("enterprise", "business_licence", uscc("51100000"), "document_mismatch", "R1.2"),
        (
            "public_institution",
            "public_institution_certificate",
            uscc("11100000"),
            "document_mismatch",
            "R1.2",
        ),
        (
            "social_organisation",
            "social_organisation_certificate",
            uscc("12110000"),
            "document_mismatch",
            "R1.2",
        ),
        (
            "private_non_enterprise",
            "private_non_enterprise_certificate",
            uscc("51110000"),
            "document_mismatch",
            "R1.2",
        ),
        ("foundation", "foundation_certificate", uscc("52110000"), "document_mismatch", "R1.2"),
        ("enterprise", "business_licence", "91110000600037341M", "check_digit", "GB 32100-2015"),
        ("enterprise", "business_licence", "60003734-2", "check_digit", "GB 11714-1997"),
        ("enterprise", "business_licence", licence("11010800000001")[:-1] + "0", "check_digit", "GS 15-2006"),
        ("enterprise", "organisation_code_certificate", licence("11010800000001"), "format", "R1.2"),
        ("agency", "organisation_code_certificate", "1234567", "format", "R1.2"),
        ("enterprise", "business_licence", "12345", "format", "R1.2"),
        ("military", "military_unit_code_certificate", "6100", "format", "R1.2"),
        ("military", "military_unit_code_certificate", "610011", "format", "R1.2"),
    ],
)
def test_invalid_unit_documents(unit, document, number, code, rule):
    assert error(lambda: validate_unit_document(unit, document, number)) == (code, rule)


@pytest.mark.unit
@pytest.mark.req("R1.2")
def test_every_document_type_has_a_parser():
    assert parse_document_type("business_licence") is D.business_licence
    assert error(lambda: parse_document_type("id_card")) == ("unknown_document_type", "R1.2")


# --- R1.3 / R1.4 person documents ---------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("R1.3")
def test_person_documents_put_the_resident_id_first_and_the_passport_for_non_citizens():
    assert list(CITIZEN_DOCUMENTS) == [D.resident_id, D.household_register, D.officer_card, D.taiwan_permit]
    assert list(NON_CITIZEN_DOCUMENTS) == [D.passport]
    assert PERSON_DOCUMENTS == CITIZEN_DOCUMENTS + NON_CITIZEN_DOCUMENTS
    assert not set(PERSON_DOCUMENTS) & {doc for unit in UNIT_TYPES.values() for doc in unit.allowed_documents}


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(
    ("document", "number", "expected"),
    [
        ("resident_id", "11010519491231002x", "11010519491231002X"),
        ("household_register", "11010519491231002x", "11010519491231002X"),
        ("officer_card", "南字2003512", "南字第2003512号"),
        ("taiwan_permit", "07257456", "07257456"),
        ("passport", "e12345678", "E12345678"),
    ],
)
def test_valid_person_documents(document, number, expected):
    assert validate_person_document(document, number, TODAY) == expected


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(
    ("document", "number", "code"),
    [
        ("resident_id", "110105194912310021", "check_digit"),
        ("household_register", "110105194912310021", "check_digit"),
        ("officer_card", "2003512", "format"),
        ("taiwan_permit", "1234", "format"),
        ("passport", "护照", "format"),
        ("business_licence", "91110000600037341L", "document_not_allowed"),
        ("driving_licence", "110105194912310021", "unknown_document_type"),
    ],
)
def test_invalid_person_documents(document, number, code):
    assert error(lambda: validate_person_document(document, number, TODAY))[0] == code


@pytest.mark.unit
@pytest.mark.req("R1.3")
def test_resident_id_and_household_register_are_checked_against_today():
    born_tomorrow = "11010520260502" + "002"
    number = born_tomorrow + mod_11_2.calc_check_digit(born_tomorrow)
    for document in ("resident_id", "household_register"):
        assert error(lambda document=document: validate_person_document(document, number, TODAY)) == (
            "birth_date",
            "GB 11643-1999",
        )
        assert validate_person_document(document, number, datetime.date(2026, 5, 2)) == number


@pytest.mark.unit
@pytest.mark.req("R1.4")
@pytest.mark.parametrize("document", [doc.value for doc in PERSON_DOCUMENTS])
def test_an_individual_sponsor_uses_the_same_documents_as_a_responsible_person(document):
    samples = {
        "resident_id": "11010519491231002X",
        "household_register": "11010519491231002X",
        "officer_card": "南字第2003512号",
        "taiwan_permit": "07257456",
        "passport": "E12345678",
    }
    assert validate_person_document(document, samples[document], TODAY) == samples[document]


# --- R1.5 responsible person --------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("R1.5")
@pytest.mark.parametrize(
    ("kind", "role", "expected"),
    [
        ("unit", "legal_representative", ResponsibleRole.legal_representative),
        ("unit", "department_head", ResponsibleRole.department_head),
        ("individual", "sponsor", ResponsibleRole.sponsor),
    ],
)
def test_responsible_person_roles_that_fit_the_sponsor(kind, role, expected):
    assert validate_responsible_role(kind, role) is expected


@pytest.mark.unit
@pytest.mark.req("R1.5")
@pytest.mark.parametrize(
    ("kind", "role", "code", "rule"),
    [
        ("unit", "sponsor", "role_not_allowed", "R1.5"),
        ("unit", "webmaster", "role_not_allowed", "R1.5"),
        ("individual", "legal_representative", "role_not_allowed", "R1.5"),
        ("individual", "department_head", "role_not_allowed", "R1.5"),
        ("company", "legal_representative", "unknown_sponsor_kind", "R1.1"),
    ],
)
def test_responsible_person_roles_that_do_not_fit_are_refused(kind, role, code, rule):
    assert error(lambda: validate_responsible_role(kind, role)) == (code, rule)


@pytest.mark.unit
@pytest.mark.req("R1.5")
def test_individual_sponsor_is_the_responsible_person():
    require_same_person("resident_id", "11010519491231002X", "resident_id", " 11010519491231002x ")
    require_same_person("passport", "E12345678", "passport", "e12345678")
    require_same_person("resident_id", "11010519491231002X", "household_register", "11010519491231002X")


@pytest.mark.unit
@pytest.mark.req("R1.5")
@pytest.mark.parametrize(
    ("sponsor", "person"),
    [
        (("resident_id", "11010519491231002X"), ("resident_id", "110105194912310037")),
        (("resident_id", "11010519491231002X"), ("household_register", "110105194912310037")),
        (("resident_id", "E12345678"), ("passport", "E12345678")),
        (("passport", "E12345678"), ("passport", "E12345679")),
    ],
)
def test_someone_else_cannot_be_an_individual_sponsors_responsible_person(sponsor, person):
    assert error(lambda: require_same_person(*sponsor, *person)) == ("not_sponsor", "R1.5")


# --- text a person typed (issue 17) ----------------------------------------------------------------

HIDDEN = [
    "\x00", "\x07", "\n", "\x7f", "\x85",  # controls (C0, DEL, C1)
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # bidirectional embeddings and overrides
    "\u2066", "\u2067", "\u2068", "\u2069",  # bidirectional isolates
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",  # zero-width characters
    "\u2028", "\u2029",  # line and paragraph separators
]


@pytest.mark.unit
@pytest.mark.req("R1.1")
@pytest.mark.parametrize("char", HIDDEN, ids=[f"U+{ord(c):04X}" for c in HIDDEN])
def test_typed_text_refuses_control_and_invisible_characters(char):
    with pytest.raises(InvalidValue) as caught:
        validate_typed_text(f"北京示例{char}科技有限公司", "R1.1")
    assert (caught.value.code, caught.value.rule) == ("hidden_character", "R1.1")
    assert f"U+{ord(char):04X}" in caught.value.message


@pytest.mark.unit
@pytest.mark.req("R1.1")
@pytest.mark.req("P5")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 北京示例科技有限公司（分公司）\t", "北京示例科技有限公司（分公司）"),  # full-width brackets kept
        ("ＡＢＣ网络", "ＡＢＣ网络"),  # no NFKC: compared with the original documents as printed
        ("李 四", "李 四"),
    ],
)
def test_typed_text_is_only_trimmed(text, expected):
    assert validate_typed_text(text, "R1.1") == expected
