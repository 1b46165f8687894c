"""The message lifecycle as transitions in notify's domain (design.md §4): each returns the next state, when the
message is next due, when it finished and what is reported."""

from datetime import UTC, datetime, timedelta

import pytest

from notify import domain
from notify.domain import AttemptOutcome, MessageState, RetryPolicy

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3, base=timedelta(seconds=10), cap=timedelta(seconds=60))


def test_a_due_message_is_claimed_as_the_next_attempt_and_nothing_else_is():
    assert domain.claim(MessageState.PENDING, 0) == (MessageState.SENDING, 1)
    assert domain.claim(MessageState.RETRY_WAIT, 2) == (MessageState.SENDING, 3)
    for state in (MessageState.SENDING, *domain.FINAL_STATES):
        with pytest.raises(ValueError):
            domain.claim(state, 1)


def test_a_delivered_or_refused_attempt_is_final_and_reported():
    delivered = domain.after_attempt(AttemptOutcome.DELIVERED, 1, POLICY, NOW)
    refused = domain.after_attempt(AttemptOutcome.REJECTED, 1, POLICY, NOW)
    assert delivered == domain.Transition(MessageState.DELIVERED, None, NOW, "delivered", reported=True)
    assert refused == domain.Transition(MessageState.FAILED, None, NOW, "failed", reported=True)


def test_an_unavailable_gateway_is_retried_with_backoff_until_the_attempts_run_out():
    first = domain.after_attempt(AttemptOutcome.UNAVAILABLE, 1, POLICY, NOW)
    second = domain.after_attempt(AttemptOutcome.UNAVAILABLE, 2, POLICY, NOW)
    assert (first.state, first.next_attempt_at, first.outcome) == (MessageState.RETRY_WAIT,
                                                                   NOW + timedelta(seconds=10), "retry")
    assert second.next_attempt_at == NOW + timedelta(seconds=20) and first.finished_at is domain.KEEP
    assert not first.reported
    last = domain.after_attempt(AttemptOutcome.UNAVAILABLE, 3, POLICY, NOW)
    assert (last.state, last.reported) == (MessageState.FAILED, True)


@pytest.mark.parametrize("outcome", [AttemptOutcome.UNKNOWN, AttemptOutcome.IN_FLIGHT])
def test_an_outcome_nobody_knows_is_unknown_and_due_for_reconciliation_now(outcome):
    change = domain.after_attempt(outcome, 1, POLICY, NOW)
    assert change == domain.Transition(MessageState.UNKNOWN, NOW, NOW, "unknown")
    assert domain.stale(NOW) == change


@pytest.mark.parametrize(("verdict", "state", "attempt", "reported"), [
    ("delivered", MessageState.DELIVERED, AttemptOutcome.DELIVERED, True),
    ("failed", MessageState.FAILED, AttemptOutcome.REJECTED, True),
    ("no_record", MessageState.RETRY_WAIT, AttemptOutcome.UNAVAILABLE, False),
])
def test_an_unknown_message_is_settled_by_the_gateways_verdict(verdict, state, attempt, reported):
    change, outcome, _note = domain.after_reconciliation(verdict, NOW)
    assert (change.state, outcome, change.reported) == (state, attempt, reported)
    if state == MessageState.RETRY_WAIT:  # sent again at once, as the next attempt, and no longer finished
        assert (change.next_attempt_at, change.finished_at, change.outcome) == (NOW, None, "resend")
    else:
        assert (change.next_attempt_at, change.finished_at) == (None, NOW)
