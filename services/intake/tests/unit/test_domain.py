"""Pure rules of intake (``intake.domain``): what a complete filing is (R1.1–R1.8, P5 scans, W3 clause),
the canonical form of a filing, partial edits, the sponsor guide (W2) and the submit state rule."""

import copy
import hashlib
import re
from datetime import date
from pathlib import Path

import pytest

from intake.domain.filing import (
    CANCELLABLE,
    EDITABLE,
    SUBMITTABLE,
    FilingState,
    StateConflict,
    ensure_state,
    is_change,
    merge,
)
from intake.domain.filing_data import normalise, normalise_typed, validate_filing
from intake.domain.guide import CONTRACT_CLAUSE, CONTRACT_CLAUSE_SHA256, document_guide
from shared.contracts.errors import FieldError
from shared.kernel.documents import UNIT_TYPES
from shared.kernel.errors import InvalidValue
from shared.kernel.identifiers import organisation_code_check_character
from shared.testing.samples import (
    ACCESS,
    RESIDENT_ID,
    SECOND_RESIDENT_ID,
    individual_filing,
    resident_id,
    unit_filing,
    uscc,
)

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 2)
UNIT_SCANS = ["sponsor_document", "responsible_person_document"]
INDIVIDUAL_SCANS = ["responsible_person_document"]

ORGANISATION_CODE = "MA01C3H7" + organisation_code_check_character("MA01C3H7")
# SECOND_RESIDENT_ID's real check character is 1; X is wrong for it.
BAD_CHECK_X = SECOND_RESIDENT_ID[:17] + "X"
FUTURE_BIRTH_ID = resident_id("11010520300101001")  # born 2030-01-01, right check character


# --- helpers ----------------------------------------------------------------------------------------


def _unit() -> dict:
    data = unit_filing()
    data["access"] = copy.deepcopy(ACCESS)
    return data


def _individual() -> dict:
    data = individual_filing()
    data["access"] = copy.deepcopy(ACCESS)
    return data


def _walk(data, path: str):
    """(container, last key) of a dotted path; list indexes are numbers (``websites.0.name``)."""
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node, (int(last) if isinstance(node, list) else last)


def put(path: str, value):
    def mutate(data):
        node, key = _walk(data, path)
        node[key] = copy.deepcopy(value)

    return mutate


def drop(path: str):
    def mutate(data):
        node, key = _walk(data, path)
        del node[key]

    return mutate


def add_website(site: dict):
    return lambda data: data["websites"].append(copy.deepcopy(site))


def both(*mutations):
    def mutate(data):
        for m in mutations:
            m(data)

    return mutate


def _problems(data: dict, scans=None, clause=CONTRACT_CLAUSE_SHA256) -> list[tuple[str, str, str]]:
    if scans is None:
        scans = UNIT_SCANS if (data.get("sponsor") or {}).get("kind") == "unit" else INDIVIDUAL_SCANS
    errors = validate_filing(data, scans, clause, TODAY)
    assert all(isinstance(e, FieldError) and e.message for e in errors)
    return [(e.field, e.code, e.rule) for e in errors]


def row(req: str | tuple, case_id: str, base, mutate, expected: list):
    reqs = (req,) if isinstance(req, str) else req
    return pytest.param(base, mutate, expected, id=case_id, marks=[pytest.mark.req(r) for r in reqs])


# --- validate_filing: valid samples ---------------------------------------------------------------


@pytest.mark.req("P1")
@pytest.mark.parametrize(
    ("base", "scans"),
    [
        pytest.param(_unit, UNIT_SCANS, id="unit"),
        pytest.param(_individual, INDIVIDUAL_SCANS, id="individual"),
    ],
)
def test_complete_sample_filing_has_no_problems(base, scans):
    assert validate_filing(base(), scans, CONTRACT_CLAUSE_SHA256, TODAY) == []


# --- validate_filing: one mutation, the exact problem ---------------------------------------------

MUTATIONS = [
    # R1.1 sponsor kind and unit type
    row("R1.1", "kind-missing", _unit, drop("sponsor.kind"), [("sponsor.kind", "choice", "R1.1")]),
    row("R1.1", "kind-wrong", _unit, put("sponsor.kind", "company"), [("sponsor.kind", "choice", "R1.1")]),
    row(
        "R1.1",
        "unknown-unit-type",
        _unit,
        put("sponsor.unit_type", "cooperative"),
        [("sponsor.unit_type", "unknown_unit_type", "R1.1")],
    ),
    row(
        "R1.1",
        "unit-type-missing",
        _unit,
        drop("sponsor.unit_type"),
        [("sponsor.unit_type", "required", "R1.1")],
    ),
    row(
        "R1.1",
        "enterprise-name-as-social-organisation",
        _unit,
        both(
            put("sponsor.unit_type", "social_organisation"),
            put("sponsor.name", "某某有限公司"),
            put("sponsor.document_type", "organisation_code_certificate"),
        ),
        [("sponsor.unit_type", "unit_type_mismatch", "R1.1")],
    ),
    row(
        "R1.1",
        "individual-with-unit-type",
        _individual,
        put("sponsor.unit_type", "enterprise"),
        [("sponsor.unit_type", "not_allowed", "R1.1")],
    ),
    # R1.2 unit documents
    row(
        "R1.2",
        "resident-id-as-business-document",
        _unit,
        both(put("sponsor.document_type", "resident_id"), put("sponsor.document_number", RESIDENT_ID)),
        [("sponsor.document_number", "document_not_allowed", "R1.2")],
    ),
    row(
        "R1.2",
        "uscc-bad-check-character",
        _unit,
        put("sponsor.document_number", uscc()[:17] + ("0" if uscc()[17] != "0" else "1")),
        [("sponsor.document_number", "check_digit", "GB 32100-2015")],
    ),
    row(
        "R1.2",
        "uscc-of-a-public-institution-on-a-business-licence",
        _unit,
        put("sponsor.document_number", uscc(category="12")),
        [("sponsor.document_number", "document_mismatch", "R1.2")],
    ),
    row(
        "R1.2",
        "agency-organisation-code-certificate-9-characters",
        _unit,
        both(
            put("sponsor.unit_type", "agency"),
            put("sponsor.name", "北京市示例区人民政府办公室"),
            put("sponsor.document_type", "organisation_code_certificate"),
            put("sponsor.document_number", ORGANISATION_CODE),
        ),
        [],
    ),
    row(
        "R1.2",
        "organisation-code-bad-check-character",
        _unit,
        both(
            put("sponsor.unit_type", "agency"),
            put("sponsor.name", "北京市示例区人民政府办公室"),
            put("sponsor.document_type", "organisation_code_certificate"),
            put(
                "sponsor.document_number",
                ORGANISATION_CODE[:8] + ("0" if ORGANISATION_CODE[8] != "0" else "1"),
            ),
        ),
        [("sponsor.document_number", "check_digit", "GB 11714-1997")],
    ),
    # R1.3 responsible person's document
    row(
        "R1.3",
        "resident-id-bad-check-digit-X",
        _unit,
        put("responsible_person.document_number", BAD_CHECK_X),
        [("responsible_person.document_number", "check_digit", "GB 11643-1999")],
    ),
    row(
        "R1.3",
        "resident-id-future-birth-date",
        _unit,
        put("responsible_person.document_number", FUTURE_BIRTH_ID),
        [("responsible_person.document_number", "birth_date", "GB 11643-1999")],
    ),
    row(
        "R1.3",
        "passport-accepted",
        _unit,
        both(
            put("responsible_person.document_type", "passport"),
            put("responsible_person.document_number", "E12345678"),
        ),
        [],
    ),
    row(
        "R1.3",
        "business-licence-is-no-person-document",
        _unit,
        both(
            put("responsible_person.document_type", "business_licence"),
            put("responsible_person.document_number", uscc()),
        ),
        [("responsible_person.document_number", "document_not_allowed", "R1.3")],
    ),
    row(
        "R1.3",
        "responsible-person-name-missing",
        _unit,
        drop("responsible_person.name"),
        [("responsible_person.name", "required", "R1.3")],
    ),
    # R1.4 an individual sponsor's own document
    row(
        ("R1.4", "R1.5"),
        "individual-sponsor-document-invalid",
        _individual,
        put("sponsor.document_number", BAD_CHECK_X),
        [
            ("sponsor.document_number", "check_digit", "GB 11643-1999"),
            ("responsible_person.document_number", "not_sponsor", "R1.5"),
        ],
    ),
    row(
        "R1.4",
        "individual-sponsor-and-person-document-invalid",
        _individual,
        both(
            put("sponsor.document_number", BAD_CHECK_X),
            put("responsible_person.document_number", BAD_CHECK_X),
        ),
        [
            ("sponsor.document_number", "check_digit", "GB 11643-1999"),
            ("responsible_person.document_number", "check_digit", "GB 11643-1999"),
        ],
    ),
    row(
        "R1.4",
        "individual-sponsor-document-missing",
        _individual,
        drop("sponsor.document_number"),
        [("sponsor.document_number", "required", "R1.4")],
    ),
    # R1.5 who the responsible person is
    row(
        "R1.5",
        "unit-role-missing",
        _unit,
        drop("responsible_person.role"),
        [("responsible_person.role", "role_not_allowed", "R1.5")],
    ),
    row(
        "R1.5",
        "unit-role-sponsor",
        _unit,
        put("responsible_person.role", "sponsor"),
        [("responsible_person.role", "role_not_allowed", "R1.5")],
    ),
    row("R1.5", "unit-role-department-head", _unit, put("responsible_person.role", "department_head"), []),
    row(
        "R1.5",
        "individual-role-legal-representative",
        _individual,
        put("responsible_person.role", "legal_representative"),
        [("responsible_person.role", "role_not_allowed", "R1.5")],
    ),
    row(
        "R1.5",
        "individual-responsible-person-other-id-number",
        _individual,
        put("responsible_person.document_number", RESIDENT_ID),
        [("responsible_person.document_number", "not_sponsor", "R1.5")],
    ),
    row(
        "R1.5",
        "individual-responsible-person-other-name",
        _individual,
        put("responsible_person.name", "王五"),
        [("responsible_person.name", "not_sponsor", "R1.5")],
    ),
    row(
        "R1.5",
        "individual-household-register-with-same-citizen-number",
        _individual,
        put("responsible_person.document_type", "household_register"),
        [],
    ),
    # R1.6 contacts
    row(
        "R1.6",
        "unit-without-office-phone",
        _unit,
        drop("contacts.office_phone"),
        [("contacts.office_phone", "required", "R1.6")],
    ),
    row(
        "R1.6",
        "unit-with-home-phone-only",
        _unit,
        both(drop("contacts.office_phone"), put("contacts.home_phone", "010-82345678")),
        [("contacts.office_phone", "required", "R1.6")],
    ),
    row("R1.6", "individual-home-phone-only", _individual, put("contacts.office_phone", None), []),
    row(
        "R1.6",
        "individual-office-phone-only",
        _individual,
        both(drop("contacts.home_phone"), put("contacts.office_phone", "020-87654321")),
        [],
    ),
    row(
        "R1.6",
        "individual-neither-phone",
        _individual,
        drop("contacts.home_phone"),
        [("contacts.office_phone", "required", "R1.6")],
    ),
    row("R1.6", "mobile-missing", _unit, drop("contacts.mobile"), [("contacts.mobile", "required", "R1.6")]),
    row(
        "R1.6",
        "mobile-invalid",
        _unit,
        put("contacts.mobile", "12345"),
        [("contacts.mobile", "format", "R1.6")],
    ),
    row(
        "R1.6",
        "mobile-is-a-landline",
        _unit,
        put("contacts.mobile", "010-62345678"),
        [("contacts.mobile", "not_mobile", "R1.6")],
    ),
    row(
        "R1.6",
        "email-invalid",
        _unit,
        put("contacts.email", "zhangsan.example.com.cn"),
        [("contacts.email", "format", "R1.6")],
    ),
    row(
        "R1.6",
        "landline-without-area-code",
        _unit,
        put("contacts.office_phone", "62345678"),
        [("contacts.office_phone", "format", "R1.6")],
    ),
    row(
        "R1.6",
        "postal-address-missing",
        _unit,
        put("contacts.postal_address", ""),
        [("contacts.postal_address", "required", "R1.6")],
    ),
    # R1.7 websites
    row("R1.7", "no-websites", _unit, put("websites", []), [("websites", "required", "R1.7")]),
    row(
        "R1.7",
        "website-without-domains",
        _unit,
        put("websites.0.domains", []),
        [("websites.0.domains", "required", "R1.7")],
    ),
    row(
        "R1.7",
        "duplicate-domain-across-websites",
        _unit,
        add_website(
            {
                "name": "二号站",
                "domains": ["WWW.Example.com.cn"],
                "service_content": ["x"],
                "prior_approvals": [],
            }
        ),
        [("websites.1.domains.0", "duplicate", "R1.7")],
    ),
    row(
        "R1.7",
        "duplicate-idn-in-its-other-form",
        _unit,
        add_website(
            {
                "name": "二号站",
                "domains": ["xn--fsqu00a.xn--fiqs8s"],
                "service_content": ["x"],
                "prior_approvals": [],
            }
        ),
        [("websites.1.domains.0", "duplicate", "R1.7")],
    ),
    row("R1.7", "idn-domain-accepted", _unit, put("websites.0.domains", ["例子.中国"]), []),
    row(
        "R1.7",
        "domain-with-scheme",
        _unit,
        put("websites.0.domains", ["https://www.example.com.cn"]),
        [("websites.0.domains.0", "format", "R1.7")],
    ),
    row(
        "R1.7",
        "prior-approval-accepted",
        _unit,
        put("websites.0.prior_approvals", [{"category": "news", "approval_number": "京新闻许可2026001"}]),
        [],
    ),
    row(
        "R1.7",
        "prior-approval-unknown-category",
        _unit,
        put("websites.0.prior_approvals", [{"category": "gambling", "approval_number": "X-1"}]),
        [("websites.0.prior_approvals.0.category", "choice", "R1.7")],
    ),
    row(
        "R1.7",
        "prior-approval-without-number",
        _unit,
        put("websites.0.prior_approvals", [{"category": "health_care", "approval_number": "  "}]),
        [("websites.0.prior_approvals.0.approval_number", "required", "R1.7")],
    ),
    row("R1.7", "name-64-characters", _unit, put("websites.0.name", "网" * 64), []),
    row(
        "R1.7",
        "name-65-characters",
        _unit,
        put("websites.0.name", "网" * 65),
        [("websites.0.name", "length", "R1.7")],
    ),
    row(
        "R1.7",
        "service-content-missing",
        _unit,
        put("websites.0.service_content", []),
        [("websites.0.service_content", "required", "R1.7")],
    ),
    # R1.8 access information
    row(
        "R1.8",
        "private-ip",
        _unit,
        put("access.ip_addresses", ["10.0.0.1"]),
        [("access.ip_addresses.0", "not_public", "R1.8")],
    ),
    row(
        "R1.8",
        "not-an-ip",
        _unit,
        put("access.ip_addresses", ["111.13.100.91", "999.1.1.1"]),
        [("access.ip_addresses.1", "format", "R1.8")],
    ),
    row(
        "R1.8",
        "unknown-access-method",
        _unit,
        put("access.access_method", "carrier_pigeon"),
        [("access.access_method", "choice", "R1.8")],
    ),
    row(
        "R1.8", "no-ips", _unit, put("access.ip_addresses", []), [("access.ip_addresses", "required", "R1.8")]
    ),
    row(
        "R1.8",
        "no-access-information",
        _unit,
        drop("access"),
        [
            ("access.provider_name", "required", "R1.8"),
            ("access.server_location", "required", "R1.8"),
            ("access.access_method", "choice", "R1.8"),
            ("access.ip_addresses", "required", "R1.8"),
        ],
    ),
]


@pytest.mark.parametrize(("base", "mutate", "expected"), MUTATIONS)
def test_each_problem_is_named_by_field_code_and_rule(base, mutate, expected):
    data = base()
    mutate(data)
    assert _problems(data) == expected


@pytest.mark.req("R1.3")
@pytest.mark.req("R1.6")
@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("responsible_person.document_number", BAD_CHECK_X),
        ("responsible_person.document_number", FUTURE_BIRTH_ID),
        ("contacts.mobile", "1380013800"),
        ("contacts.email", "zhangsan.example.com.cn"),
    ],
)
def test_problem_messages_do_not_repeat_personal_values(path, value):
    data = _unit()
    put(path, value)(data)
    errors = validate_filing(data, UNIT_SCANS, CONTRACT_CLAUSE_SHA256, TODAY)
    assert [e.field for e in errors] == [path]
    assert value not in errors[0].message


@pytest.mark.req("P5")
@pytest.mark.parametrize(
    ("base", "scans", "expected"),
    [
        pytest.param(_unit, ["responsible_person_document"], 1, id="unit-without-sponsor-document"),
        pytest.param(_unit, ["sponsor_document"], 1, id="unit-without-person-document"),
        pytest.param(_unit, [], 2, id="unit-without-any"),
        pytest.param(_unit, ["other", "prior_approval"], 2, id="unit-with-unrelated-scans"),
        pytest.param(_individual, [], 1, id="individual-without-any"),
    ],
)
def test_missing_scans(base, scans, expected):
    assert _problems(base(), scans=scans) == [("documents", "scan_missing", "P5")] * expected


@pytest.mark.req("P5")
def test_individual_needs_no_sponsor_document_scan():
    assert _problems(_individual(), scans=["responsible_person_document"]) == []


@pytest.mark.req("W3")
@pytest.mark.parametrize(
    "clause",
    [
        pytest.param(None, id="not-accepted"),
        pytest.param(hashlib.sha256(b"another clause").hexdigest(), id="other-clause"),
        pytest.param(CONTRACT_CLAUSE_SHA256.upper(), id="same-hash-other-case"),
        pytest.param(CONTRACT_CLAUSE, id="clause-text-instead-of-hash"),
    ],
)
def test_contract_clause_must_be_accepted(clause):
    assert _problems(_unit(), clause=clause) == [("contract_acceptance", "not_accepted", "W3")]


@pytest.mark.req("P1")
def test_empty_filing_reports_every_problem_at_once():
    problems = _problems({}, scans=[], clause=None)
    sections = {field.split(".")[0] for field, _, _ in problems}
    assert sections == {
        "sponsor",
        "responsible_person",
        "contacts",
        "websites",
        "access",
        "documents",
        "contract_acceptance",
    }
    assert {
        ("sponsor.kind", "choice", "R1.1"),
        ("sponsor.name", "required", "R1.1"),
        ("responsible_person.name", "required", "R1.3"),
        ("responsible_person.document_number", "required", "R1.3"),
        ("contacts.mobile", "required", "R1.6"),
        ("contacts.email", "required", "R1.6"),
        ("contacts.postal_address", "required", "R1.6"),
        ("websites", "required", "R1.7"),
        ("access.ip_addresses", "required", "R1.8"),
        ("access.access_method", "choice", "R1.8"),
        ("documents", "scan_missing", "P5"),
        ("contract_acceptance", "not_accepted", "W3"),
    } <= set(problems)
    assert len(problems) >= 15


@pytest.mark.req("P1")
def test_problems_in_several_sections_are_reported_together():
    data = _unit()
    put("sponsor.unit_type", "cooperative")(data)
    put("contacts.mobile", "12345")(data)
    put("access.ip_addresses", ["10.0.0.1"])(data)
    assert _problems(data, scans=[], clause=None) == [
        ("sponsor.unit_type", "unknown_unit_type", "R1.1"),
        ("contacts.mobile", "format", "R1.6"),
        ("access.ip_addresses.0", "not_public", "R1.8"),
        ("documents", "scan_missing", "P5"),
        ("documents", "scan_missing", "P5"),
        ("contract_acceptance", "not_accepted", "W3"),
    ]


def test_validate_filing_does_not_change_its_input():
    data = _unit()
    before = copy.deepcopy(data)
    validate_filing(data, UNIT_SCANS, CONTRACT_CLAUSE_SHA256, TODAY)
    assert data == before


# --- normalise --------------------------------------------------------------------------------------


@pytest.mark.req("R1.7")
def test_normalise_stores_idn_domains_in_both_forms():
    data = _unit()
    data["websites"][0]["domains"] = ["例子.中国", "WWW.Example.COM.cn"]
    data["websites"].append(
        {"name": "二号站", "domains": ["xn--fsqu00a.xn--fiqs8s.cn"], "service_content": ["x"]}
    )
    out = normalise(data, TODAY)
    assert out["websites"][0]["domains"] == [
        {"unicode": "例子.中国", "ascii": "xn--fsqu00a.xn--fiqs8s"},
        {"unicode": "www.example.com.cn", "ascii": "www.example.com.cn"},
    ]
    assert out["websites"][1]["domains"] == [
        {"unicode": "例子.中国.cn", "ascii": "xn--fsqu00a.xn--fiqs8s.cn"}
    ]
    assert out["websites"][1]["prior_approvals"] == []


@pytest.mark.req("R1.3")
@pytest.mark.req("R1.6")
def test_normalise_numbers():
    data = _unit()
    data["responsible_person"]["document_number"] = RESIDENT_ID.lower()
    data["contacts"]["mobile"] = "+86 138 0013 8000"
    data["contacts"]["office_phone"] = "(010) 6234 5678"
    data["access"]["ip_addresses"] = ["111.13.100.91", "240E:E9:6002:15C:0:0:0:FF"]
    assert validate_filing(data, UNIT_SCANS, CONTRACT_CLAUSE_SHA256, TODAY) == []
    before = copy.deepcopy(data)
    out = normalise(data, TODAY)
    assert data == before
    assert out["responsible_person"]["document_number"] == RESIDENT_ID
    assert out["responsible_person"]["document_number"].endswith("X")
    assert out["contacts"]["mobile"] == "13800138000"
    assert out["contacts"]["office_phone"] == "010-62345678"
    assert out["contacts"]["home_phone"] is None
    assert out["access"]["ip_addresses"] == ["111.13.100.91", "240e:e9:6002:15c::ff"]
    assert out["sponsor"]["document_number"] == uscc()


@pytest.mark.req("R1.5")
def test_normalise_individual_records_the_sponsor_as_responsible_person():
    data = _individual()
    del data["responsible_person"]["role"]
    out = normalise(data, TODAY)
    assert out["responsible_person"]["role"] == "sponsor"
    assert out["sponsor"]["unit_type"] is None
    assert out["contacts"]["office_phone"] is None
    assert out["contacts"]["home_phone"] == "020-81234567"


def _agency() -> dict:
    data = _unit()
    both(
        put("sponsor.unit_type", "agency"),
        put("sponsor.name", "北京市示例区人民政府办公室"),
        put("sponsor.document_type", "organisation_code_certificate"),
    )(data)
    return data


# validate_filing compares document numbers in compact form (whitespace removed, NFKC, hyphens ignored in
# unit codes), so these are accepted ...
_LOOSE_NUMBERS = [
    pytest.param(
        _unit, "responsible_person.document_number", "110105 19491231 002x", RESIDENT_ID, id="id-with-spaces"
    ),
    pytest.param(
        _unit,
        "sponsor.document_number",
        "".join(chr(ord(c) + 0xFEE0) for c in uscc()),
        uscc(),
        id="uscc-full-width",
    ),
    pytest.param(
        _agency,
        "sponsor.document_number",
        ORGANISATION_CODE[:8] + "-" + ORGANISATION_CODE[8],
        ORGANISATION_CODE,
        id="organisation-code-with-hyphen",
    ),
]


@pytest.mark.req("R1.2")
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(("base", "path", "typed", "canonical"), _LOOSE_NUMBERS)
def test_document_numbers_as_typed_are_accepted(base, path, typed, canonical):
    data = base()
    put(path, typed)(data)
    assert _problems(data) == []


# ... and normalise stores the validators' canonical form, so one person is one HMAC lookup.
@pytest.mark.req("R1.2")
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(("base", "path", "typed", "canonical"), _LOOSE_NUMBERS)
def test_normalise_stores_document_numbers_in_canonical_form(base, path, typed, canonical):
    data = base()
    put(path, typed)(data)
    node, key = _walk(normalise(data, TODAY), path)
    assert node[key] == canonical


# --- merge ------------------------------------------------------------------------------------------


@pytest.mark.req("P1")
def test_merge_merges_objects_and_replaces_lists():
    current = {
        "sponsor": {"name": "甲", "province": "京", "extra": {"a": 1, "b": 2}},
        "websites": [{"name": "站", "domains": ["a.cn", "b.cn"]}],
        "contacts": {"mobile": "13800138000"},
    }
    patch = {
        "sponsor": {"name": "乙", "extra": {"b": 3}},
        "websites": [{"name": "新站"}],
        "access": {"ip_addresses": ["111.13.100.91"]},
    }
    current_before, patch_before = copy.deepcopy(current), copy.deepcopy(patch)
    out = merge(current, patch)
    assert out == {
        "sponsor": {"name": "乙", "province": "京", "extra": {"a": 1, "b": 3}},
        "websites": [{"name": "新站"}],
        "contacts": {"mobile": "13800138000"},
        "access": {"ip_addresses": ["111.13.100.91"]},
    }
    assert current == current_before
    assert patch == patch_before
    out["sponsor"]["extra"]["a"] = 99
    out["websites"][0]["name"] = "changed"
    out["access"]["ip_addresses"].append("1.1.1.1")
    out["contacts"]["mobile"] = "changed"
    assert current == current_before
    assert patch == patch_before


def test_merge_scalars_and_none_replace():
    assert merge({"a": {"b": 1}, "c": 1}, {"a": None, "c": {"d": 2}}) == {"a": None, "c": {"d": 2}}
    assert merge({"a": [1, 2]}, {"a": []}) == {"a": []}
    assert merge({"a": 1}, {}) == {"a": 1}


# --- document_guide (W2) ----------------------------------------------------------------------------

_NON_PROFIT_DOCS = [
    "organisation_code_certificate",
    "public_institution_certificate",
    "social_organisation_certificate",
]
_PERSON_DOCS = ["resident_id", "household_register", "officer_card", "taiwan_permit", "passport"]


def _types(docs: list[dict]) -> list[str]:
    return [d["type"] for d in docs]


@pytest.mark.req("W2")
@pytest.mark.req("R1.2")
@pytest.mark.parametrize(
    ("unit_type", "expected"),
    [
        ("enterprise", ["business_licence", "organisation_code_certificate"]),
        (
            "agency",
            _NON_PROFIT_DOCS,
        ),
        (
            "public_institution",
            _NON_PROFIT_DOCS,
        ),
        (
            "social_organisation",
            _NON_PROFIT_DOCS,
        ),
        ("military", ["military_unit_code_certificate"]),
    ],
)
def test_guide_lists_the_unit_documents_in_order(unit_type, expected):
    guide = document_guide("unit", unit_type)
    assert guide["kind"] == "unit"
    assert guide["unit_type"] == unit_type
    assert _types(guide["sponsor_documents"]) == expected
    assert guide["sponsor_documents_rule"] == "R1.2"
    assert _types(guide["responsible_person_documents"]) == _PERSON_DOCS
    assert guide["responsible_person_documents_rule"] == "R1.3"
    assert guide["contacts_required"] == ["mobile", "office_phone", "email", "postal_address"]


@pytest.mark.req("W2")
@pytest.mark.req("R1.2")
def test_guide_names_documents_in_chinese():
    names = {d["type"]: d["name_zh"] for d in document_guide("unit", "agency")["sponsor_documents"]}
    assert names["organisation_code_certificate"] == "组织机构代码证书"
    military = document_guide("unit", "military")["sponsor_documents"]
    assert military == [{"type": "military_unit_code_certificate", "name_zh": "军队代号证书"}]
    person = {d["type"]: d["name_zh"] for d in document_guide("individual", None)["sponsor_documents"]}
    assert person["resident_id"] == "居民身份证"
    assert person["passport"] == "护照"


@pytest.mark.req("W2")
@pytest.mark.req("R1.4")
@pytest.mark.req("R1.6")
def test_guide_for_an_individual_lists_the_person_documents():
    guide = document_guide("individual", None)
    assert guide["unit_type"] is None
    assert _types(guide["sponsor_documents"]) == _PERSON_DOCS
    assert guide["sponsor_documents_rule"] == "R1.4"
    assert _types(guide["responsible_person_documents"]) == _PERSON_DOCS
    assert guide["contacts_required"] == ["mobile", "office_phone or home_phone", "email", "postal_address"]


@pytest.mark.req("W2")
@pytest.mark.req("R1.1")
@pytest.mark.parametrize(
    ("kind", "unit_type", "code"),
    [
        ("unit", "cooperative", "unknown_unit_type"),
        ("unit", None, "required"),
        ("company", None, "choice"),
    ],
)
def test_guide_refuses_unknown_sponsors(kind, unit_type, code):
    with pytest.raises(InvalidValue) as raised:
        document_guide(kind, unit_type)
    assert (raised.value.code, raised.value.rule) == (code, "R1.1")


@pytest.mark.req("W2")
@pytest.mark.req("W3")
@pytest.mark.parametrize(
    ("kind", "unit_type"), [("unit", code) for code in sorted(UNIT_TYPES)] + [("individual", None)]
)
def test_every_guide_carries_the_clause_and_the_procedure(kind, unit_type):
    guide = document_guide(kind, unit_type)
    assert guide["contract_clause"] == CONTRACT_CLAUSE
    assert [step["rule"] for step in guide["procedure"]] == [f"P{i}" for i in range(1, 9)]
    assert [step["step"] for step in guide["procedure"]] == list(range(1, 9))
    assert all(step["text"] for step in guide["procedure"])
    assert guide["sponsor_documents"]
    assert guide["notes"]


# --- W3 clause ----------------------------------------------------------------------------------------

REQUIREMENTS = (Path(__file__).resolve().parents[4] / ".." / "shared" / "spec" / "requirements.md").resolve()


def _w3_clause_from_requirements() -> str:
    text = REQUIREMENTS.read_text(encoding="utf-8")
    match = re.search(r"^- \*\*W3\*\*[^\n]*\n\s*`([^`]+)`", text, re.MULTILINE)
    assert match, f"no W3 clause found in {REQUIREMENTS}"
    return match.group(1)


@pytest.mark.req("W3")
def test_clause_is_verbatim_the_requirement():
    quoted = _w3_clause_from_requirements()
    assert quoted.startswith("依据《非经营性互联网备案管理办法》第二十三条规定")
    assert quoted == CONTRACT_CLAUSE


@pytest.mark.req("W3")
def test_clause_hash_is_its_sha256():
    quoted = _w3_clause_from_requirements()
    assert hashlib.sha256(quoted.encode("utf-8")).hexdigest() == CONTRACT_CLAUSE_SHA256
    assert hashlib.sha256(CONTRACT_CLAUSE.encode("utf-8")).hexdigest() == CONTRACT_CLAUSE_SHA256


# --- state helpers ----------------------------------------------------------------------------------


@pytest.mark.req("P1")
@pytest.mark.parametrize("state", ["submitted", "precheck_passed", "onsite_verified", "in_bureau_review",
                                   "returned_by_bureau", "approved", "cancelled"])
def test_submit_is_refused_outside_the_editable_states(state):
    with pytest.raises(StateConflict) as raised:
        ensure_state("submit", state, SUBMITTABLE)
    assert f"cannot submit a filing in state {state}" in raised.value.message
    assert ("allowed in: change_draft, draft, onsite_rejected, onsite_window_expired, precheck_failed"
            in raised.value.message)


@pytest.mark.req("P1")
@pytest.mark.req("P2")
@pytest.mark.parametrize("state", ["draft", "precheck_failed", "change_draft"])
def test_submit_is_allowed_from_the_editable_states(state):
    assert ensure_state("submit", state, SUBMITTABLE) is None


def test_state_sets():
    editable = {FilingState.DRAFT, FilingState.PRECHECK_FAILED, FilingState.CHANGE_DRAFT,
                FilingState.ONSITE_REJECTED, FilingState.ONSITE_WINDOW_EXPIRED}
    assert EDITABLE == SUBMITTABLE == editable
    assert FilingState.CANCELLED not in CANCELLABLE
    assert set(FilingState) - CANCELLABLE == {FilingState.CANCELLED}
    with pytest.raises(StateConflict):
        ensure_state("cancel", "cancelled", CANCELLABLE)


def test_is_change():
    assert is_change("change_draft") is True
    assert not any(is_change(s) for s in FilingState if s is not FilingState.CHANGE_DRAFT)


def test_unknown_state_is_an_error():
    with pytest.raises(ValueError):
        ensure_state("submit", "lost", SUBMITTABLE)


# --- text a person typed (issue 17) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "path", "rule"),
    [
        pytest.param(_unit, "sponsor.name", "R1.1", marks=pytest.mark.req("R1.1"), id="unit-name"),
        pytest.param(_individual, "sponsor.name", "R1.1", marks=pytest.mark.req("R1.4"), id="individual-name"),
        pytest.param(_unit, "responsible_person.name", "R1.3", marks=pytest.mark.req("R1.3"), id="person-name"),
        pytest.param(_unit, "websites.0.name", "R1.7", marks=pytest.mark.req("R1.7"), id="website-name"),
        pytest.param(_unit, "contacts.postal_address", "R1.6", marks=pytest.mark.req("R1.6"), id="address"),
    ],
)
@pytest.mark.parametrize("char", ["\x00", "\u202e", "\u2067", "\u200b", "\u2060", "\ufeff"])
def test_names_and_addresses_refuse_control_and_invisible_characters(base, path, rule, char):
    data = base()
    node, key = _walk(data, path)
    node[key] = node[key][:2] + char + node[key][2:]
    if path == "sponsor.name" and data["sponsor"]["kind"] == "individual":
        data["responsible_person"]["name"] = data["sponsor"]["name"]
    problems = _problems(data)
    assert (path, "hidden_character", rule) in problems
    assert all(field in (path, "responsible_person.name") for field, _code, _rule in problems)


@pytest.mark.req("R1.1")
@pytest.mark.parametrize("name", ["   ", "\u3000\u3000", " \t "])
def test_a_unit_name_of_spaces_is_reported_on_the_name(name):
    data = _unit()
    data["sponsor"]["name"] = name
    assert _problems(data) == [("sponsor.name", "required", "R1.1")]


@pytest.mark.req("R1.3")
@pytest.mark.req("R1.6")
@pytest.mark.req("R1.7")
@pytest.mark.req("P5")
def test_typed_values_are_normalised_once_and_names_only_trimmed():
    data = _unit()
    data["sponsor"].update(name=" 北京示例科技有限公司（分公司） ", document_number=" " + uscc().lower())
    data["responsible_person"].update(name="张三\u3000", document_number="１１０１０５１９４９１２３１００２ｘ")
    data["contacts"].update(mobile="＋８６ １３８ ００１３ ８０００", office_phone="０１０－６２３４５６７８",
                            email="ＺＨＡＮＧＳＡＮ＠ｅｘａｍｐｌｅ．ｃｏｍ．ｃｎ",
                            postal_address=" 北京市海淀区（中关村）1号 ")
    data["websites"][0].update(name=" 示例（官网） ", domains=["ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ．ｃｎ ", "例子.中国"])
    data["access"]["ip_addresses"] = ["１１１．１３．１００．９１"]

    typed = normalise_typed(data)

    assert typed["sponsor"]["name"] == "北京示例科技有限公司（分公司）"  # full-width brackets kept (P5)
    assert typed["sponsor"]["document_number"] == uscc()
    assert typed["responsible_person"] == {**data["responsible_person"], "name": "张三",
                                           "document_number": "11010519491231002X"}
    assert typed["contacts"] == {"mobile": "+86 138 0013 8000", "office_phone": "010-62345678",
                                 "email": "ZHANGSAN@example.com.cn", "postal_address": "北京市海淀区（中关村）1号"}
    assert typed["websites"][0]["name"] == "示例（官网）"
    assert typed["websites"][0]["domains"] == ["www.example.com.cn", "例子.中国"]
    assert typed["access"]["ip_addresses"] == ["111.13.100.91"]
    assert normalise_typed(typed) == typed


@pytest.mark.req("P1")
def test_normalising_a_partial_edit_adds_nothing():
    patch = {"contacts": {"mobile": "１３８００１３８０００"}, "access": {"server_location": "北京"}, "websites": [{}]}
    assert normalise_typed(patch) == {"contacts": {"mobile": "13800138000"}, "access": {"server_location": "北京"},
                                      "websites": [{}]}
