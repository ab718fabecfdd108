"""Who may do what in the dashboard, and what makes an acceptable email or password."""

from __future__ import annotations

from enum import StrEnum

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 320
RECOVERY_CODE_COUNT = 10


class Role(StrEnum):
    OWNER = "owner"
    DEVELOPER = "developer"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"  # apps, their keys' list, users, insight
    EDIT_APP = "edit_app"  # settings, secret rotation
    MANAGE_KEYS = "manage_keys"
    CREATE_APPS = "create_apps"
    DELETE_USERS = "delete_users"
    MANAGE_MEMBERS = "manage_members"
    # Operators only: the platform's own levers.
    DISABLE_INSTALLS = "disable_installs"
    SEE_EVERYTHING = "see_everything"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(
        {
            Permission.READ,
            Permission.EDIT_APP,
            Permission.MANAGE_KEYS,
            Permission.CREATE_APPS,
            Permission.DELETE_USERS,
            Permission.MANAGE_MEMBERS,
        }
    ),
    Role.DEVELOPER: frozenset({Permission.READ, Permission.EDIT_APP, Permission.MANAGE_KEYS}),
    Role.VIEWER: frozenset({Permission.READ}),
}


def allows(role: Role | None, permission: Permission, *, is_operator: bool) -> bool:
    """Whether an account with `role` in an organisation (None: not a member) may do
    `permission` there. Operators may do everything everywhere."""
    if is_operator:
        return True
    return role is not None and permission in ROLE_PERMISSIONS[role]


def second_factor_required(roles: set[Role], *, is_operator: bool, required_for_all: bool) -> bool:
    """Owners and operators must have TOTP; others when the platform's setting says so."""
    return is_operator or Role.OWNER in roles or required_for_all


def normalise_email(text: str) -> str | None:
    """The email as stored (trimmed, lowercased), or None when it cannot be one."""
    email = text.strip().lower()
    local, at, domain = email.partition("@")
    if (
        not at
        or not local
        or "." not in domain.strip(".")
        or "@" in domain
        or len(email) > MAX_EMAIL_LENGTH
        or any(c.isspace() for c in email)
    ):
        return None
    return email


def password_problem(password: str, email: str) -> str | None:
    """Why a new password is refused, or None. Length over composition rules (NIST SP 800-63B)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"A password has at most {MAX_PASSWORD_LENGTH} characters."
    if password.strip().lower() == email.strip().lower() or password.strip() == "":
        return "The password must not be the email address."
    return None


def may_leave_owners(owner_count: int, *, removing_an_owner: bool) -> bool:
    """An organisation keeps at least one owner."""
    return not removing_an_owner or owner_count > 1
