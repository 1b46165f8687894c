"""The one retry policy (shared.platform.retry): how many attempts, how long between them, what is retried and
what the caller gets when the attempts run out."""
import pytest

from shared.platform.retry import RetryPolicy

pytestmark = pytest.mark.unit


class Flaky:
    """Answers (or raises) each of ``outcomes`` in turn, counting the attempts."""

    def __init__(self, *outcomes):
        self.outcomes, self.attempts = list(outcomes), 0

    def __call__(self):
        self.attempts += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def policy(retries=2, backoff=0.5):
    waits = []
    return RetryPolicy(retries, backoff, sleep=waits.append), waits


def test_a_first_answer_is_taken_without_waiting():
    retry, waits = policy()
    assert retry.call(Flaky("ok"), retry_if=lambda answer: answer != "ok") == "ok"
    assert waits == []


def test_retryable_errors_are_tried_again_with_doubling_waits():
    retry, waits = policy(retries=3, backoff=0.5)
    attempt = Flaky(ConnectionError(), TimeoutError(), ConnectionError(), "ok")
    assert retry.call(attempt, retry_on=(OSError,)) == "ok"
    assert attempt.attempts == 4 and waits == [0.5, 1.0, 2.0]


def test_when_the_attempts_run_out_the_last_error_is_raised():
    retry, waits = policy(retries=2, backoff=0.1)
    attempt = Flaky(ConnectionError("first"), ConnectionError("second"), ConnectionError("last"))
    with pytest.raises(ConnectionError, match="last"):
        retry.call(attempt, retry_on=(ConnectionError,))
    assert attempt.attempts == 3 and waits == [0.1, 0.2]


def test_when_the_attempts_run_out_on_a_retryable_answer_the_last_answer_is_returned():
    retry, _ = policy(retries=1)
    attempt = Flaky(503, 502)
    assert retry.call(attempt, retry_if=lambda status: status >= 500) == 502
    assert attempt.attempts == 2


def test_other_errors_end_the_call_at_once():
    retry, waits = policy()
    attempt = Flaky(ValueError("permanent"), "never asked")
    with pytest.raises(ValueError, match="permanent"):
        retry.call(attempt, retry_on=(OSError,))
    assert attempt.attempts == 1 and waits == []


def test_no_retries_is_one_attempt():
    retry, _ = policy(retries=0)
    attempt = Flaky(ConnectionError(), "ok")
    with pytest.raises(ConnectionError):
        retry.call(attempt, retry_on=(ConnectionError,))
    assert retry.attempts == 1 and attempt.attempts == 1


def test_negative_settings_are_refused():
    with pytest.raises(ValueError):
        RetryPolicy(retries=-1)
    with pytest.raises(ValueError):
        RetryPolicy(backoff=-0.1)
