"""The `Idempotency-Key` header of server-to-server writes, at the edge: the key read and checked,
the request's fingerprint, and the answer (stored or replayed) as a response.

A request without the header costs one header lookup: its answer is built as before."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from userlink.idempotency import rules
from userlink.idempotency import service as idempotency
from userlink.idempotency.errors import (
    IdempotencyKeyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
)
from userlink.unit_of_work import UnitOfWork

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

ERRORS = (IdempotencyKeyInvalid, IdempotencyKeyReused, IdempotencyKeyInProgress)

# The header in the OpenAPI document of each route that takes it.
OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": HEADER,
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": rules.MAX_KEY_LENGTH},
            "description": (
                "Optional. A key of your choice (a UUID) that makes retrying this write safe: "
                "within 24 hours the same key with the same request answers the first answer "
                "again (with `Idempotent-Replayed: true`) instead of running it twice; with a "
                "different request it is 422 `IDEMPOTENCY_KEY_REUSED`; while the first request "
                "runs, 409 `IDEMPOTENCY_KEY_IN_PROGRESS` with `Retry-After`. Keys are per app."
            ),
        }
    ]
}

Execute = Callable[[], Response]


@dataclass(frozen=True)
class Keyed:
    """A request that carries a valid key: run its write once per (app, key)."""

    key: str
    request_hash: str

    def __call__(self, work: UnitOfWork, app_id: uuid.UUID, execute: Execute) -> Response:
        def answered() -> idempotency.Answer:
            response = execute()
            return idempotency.Answer(
                status_code=response.status_code, body=bytes(response.body).decode("utf-8")
            )

        answer = idempotency.once(
            work, app_id=app_id, key=self.key, request_hash=self.request_hash, execute=answered
        )
        return _response(answer)


def _unkeyed(work: UnitOfWork, app_id: uuid.UUID, execute: Execute) -> Response:
    return execute()


Once = Callable[[UnitOfWork, uuid.UUID, Execute], Response]


def once(request: Request, body: BaseModel | None = None) -> Once:
    """How this request runs its write: once per key when it carries `Idempotency-Key`, else as
    it is. A malformed key is refused (400) before anything runs."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return _unkeyed
    key = rules.parse_key(raw)
    if key is None:
        raise IdempotencyKeyInvalid()
    canonical = (
        b""
        if body is None
        else json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode(
            "utf-8"
        )
    )
    return Keyed(key, rules.request_hash(request.method, request.url.path, canonical))


def _response(answer: idempotency.Answer) -> Response:
    headers = {REPLAYED_HEADER: "true"} if answer.replayed else None
    if answer.status_code == 204:
        return Response(status_code=204, headers=headers)
    return Response(
        content=answer.body.encode("utf-8"),
        status_code=answer.status_code,
        media_type="application/json",
        headers=headers,
    )
