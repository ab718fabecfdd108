from __future__ import annotations

from datetime import datetime, timedelta

MIN_CODE_LIFETIME_SECONDS = 10
MAX_CODE_LIFETIME_SECONDS = 600
MAX_NAME_LENGTH = 200
# How long a replaced app secret may keep opening legacy SDK inits: long enough to ship an app
# update, short enough that a leaked secret does not linger.
MAX_SECRET_OVERLAP = timedelta(days=7)


def is_valid_code_lifetime(seconds: int) -> bool:
    return MIN_CODE_LIFETIME_SECONDS <= seconds <= MAX_CODE_LIFETIME_SECONDS


def clean_name(text: str) -> str | None:
    """The app's name as stored (trimmed), or None when it is empty or too long."""
    name = text.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        return None
    return name


def is_valid_secret_overlap(overlap: timedelta) -> bool:
    return timedelta(0) <= overlap <= MAX_SECRET_OVERLAP


def previous_secret_open(expires_at: datetime | None, now: datetime) -> bool:
    """Whether the secret replaced by a rotation still opens legacy SDK inits."""
    return expires_at is not None and now < expires_at
