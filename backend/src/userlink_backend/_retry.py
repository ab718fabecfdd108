"""When and how long to wait before sending a call again (tenacity, for both clients).

Only transient failures are retried: no answer (connection, timeout) and 429, 502, 503, 504.
A `Retry-After` on the answer is the wait, as long as it is at most `max_retry_wait`; a longer one
is not waited for at all (the error, with its `retry_after`, goes to the caller at once). Without
one, exponential backoff with jitter: 0.5 s, 1 s, 2 s… (at most 8 s) plus up to 0.5 s.
A call that must not be done twice (`Call.repeatable` False: creating a webhook endpoint,
rotating its secret…) is retried only after a 429 or a 503, which say nothing was done.
"""

from __future__ import annotations

import logging
from typing import Any

from tenacity import RetryCallState, stop_after_attempt, wait_exponential_jitter

from ._errors import UserLinkBackendError
from ._wire import Call, worth_retrying

__all__ = ["policy"]

logger = logging.getLogger("userlink_backend")

_backoff = wait_exponential_jitter(multiplier=0.5, max=8.0, jitter=0.5)


def _error(state: RetryCallState) -> BaseException | None:
    outcome = state.outcome
    return outcome.exception() if outcome is not None and outcome.failed else None


def policy(call: Call[Any], *, max_retries: int, max_retry_wait: float) -> dict[str, Any]:
    """The keyword arguments of `tenacity.Retrying` / `AsyncRetrying` for one logical call."""

    def should_retry(state: RetryCallState) -> bool:
        error = _error(state)
        if error is None or not worth_retrying(call, error):
            return False
        wait = getattr(error, "retry_after", None)
        return wait is None or wait <= max_retry_wait

    def wait(state: RetryCallState) -> float:
        error = _error(state)
        asked = getattr(error, "retry_after", None)
        return float(asked) if asked is not None else float(_backoff(state))

    def log(state: RetryCallState) -> None:
        error = _error(state)
        described = str(error) if isinstance(error, UserLinkBackendError) else repr(error)
        seconds = state.next_action.sleep if state.next_action is not None else 0.0
        logger.info(
            "userlink_backend: %s %s failed (%s); attempt %d of %d in %.1f s",
            call.method,
            call.path,
            described,
            state.attempt_number + 1,
            max_retries + 1,
            seconds,
        )

    return {
        "retry": should_retry,
        "wait": wait,
        "stop": stop_after_attempt(max_retries + 1),
        "reraise": True,
        "before_sleep": log,
    }
