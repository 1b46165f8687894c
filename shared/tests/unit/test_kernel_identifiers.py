"""shared.kernel.identifiers against the standards (R1.2 unit numbers, R1.3 person documents).

Valid samples are published examples plus numbers whose check characters are computed here by independent
implementations of the standards' algorithms, so the tests do not trust the code under test.
"""

import datetime

import pytest

from shared.kernel.errors import InvalidValue
from shared.kernel.identifiers import (
    REGION_IN_USE,
    ResidentId,
    normalise_typed_number,
    organisation_code_check_character,
    resident_id_region_codes,
    uscc_check_character,
    validate_household_register_number,
    validate_licence_registration_number,
    validate_officer_card_number,
    validate_organisation_code,
    validate_passport_number,
    validate_resident_id,
    validate_taiwan_permit_number,
    validate_uscc,
)

TODAY = datetime.date(2026, 5, 1)


# --- independent oracles ------------------------------------------------------------------------------


def resident_id(first17: str) -> str:
    """GB 11643-1999: weights 2^(17-i) mod 11, check = (12 - Σ mod 11) mod 11, 10 written X."""
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def organisation_code(body: str) -> str:
    """GB 11714-1997: weights 3 7 9 10 5 8 4 2, letters A=10…Z=35, C = 11 - Σ mod 11 (10 → X, 11 → 0)."""
    values = [int(char) if char.isdigit() else ord(char) - ord("A") + 10 for char in body]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def uscc(first17: str) -> str:
    """GB 32100-2015: weights 3^i mod 31 over alphabet values, check = 31 - Σ mod 31 (31 → 0)."""
    total = sum(USCC_ALPHABET.index(char) * (3**i % 31) for i, char in enumerate(first17))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


def licence_number(first14: str) -> str:
    """GB/T 17710-1999 (ISO 7064 MOD 11,10): P1 = 10, S = (P + a) mod 10 (0 → 10), P' = 2S mod 11;
    the check digit a makes the last S equal 1, i.e. a = (11 - P) mod 10."""
    product = 10
    for digit in first14:
        total = (product + int(digit)) % 10 or 10
        product = total * 2 % 11
    return first14 + str((11 - product) % 10)


def code_of(call) -> str:
    with pytest.raises(InvalidValue) as caught:
        call()
    return caught.value.code


# --- resident ID (R1.3, GB 11643-1999) ----------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("R1.3")
def test_oracle_reproduces_the_published_resident_id_sample():
    assert resident_id("11010519491231002") == "11010519491231002X"


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(
    ("text", "number", "region", "birth", "sex"),
    [
        ("11010519491231002X", "11010519491231002X", "110105", datetime.date(1949, 12, 31), "female"),
        ("11010519491231002x", "11010519491231002X", "110105", datetime.date(1949, 12, 31), "female"),
        (" 110105 19491231 002X ", "11010519491231002X", "110105", datetime.date(1949, 12, 31), "female"),
        (
            "１１０１０５１９４９１２３１００２ｘ",
            "11010519491231002X",
            "110105",
            datetime.date(1949, 12, 31),
            "female",
        ),
        (
            resident_id("44030420000229123"),
            resident_id("44030420000229123"),
            "440304",
            datetime.date(2000, 2, 29),
            "male",
        ),
        (
            resident_id("65010219850615001"),
            resident_id("65010219850615001"),
            "650102",
            datetime.date(1985, 6, 15),
            "male",
        ),
        (resident_id("31011520260501004"), resident_id("31011520260501004"), "310115", TODAY, "female"),
    ],
)
def test_valid_resident_ids_are_normalised_and_decoded(text, number, region, birth, sex):
    assert validate_resident_id(text, TODAY) == ResidentId(number, region, birth, sex)


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "format"),
        ("11010519491231002", "format"),  # 17 characters
        ("11010519491231002X1", "format"),  # 19 characters
        ("1101051949123100XX", "format"),  # X only as the last character
        ("11010519491231002Y", "format"),
        ("A1010519491231002X", "format"),
        ("110105194912310021", "check_digit"),
        ("110105194912310020", "check_digit"),
        (resident_id("11010519490230002"), "birth_date"),  # 30 February
        (resident_id("11010519491301002"), "birth_date"),  # month 13
        (resident_id("11010520270101002"), "birth_date"),  # future
        (resident_id("11010520260502002"), "birth_date"),  # tomorrow
        (resident_id("11010518500101002"), "birth_date"),  # 1850: implausible
        (resident_id("11010518760430002"), "birth_date"),  # 150 years and a day
        (resident_id("11019919800101002"), "region_code"),  # not in GB/T 2260
        (resident_id("99000019800101002"), "region_code"),  # no such province
        (resident_id("81000019980101002"), "region_code"),  # Hong Kong: residence permits only
        (resident_id("71000019800101002"), "region_code"),  # Taiwan
        (resident_id("11010320120101002"), "region_code"),  # 崇文区, abolished 2010
    ],
)
def test_invalid_resident_ids_are_refused_with_a_distinct_code(text, code):
    with pytest.raises(InvalidValue) as caught:
        validate_resident_id(text, TODAY)
    assert (caught.value.code, caught.value.rule) == (code, "GB 11643-1999")


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(
    ("first17", "today"),
    [
        ("11010318760501002", TODAY),  # exactly 150 years
        ("11010320090101002", TODAY),  # 崇文区 before it was abolished
        ("11011819700101002", TODAY),  # 密云区 code (2015) on someone born earlier: assigned at registration
        ("13020419900101002", TODAY),  # 东矿区 renamed 古冶区: the code stayed valid
        ("11010518740228002", datetime.date(2024, 2, 29)),  # 150 years before a 29 February
    ],
)
def test_resident_id_boundaries_that_are_accepted(first17, today):
    assert validate_resident_id(resident_id(first17), today).number == resident_id(first17)


@pytest.mark.unit
@pytest.mark.req("R1.3")
def test_a_day_past_150_years_before_a_29_february_is_refused():
    number = resident_id("11010518740227002")
    assert code_of(lambda: validate_resident_id(number, datetime.date(2024, 2, 29))) == "birth_date"


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.req("P9")
def test_the_region_code_table_is_the_rule_the_check_of_one_number_applies():
    """What bulk checks look up (``resident_id_region_codes``) accepts exactly the codes and birth years
    ``validate_resident_id`` does: every listed code in its last year and not after it, no unlisted code."""
    table = resident_id_region_codes()
    assert table["110118"] == REGION_IN_USE and table["110103"] == 2010  # 密云区 (2015–), 崇文区 (–2010)
    assert not {code[:2] for code in table} & {"71", "81", "82", "10", "99"}
    for code, last in table.items():
        assert _verdict(resident_id(f"{code}{min(last, 2025)}0101002")) == "ok"
        if last < REGION_IN_USE:
            assert _verdict(resident_id(f"{code}{last + 1}0101002")) == "region_code"
    for code in ("110199", "119999", "119900", "810000", "100000"):
        assert code not in table
        assert _verdict(resident_id(f"{code}19800101002")) == "region_code"


def _verdict(number: str) -> str:
    try:
        validate_resident_id(number, TODAY)
    except InvalidValue as exc:
        return exc.code
    return "ok"


@pytest.mark.unit
@pytest.mark.req("R1.3")
def test_the_birth_date_is_judged_on_the_reference_date_given_never_the_wall_clock():
    born_2029 = resident_id("11010520290101002")
    assert validate_resident_id(born_2029, datetime.date(2029, 1, 1)).birth_date == datetime.date(2029, 1, 1)
    assert code_of(lambda: validate_resident_id(born_2029, datetime.date(2028, 12, 31))) == "birth_date"


@pytest.mark.unit
@pytest.mark.req("R1.3")
def test_resident_id_names_the_province_of_its_region():
    assert validate_resident_id("11010519491231002X", TODAY).province.abbr == "京"


# --- organisation code (R1.2, GB 11714-1997) ----------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("R1.2")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60003734-1", "600037341"),  # the organisation code inside USCC 91110000600037341L
        ("600037341", "600037341"),
        ("m000100y-4", "M000100Y4"),  # inside 91350100M000100Y43
        (organisation_code("12345678"), organisation_code("12345678")),
        (organisation_code("00000001"), organisation_code("00000001")),
    ],
)
def test_valid_organisation_codes_are_normalised_without_hyphen(text, expected):
    assert validate_organisation_code(text) == expected


@pytest.mark.unit
@pytest.mark.req("R1.2")
@pytest.mark.parametrize(
    "body",
    ["00000002", "00000006", "00000100", "ABCDEFGH", "A0000000", "0000000Z", "MA2A0001"],
)
def test_organisation_code_check_character_follows_the_standard(body):
    assert organisation_code_check_character(body) == organisation_code(body)[-1]


@pytest.mark.unit
@pytest.mark.req("R1.2")
def test_organisation_code_check_characters_include_x_and_0():
    checks = {organisation_code(f"{n:08d}")[-1] for n in range(40)}
    assert {"X", "0"} <= checks
    for n in range(40):
        assert validate_organisation_code(organisation_code(f"{n:08d}")) == organisation_code(f"{n:08d}")


@pytest.mark.unit
@pytest.mark.req("R1.2")
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("60003734-2", "check_digit"),
        ("600037340", "check_digit"),
        ("60003734", "format"),  # no check character
        ("60003734-12", "format"),
        ("6000373-41", "format"),
        ("60003734-A", "format"),  # check character is a digit or X
        ("6000373$-1", "format"),
        ("60003734--1", "format"),
    ],
)
def test_invalid_organisation_codes_are_refused(text, code):
    with pytest.raises(InvalidValue) as caught:
        validate_organisation_code(text)
    assert (caught.value.code, caught.value.rule) == (code, "GB 11714-1997")


# --- unified social credit code (R1.2, GB 32100-2015) -------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("R1.2")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("91110000600037341L", "91110000600037341L"),  # python-stdnum's published sample
        ("91350100M000100Y43", "91350100M000100Y43"),  # GB 32100-2015 sample
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100 M000 100Y 43 ", "91350100M000100Y43"),
        (uscc("12100000" + organisation_code("40000001")),) * 2,  # central public institution
        (uscc("51440300" + organisation_code("MJ000001")),) * 2,  # social organisation, Shenzhen
        (uscc("52110108" + organisation_code("50000001")),) * 2,  # private non-enterprise unit
        (uscc("53100000" + organisation_code("50000002")),) * 2,  # national foundation
        (uscc("92330106" + organisation_code("MA2A0001")),) * 2,  # individual business
        (uscc("93510000" + organisation_code("MA6C0001")),) * 2,  # farmers' cooperative
        (uscc("A1110000" + organisation_code("MB1E0001")),) * 2,  # military public institution
        (uscc("N2410100" + organisation_code("N0000001")),) * 2,  # village collective
        (uscc("Y1650000" + organisation_code("00000001")),) * 2,
    ],
)
def test_valid_usccs(text, expected):
    assert validate_uscc(text) == expected


@pytest.mark.unit
@pytest.mark.req("R1.2")
def test_uscc_check_character_follows_the_standard():
    for first17 in ("91110000600037341", "91350100M000100Y4", "11100000000013127", "Y1650000000000011"):
        assert uscc_check_character(first17) == uscc(first17)[-1]


def _with_bad_embedded_check(first16: str) -> str:
    """A USCC whose own check character is right but whose organisation code check character is not."""
    good = organisation_code(first16[8:])[-1]
    wrong = "1" if good != "1" else "2"
    return uscc(first16 + wrong)


@pytest.mark.unit
@pytest.mark.req("R1.2")
@pytest.mark.parametrize(
    ("text", "code", "rule"),
    [
        ("91110000600037341", "format", "GB 32100-2015"),  # 17 characters
        ("91110000600037341LL", "format", "GB 32100-2015"),
        ("91110000600037341I", "format", "GB 32100-2015"),  # I, O, Z, S, V are not used
        ("9111000060003734OL", "format", "GB 32100-2015"),
        ("91110000Z00037341L", "format", "GB 32100-2015"),
        ("91110000600037341S", "format", "GB 32100-2015"),
        ("91110000V00037341L", "format", "GB 32100-2015"),
        ("91110000600037341M", "check_digit", "GB 32100-2015"),
        ("91110000600037431L", "check_digit", "GB 32100-2015"),  # transposed digits
        (uscc("B1110000600037341"), "registration_authority", "GB 32100-2015"),
        (uscc("01110000600037341"), "registration_authority", "GB 32100-2015"),
        (uscc("94110000600037341"), "category", "GB 32100-2015"),  # market regulation has 1, 2, 3
        (uscc("Y2110000600037341"), "category", "GB 32100-2015"),
        (uscc("51990000600037341"), "region_code", "GB 32100-2015"),
        (uscc("91810000600037341"), "region_code", "GB 32100-2015"),  # Hong Kong
        (uscc("9111000A600037341"), "region_code", "GB 32100-2015"),
        (_with_bad_embedded_check("9111000060003734"), "organisation_code_check_digit", "GB 11714-1997"),
        (_with_bad_embedded_check("91350100M000100Y"), "organisation_code_check_digit", "GB 11714-1997"),
        (uscc("91110000600037341")[:-1] + "M", "check_digit", "GB 32100-2015"),
    ],
)
def test_invalid_usccs_are_refused_with_a_distinct_code(text, code, rule):
    with pytest.raises(InvalidValue) as caught:
        validate_uscc(text)
    assert (caught.value.code, caught.value.rule) == (code, rule)


@pytest.mark.unit
@pytest.mark.req("R1.2")
def test_uscc_with_right_check_digit_but_wrong_embedded_organisation_code():
    text = _with_bad_embedded_check("9111000060003734")
    assert uscc(text[:17]) == text  # its own mod 31 check character is right
    assert code_of(lambda: validate_uscc(text)) == "organisation_code_check_digit"


# --- licence registration number (R1.2) ---------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("R1.2")
@pytest.mark.parametrize(
    "first14",
    ["11010800000001", "44030110309741", "10000000000001", "65000000012345", "33010600999999"],
)
def test_valid_licence_registration_numbers(first14):
    number = licence_number(first14)
    assert validate_licence_registration_number(f" {number} ") == number


@pytest.mark.unit
@pytest.mark.req("R1.2")
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("11010800000001", "format"),
        ("1101080000000101", "format"),
        ("11010800000000A", "format"),
        (
            licence_number("11010800000001")[:-1] + str((int(licence_number("11010800000001")[-1]) + 1) % 10),
            "check_digit",
        ),
        (licence_number("99010800000001"), "region_code"),
        (licence_number("81000000000001"), "region_code"),
    ],
)
def test_invalid_licence_registration_numbers(text, code):
    with pytest.raises(InvalidValue) as caught:
        validate_licence_registration_number(text)
    assert (caught.value.code, caught.value.rule) == (code, "GS 15-2006")


# --- person documents without check digits (R1.3) -----------------------------------------------------


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("E12345678", "E12345678"),  # Chinese ordinary passport
        ("EA1234567", "EA1234567"),
        ("g12345678", "G12345678"),
        ("533380006", "533380006"),  # US
        ("L898902C3", "L898902C3"),  # ICAO 9303 specimen
        ("C01X00T47", "C01X00T47"),  # German
        ("AB 123 456", "AB123456"),
        ("X1234", "X1234"),
        ("A" * 19 + "1", "A" * 19 + "1"),
    ],
)
def test_valid_passport_numbers(text, expected):
    assert validate_passport_number(text) == expected


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(
    "text", ["", "E123", "A" * 20 + "1", "ABCDEFGH", "E1234567-8", "护照12345", "E12345678!"]
)
def test_invalid_passport_numbers(text):
    with pytest.raises(InvalidValue) as caught:
        validate_passport_number(text)
    assert (caught.value.code, caught.value.rule) == ("format", "R1.3")


@pytest.mark.unit
@pytest.mark.req("R1.3")
def test_household_register_number_is_the_holders_citizen_id_number():
    assert validate_household_register_number("11010519491231002x", TODAY) == "11010519491231002X"
    assert code_of(lambda: validate_household_register_number("110105194912310021", TODAY)) == "check_digit"
    assert code_of(lambda: validate_household_register_number("1234567", TODAY)) == "format"
    future = resident_id("11010520270101002")
    assert code_of(lambda: validate_household_register_number(future, TODAY)) == "birth_date"


@pytest.mark.unit
@pytest.mark.req("R1.3")
def test_household_register_number_without_today_checks_only_that_the_birth_date_is_real():
    future = resident_id("11010520270101002")
    assert validate_household_register_number(future) == future
    assert (
        code_of(lambda: validate_household_register_number(resident_id("11010519490230002"))) == "birth_date"
    )
    assert (
        code_of(lambda: validate_household_register_number(resident_id("11019919800101002"))) == "region_code"
    )


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("南字第2003512号", "南字第2003512号"),
        ("南字2003512", "南字第2003512号"),
        ("南字第 2003512 号", "南字第2003512号"),
        ("海字第12345678号", "海字第12345678号"),
        ("空字第0012号", "空字第0012号"),
    ],
)
def test_valid_officer_card_numbers(text, expected):
    assert validate_officer_card_number(text) == expected


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(
    "text",
    [
        "",
        "2003512",
        "南第2003512号",
        "南京字第2003512号",
        "南字第123号",
        "南字第123456789号",
        "S字第2003512号",
    ],
)
def test_invalid_officer_card_numbers(text):
    with pytest.raises(InvalidValue) as caught:
        validate_officer_card_number(text)
    assert (caught.value.code, caught.value.rule) == ("format", "R1.3")


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07257456", "07257456"),  # card, since 2015
        ("1234567801", "1234567801"),  # older booklet with issue count
        ("12345678(01)", "1234567801"),
        ("１２３４５６７８", "12345678"),
        ("f290299977", "F290299977"),  # one-off permit
    ],
)
def test_valid_taiwan_permit_numbers(text, expected):
    assert validate_taiwan_permit_number(text) == expected


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize("text", ["", "1234567", "123456789", "12345678901", "FF29029997", "T1234567"])
def test_invalid_taiwan_permit_numbers(text):
    with pytest.raises(InvalidValue) as caught:
        validate_taiwan_permit_number(text)
    assert (caught.value.code, caught.value.rule) == ("format", "R1.3")


@pytest.mark.unit
@pytest.mark.req("R1.3")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        (" 11010519491231002x\u3000", "11010519491231002X"),
        ("ｅ１２３４５６７８", "E12345678"),
        ("12345678-9", "12345678-9"),  # hyphens stay: the validators make the canonical form
    ],
)
def test_typed_numbers_are_normalised_once(text, expected):
    assert normalise_typed_number(text) == expected
