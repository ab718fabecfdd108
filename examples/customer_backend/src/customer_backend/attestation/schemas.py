from __future__ import annotations

from pydantic import BaseModel, Field


class NonceOut(BaseModel):
    nonce: str = Field(
        description="Put it in the device's attestation request; single use, valid 5 minutes, "
        "only for this session."
    )
