"""Rate limiting through the `limits` library; storage in memory (one process) or Redis (many).

A bucket is named by the caller (`bucket`, then identity parts such as a client address); the
storage key is `LIMITER/<bucket>/<identity>/<rule>`. Callers never put a secret, or part of one,
in a bucket's identity: storage keys are visible to anyone who can read the storage."""

from __future__ import annotations

import time
from functools import cache

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


@cache
def _rule(rule: str) -> RateLimitItem:
    return parse(rule)


class RateLimiter:
    def __init__(self, storage_url: str, *, enabled: bool = True) -> None:
        self._enabled = enabled
        self.storage = storage_from_string(storage_url)
        self._limiter = MovingWindowRateLimiter(self.storage)

    def hit(self, rule: str, *identity: str) -> int | None:
        """Count one hit; None when allowed, else the seconds to wait."""
        if not self._enabled:
            return None
        limit = _rule(rule)
        if self._limiter.hit(limit, *identity):
            return None
        return self._retry_after(limit, *identity)

    def over(self, rule: str, *identity: str) -> int | None:
        """Without counting anything: None while one more hit would be allowed, else the seconds
        until it would be."""
        if not self._enabled:
            return None
        limit = _rule(rule)
        if self._limiter.test(limit, *identity):
            return None
        return self._retry_after(limit, *identity)

    def _retry_after(self, limit: RateLimitItem, *identity: str) -> int:
        reset_at, _remaining = self._limiter.get_window_stats(limit, *identity)
        return max(1, int(reset_at - time.time()))
