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


PAYLOAD_ID = "The payload's id, as the device generated it."
PAYLOAD_TYPE = "The payload's type, as the device sent it."
PAYLOAD_TIMESTAMP = "When it occurred on the device (ISO-8601 UTC)."
PAYLOAD_BODY = "The payload's data, as the device sent it."


class PayloadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: PayloadId = Field(description="Generated on the device (a UUID); makes retries idempotent.")
    type: PayloadType = Field(description="Your kind of payload (`trip`, say); free text.")
    timestamp: Timestamp
    body: dict[str, Any] = Field(description="Your data: any JSON object (64 KiB at most).")


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The size limits are checked by the service so the refusals carry their own errorCode
    # (EMPTY_BATCH, BATCH_TOO_LARGE); the schema states them.
    payloads: list[PayloadIn] = Field(
        description="1 to 100 payloads; the request body stays under 1 MiB.",
        json_schema_extra={"minItems": 1, "maxItems": payload_rules.MAX_BATCH_SIZE},
    )


class PayloadResultOut(BaseModel):
    id: str = Field(description="The payload's id, as sent.")
    status: str = Field(description="processed | not_processed | duplicate")


class UploadOut(BaseModel):
    is_remote_enabled: bool = Field(
        description="Whether this install is the active one (false: its payloads are held apart)."
    )
    results: list[PayloadResultOut] = Field(description="One result per payload, in order.")
    displacement: DisplacementOut | None = Field(default=None, description=DISPLACEMENT_DESCRIPTION)


class TimelineEntryOut(BaseModel):
    id: str = Field(description=PAYLOAD_ID)
    install_id: str = Field(description="The install that sent it.")
    type: str = Field(description=PAYLOAD_TYPE)
    timestamp: UtcDatetime = Field(description=PAYLOAD_TIMESTAMP)
    body: dict[str, Any] = Field(description=PAYLOAD_BODY)


class TimelineOut(BaseModel):
    items: list[TimelineEntryOut] = Field(description="One page of the timeline, oldest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class HeldEntryOut(BaseModel):
    id: str = Field(description=PAYLOAD_ID)
    install_id: str = Field(description="The inactive install that sent it.")
    type: str = Field(description=PAYLOAD_TYPE)
    timestamp: UtcDatetime = Field(description=PAYLOAD_TIMESTAMP)
    received_at: UtcDatetime = Field(description="When the platform received it (ISO-8601 UTC).")
    body: dict[str, Any] = Field(description=PAYLOAD_BODY)


class HeldOut(BaseModel):
    items: list[HeldEntryOut] = Field(description="One page of held payloads, in timeline order.")
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
