"""The one retry policy for calls to systems outside ours (design.md §4: bounded timeouts and retries), on tenacity.

A call is made at most ``1 + retries`` times. Before the n-th retry it waits ``backoff * 2**(n-1)`` seconds
(``backoff``, ``2 * backoff``, ``4 * backoff``, ...), with no jitter and no cap: the attempts are few. An attempt
is tried again when it raises one of the caller's ``retry_on`` exceptions or when ``retry_if`` holds for what it
returned (an answer that means "not now": a 5xx, a 429); any other exception ends the call at once. When the
attempts run out, the last attempt's outcome is the call's: its exception is raised again, or its answer is
returned, for the caller to turn into its own "unavailable" (never a pass).

The timeout of each attempt belongs to the request the caller makes (a ``requests`` or socket timeout), so one
call takes at most ``(1 + retries) * timeout`` plus the waits. Users: notify's HTTP SMS gateway
(``notify.gateways``), the authority sources (:mod:`shared.platform.authority`, P5, P9) and the domain registrar
(``verification.registrar``, P5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

T = TypeVar("T")


def _never(_answer) -> bool:
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """``retries`` more attempts after the first, waiting ``backoff * 2**(n-1)`` s before the n-th; ``sleep``
    waits (tests pass one that records instead; by default ``time.sleep`` as it is at the time, which eventlet's
    monkey patching makes green)."""

    retries: int = 2
    backoff: float = 0.5
    sleep: Callable[[float], None] | None = None

    def __post_init__(self) -> None:
        if self.retries < 0 or self.backoff < 0:
            raise ValueError("retries and backoff must not be negative")

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def call(self, attempt: Callable[[], T], *, retry_on: tuple[type[BaseException], ...] = (),
             retry_if: Callable[[T], bool] = _never) -> T:
        """``attempt()``'s answer once it is not to be retried, or the last attempt's outcome (its answer, or its
        exception raised again)."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=tenacity.wait_exponential(multiplier=self.backoff, exp_base=2, min=0),
            retry=tenacity.retry_if_exception_type(retry_on) | tenacity.retry_if_result(retry_if),
            sleep=self.sleep or tenacity.nap.sleep,
            retry_error_callback=lambda state: state.outcome.result(),
        )
        return retrying(attempt)
