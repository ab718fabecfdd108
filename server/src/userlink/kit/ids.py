from __future__ import annotations

import uuid


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def parse_id(text: str) -> uuid.UUID | None:
    """A UUID from a path or body, or None when it is not one (callers answer 404, not 500)."""
    try:
        return uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return None
