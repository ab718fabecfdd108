from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

# Writing the last-seen time on every page would make each read a write; a minute is precise
# enough for the idle limit.
TOUCH_PRECISION = timedelta(seconds=60)


class SessionState(StrEnum):
    ACTIVE = "active"
    IDLE = "idle"  # past the idle limit since the last page
    EXPIRED = "expired"  # past the absolute limit
    REVOKED = "revoked"


def session_state(
    now: datetime,
    *,
    last_seen_at: datetime,
    expires_at: datetime,
    revoked_at: datetime | None,
    idle_limit: timedelta,
) -> SessionState:
    if revoked_at is not None:
        return SessionState.REVOKED
    if now >= expires_at:
        return SessionState.EXPIRED
    if now - last_seen_at >= idle_limit:
        return SessionState.IDLE
    return SessionState.ACTIVE


def needs_touch(now: datetime, last_seen_at: datetime) -> bool:
    return now - last_seen_at >= TOUCH_PRECISION
