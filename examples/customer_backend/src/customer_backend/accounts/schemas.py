from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class Credentials(BaseModel):
    # Loose bounds here (malformed input is a 422 VALIDATION_ERROR); the rules live in rules.py.
    username: str = Field(max_length=1024, examples=["alice"])
    password: str = Field(max_length=4096, examples=["correct horse battery staple"])


class SessionOut(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    user_id: uuid.UUID = Field(description="This backend's own stable id of the user.")
