"""The one error tree. Every expected failure is a `CustomerBackendError` with a status and an
errorCode, rendered by one handler as `{"message", "errorCode", "ref"}`.

CustomerBackendError (500 INTERNAL_ERROR)
├── BadRequest (400)           InvalidJson; linking.ExternalIdNotAccepted
├── Unauthorized (401)         MissingCredentials; accounts.InvalidSession, accounts.InvalidLogin
├── Forbidden (403)            attestation.AttestationFailed
├── NotFound (404)             RouteNotFound; linking.InstallNotFound
├── MethodNotAllowed (405)
├── Conflict (409)             accounts.UsernameTaken
├── PayloadTooLarge (413)
├── ValidationFailed (422)     accounts.InvalidUsername, accounts.WeakPassword
├── RateLimited (429)
├── BadGateway (502)           linking.PlatformUnreachable, PlatformRejectedApiKey, PlatformFailed
├── ServiceUnavailable (503)   linking.AppSecretNotConfigured
└── linking.PlatformError      the platform's own status, errorCode and message, passed through
Domain packages subclass these in their own `errors.py`.
"""

from __future__ import annotations


class CustomerBackendError(Exception):
    status_code: int = 500
    error_code: str = "INTERNAL_ERROR"
    default_message: str = "Internal error."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def headers(self) -> dict[str, str]:
        """Extra response headers (Retry-After, WWW-Authenticate)."""
        return {}


class BadRequest(CustomerBackendError):
    status_code = 400
    error_code = "BAD_REQUEST"
    default_message = "The request is malformed."


class InvalidJson(BadRequest):
    error_code = "INVALID_JSON"
    default_message = "The request body is not valid UTF-8 JSON."


class Unauthorized(CustomerBackendError):
    status_code = 401
    error_code = "UNAUTHORIZED"
    default_message = "Missing or invalid credentials."

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class MissingCredentials(Unauthorized):
    error_code = "MISSING_CREDENTIALS"
    default_message = "This route needs `Authorization: Bearer <session token>`; log in first."


class Forbidden(CustomerBackendError):
    status_code = 403
    error_code = "FORBIDDEN"
    default_message = "Not allowed."


class NotFound(CustomerBackendError):
    status_code = 404
    error_code = "NOT_FOUND"
    default_message = "Not found."


class RouteNotFound(NotFound):
    error_code = "ROUTE_NOT_FOUND"
    default_message = "No such route."


class MethodNotAllowed(CustomerBackendError):
    status_code = 405
    error_code = "METHOD_NOT_ALLOWED"
    default_message = "Method not allowed on this route."


class Conflict(CustomerBackendError):
    status_code = 409
    error_code = "CONFLICT"
    default_message = "Conflict."


class PayloadTooLarge(CustomerBackendError):
    status_code = 413
    error_code = "PAYLOAD_TOO_LARGE"
    default_message = "The request body is too large."


class ValidationFailed(CustomerBackendError):
    status_code = 422
    error_code = "VALIDATION_ERROR"
    default_message = "The request body does not have the expected fields."


class RateLimited(CustomerBackendError):
    status_code = 429
    error_code = "RATE_LIMITED"
    default_message = "Too many requests; retry later."

    def __init__(self, message: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class BadGateway(CustomerBackendError):
    status_code = 502
    error_code = "BAD_GATEWAY"
    default_message = "The platform did not answer as expected."


class ServiceUnavailable(CustomerBackendError):
    status_code = 503
    error_code = "SERVICE_UNAVAILABLE"
    default_message = "This service is not configured for this request."
