"""A sponsor's longest ``Idempotency-Key`` on intake's real HTTP interface and PostgreSQL (issue 17 point 4):
the scoped key (``sponsor:<64-hex HMAC>:<key>``) is longer than the key column, so it is stored as a digest."""
import pytest

from shared.platform.idempotency import MAX_KEY_LENGTH
from shared.testing.samples import unit_filing

pytestmark = pytest.mark.service

LONGEST_KEY = "k" * MAX_KEY_LENGTH


def test_a_sponsors_longest_key_creates_once_and_replays(api):
    first = api.post("/filings", key=LONGEST_KEY, json=unit_filing())
    replay = api.post("/filings", key=LONGEST_KEY, json=unit_filing())
    assert first.status_code == 201, first.text
    assert replay.status_code == 201 and replay.json() == first.json()
