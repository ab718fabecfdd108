from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    USER_LINK = "user.link"
    USER_READ = "user.read"
    USER_DELETE = "user.delete"


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
