"""The longest caller with the longest ``Idempotency-Key`` on precheck's real HTTP interface and PostgreSQL (issue 17
point 4): the scoped key is longer than the key column, so it is stored as a digest."""
import pytest

from shared.platform.idempotency import MAX_KEY_LENGTH
from shared.testing.clock import first_unofficial_year, sample_schedule
from shared.testing.http import token

pytestmark = pytest.mark.service

LONGEST_KEY = "k" * MAX_KEY_LENGTH


def test_the_longest_key_of_a_long_caller_loads_once_and_replays(api):
    ops = api.as_(token("ops", "o" * 100, provider="provider-test"))
    schedule = sample_schedule(first_unofficial_year())
    first = ops.post("/calendar/years", key=LONGEST_KEY, json=schedule)
    replay = ops.post("/calendar/years", key=LONGEST_KEY, json=schedule)
    assert first.status_code == 200, first.text
    assert replay.status_code == 200 and replay.json() == first.json()
