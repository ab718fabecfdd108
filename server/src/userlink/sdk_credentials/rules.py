"""What a presented refresh token may do, as a pure function of what is stored about it."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class RefreshDecision(StrEnum):
    ROTATE = "rotate"  # live and unused: retire it, issue a new pair
    RETRY = "retry"  # retired by a rotation moments ago: the device never got that answer
    REFUSE = "refuse"  # revoked for any other reason, or retired too long ago
    EXPIRED = "expired"


def refresh_decision(
    *,
    expires_at: datetime,
    revoked_at: datetime | None,
    rotated_at: datetime | None,
    now: datetime,
    retry_window: timedelta,
) -> RefreshDecision:
    if expires_at <= now:
        return RefreshDecision.EXPIRED
    if revoked_at is None:
        return RefreshDecision.ROTATE
    # Only a token retired by rotation gets a second chance, and only briefly; one revoked for
    # any other reason (reset, a replaced pair) never works again.
    if rotated_at is not None and now - rotated_at <= retry_window:
        return RefreshDecision.RETRY
    return RefreshDecision.REFUSE
