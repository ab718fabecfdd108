"""The SDK's exceptions, and the failure reasons they carry.

Our exception hierarchy:

* UserLinkError
  + InitError .................. initialize(LegacyConfig): .issue is an InitIssue
  + UserCreationError .......... create_user(): .reason is a UserCreationFailureReason
  + UserLinkingError ........... link_user(): .reason is a UserLinkingFailureReason
  + UserAccessTokenError ....... request_user_access_token(): .reason is a
  |                              UserAccessTokenFailureReason
  + SdkStatusError ............. sdk_status(): .reason is a SdkStatusFailureReason
  + ResetError ................. reset(): .reason is a ResetFailureReason
  + PayloadSubmissionError ..... submit_payload(): .reason is a PayloadSubmissionFailureReason
  + PayloadUploadError ......... upload_payloads(): .reason is a PayloadUploadFailureReason,
  |                              .report says what was uploaded before the failure
  + DeviceStateError ........... any call: the device state file or the payload queue cannot be
  |                              read (corrupt, or written by another state version); .path
  + PinningError ............... the server's certificate does not match the pin; raised by the
                                 TLS handshake and seen as the __cause__ of a NETWORK_ERROR (or
                                 SERVICE_UNREACHABLE) failure whose details say
                                 "certificate pin mismatch"

A 429 from the platform that the call could not wait out ends it with the reason `RATE_LIMITED`
(`InitIssue.RATE_LIMITED` for `initialize()`); `retry_after` is then the wait the platform named
in seconds (None when it named none), on this and every other SDK error.

Every failure error carries `details` (free text for people) and `error_code` (the server's
`errorCode` when the server answered with an error, else None). Every SDK error has
`request_ref`: the platform's reference of the failed request (the error body's `ref`, else the
`X-Request-Ref` / `X-Request-ID` header) when the server answered with an error, else None;
quote it to the platform's operators.
"""

from __future__ import annotations

import enum
import os
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from ._models import UploadReport

__all__ = [
    "DeviceStateError",
    "InitError",
    "InitIssue",
    "PayloadSubmissionError",
    "PayloadSubmissionFailureReason",
    "PayloadUploadError",
    "PayloadUploadFailureReason",
    "PinningError",
    "ResetError",
    "ResetFailureReason",
    "SdkStatusError",
    "SdkStatusFailureReason",
    "UserAccessTokenError",
    "UserAccessTokenFailureReason",
    "UserCreationError",
    "UserCreationFailureReason",
    "UserLinkError",
    "UserLinkingError",
    "UserLinkingFailureReason",
]


class InitIssue(enum.StrEnum):
    """Why a legacy `initialize(LegacyConfig(...))` failed (the mobile SDK's `InitIssue`)."""

    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    CHANGED_CREDENTIALS = "CHANGED_CREDENTIALS"
    SERVICE_UNREACHABLE = "SERVICE_UNREACHABLE"
    LINK_FAILED = "LINK_FAILED"
    REMOTE_DISABLED = "REMOTE_DISABLED"
    INITIALIZATION_ERROR = "INITIALIZATION_ERROR"
    SDK_RESET_IN_PROGRESS = "SDK_RESET_IN_PROGRESS"
    #: A 429 the call could not wait out; the error's `retry_after` says how long to wait.
    RATE_LIMITED = "RATE_LIMITED"


class UserCreationFailureReason(enum.StrEnum):
    SDK_RESET_IN_PROGRESS = "SDK_RESET_IN_PROGRESS"
    USER_CREATION_IN_PROGRESS = "USER_CREATION_IN_PROGRESS"
    USER_ALREADY_EXISTS = "USER_ALREADY_EXISTS"
    NETWORK_ERROR = "NETWORK_ERROR"
    SERVER_ERROR = "SERVER_ERROR"
    UNEXPECTED_ERROR = "UNEXPECTED_ERROR"
    APP_SIDE_LINKING_FAILED = "APP_SIDE_LINKING_FAILED"
    INVALID_AUTH_CODE = "INVALID_AUTH_CODE"
    EXPIRED_AUTH_CODE = "EXPIRED_AUTH_CODE"
    AUTH_CODE_ALREADY_USED = "AUTH_CODE_ALREADY_USED"
    #: A 429 the call could not wait out; the error's `retry_after` says how long to wait.
    RATE_LIMITED = "RATE_LIMITED"


class UserLinkingFailureReason(enum.StrEnum):
    NO_USER = "NO_USER"
    USER_ALREADY_LINKED = "USER_ALREADY_LINKED"
    NETWORK_ERROR = "NETWORK_ERROR"
    SERVER_ERROR = "SERVER_ERROR"
    USER_DISABLED_REMOTELY = "USER_DISABLED_REMOTELY"
    UNEXPECTED_ERROR = "UNEXPECTED_ERROR"
    APP_SIDE_LINKING_FAILED = "APP_SIDE_LINKING_FAILED"
    EXTERNAL_ID_ALREADY_LINKED = "EXTERNAL_ID_ALREADY_LINKED"
    INVALID_AUTH_CODE = "INVALID_AUTH_CODE"
    EXPIRED_AUTH_CODE = "EXPIRED_AUTH_CODE"
    AUTH_CODE_ALREADY_USED = "AUTH_CODE_ALREADY_USED"
    #: A 429 the call could not wait out; the error's `retry_after` says how long to wait.
    RATE_LIMITED = "RATE_LIMITED"


class UserAccessTokenFailureReason(enum.StrEnum):
    NO_USER = "NO_USER"
    NETWORK_ERROR = "NETWORK_ERROR"
    USER_DISABLED_REMOTELY = "USER_DISABLED_REMOTELY"
    #: A 429 the call could not wait out; the error's `retry_after` says how long to wait.
    RATE_LIMITED = "RATE_LIMITED"


class SdkStatusFailureReason(enum.StrEnum):
    NETWORK_ERROR = "NETWORK_ERROR"
    SERVER_ERROR = "SERVER_ERROR"
    USER_DISABLED_REMOTELY = "USER_DISABLED_REMOTELY"
    UNEXPECTED_ERROR = "UNEXPECTED_ERROR"
    #: A 429 the call could not wait out; the error's `retry_after` says how long to wait.
    RATE_LIMITED = "RATE_LIMITED"


class ResetFailureReason(enum.StrEnum):
    SDK_INIT_IN_PROGRESS = "SDK_INIT_IN_PROGRESS"
    SDK_RESET_IN_PROGRESS = "SDK_RESET_IN_PROGRESS"
    EXCEPTION_OR_ERROR = "EXCEPTION_OR_ERROR"


class PayloadSubmissionFailureReason(enum.StrEnum):
    NO_USER = "NO_USER"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"


class PayloadUploadFailureReason(enum.StrEnum):
    NO_USER = "NO_USER"
    NETWORK_ERROR = "NETWORK_ERROR"
    SERVER_ERROR = "SERVER_ERROR"
    USER_DISABLED_REMOTELY = "USER_DISABLED_REMOTELY"
    UNEXPECTED_ERROR = "UNEXPECTED_ERROR"
    #: A 429 the call could not wait out; the error's `retry_after` says how long to wait.
    RATE_LIMITED = "RATE_LIMITED"


class UserLinkError(Exception):
    """Base class of every exception the SDK raises on purpose."""

    request_ref: str | None = None
    #: Seconds the platform asked to wait before calling again (`Retry-After`), else None.
    retry_after: float | None = None


ReasonT = TypeVar("ReasonT", bound=enum.Enum)


class _FailureError(UserLinkError, Generic[ReasonT]):
    def __init__(
        self,
        reason: ReasonT,
        details: str = "",
        *,
        error_code: str | None = None,
        request_ref: str | None = None,
        retry_after: float | None = None,
    ):
        self.reason: ReasonT = reason
        self.details = details
        self.error_code = error_code
        self.request_ref = request_ref
        self.retry_after = retry_after
        super().__init__(f"{reason.value}: {details}" if details else str(reason.value))


class InitError(_FailureError[InitIssue]):
    @property
    def issue(self) -> InitIssue:
        return self.reason


class UserCreationError(_FailureError[UserCreationFailureReason]):
    pass


class UserLinkingError(_FailureError[UserLinkingFailureReason]):
    pass


class UserAccessTokenError(_FailureError[UserAccessTokenFailureReason]):
    pass


class SdkStatusError(_FailureError[SdkStatusFailureReason]):
    pass


class ResetError(_FailureError[ResetFailureReason]):
    pass


class PayloadSubmissionError(_FailureError[PayloadSubmissionFailureReason]):
    pass


class PayloadUploadError(_FailureError[PayloadUploadFailureReason]):
    def __init__(
        self,
        reason: PayloadUploadFailureReason,
        details: str = "",
        *,
        error_code: str | None = None,
        request_ref: str | None = None,
        retry_after: float | None = None,
        report: UploadReport | None = None,
    ):
        super().__init__(
            reason,
            details,
            error_code=error_code,
            request_ref=request_ref,
            retry_after=retry_after,
        )
        self.report = report


class DeviceStateError(UserLinkError):
    """The device state cannot be used as it is; the SDK never overwrites it on its own.

    Inspect the file named by `path`; `UserLink.reset()` deletes it (and the payload queue).
    """

    def __init__(self, path: str | os.PathLike[str], problem: str):
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"device state {self.path}: {problem}")


class PinningError(UserLinkError):
    """The server's certificate does not match `pinned_public_key_sha256`."""

    def __init__(self, details: str):
        self.details = details
        super().__init__(f"certificate pin mismatch: {details}")
