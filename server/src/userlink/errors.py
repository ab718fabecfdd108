"""The one error tree. Every expected failure is a `UserlinkError` with a status and an errorCode.

UserlinkError
├── BadRequest (400)            InvalidJson, ...
├── Unauthorized (401)          missing or bad credentials
├── Forbidden (403)             credentials without the right scope, or a rule refusal;
│                               MetricsNotAllowed: /metrics from elsewhere without its token
├── NotFound (404)
├── Conflict (409)
├── PayloadTooLarge (413)
├── UnsupportedMediaType (415)
├── ValidationFailed (422)
├── RateLimited (429)
└── NotReady (503)            /health/ready: the database is down or behind
Domain packages subclass these in their own `errors.py`.
"""

from __future__ import annotations

from typing import Any, ClassVar


class UserlinkError(Exception):
    status_code: ClassVar[int] = 500
    error_code: ClassVar[str] = "INTERNAL_ERROR"
    default_message: ClassVar[str] = "Internal error."
    # A refusal normally undoes the unit of work; set on errors whose audit record must stay.
    keep_changes: ClassVar[bool] = False
    # Set on errors answered with a `Retry-After` header (their `retry_after`, in seconds).
    sends_retry_after: ClassVar[bool] = False

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


class BadRequest(UserlinkError):
    status_code = 400
    error_code = "BAD_REQUEST"
    default_message = "The request is malformed."


class InvalidJson(BadRequest):
    error_code = "INVALID_JSON"
    default_message = "The request body is not valid UTF-8 JSON."


class Unauthorized(UserlinkError):
    status_code = 401
    error_code = "UNAUTHORIZED"
    default_message = "Missing or invalid credentials."


class MissingCredentials(Unauthorized):
    error_code = "MISSING_CREDENTIALS"
    default_message = "This route needs an Authorization header."


class Forbidden(UserlinkError):
    status_code = 403
    error_code = "FORBIDDEN"
    default_message = "Not allowed."


class NotFound(UserlinkError):
    status_code = 404
    error_code = "NOT_FOUND"
    default_message = "Not found."


class RouteNotFound(NotFound):
    error_code = "ROUTE_NOT_FOUND"
    default_message = "No such route."


class MethodNotAllowed(UserlinkError):
    status_code = 405
    error_code = "METHOD_NOT_ALLOWED"
    default_message = "Method not allowed on this route."


class Conflict(UserlinkError):
    status_code = 409
    error_code = "CONFLICT"
    default_message = "Conflict."


class PayloadTooLarge(UserlinkError):
    status_code = 413
    error_code = "PAYLOAD_TOO_LARGE"
    default_message = "The request body is too large."


class UnsupportedMediaType(UserlinkError):
    status_code = 415
    error_code = "UNSUPPORTED_MEDIA_TYPE"
    default_message = "The request body must be application/json."


class ValidationFailed(UserlinkError):
    status_code = 422
    error_code = "VALIDATION_ERROR"
    default_message = "The request body does not have the expected fields."


class MetricsNotAllowed(Forbidden):
    error_code = "METRICS_NOT_ALLOWED"
    default_message = (
        "/metrics answers a scraper on this host without a proxy in between, or one presenting "
        "USERLINK_METRICS_TOKEN as a bearer token."
    )


class NotReady(UserlinkError):
    status_code = 503
    error_code = "NOT_READY"
    default_message = "The platform is not ready to serve."


class RateLimited(UserlinkError):
    status_code = 429
    error_code = "RATE_LIMITED"
    default_message = "Too many requests; retry later."
    sends_retry_after = True
    # The limit's bucket, as the metrics count refusals (`userlink_rate_limit_refusals_total`).
    default_bucket: ClassVar[str] = "unnamed"

    def __init__(
        self, message: str | None = None, *, retry_after: int = 60, bucket: str | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.bucket = bucket or self.default_bucket
