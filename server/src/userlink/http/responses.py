"""Answers serialised once, by pydantic's own serializer, straight to bytes: endpoints return
these instead of a model, so FastAPI neither validates the answer again nor encodes it twice."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    return Response(
        content=model.__pydantic_serializer__.to_json(model),
        status_code=status_code,
        media_type="application/json",
    )
