from __future__ import annotations

from customer_backend.errors import Conflict, Unauthorized, ValidationFailed


class InvalidLogin(Unauthorized):
    error_code = "INVALID_LOGIN"
    default_message = "Unknown username or wrong password."


class InvalidSession(Unauthorized):
    error_code = "INVALID_SESSION"
    default_message = "The session token is unknown, expired or logged out; log in again."


class UsernameTaken(Conflict):
    error_code = "USERNAME_TAKEN"
    default_message = "This username is taken."


class InvalidUsername(ValidationFailed):
    error_code = "INVALID_USERNAME"
    default_message = "A username is 3 to 64 characters: letters, digits and . _ @ + - (no spaces)."


class WeakPassword(ValidationFailed):
    error_code = "WEAK_PASSWORD"
    default_message = "A password is at least 8 and at most 1024 characters long."
