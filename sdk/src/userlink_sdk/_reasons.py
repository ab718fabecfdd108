"""How the internal failures (`_api`) become each public call's failure reason.

One table per public call: a server `errorCode` the table names wins, then the codes meaning
"this install can no longer act", then the class of failure (no answer, error answer,
unreadable answer).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from ._api import ApiError, NetworkError, ProtocolError
from ._errors import (
    InitIssue,
    PayloadUploadFailureReason,
    SdkStatusFailureReason,
    UserAccessTokenFailureReason,
    UserCreationFailureReason,
    UserLinkingFailureReason,
)

__all__ = [
    "CREATION",
    "DISABLED_CODES",
    "LEGACY",
    "LEGACY_TO_CREATION",
    "LINKING",
    "PLATFORM_FAILURES",
    "STATUS",
    "TOKEN",
    "UPLOAD",
    "Failure",
    "Reasons",
    "cause",
]

E = TypeVar("E")
X = TypeVar("X", bound=Exception)

#: What a call to the platform can raise; every public call maps these through its table.
PLATFORM_FAILURES = (NetworkError, ApiError, ProtocolError)
#: Server answers meaning this install can no longer act on the platform.
DISABLED_CODES = frozenset(
    {
        "INSTALL_DEREGISTERED",
        "REFRESH_TOKEN_INVALID",
        "REFRESH_TOKEN_EXPIRED",
        "ACCESS_TOKEN_INVALID",
        "APP_DISABLED",
    }
)
_AUTH_CODE_REASONS = {
    "AUTH_CODE_INVALID": "INVALID_AUTH_CODE",
    "AUTH_CODE_APP_MISMATCH": "INVALID_AUTH_CODE",
    # A code bound (PKCE) to another creation: this device cannot use it.
    "AUTH_CODE_VERIFIER_MISMATCH": "INVALID_AUTH_CODE",
    "AUTH_CODE_EXPIRED": "EXPIRED_AUTH_CODE",
    "AUTH_CODE_ALREADY_USED": "AUTH_CODE_ALREADY_USED",
}


@dataclasses.dataclass(frozen=True)
class Failure(Generic[E]):
    """A failure named for one public call: the arguments of its public error."""

    reason: E
    details: str
    error_code: str | None = None
    request_ref: str | None = None
    retry_after: float | None = None

    def error(self, kind: Callable[..., X], **extra: object) -> X:
        return kind(
            self.reason,
            self.details,
            error_code=self.error_code,
            request_ref=self.request_ref,
            retry_after=self.retry_after,
            **extra,
        )


@dataclasses.dataclass(frozen=True)
class Reasons(Generic[E]):
    """How one public call names the internal failures."""

    network: E
    server: E
    unexpected: E
    rate_limited: E
    disabled: E | None = None
    codes: Mapping[str, E] = dataclasses.field(default_factory=dict)

    def pick(self, exc: Exception) -> Failure[E]:
        if isinstance(exc, NetworkError):
            return Failure(self.network, exc.details)
        if isinstance(exc, ApiError):
            code, ref, wait = exc.error_code, exc.request_ref, exc.retry_after
            if code is not None and code in self.codes:
                return Failure(self.codes[code], exc.details, code, ref, wait)
            if exc.status == 429:
                return Failure(self.rate_limited, exc.details, code, ref, wait)
            if self.disabled is not None and code in DISABLED_CODES:
                return Failure(self.disabled, exc.details, code, ref, wait)
            return Failure(self.server, exc.details, code, ref, wait)
        if isinstance(exc, ProtocolError):
            return Failure(self.unexpected, f"unreadable answer from the platform: {exc}")
        return Failure(self.unexpected, repr(exc))


def cause(exc: Exception) -> BaseException:
    """The exception to chain: a pin mismatch surfaces as its `PinningError`."""
    if isinstance(exc, NetworkError) and exc.pin_mismatch and exc.__cause__ is not None:
        return exc.__cause__
    return exc


CREATION = Reasons(
    rate_limited=UserCreationFailureReason.RATE_LIMITED,
    network=UserCreationFailureReason.NETWORK_ERROR,
    server=UserCreationFailureReason.SERVER_ERROR,
    unexpected=UserCreationFailureReason.UNEXPECTED_ERROR,
    codes={code: UserCreationFailureReason(name) for code, name in _AUTH_CODE_REASONS.items()},
)
LINKING = Reasons(
    rate_limited=UserLinkingFailureReason.RATE_LIMITED,
    network=UserLinkingFailureReason.NETWORK_ERROR,
    server=UserLinkingFailureReason.SERVER_ERROR,
    unexpected=UserLinkingFailureReason.UNEXPECTED_ERROR,
    disabled=UserLinkingFailureReason.USER_DISABLED_REMOTELY,
    codes={
        **{code: UserLinkingFailureReason(name) for code, name in _AUTH_CODE_REASONS.items()},
        "USER_ALREADY_LINKED": UserLinkingFailureReason.USER_ALREADY_LINKED,
        "EXTERNAL_ID_ALREADY_LINKED": UserLinkingFailureReason.EXTERNAL_ID_ALREADY_LINKED,
        "INSTALL_NOT_LINKED": UserLinkingFailureReason.APP_SIDE_LINKING_FAILED,
    },
)
TOKEN = Reasons(
    rate_limited=UserAccessTokenFailureReason.RATE_LIMITED,
    network=UserAccessTokenFailureReason.NETWORK_ERROR,
    server=UserAccessTokenFailureReason.NETWORK_ERROR,
    unexpected=UserAccessTokenFailureReason.NETWORK_ERROR,
    disabled=UserAccessTokenFailureReason.USER_DISABLED_REMOTELY,
)
STATUS = Reasons(
    rate_limited=SdkStatusFailureReason.RATE_LIMITED,
    network=SdkStatusFailureReason.NETWORK_ERROR,
    server=SdkStatusFailureReason.SERVER_ERROR,
    unexpected=SdkStatusFailureReason.UNEXPECTED_ERROR,
    disabled=SdkStatusFailureReason.USER_DISABLED_REMOTELY,
)
UPLOAD = Reasons(
    rate_limited=PayloadUploadFailureReason.RATE_LIMITED,
    network=PayloadUploadFailureReason.NETWORK_ERROR,
    server=PayloadUploadFailureReason.SERVER_ERROR,
    unexpected=PayloadUploadFailureReason.UNEXPECTED_ERROR,
    disabled=PayloadUploadFailureReason.USER_DISABLED_REMOTELY,
)
LEGACY = Reasons(
    rate_limited=InitIssue.RATE_LIMITED,
    network=InitIssue.SERVICE_UNREACHABLE,
    server=InitIssue.INITIALIZATION_ERROR,
    unexpected=InitIssue.INITIALIZATION_ERROR,
    disabled=InitIssue.REMOTE_DISABLED,
    codes={
        "INVALID_APP_CREDENTIALS": InitIssue.INVALID_CREDENTIALS,
        "APP_DISABLED": InitIssue.REMOTE_DISABLED,
        "INSTALL_NOT_LINKED": InitIssue.LINK_FAILED,
    },
)
#: create_user() with app credentials reports the legacy failures with its own reasons.
LEGACY_TO_CREATION = {
    InitIssue.INVALID_CREDENTIALS: UserCreationFailureReason.SERVER_ERROR,
    InitIssue.CHANGED_CREDENTIALS: UserCreationFailureReason.UNEXPECTED_ERROR,
    InitIssue.SERVICE_UNREACHABLE: UserCreationFailureReason.NETWORK_ERROR,
    InitIssue.RATE_LIMITED: UserCreationFailureReason.RATE_LIMITED,
    InitIssue.LINK_FAILED: UserCreationFailureReason.APP_SIDE_LINKING_FAILED,
    InitIssue.REMOTE_DISABLED: UserCreationFailureReason.SERVER_ERROR,
    InitIssue.INITIALIZATION_ERROR: UserCreationFailureReason.SERVER_ERROR,
    InitIssue.SDK_RESET_IN_PROGRESS: UserCreationFailureReason.SDK_RESET_IN_PROGRESS,
}
