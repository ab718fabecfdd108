"""userlink for the customer's backend: sync and async clients of the server-to-server API,
with typed errors, retries that honour `Retry-After`, idempotency keys, iterators over every
paginated list, previews, the identity ledger and its undo, held payloads, webhooks management
and the migration report.

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
from ._models import (
    Arrival,
    AuthCode,
    CodePreview,
    EventPage,
    HeldPayload,
    HeldPayloadPage,
    IdentityEvent,
    Install,
    LinkPreview,
    MigrationReport,
    OnRedemption,
    SdkVersionLine,
    TimelineItem,
    TimelinePage,
    Undo,
    User,
    WebhookEndpoint,
    WebhookMessage,
    WebhookMessagePage,
)
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "Arrival",
    "AsyncPlatformClient",
    "AuthCode",
    "AuthenticationError",
    "CodePreview",
    "ConflictError",
    "EventPage",
    "HeldPayload",
    "HeldPayloadPage",
    "IdentityEvent",
    "Install",
    "InvalidRequestError",
    "LinkPreview",
    "MigrationReport",
    "NotFoundError",
    "OnRedemption",
    "PermissionDeniedError",
    "PlatformClient",
    "RateLimitError",
    "SdkVersionLine",
    "ServerError",
    "TimelineItem",
    "TimelinePage",
    "Undo",
    "User",
    "UserLinkBackendError",
    "WebhookEndpoint",
    "WebhookMessage",
    "WebhookMessagePage",
    "__version__",
]

for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = "userlink_backend"
del _name, _obj
