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


class ExternalIdBlocked(ValidationFailed):
    error_code = "EXTERNAL_ID_BLOCKED"
    default_message = (
        "This external_id looks like a placeholder, not a user's identity; your backend probably "
        "sent a default value. Every user sent with it would become one platform user."
    )

    @classmethod
    def of(cls, external_id: str) -> ExternalIdBlocked:
        # Quoted back (repr, cut short) so the log line that shows the refusal shows the value.
        shown = repr(external_id[:40])
        return cls(
            f"external_id {shown} looks like a placeholder, not a user's identity; your backend "
            "probably sent a default value. Send the user's real id (an app whose users really "
            "are called this can allow it in its settings)."
        )
