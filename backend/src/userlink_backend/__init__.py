"""userlink for the customer's backend: sync and async clients of the server-to-server API,
with typed errors, retries that honour `Retry-After`, idempotency keys and timeline pagination.

Everything public is imported from here; the underscore modules are private.
"""

from ._async_client import AsyncPlatformClient
from ._client import PlatformClient
from ._errors import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UserLinkBackendError,
)
from ._models import AuthCode, Install, TimelineItem, TimelinePage, User
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncPlatformClient",
    "AuthCode",
    "AuthenticationError",
    "ConflictError",
    "Install",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "PlatformClient",
    "RateLimitError",
    "ServerError",
    "TimelineItem",
    "TimelinePage",
    "User",
    "UserLinkBackendError",
    "__version__",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = "userlink_backend"
del _name, _obj
