from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from userlink.http.schemas.common import PRINTABLE, UtcDatetime

PayloadId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
]
PayloadType = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=PRINTABLE)]


class PayloadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: PayloadId = Field(description="Generated on the device (a UUID); makes retries idempotent.")
    type: PayloadType
    timestamp: AwareDatetime = Field(description="ISO-8601 with a time zone.")
    body: dict[str, Any]


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The size limits are checked by the service so the refusals carry their own errorCode.
    payloads: list[PayloadIn]


class PayloadResultOut(BaseModel):
    id: str
    status: str = Field(description="processed | not_processed | duplicate")


class UploadOut(BaseModel):
    is_remote_enabled: bool
    results: list[PayloadResultOut]


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
