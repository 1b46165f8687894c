"""shared.kernel.provinces: the 31 province-level divisions whose bureaus review filings (R2.1, §4)."""

import pytest

from shared.kernel.errors import InvalidValue
from shared.kernel.provinces import (
    PROVINCES,
    Province,
    province_by_abbr,
    province_by_code,
    province_of_region_code,
)

# requirements.md §4, in its order.
ABBREVIATIONS = list("京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新")


@pytest.mark.unit
@pytest.mark.req("R2.1")
def test_exactly_the_31_provinces_of_the_requirements_ordered_by_code():
    assert [p.abbr for p in PROVINCES] == ABBREVIATIONS
    assert [p.code for p in PROVINCES] == sorted({p.code for p in PROVINCES})
    assert len({p.name for p in PROVINCES}) == 31


@pytest.mark.unit
@pytest.mark.req("R2.1")
@pytest.mark.parametrize(
    ("code", "name", "abbr"),
    [
        ("11", "北京市", "京"),
        ("15", "内蒙古自治区", "蒙"),
        ("31", "上海市", "沪"),
        ("44", "广东省", "粤"),
        ("50", "重庆市", "渝"),
        ("54", "西藏自治区", "藏"),
        ("65", "新疆维吾尔自治区", "新"),
    ],
)
def test_lookups_by_code_and_abbreviation(code, name, abbr):
    province = Province(code, name, abbr)
    assert province_by_code(code) == province
    assert province_by_abbr(abbr) == province


@pytest.mark.unit
@pytest.mark.req("R2.1")
@pytest.mark.parametrize(
    ("region_code", "abbr"), [("110105", "京"), ("440300", "粤"), ("650000", "新"), ("460200", "琼")]
)
def test_province_of_a_region_code(region_code, abbr):
    assert province_of_region_code(region_code).abbr == abbr


@pytest.mark.unit
@pytest.mark.req("R2.1")
@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: province_by_code("10"), "unknown_province"),
        (lambda: province_by_code("71"), "unknown_province"),  # Taiwan
        (lambda: province_by_code("81"), "unknown_province"),  # Hong Kong
        (lambda: province_by_abbr("港"), "unknown_province"),
        (lambda: province_by_abbr("北京"), "unknown_province"),
        (lambda: province_of_region_code("100000"), "unknown_province"),
        (lambda: province_of_region_code("820000"), "unknown_province"),
        (lambda: province_of_region_code("11010"), "format"),
        (lambda: province_of_region_code("1101051"), "format"),
        (lambda: province_of_region_code("11010A"), "format"),
        (lambda: province_of_region_code("１１０１０５"), "format"),  # full-width digits
    ],
)
def test_unknown_provinces_and_malformed_region_codes_are_refused(call, code):
    with pytest.raises(InvalidValue) as caught:
        call()
    assert caught.value.code == code
