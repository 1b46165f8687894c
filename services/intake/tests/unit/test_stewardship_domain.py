"""Pure rules of W5 (hosting changes) and W6 (stock rows): every problem named by field and rule."""
from datetime import date

import pytest

from intake import domain
from intake.domain.filing_data import hosting_problems
from shared.kernel.errors import InvalidValue
from shared.testing.samples import ACCESS
from shared.testing.stock import BAD, stock_row

pytestmark = pytest.mark.unit

TODAY = date(2026, 12, 1)


@pytest.mark.req("W6")
def test_a_good_stock_row_becomes_a_canonical_filing_of_the_numbers_province():
    number, data, problems = domain.stock_row(stock_row(5, prefix="05"), TODAY)
    assert problems == [] and number == "京ICP备05000005号"
    assert data["sponsor"]["province"] == "京" and data["contacts"]["mobile"] == "13900000005"
    assert data["websites"][0]["domains"] == [{"unicode": "s055.example.com.cn", "ascii": "s055.example.com.cn"}]
    assert domain.website_numbers(number, data["websites"]) == {"s055.example.com.cn": "京ICP备05000005号-1"}


@pytest.mark.req("W6")
@pytest.mark.parametrize("column", sorted(BAD))
def test_a_bad_stock_row_names_the_field(column):
    _number, data, problems = domain.stock_row(stock_row(1, bad=column), TODAY)
    assert data is None and [p.field for p in problems] == [BAD[column][0]]
    assert all(p.rule for p in problems)


@pytest.mark.req("W6")
def test_stock_filing_numbers_current_and_pre_2016_but_not_a_websites():
    assert domain.stock_filing_number("粤ICP备2019012345号") == ("粤ICP备2019012345号", "粤")
    assert domain.stock_filing_number(" 沪ICP备０５０１２３４５号 ") == ("沪ICP备05012345号", "沪")
    with pytest.raises(InvalidValue) as website:
        domain.stock_filing_number("京ICP备2019012345号-2")
    assert website.value.rule == "W6"


@pytest.mark.req("W6")
def test_a_header_without_a_column_is_refused():
    problems = domain.stock_header_problems([c for c in domain.STOCK_COLUMNS if c != "mobile"])
    assert [(p.field, p.code, p.rule) for p in problems] == [("header", "missing_column", "W6")]


@pytest.mark.req("W5")
def test_a_hosting_change_must_be_valid_and_change_something():
    assert hosting_problems(ACCESS, {**ACCESS, "server_location": "上海市"}) == []
    assert [(p.field, p.code, p.rule) for p in hosting_problems(ACCESS, dict(ACCESS))] == [
        ("access", "unchanged", "W5")]
    assert [p.rule for p in hosting_problems(ACCESS, {**ACCESS, "access_method": "carrier_pigeon"})] == ["R1.8"]
