from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class Scope(StrEnum):
    USER_LINK = "user.link"
    USER_READ = "user.read"
    USER_DELETE = "user.delete"
    # Undo a restore or a link (`POST /v2/users/{id}/events/{event_id}/undo`).
    USER_ADMIN = "user.admin"
    # Manage the app's webhook endpoints (docs/events.md).
    WEBHOOKS_MANAGE = "webhooks.manage"


def parse_scopes(names: list[str]) -> frozenset[Scope] | None:
    """The scopes named, or None if any name is unknown or none is given."""
    try:
        scopes = frozenset(Scope(name.strip()) for name in names)
    except ValueError:
        return None
    return scopes or None


def hint(token: str) -> str:
    """What listings show: enough to recognise a key, nothing to use it."""
    return f"{token[:8]}…{token[-4:]}"


MAX_NAME_LENGTH = 200
MIN_LIFETIME = timedelta(days=1)
MAX_LIFETIME = timedelta(days=365)
# How long a rolled key may keep working next to its replacement.
MAX_ROLL_OVERLAP = timedelta(days=7)


def clean_name(text: str) -> str | None:
    """The key's name as stored ("unnamed" when blank), or None when it is too long."""
    name = text.strip() or "unnamed"
    return name if len(name) <= MAX_NAME_LENGTH else None


def is_valid_lifetime_days(days: int) -> bool:
    return MIN_LIFETIME.days <= days <= MAX_LIFETIME.days


def may_add_key(active_count: int, limit: int, *, replacing: bool) -> bool:
    """Whether an app with `active_count` active keys may get one more. A roll replaces a key
    that is on its way out, so that one does not count: a full app can still roll a key, and
    holds at most one key over the limit while the overlap runs."""
    counted = active_count - 1 if replacing else active_count
    return counted < limit


def is_valid_roll_overlap(overlap: timedelta) -> bool:
    return timedelta(0) <= overlap <= MAX_ROLL_OVERLAP


def rolled_expiry(expires_at: datetime, now: datetime, overlap: timedelta) -> datetime:
    """When a rolled key stops: after the overlap, never later than it would have anyway."""
    return min(expires_at, now + overlap)


def replacement_lifetime(created_at: datetime, expires_at: datetime) -> timedelta:
    """A rolled key's replacement lives as long as the key was made to live (whole days)."""
    days = round((expires_at - created_at) / timedelta(days=1))
    return timedelta(days=min(max(days, MIN_LIFETIME.days), MAX_LIFETIME.days))
