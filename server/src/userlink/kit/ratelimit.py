"""Rate limiting through the `limits` library; storage in memory (one process) or Redis (many)."""

from __future__ import annotations

import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class RateLimiter:
    def __init__(self, storage_url: str, *, enabled: bool = True) -> None:
        self._enabled = enabled
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_url))

    def hit(self, rule: str, *identity: str) -> int | None:
        """Count one hit; None when allowed, else the seconds to wait."""
        if not self._enabled:
            return None
        limit = parse(rule)
        if self._limiter.hit(limit, *identity):
            return None
        reset_at, _remaining = self._limiter.get_window_stats(limit, *identity)
        return max(1, int(reset_at - time.time()))
