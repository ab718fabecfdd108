from __future__ import annotations

MIN_CODE_LIFETIME_SECONDS = 10
MAX_CODE_LIFETIME_SECONDS = 600


def is_valid_code_lifetime(seconds: int) -> bool:
    return MIN_CODE_LIFETIME_SECONDS <= seconds <= MAX_CODE_LIFETIME_SECONDS
