from __future__ import annotations

from userlink.errors import Conflict, Forbidden, Unauthorized, ValidationFailed


class InvalidExternalId(ValidationFailed):
    error_code = "INVALID_EXTERNAL_ID"
    default_message = (
        "external_id must be a non-empty string of at most 256 characters without control "
        "characters."
    )


class AuthCodeInvalid(Unauthorized):
    error_code = "AUTH_CODE_INVALID"
    default_message = "This authentication code is not known to the platform."


class AuthCodeExpired(Unauthorized):
    error_code = "AUTH_CODE_EXPIRED"
    default_message = "This authentication code has expired; ask your backend for a new one."


class AuthCodeAlreadyUsed(Conflict):
    error_code = "AUTH_CODE_ALREADY_USED"
    default_message = "This authentication code was already used; codes are single-use."
    keep_changes = True  # the refused replay stays in the audit log


class AuthCodeAppMismatch(Forbidden):
    error_code = "AUTH_CODE_APP_MISMATCH"
    default_message = "This authentication code was issued for another app."
