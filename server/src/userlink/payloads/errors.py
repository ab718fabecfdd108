from __future__ import annotations

from userlink.errors import PayloadTooLarge as BodyTooLarge
from userlink.errors import ValidationFailed


class BatchTooLarge(BodyTooLarge):
    error_code = "BATCH_TOO_LARGE"
    default_message = "A batch holds at most 100 payloads."


class PayloadTooLarge(BodyTooLarge):
    error_code = "PAYLOAD_TOO_LARGE"
    default_message = "A payload body is at most 64 KiB of JSON."


class DuplicatePayloadId(ValidationFailed):
    error_code = "DUPLICATE_PAYLOAD_ID"
    default_message = "Two payloads of one batch carry the same id."


class EmptyBatch(ValidationFailed):
    error_code = "EMPTY_BATCH"
    default_message = "A batch holds at least one payload."


class InvalidCursor(ValidationFailed):
    error_code = "INVALID_CURSOR"
    default_message = "The cursor is not one this API returned."


class InvalidPayloadBody(ValidationFailed):
    error_code = "INVALID_PAYLOAD_BODY"
    default_message = (
        "A payload body must be JSON that can be stored and served back unchanged: at most 64 "
        "levels deep, integers within the signed 64-bit range, no NaN, Infinity or lone "
        "surrogates."
    )


class InvalidTimestamp(ValidationFailed):
    error_code = "INVALID_TIMESTAMP"
    default_message = "A payload timestamp must fall between 1970 and 9999 in UTC."


class InvalidTimeRange(ValidationFailed):
    error_code = "INVALID_TIME_RANGE"
    default_message = "`since` must come before `until`."
