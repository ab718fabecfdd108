from __future__ import annotations

from customer_backend.errors import Forbidden


class AttestationFailed(Forbidden):
    error_code = "ATTESTATION_FAILED"
    default_message = "Device attestation failed."

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"Device attestation failed ({check}): {detail}")
        self.check = check
