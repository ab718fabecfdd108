"""Pure rules of the linking routes."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Field names that try to say which user a request is for. This backend takes the user only from
# the session, so a request naming one is refused instead of silently ignored.
IDENTITY_WORDS = frozenset({"id", "uid", "sub", "subject", "user", "username", "account"})
JOINED_IDENTITY_NAMES = frozenset({"userid", "externalid", "accountid", "customerid", "personid"})
WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
INSTALL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def names_an_identity(field: str) -> bool:
    """`external_id`, `user_id`, `externalId`, `User-Id`, `userid`, `sub`, ...: a field whose
    last word is an id or a user. `valid` or `paid` are not."""
    words = [word.casefold() for word in WORD.findall(field)]
    if not words:
        return False
    return words[-1] in IDENTITY_WORDS or "".join(words) in JOINED_IDENTITY_NAMES


def identity_fields(fields: Iterable[str]) -> list[str]:
    return sorted({field for field in fields if names_an_identity(field)})


def valid_install_id(install_id: str) -> bool:
    """Whether the text can be an install id at all (it goes into the platform's URL path)."""
    return INSTALL_ID.fullmatch(install_id) is not None


def preview_notice(
    device_class: str,
    outcome: str,
    takes_over_from: str | None,
    other_device_class: str | None,
    other_model: str | None,
) -> str | None:
    """What to tell the app's user before a code restores their account, or None when there is
    nothing to say (a new account, or no other device active)."""
    if outcome != "restore" or takes_over_from is None:
        return None
    other = other_device_class or "device"
    if other_model:
        other += f" ({other_model})"
    return (
        f"You are signed in on another {other}. Continuing on this {device_class} makes it "
        "your active device; the other one stops syncing."
    )
