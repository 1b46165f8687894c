"""The longest caller with the longest ``Idempotency-Key`` on verification's real HTTP interface and PostgreSQL
(issue 17 point 4): the scoped key is longer than the key column, so it is stored as a digest."""
import pytest

from shared.platform.idempotency import MAX_KEY_LENGTH

pytestmark = pytest.mark.service

LONGEST_KEY = "k" * MAX_KEY_LENGTH


@pytest.mark.clock
def test_the_longest_key_of_a_long_caller_books_once_and_replays(open_window, as_role, clock):
    filing_id = open_window()
    verifier = as_role("onsite_verifier", "v" * 100)
    appointment = {"at": clock.iso(days=3)}
    first = verifier.post(f"/filings/{filing_id}/appointment", key=LONGEST_KEY, json=appointment)
    replay = verifier.post(f"/filings/{filing_id}/appointment", key=LONGEST_KEY, json=appointment)
    assert first.status_code == 200, first.text
    assert replay.status_code == 200 and replay.json() == first.json()
