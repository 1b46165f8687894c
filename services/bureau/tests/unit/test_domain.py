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


@pytest.mark.req("B2")
def test_the_inspection_sample_is_reproducible_from_its_seed_whatever_the_order_of_the_filings():
    filings = [f"filing-{i:03d}" for i in range(50)]
    sample = domain.select_sample(filings, "2026-B2-07", 5)
    assert len(sample) == 5 and set(sample) <= set(filings)
    assert domain.select_sample(list(reversed(filings)), "2026-B2-07", 5) == sample
    assert domain.select_sample(filings, "2026-B2-08", 5) != sample
    assert domain.select_sample(filings[:3], "x", 5) == filings[:3]


@pytest.mark.req("B2")
def test_inspection_and_compliance_scores():
    findings = [domain.Finding("department", "minor", "a"), domain.Finding("evidence", "critical", "b")]
    assert domain.inspection_score(findings) == 73.0
    assert domain.inspection_score([domain.Finding("procedure", "critical", "x")] * 5) == 0.0
    assert domain.compliance_score([73.0, 100.0]) == 86.5 and domain.compliance_score([]) is None
    with pytest.raises(InvalidValue):
        domain.Finding("canteen", "minor", "x")
