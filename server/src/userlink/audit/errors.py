"""What reading the ledger can refuse."""

from __future__ import annotations

from userlink.errors import Conflict, ValidationFailed


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


class EventAlreadyUndone(Conflict):
    error_code = "EVENT_ALREADY_UNDONE"
    default_message = (
        "This event was undone already. A retry of the same undo (the same Idempotency-Key) "
        "answers the first result; any other undo of it is refused."
    )
