from __future__ import annotations

from userlink.errors import Forbidden, NotFound, Unauthorized, ValidationFailed


class AppNotFound(NotFound):
    error_code = "APP_NOT_FOUND"
    default_message = "No app with this id."


class InvalidAppCredentials(Unauthorized):
    error_code = "INVALID_APP_CREDENTIALS"
    default_message = "The app id or app secret is not valid."


class AppDisabled(Forbidden):
    error_code = "APP_DISABLED"
    default_message = "This app is disabled on the platform (remote disabled)."


class LegacyRegistrationDisabled(Forbidden):
    error_code = "LEGACY_REGISTRATION_DISABLED"
    default_message = (
        "This app no longer accepts legacy SDK inits (app id and secret): update the app to an "
        "SDK that creates its user with an authentication code."
    )


class InvalidCodeLifetime(ValidationFailed):
    error_code = "INVALID_CODE_LIFETIME"
    default_message = "The code lifetime must be between 10 and 600 seconds."


class InvalidUndoWindow(ValidationFailed):
    error_code = "INVALID_UNDO_WINDOW"
    default_message = "The undo window must be between 60 seconds and 90 days."


class InvalidAppName(ValidationFailed):
    error_code = "INVALID_APP_NAME"
    default_message = "An app needs a name of at most 200 characters."


class InvalidSecretOverlap(ValidationFailed):
    error_code = "INVALID_SECRET_OVERLAP"
    default_message = "The previous secret may keep working between 0 hours and 7 days."


class InvalidExternalIdList(ValidationFailed):
    error_code = "INVALID_EXTERNAL_ID_LIST"
    default_message = (
        "An app blocks or allows at most 100 external ids, each at most 256 characters without "
        "control characters, and none both blocked and allowed."
    )


class InvalidPkcePolicy(ValidationFailed):
    error_code = "INVALID_PKCE_POLICY"
    default_message = "The PKCE policy must be off, optional or required."
