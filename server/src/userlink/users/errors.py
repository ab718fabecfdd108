from __future__ import annotations

from userlink.errors import NotFound


class UserNotFound(NotFound):
    error_code = "USER_NOT_FOUND"
    default_message = "No user with this id for this app."
