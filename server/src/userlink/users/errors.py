from __future__ import annotations

from userlink.errors import Conflict, NotFound


class UserNotFound(NotFound):
    error_code = "USER_NOT_FOUND"
    default_message = "No user with this id for this app."


class ConcurrentChange(Conflict):
    error_code = "CONCURRENT_CHANGE"
    default_message = "The user changed while this request ran (erased, say); retry."
