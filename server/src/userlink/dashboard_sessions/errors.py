from __future__ import annotations

from userlink.errors import Unauthorized


class SessionInvalid(Unauthorized):
    error_code = "SESSION_INVALID"
    default_message = "Your session ended; log in again."
