"""The library's one error tree. Every error has `message`, `error_code`, `status` and `ref`:

* UserLinkBackendError ............ base; `status` None and `ref` None when there was no answer
  + APIConnectionError ............ no answer (connection refused or reset, TLS, DNS)
  |   + APITimeoutError ........... no answer within the timeout
  + APIResponseError .............. the platform answered with an unreadable success answer
  + APIStatusError ................ the platform answered with an error status
      + InvalidRequestError ....... 400, 413, 415, 422: the request is wrong (`INVALID_JSON`,
      |                             `VALIDATION_ERROR`, `EXTERNAL_ID_BLOCKED`, `INVALID_CURSOR`…)
      + AuthenticationError ....... 401: the API key is missing, unknown, revoked or expired
      + PermissionDeniedError ..... 403: the key lacks the scope, or a rule refuses
      + NotFoundError ............. 404: unknown user or install (`USER_NOT_FOUND`…)
      + ConflictError ............. 409
      + RateLimitError ............ 429 (`RATE_LIMITED`, `EXTERNAL_ID_VELOCITY_EXCEEDED`);
      |                             `retry_after` is the wait the platform asked for
      + ServerError ............... 5xx: a fault or outage of the platform; quote the `ref`

`error_code` is the platform's `errorCode` (for the classes without an answer:
`CONNECTION_ERROR`, `TIMEOUT`, `INVALID_RESPONSE`). `ref` is the platform's reference of the
request (the error body's `ref`, else its `X-Request-Ref` header): log it, the platform's
operators find the request by it. The API key is never part of an error.
"""

from __future__ import annotations

__all__ = [
    "APIConnectionError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ConflictError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "UserLinkBackendError",
]


class UserLinkBackendError(Exception):
    def __init__(
        self,
        message: str,
        *,
        error_code: str,
        status: int | None = None,
        ref: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.error_code = error_code
        self.status = status
        self.ref = ref
        self.retry_after = retry_after
        super().__init__(message)

    def __str__(self) -> str:
        head = f"{self.status} {self.error_code}" if self.status else self.error_code
        text = f"{head}: {self.message}"
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:g} s)"
        if self.ref:
            text += f" [ref {self.ref}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, error_code={self.error_code!r}, "
            f"ref={self.ref!r}, message={self.message!r})"
        )


class APIConnectionError(UserLinkBackendError):
    pass


class APITimeoutError(APIConnectionError):
    pass


class APIResponseError(UserLinkBackendError):
    pass


class APIStatusError(UserLinkBackendError):
    status: int


class InvalidRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class ConflictError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class ServerError(APIStatusError):
    pass
