from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from userlink.http.schemas.common import (
    DISPLACEMENT_DESCRIPTION,
    PRINTABLE,
    DisplacementOut,
    UtcDatetime,
)
from userlink.payloads import rules as payload_rules

PayloadId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
]
PayloadType = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=PRINTABLE)]


# The start of an RFC 3339 date-time: the only form a timestamp takes. A number (or a string of
# digits) would be read as seconds or milliseconds since 1970 depending on its size.
DATE_TIME_START = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _date_time_text_only(value: object) -> object:
    if not isinstance(value, str) or not DATE_TIME_START.match(value):
        raise ValueError("a timestamp is an ISO-8601 date-time string with a time zone")
    return value


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_date_time_text_only),
    Field(
        description="ISO-8601 (RFC 3339) date-time with a time zone, e.g. 2026-11-21T10:00:00Z, "
        "between 1970 and 9999 in UTC (else `INVALID_TIMESTAMP`)."
    ),
]


class PayloadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: PayloadId = Field(description="Generated on the device (a UUID); makes retries idempotent.")
    type: PayloadType
    timestamp: Timestamp
    body: dict[str, Any]


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The size limits are checked by the service so the refusals carry their own errorCode
    # (EMPTY_BATCH, BATCH_TOO_LARGE); the schema states them.
    payloads: list[PayloadIn] = Field(
        json_schema_extra={"minItems": 1, "maxItems": payload_rules.MAX_BATCH_SIZE}
    )


class PayloadResultOut(BaseModel):
    id: str
    status: str = Field(description="processed | not_processed | duplicate")


class UploadOut(BaseModel):
    is_remote_enabled: bool
    results: list[PayloadResultOut]
    displacement: DisplacementOut | None = Field(default=None, description=DISPLACEMENT_DESCRIPTION)


class TimelineEntryOut(BaseModel):
    id: str
    install_id: str
    type: str
    timestamp: UtcDatetime
    body: dict[str, Any]


class TimelineOut(BaseModel):
    items: list[TimelineEntryOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class HeldEntryOut(BaseModel):
    id: str
    install_id: str
    type: str
    timestamp: UtcDatetime
    received_at: UtcDatetime
    body: dict[str, Any]


class HeldOut(BaseModel):
    items: list[HeldEntryOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same filters) for the next page; null at the end."
    )


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    install_id: str | None = Field(
        default=None, max_length=64, description="Only this install's held payloads."
    )
    since: AwareDatetime | None = Field(
        default=None, description="Only payloads that occurred at or after this moment."
    )
    until: AwareDatetime | None = Field(
        default=None, description="Only payloads that occurred before this moment."
    )


class MergeOut(BaseModel):
    merged: int = Field(
        description="How many held payloads moved into the timeline by this request (0 when "
        "they were merged already)."
    )
