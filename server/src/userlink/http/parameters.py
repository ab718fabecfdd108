"""The path parameters of the API, each with what it names (the OpenAPI document shows it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

UserId = Annotated[str, Path(description="The platform user id (a UUID).")]
InstallId = Annotated[
    str, Path(description="The install id (a UUID) the SDK's linker handed to your backend.")
]
EventId = Annotated[str, Path(description="The event's id in the ledger (`id` of an event).")]
EndpointId = Annotated[str, Path(description="The webhook endpoint id (a UUID).")]
MessageId = Annotated[str, Path(description="The message id (`msg_…`, its `webhook-id` header).")]

PAGE_SIZE = "How many items one page holds at most."
