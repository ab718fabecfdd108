from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ShiftableClock:
    """Real time plus an offset tests can move forward (expiry without sleeping)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)

    def reset(self) -> None:
        self.offset = timedelta()
