"""The identity events the audit log records (DESIGN §4)."""

from __future__ import annotations

from enum import StrEnum


class AuditEvent(StrEnum):
    APP_CREATED = "app.created"
    APP_SECRET_ROTATED = "app.secret_rotated"  # noqa: S105 - an event name
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    API_KEY_ON_SDK_ROUTE = "api_key.presented_on_sdk_route"
    CODE_ISSUED = "auth_code.issued"
    CODE_REDEEMED = "auth_code.redeemed"
    CODE_REDEMPTION_RETRIED = "auth_code.redemption_retried"
    CODE_REPLAY_REFUSED = "auth_code.replay_refused"
    USER_CREATED = "user.created"
    USER_RESTORED = "user.restored"
    USER_LINKED = "user.linked"
    USER_DELETED = "user.deleted"
    # A restore refused: the external id's user was restored too often lately (velocity limit).
    EXTERNAL_ID_VELOCITY_EXCEEDED = "external_id.velocity_exceeded"
    INSTALL_CREATED = "install.created"
    INSTALL_ACTIVATED = "install.activated"
    INSTALL_DEACTIVATED = "install.deactivated"
    # Another install of the same user took the active role from this one (details: the
    # displaced and new install ids, and the reason: newer_install | phone_over_tablet).
    INSTALL_DISPLACED = "install.displaced"
    INSTALL_RESET = "install.reset"
    # Held payloads (sent by an inactive install) merged into the user's timeline on request.
    HELD_PAYLOADS_MERGED = "payloads.held_merged"
    INSTALL_JOINED_USER = "install.joined_user"
    INSTALL_DISABLED = "install.disabled"
    APP_SETTINGS_CHANGED = "app.settings_changed"
    API_KEY_ROLLED = "api_key.rolled"
    # The dashboard's accounts (actor "account:<id>").
    ORGANISATION_CREATED = "organisation.created"
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_PASSWORD_CHANGED = "account.password_changed"  # noqa: S105 - an event name
    ACCOUNT_TOTP_ENROLLED = "account.totp_enrolled"
    ACCOUNT_RECOVERY_CODE_USED = "account.recovery_code_used"
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGOUT = "login.logged_out"
    SESSIONS_REVOKED = "login.sessions_revoked"
    MEMBER_INVITED = "member.invited"
    MEMBER_INVITATION_REVOKED = "member.invitation_revoked"
    MEMBER_JOINED = "member.joined"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    MEMBER_REMOVED = "member.removed"
