"""A small thread-safe cache whose entries live a bounded time, on the platform's clock."""

from __future__ import annotations

import threading
from collections.abc import Hashable

from cachetools import TTLCache

from userlink.kit.clock import Clock


class TtlCache:
    """Entries expire `seconds` after they were stored; `seconds=0` caches nothing."""

    def __init__(self, *, seconds: float, max_entries: int, clock: Clock) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._entries: TTLCache[Hashable, object] | None = (
            TTLCache(maxsize=max_entries, ttl=seconds, timer=lambda: clock.now().timestamp())
            if seconds > 0
            else None
        )

    def get(self, key: Hashable) -> object | None:
        if self._entries is None:
            return None
        with self._lock:
            return self._entries.get(key)

    def put(self, key: Hashable, value: object) -> None:
        if self._entries is None:
            return
        with self._lock:
            self._entries[key] = value

    def discard(self, key: Hashable) -> None:
        if self._entries is None:
            return
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        if self._entries is not None:
            with self._lock:
                self._entries.clear()
