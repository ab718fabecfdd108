from __future__ import annotations

from userlink.errors import BadRequest, Conflict, ValidationFailed


class IdempotencyKeyInvalid(BadRequest):
    error_code = "INVALID_IDEMPOTENCY_KEY"
    default_message = (
        "Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces); a UUID is a good "
        "key."
    )


class IdempotencyKeyReused(ValidationFailed):
    error_code = "IDEMPOTENCY_KEY_REUSED"
    default_message = (
        "This Idempotency-Key was used with a different request (method, path or body) within "
        "the last 24 hours; use a new key for a new request."
    )


class IdempotencyKeyInProgress(Conflict):
    error_code = "IDEMPOTENCY_KEY_IN_PROGRESS"
    default_message = (
        "A request with this Idempotency-Key is still running; retry after the time in "
        "Retry-After to get its answer."
    )
    sends_retry_after = True

    def __init__(self, message: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
