"""The app's one error type: a stable code (the backend's `errorCode`, the SDK's failure reason,
or one of the app's own codes below) and a message for people."""

from __future__ import annotations

__all__ = [
    "ALREADY_LOGGED_IN",
    "BACKEND_UNREACHABLE",
    "INVALID_PAYLOAD",
    "INVALID_SETTINGS",
    "NOT_LOGGED_IN",
    "NO_APP_CREDENTIALS",
    "STORAGE_ERROR",
    "UNEXPECTED_ANSWER",
    "DeviceAppError",
]

# The app's own codes (everything else comes from the backend or the SDK).
ALREADY_LOGGED_IN = "ALREADY_LOGGED_IN"
BACKEND_UNREACHABLE = "BACKEND_UNREACHABLE"
INVALID_PAYLOAD = "INVALID_PAYLOAD"
INVALID_SETTINGS = "INVALID_SETTINGS"
NO_APP_CREDENTIALS = "NO_APP_CREDENTIALS"
NOT_LOGGED_IN = "NOT_LOGGED_IN"
STORAGE_ERROR = "STORAGE_ERROR"
UNEXPECTED_ANSWER = "UNEXPECTED_ANSWER"


class DeviceAppError(Exception):
    """A command failed. `code` is stable (scripts match on it); `message` is for people;
    `status` is the backend's HTTP status when the backend refused."""

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
