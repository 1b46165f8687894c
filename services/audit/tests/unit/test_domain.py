"""The filing center's pure rules: the hash chain, the sampling rule and the reproducible sample (P9, C1, C3)."""
import copy
from collections import Counter

import pytest

from audit import domain
from audit.domain import Candidate, TrailEntry, draw_sample, shipped_rules, verify_chain

pytestmark = pytest.mark.unit


def _chain(count: int) -> list[TrailEntry]:
    entries, prev = [], domain.GENESIS_HASH
    for seq in range(1, count + 1):
        body = {"filing_id": f"f-{seq}", "n": seq}
        digest = domain.entry_hash(prev, seq, f"e-{seq}", "filing_submitted.v1", "intake", f"f-{seq}",
                                   "2026-11-02T09:30:00+08:00", body)
        entries.append(TrailEntry(seq, f"e-{seq}", "filing_submitted.v1", "intake", f"f-{seq}",
                                  "2026-11-02T09:30:00+08:00", body, prev, digest))
        prev = digest
    return entries


@pytest.mark.req("P9")
def test_an_intact_chain_verifies_and_a_changed_entry_is_located():
    entries = _chain(6)
    assert verify_chain(entries) == (6, None)
    changed = copy.deepcopy(entries)
    changed[3] = TrailEntry(**{**changed[3].__dict__, "body": {"filing_id": "f-4", "n": 99}})
    checked, broken = verify_chain(changed)
    assert (broken.seq, broken.event_id, broken.problem) == (4, "e-4", "hash_mismatch")
    assert checked == 4


@pytest.mark.req("P9")
def test_a_removed_entry_breaks_the_chain_at_the_next_one():
    entries = _chain(5)
    del entries[2]
    _checked, broken = verify_chain(entries)
    assert (broken.seq, broken.problem) == (4, "prev_mismatch")


@pytest.mark.req("C3")
@pytest.mark.parametrize(("population", "size"), [(0, 0), (1, 1), (2, 2), (49, 2), (50, 3), (100, 3), (101, 4),
                                                  (1000, 30), (1001, 31)])
def test_sample_sizes_follow_the_published_rule(population, size):
    assert shipped_rules("2026.1").sample_size(population) == size


def _candidates() -> list[Candidate]:
    out = [Candidate(f"a-{i:03d}", "京", "p-1") for i in range(120)]
    out += [Candidate(f"b-{i:03d}", "粤", "p-1") for i in range(30)]
    out += [Candidate("c-000", "粤", "p-2")]
    return out


@pytest.mark.req("C1")
def test_the_sample_is_stratified_by_rule_sizes_and_reproducible_from_its_seed():
    rules = shipped_rules()
    first = draw_sample(_candidates(), rules, seed=20261130)
    again = draw_sample(list(reversed(_candidates())), rules, seed=20261130)
    other = draw_sample(_candidates(), rules, seed=7)
    assert [(c.key, s) for c, s in first] == [(c.key, s) for c, s in again]
    assert [c.key for c, _ in first] != [c.key for c, _ in other]
    assert Counter(s for _, s in first) == {"京|p-1": 4, "粤|p-1": 2, "粤|p-2": 1}


def test_periods():
    assert domain.quarter_bounds("2026Q4") == (domain.date(2026, 10, 1), domain.date(2027, 1, 1))
    assert domain.month_bounds("2026-12") == (domain.date(2026, 12, 1), domain.date(2027, 1, 1))
    with pytest.raises(ValueError):
        domain.quarter_bounds("2026Q5")
    assert (domain.ratio(1, 3), domain.ratio(0, 0)) == (0.3333, None)
