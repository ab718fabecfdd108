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


class InvalidCodeChallenge(ValidationFailed):
    error_code = "INVALID_CODE_CHALLENGE"
    default_message = (
        "code_challenge must be the S256 challenge of a PKCE verifier (RFC 7636): 43 base64url "
        'characters, sent with code_challenge_method "S256".'
    )


class CodeChallengeMethodUnsupported(ValidationFailed):
    error_code = "CODE_CHALLENGE_METHOD_UNSUPPORTED"
    default_message = (
        'code_challenge_method must be "S256": "plain" (the default when the method is '
        "left out) would send the verifier itself, and is refused."
    )


class CodeChallengeRequired(Forbidden):
    error_code = "CODE_CHALLENGE_REQUIRED"
    default_message = (
        "This app requires codes bound to the redeeming device: send the SDK's code_challenge "
        'with code_challenge_method "S256" (the app\'s PKCE policy is required).'
    )


class CodeChallengeNotEnabled(Forbidden):
    error_code = "PKCE_DISABLED"
    default_message = (
        "This app's PKCE policy is off, so codes cannot be bound to a device; send no "
        "code_challenge, or set the policy to optional or required."
    )


class AuthCodeVerifierMismatch(Forbidden):
    error_code = "AUTH_CODE_VERIFIER_MISMATCH"
    default_message = (
        "This authentication code is bound to another device (PKCE): the code_verifier is "
        "missing or does not match, or a verifier was sent for a code minted without a "
        "challenge. The code can no longer be used; ask your backend for a new one."
    )
    keep_changes = True  # the code is burned and the refusal audited, as for a replay
