"""The identity events the ledger records (DESIGN §2.5, §4), and the pure rules of reading it
back: the opaque cursor, the type and time filters."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    # An undo of a restore or a link (usecases/undo.py); `undoes_event_id` names the event.
    EVENT_UNDONE = "event.undone"


# What an undo may reverse: a restore (the install returns to no user: a new provisional one)
# and a link (in place: the user loses its external id; joined: the install returns to the
# user it had before).
UNDOABLE_EVENTS = frozenset({AuditEvent.USER_RESTORED, AuditEvent.USER_LINKED})

# Later events that build on a moved install: it was reset, disabled, or moved again.
_INSTALL_DEPENDENTS = frozenset(
    {
        AuditEvent.INSTALL_RESET,
        AuditEvent.INSTALL_DISABLED,
        AuditEvent.USER_LINKED,
        AuditEvent.USER_RESTORED,
        AuditEvent.INSTALL_JOINED_USER,
    }
)
# Later events that build on a user's external id: another install came to the user through it.
_EXTERNAL_ID_DEPENDENTS = frozenset({AuditEvent.USER_RESTORED, AuditEvent.USER_LINKED})
# Every type `blocking_events` may name: what the use case reads after the event.
DEPENDENT_EVENTS = _INSTALL_DEPENDENTS | _EXTERNAL_ID_DEPENDENTS


@dataclass(frozen=True)
class LedgerFacts:
    """What deciding an undo needs of one ledger row."""

    id: int
    event: str
    occurred_at: datetime
    user_id: uuid.UUID | None
    install_id: uuid.UUID | None
    # `user.linked` in place (False) or by joining another user (True); None for other types.
    joined: bool | None = None


def moves_install(event: LedgerFacts) -> bool:
    """Whether the event moved its install to its user (a restore, a joined link), rather than
    giving the install's own user an external id (an in-place link)."""
    return event.event == AuditEvent.USER_RESTORED or bool(event.joined)


def blocking_events(
    event: LedgerFacts, later: Sequence[LedgerFacts], undone: Collection[int]
) -> list[LedgerFacts]:
    """The later events that depend on `event`, so that undoing it would leave them resting on
    nothing: for a moved install, what happened to that install since (a reset, a disable,
    another link or restore of it); for an in-place link, the installs that came to the user
    through its external id since (a restore, a joined link). Events undone since do not count."""
    found = []
    for other in later:
        if other.id <= event.id or other.id in undone:
            continue
        on_install = (
            moves_install(event)
            and other.install_id == event.install_id
            and other.event in _INSTALL_DEPENDENTS
        )
        through_external_id = (
            not moves_install(event)
            and other.user_id == event.user_id
            and other.install_id != event.install_id
            and (other.event == AuditEvent.USER_RESTORED or bool(other.joined))
        )
        if on_install or through_external_id:
            found.append(other)
    return found


class UndoRefusal(StrEnum):
    NOT_UNDOABLE = "not_undoable"
    ALREADY_UNDONE = "already_undone"
    WINDOW_PASSED = "window_passed"
    LATER_EVENTS = "later_events"


def undo_refusal(
    event: LedgerFacts,
    *,
    already_undone: bool,
    now: datetime,
    window: timedelta,
    blocking: Sequence[LedgerFacts],
) -> UndoRefusal | None:
    """Why `event` may not be undone now, or None when it may: only a restore or a link, once,
    within the app's window counted from when it happened, and with no later event depending
    on it (`blocking_events`)."""
    if event.event not in UNDOABLE_EVENTS:
        return UndoRefusal.NOT_UNDOABLE
    if already_undone:
        return UndoRefusal.ALREADY_UNDONE
    if now - event.occurred_at > window:
        return UndoRefusal.WINDOW_PASSED
    if blocking:
        return UndoRefusal.LATER_EVENTS
    return None


# Ledger ids are positive 64-bit integers.
MAX_EVENT_ID = 2**63 - 1
_CURSOR_PREFIX = "ev1:"
# At most this many types in one filter (there are fewer kinds of events than that).
MAX_TYPE_FILTERS = 64


def encode_cursor(before_id: int) -> str:
    """The next page starts below this event id. Opaque to callers: base64 of a versioned text."""
    raw = f"{_CURSOR_PREFIX}{before_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    """The event id a cursor of `encode_cursor` holds, or None for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (ValueError, binascii.Error, UnicodeError):
        return None
    if not text.startswith(_CURSOR_PREFIX):
        return None
    digits = text[len(_CURSOR_PREFIX) :]
    if not digits.isdigit() or not digits.isascii() or len(digits) > 19:
        return None
    before_id = int(digits)
    return before_id if 1 <= before_id <= MAX_EVENT_ID else None


def parse_event_types(values: Sequence[str]) -> frozenset[AuditEvent] | None:
    """The event types asked for (each value may hold several, comma-separated), an empty set
    for no filter, or None when any named type does not exist."""
    names = [name.strip() for value in values for name in value.split(",")]
    names = [name for name in names if name]
    if len(names) > MAX_TYPE_FILTERS:
        return None
    try:
        return frozenset(AuditEvent(name) for name in names)
    except ValueError:
        return None


def parse_instant(text: str) -> datetime | None:
    """An ISO 8601 date-time, in UTC: with an offset (or `Z`) as given, without one taken as UTC;
    None when it is not one."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
