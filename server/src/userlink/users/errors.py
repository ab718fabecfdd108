from __future__ import annotations

from userlink.errors import NotFound, RateLimited


class UserNotFound(NotFound):
    error_code = "USER_NOT_FOUND"
    default_message = "No user with this id for this app."


class ExternalIdVelocityExceeded(RateLimited):
    error_code = "EXTERNAL_ID_VELOCITY_EXCEEDED"
    default_message = (
        "This external id's user was restored on new installs too many times lately; retry after "
        "the time in Retry-After. Many restores of one id usually mean your backend sends the "
        "same id for different people."
    )
    default_bucket = "restores_per_external_id"
    # The refusal is recorded in the identity log; whatever else the request did is undone by
    # the refusing use case before it raises (a claimed code is released).
    keep_changes = True
