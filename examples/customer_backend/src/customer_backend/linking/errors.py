from __future__ import annotations

from customer_backend.errors import (
    BadGateway,
    BadRequest,
    CustomerBackendError,
    NotFound,
    ServiceUnavailable,
)


class ExternalIdNotAccepted(BadRequest):
    error_code = "EXTERNAL_ID_NOT_ACCEPTED"
    default_message = (
        "This backend takes the user id from the session only; send no user or external id."
    )


class InstallNotFound(NotFound):
    """Answered without asking the platform when the install id cannot be one."""

    error_code = "INSTALL_NOT_FOUND"
    default_message = "Install was not found by the install ID provided."


class PlatformError(CustomerBackendError):
    """A refusal by the platform, passed through with its status, errorCode and message."""

    def __init__(
        self, status_code: int, error_code: str, message: str, *, retry_after: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": self.retry_after} if self.retry_after else {}


class PlatformUnreachable(BadGateway):
    error_code = "PLATFORM_UNREACHABLE"
    default_message = "The userlink platform could not be reached; retry later."


class PlatformRejectedApiKey(BadGateway):
    error_code = "PLATFORM_REJECTED_API_KEY"
    default_message = (
        "The platform refused this backend's API key; the operator must fix its configuration."
    )


class PlatformFailed(BadGateway):
    error_code = "PLATFORM_ERROR"
    default_message = "The userlink platform failed to answer this request; retry later."


class AppSecretNotConfigured(ServiceUnavailable):
    error_code = "APP_SECRET_NOT_CONFIGURED"
    default_message = (
        "This backend has no app secret configured (CUSTOMER_BACKEND_APP_SECRET_FILE)."
    )
