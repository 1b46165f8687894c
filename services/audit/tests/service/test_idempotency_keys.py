"""The longest caller with the longest ``Idempotency-Key`` on audit's real HTTP interface and PostgreSQL (issue 17
point 4): the scoped key is longer than the key column, so it is stored as a digest."""
import pytest

from shared.platform.idempotency import MAX_KEY_LENGTH
from shared.testing.http import token

pytestmark = pytest.mark.service

LONGEST_KEY = "k" * MAX_KEY_LENGTH


def test_the_longest_key_of_a_long_caller_draws_once_and_replays(api):
    auditor = api.as_(token("auditor", "a" * 100))
    first = auditor.post("/samples", key=LONGEST_KEY, json={"month": "2026-11", "seed": 7})
    replay = auditor.post("/samples", key=LONGEST_KEY, json={"month": "2026-11", "seed": 7})
    assert first.status_code == 201, first.text
    assert replay.status_code == 201 and replay.json() == first.json()
