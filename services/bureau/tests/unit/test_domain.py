"""The bureau's pure rules (P8, B2)."""
import pytest

from bureau import domain
from shared.kernel.errors import InvalidValue

pytestmark = pytest.mark.unit


@pytest.mark.req("P8")
def test_review_time_is_twenty_working_days_unless_the_province_sets_more():
    assert domain.review_working_days("京") == 20
    assert domain.review_working_days("浙") == 30
    assert domain.review_working_days("京", 25) == 25
    with pytest.raises(InvalidValue) as refused:
        domain.review_working_days("京", 15)
    assert refused.value.code == "too_short" and refused.value.rule == "P8"


@pytest.mark.req("P8")
def test_websites_keep_their_number_in_a_change_and_new_ones_never_reuse_a_retired_k():
    first, highest = domain.website_numbers([["a.cn", "www.a.cn"], ["b.cn"]], {}, 0)
    assert first == {"a.cn": 1, "www.a.cn": 1, "b.cn": 2} and highest == 2
    # a change drops b.cn (k=2 is retired) and adds c.cn: it gets 3, never 2 again
    changed, highest = domain.website_numbers([["a.cn"], ["c.cn"]], {"a.cn": 1, "www.a.cn": 1}, highest)
    assert changed == {"a.cn": 1, "c.cn": 3} and highest == 3
