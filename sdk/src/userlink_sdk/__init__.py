"""userlink device SDK: create or restore the platform user, legacy linking, payload upload.

Everything public is imported from here; the underscore modules are private.
"""

from ._async_client import AsyncUserLink
from ._client import UserLink
from ._displacement import UserDisplacedEvent, UserDisplacedListener
from ._errors import (
    DeviceStateError,
    InitError,
    InitIssue,
    PayloadSubmissionError,
    PayloadSubmissionFailureReason,
    PayloadUploadError,
    PayloadUploadFailureReason,
    PinningError,
    ResetError,
    ResetFailureReason,
    SdkStatusError,
    SdkStatusFailureReason,
    UserAccessTokenError,
    UserAccessTokenFailureReason,
    UserCreationError,
    UserCreationFailureReason,
    UserLinkError,
    UserLinkingError,
    UserLinkingFailureReason,
)
from ._linkers import NO_OP_LINKER, LinkerCallback, UserLinker, UserLinkerAsync
from ._models import (
    DeviceInfo,
    InitState,
    LegacyConfig,
    ResetResult,
    SdkConfiguration,
    SdkStatus,
    Token,
    UploadConfiguration,
    UploadReport,
    UserCreationOptions,
    UserCreationResult,
    UserInfo,
    UserLinkingResult,
)
from ._version import __version__

__all__ = [
    "NO_OP_LINKER",
    "AsyncUserLink",
    "DeviceInfo",
    "DeviceStateError",
    "InitError",
    "InitIssue",
    "InitState",
    "LegacyConfig",
    "LinkerCallback",
    "PayloadSubmissionError",
    "PayloadSubmissionFailureReason",
    "PayloadUploadError",
    "PayloadUploadFailureReason",
    "PinningError",
    "ResetError",
    "ResetFailureReason",
    "ResetResult",
    "SdkConfiguration",
    "SdkStatus",
    "SdkStatusError",
    "SdkStatusFailureReason",
    "Token",
    "UploadConfiguration",
    "UploadReport",
    "UserAccessTokenError",
    "UserAccessTokenFailureReason",
    "UserCreationError",
    "UserCreationFailureReason",
    "UserCreationOptions",
    "UserCreationResult",
    "UserDisplacedEvent",
    "UserDisplacedListener",
    "UserInfo",
    "UserLink",
    "UserLinkError",
    "UserLinker",
    "UserLinkerAsync",
    "UserLinkingError",
    "UserLinkingFailureReason",
    "UserLinkingResult",
    "__version__",
]

# Public names report the public module (as httpx does), so reprs and docs read `userlink_sdk.X`.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = "userlink_sdk"
del _name, _obj
