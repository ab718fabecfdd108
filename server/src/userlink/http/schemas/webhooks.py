"""Wire models of the webhook management routes (`/v2/webhooks…`)."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field

from userlink.http.schemas.common import UtcDatetime
from userlink.webhooks.service import Endpoint, Message

EVENT_TYPES_DESCRIPTION = (
    "The identity event types delivered (`user.restored`, `install.displaced`, …), or null for "
    "every type."
)

DESCRIPTION = "Free text for people (what the endpoint is for), up to 200 characters."
ENABLED = "Whether messages are delivered to it."


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: str = Field(
        max_length=4096,
        description="Where messages are POSTed: https:// outside development, a public host.",
    )
    event_types: list[str] | None = Field(
        default=None, max_length=100, description=EVENT_TYPES_DESCRIPTION
    )
    description: str = Field(default="", max_length=1000, description=DESCRIPTION)
    enabled: bool = Field(default=True, description=ENABLED)


class EndpointPatch(BaseModel):
    """Only the fields given change; `"event_types": null` subscribes to every type."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: str | None = Field(
        default=None, max_length=4096, description="The new URL (https:// outside development)."
    )
    event_types: list[str] | None = Field(
        default=None, max_length=100, description=EVENT_TYPES_DESCRIPTION
    )
    description: str | None = Field(default=None, max_length=1000, description=DESCRIPTION)
    enabled: bool | None = Field(default=None, description=ENABLED)


class RotateSecretIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    overlap_hours: int = Field(
        default=24,
        description="How long the replaced secret keeps signing next to the new one (0-168).",
    )


class EndpointOut(BaseModel):
    id: str = Field(description="The endpoint id (a UUID).")
    url: str = Field(description="Where messages are POSTed.")
    description: str = Field(description=DESCRIPTION)
    event_types: list[str] | None = Field(description=EVENT_TYPES_DESCRIPTION)
    enabled: bool = Field(description=ENABLED)
    disabled_reason: str | None = Field(
        description="Why the platform disabled it (a 410 from the receiver), else null."
    )
    previous_secret_expires_at: UtcDatetime | None = Field(
        description="During a rotation's overlap: until when the previous secret signs too."
    )
    created_at: UtcDatetime = Field(description="When it was created (ISO-8601 UTC).")
    updated_at: UtcDatetime = Field(description="When it last changed (ISO-8601 UTC).")

    @classmethod
    def of(cls, endpoint: Endpoint) -> EndpointOut:
        return cls(
            id=str(endpoint.id),
            url=endpoint.url,
            description=endpoint.description,
            event_types=None if endpoint.event_types is None else sorted(endpoint.event_types),
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            previous_secret_expires_at=endpoint.previous_secret_expires_at,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )


class EndpointWithSecretOut(EndpointOut):
    secret: str = Field(
        description="The signing secret (`whsec_…`): shown this once, keep it in your receiver."
    )


class EndpointsOut(BaseModel):
    endpoints: list[EndpointOut] = Field(description="Every endpoint of the app.")


class MessageOut(BaseModel):
    id: str = Field(description="The `webhook-id` header of every attempt.")
    event_type: str = Field(description="The event it carries (`user.restored`, …).")
    status: str = Field(description="pending | delivered | dead")
    attempts: int = Field(description="Deliveries tried so far.")
    next_attempt_at: UtcDatetime | None = Field(
        description="When the next delivery is due (ISO-8601 UTC); null unless pending."
    )
    last_attempt_at: UtcDatetime | None = Field(
        description="When the last delivery was tried (ISO-8601 UTC), or null."
    )
    last_status_code: int | None = Field(
        description="The receiver's status code at the last attempt; null without an answer."
    )
    last_error: str | None = Field(
        description="Why the last attempt failed (a timeout, a refused connection), or null."
    )
    created_at: UtcDatetime = Field(description="When the message was queued (ISO-8601 UTC).")
    finished_at: UtcDatetime | None = Field(
        description="When it was delivered or given up on (ISO-8601 UTC); null while pending."
    )
    payload: dict[str, object] = Field(description="The JSON body: `type`, `timestamp`, `data`.")
    cursor: int = Field(description="Pass as `before` for the next page.")

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        return cls(
            id=message.message_id,
            event_type=message.event_type,
            status=message.status,
            attempts=message.attempts,
            next_attempt_at=message.next_attempt_at,
            last_attempt_at=message.last_attempt_at,
            last_status_code=message.last_status_code,
            last_error=message.last_error,
            created_at=message.created_at,
            finished_at=message.finished_at,
            payload=json.loads(message.body),
            cursor=message.serial,
        )


class MessagesOut(BaseModel):
    messages: list[MessageOut] = Field(description="One page of messages, newest first.")
    next_before: int | None = Field(description="`before` for the next page; null at the end.")
