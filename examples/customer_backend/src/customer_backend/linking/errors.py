from __future__ import annotations

import logging
import math

from customer_backend.errors import (
    BadGateway,
    BadRequest,
    CustomerBackendError,
    NotFound,
    ServiceUnavailable,
)
from userlink_backend import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    UserLinkBackendError,
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


logger = logging.getLogger("customer_backend.platform")


def from_platform(error: UserLinkBackendError) -> CustomerBackendError:
    """What the app sees of a failed platform call (`userlink_backend` already retried what was
    worth retrying): the platform's 4xx refusals pass through with their status, errorCode,
    message and Retry-After; an API key the platform refuses, no answer, or a platform fault
    are this backend's 502s. The library's errors never carry the API key."""
    logger.warning("platform call failed: %s", error)
    if isinstance(error, APIConnectionError):
        return PlatformUnreachable()
    if isinstance(error, AuthenticationError):
        # Our API key is wrong, revoked or expired: not the app user's fault, so not a 401 for it.
        message = PlatformRejectedApiKey.default_message
        return PlatformRejectedApiKey(f"{message} ({error.error_code})")
    if isinstance(error, APIStatusError) and 400 <= error.status < 500:
        wait = None if error.retry_after is None else str(math.ceil(error.retry_after))
        return PlatformError(error.status, error.error_code, error.message, retry_after=wait)
    return PlatformFailed()
