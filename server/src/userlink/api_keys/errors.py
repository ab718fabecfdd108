from __future__ import annotations

from userlink.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed


class InvalidApiKey(Unauthorized):
    error_code = "INVALID_API_KEY"
    default_message = (
        "The bearer token is not a valid userlink API key "
        "(SDK credentials cannot call server-to-server routes)."
    )


class ApiKeyRevoked(Unauthorized):
    error_code = "API_KEY_REVOKED"
    default_message = "This API key was revoked."


class ApiKeyExpired(Unauthorized):
    error_code = "API_KEY_EXPIRED"
    default_message = "This API key has expired; create a new one."


class InsufficientScope(Forbidden):
    error_code = "INSUFFICIENT_SCOPE"
    default_message = "This API key does not have the scope this route needs."


class ApiKeyNotAllowed(Unauthorized):
    error_code = "API_KEY_NOT_ALLOWED"
    default_message = (
        "API keys must never be used from an app. This was recorded as a possible leak: "
        "revoke the key."
    )
    keep_changes = True


class ApiKeyNotFound(NotFound):
    error_code = "API_KEY_NOT_FOUND"
    default_message = "No API key with this id for this app."


class TooManyApiKeys(Conflict):
    error_code = "TOO_MANY_ACTIVE_API_KEYS"
    default_message = "An app holds at most 10 active API keys; revoke one first."


class InvalidScopes(ValidationFailed):
    error_code = "INVALID_SCOPES"
    default_message = (
        "Scopes must be one or more of user.link, user.read, user.delete, webhooks.manage."
    )


class InvalidKeyLifetime(ValidationFailed):
    error_code = "INVALID_KEY_LIFETIME"
    default_message = "An API key lives between 1 and 365 days."


class InvalidKeyName(ValidationFailed):
    error_code = "INVALID_KEY_NAME"
    default_message = "A key's name has at most 200 characters."


class InvalidKeyOverlap(ValidationFailed):
    error_code = "INVALID_KEY_OVERLAP"
    default_message = "A rolled key may keep working between 0 hours and 7 days."


class ApiKeyNotActive(Conflict):
    error_code = "API_KEY_NOT_ACTIVE"
    default_message = "Only an active key can be rolled; this one is revoked or expired."
