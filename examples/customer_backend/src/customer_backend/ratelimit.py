"""Rate limiting through the `limits` library, in process memory.

Memory storage counts per process: behind several processes, point `storage_from_string` at Redis
(`redis://…`) so they share counters.
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from customer_backend.errors import RateLimited


class RateLimiter:
    def __init__(self, *, per_user: str, per_ip: str, enabled: bool = True) -> None:
        self._enabled = enabled
        self._per_user = parse(per_user)
        self._per_ip = parse(per_ip)
        self._limiter = MovingWindowRateLimiter(storage_from_string("memory://"))

    def hit_ip(self, bucket: str, address: str) -> None:
        self._hit(self._per_ip, bucket, "ip", address)

    def hit_user(self, bucket: str, user: str) -> None:
        self._hit(self._per_user, bucket, "user", user)

    def _hit(self, limit: RateLimitItem, *identity: str) -> None:
        if not self._enabled:
            return
        if self._limiter.hit(limit, *identity):
            return
        reset_at, _remaining = self._limiter.get_window_stats(limit, *identity)
        raise RateLimited(retry_after=max(1, int(reset_at - time.time()) + 1))
