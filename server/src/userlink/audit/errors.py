"""What reading the ledger can refuse."""

from __future__ import annotations

from userlink.errors import ValidationFailed


class InvalidEventCursor(ValidationFailed):
    error_code = "INVALID_CURSOR"
    default_message = "The cursor is not one this API returned."


class InvalidEventType(ValidationFailed):
    error_code = "INVALID_EVENT_TYPE"
    default_message = "Unknown event type: `type` takes the types listed in docs/api.md."


class InvalidTimeFilter(ValidationFailed):
    error_code = "INVALID_TIME_FILTER"
    default_message = (
        "`since` and `until` take ISO 8601 date-times (2026-11-29T22:40:00Z), `since` not after "
        "`until`."
    )
