"""shared.kernel.filing_numbers: the numbers a bureau issues on approval (P8, requirements §4)."""

import pytest

from shared.kernel.errors import InvalidValue
from shared.kernel.filing_numbers import FilingNumber, parse_filing_number, parse_register_number
from shared.kernel.provinces import PROVINCES

RULE = "requirements §4"


@pytest.mark.unit
@pytest.mark.req("P8")
@pytest.mark.parametrize(
    ("number", "text"),
    [
        (FilingNumber("京", 2026, 12345), "京ICP备2026012345号"),
        (FilingNumber("京", 2026, 12345, 1), "京ICP备2026012345号-1"),
        (FilingNumber("粤", 2026, 1), "粤ICP备2026000001号"),
        (FilingNumber("新", 2030, 999_999, 12), "新ICP备2030999999号-12"),
    ],
)
def test_filing_numbers_print_in_the_standard_format_and_parse_back(number, text):
    assert str(number) == text
    assert parse_filing_number(text) == number


@pytest.mark.unit
@pytest.mark.req("P8")
@pytest.mark.parametrize("province", PROVINCES, ids=lambda p: p.code)
def test_every_province_round_trips(province):
    number = FilingNumber(province.abbr, 2026, 42, 3)
    assert parse_filing_number(str(number)) == number
    assert number.province == province


@pytest.mark.unit
@pytest.mark.req("P8")
def test_sponsor_and_website_numbers():
    sponsor = FilingNumber("沪", 2026, 7)
    website = sponsor.for_site(2)
    assert str(website) == "沪ICP备2026000007号-2"
    assert website.sponsor_number == sponsor
    assert str(website.sponsor_number) == "沪ICP备2026000007号"
    assert website.for_site(5) == FilingNumber("沪", 2026, 7, 5)
    assert sponsor.sponsor_number == sponsor


@pytest.mark.unit
@pytest.mark.req("P8")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 京ICP备2026012345号-1\n", FilingNumber("京", 2026, 12345, 1)),
        ("京ICP备２０２６０１２３４５号－１", FilingNumber("京", 2026, 12345, 1)),  # full-width
    ],
)
def test_parsing_tolerates_whitespace_and_full_width_characters(text, expected):
    assert parse_filing_number(text) == expected


@pytest.mark.unit
@pytest.mark.req("P8")
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "format"),
        ("京ICP备05012345号", "format"),  # legacy 2-digit-year number
        ("京ICP备202601234号", "format"),
        ("京ICP备20260123456号", "format"),
        ("京ICP证2026012345号", "format"),  # an ICP licence, not a filing
        ("京icp备2026012345号", "format"),
        ("京ICP备2026012345", "format"),
        ("京ICP备2026012345号-0", "format"),
        ("京ICP备2026012345号-01", "format"),
        ("京ICP备2026012345号-", "format"),
        ("京ICP备2026000000号", "format"),  # serial 0
        ("京ICP备0999012345号", "format"),  # 3-digit year
        ("北京ICP备2026012345号", "format"),
        ("港ICP备2026012345号", "unknown_province"),
        ("AICP备2026012345号", "unknown_province"),
    ],
)
def test_malformed_filing_numbers_are_refused(text, code):
    with pytest.raises(InvalidValue) as caught:
        parse_filing_number(text)
    assert (caught.value.code, caught.value.rule) == (code, RULE)


@pytest.mark.unit
@pytest.mark.req("P8")
@pytest.mark.parametrize(
    ("parts", "code"),
    [
        (("台", 2026, 1), "unknown_province"),
        (("京", 999, 1), "format"),
        (("京", 10000, 1), "format"),
        (("京", 2026, 0), "format"),
        (("京", 2026, 1_000_000), "format"),
        (("京", 2026, 1, 0), "format"),
        (("京", 2026, 1, -1), "format"),
    ],
)
def test_filing_number_parts_are_checked_on_construction(parts, code):
    with pytest.raises(InvalidValue) as caught:
        FilingNumber(*parts)
    assert (caught.value.code, caught.value.rule) == (code, RULE)


@pytest.mark.unit
@pytest.mark.req("P8")
def test_a_website_number_starts_at_1():
    with pytest.raises(InvalidValue):
        FilingNumber("京", 2026, 1).for_site(0)


@pytest.mark.unit
@pytest.mark.req("X9")
@pytest.mark.parametrize("text, sponsor, site", [
    ("京ICP备2026012345号", "京ICP备2026012345号", None),
    ("京ICP备05012345号-3", "京ICP备05012345号", 3),  # before the year-and-serial form
    ("京ICP证150476号", "京ICP证150476号", None),  # an operating licence
    (" 粤ｂ２－２００９００５９-1 ", "粤B2-20090059", 1),  # full-width, lower case, spaces
    ("京icp备2026012345号", "京ICP备2026012345号", None),
])
def test_every_number_format_of_requirements_4_is_read(text, sponsor, site):
    number = parse_register_number(text)
    assert (number.sponsor, number.site) == (sponsor, site)
    assert str(number.sponsor_number) == sponsor and str(number.for_site(2)) == f"{sponsor}-2"


@pytest.mark.unit
@pytest.mark.req("X9")
@pytest.mark.parametrize("text, code", [
    ("京ICP备0501234号", "format"), ("京ICP证15047号", "format"), ("粤B2-2009005", "format"),
    ("台ICP备2026012345号", "unknown_province"), ("京ICP备2026012345号-0", "format"), ("example.cn", "format"),
])
def test_a_number_in_no_format_is_refused_naming_the_rule(text, code):
    with pytest.raises(InvalidValue) as caught:
        parse_register_number(text)
    assert (caught.value.code, caught.value.rule) == (code, RULE)
