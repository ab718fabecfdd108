"""Accounts and organisations of the dashboard (DESIGN §4): argon2 password hashes, a TOTP second
factor with ten one-time recovery codes, roles per organisation, invitations by one-time link.

Password hashes are made and checked by the caller, off the unit of work (kit/passwords.py): an
argon2 hash takes tens of milliseconds, which must not hold a transaction (on SQLite, every
write of the process) open."""

from __future__ import annotations

import hmac
import json
import secrets as stdlib_secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import RowMapping

from userlink.accounts import rules
from userlink.accounts.errors import (
    AccountExists,
    AccountNotFound,
    AlreadyMember,
    InvalidEmail,
    InvalidSecondFactor,
    InvitationInvalid,
    LastOwner,
    OrganisationNotFound,
    TotpNotStarted,
)
from userlink.accounts.repository import AccountRepository
from userlink.accounts.rules import Role
from userlink.audit.rules import AuditEvent
from userlink.kit.clock import as_utc
from userlink.kit.ids import new_id
from userlink.kit.sealing import Sealer
from userlink.unit_of_work import UnitOfWork

TOTP_ISSUER = "userlink"
TOTP_PERIOD_SECONDS = 30
# One step either side: a phone's clock a little off still works.
TOTP_VALID_WINDOW = 1
INVITATION_LIFETIME = timedelta(days=3)


def actor(account_id: uuid.UUID) -> str:
    """How the audit log names an account that acted."""
    return f"account:{account_id}"


@dataclass(frozen=True)
class Organisation:
    id: uuid.UUID
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    email: str
    is_operator: bool
    must_change_password: bool
    totp_enabled: bool
    created_at: datetime


@dataclass(frozen=True)
class Membership:
    organisation_id: uuid.UUID
    organisation_name: str
    role: Role


@dataclass(frozen=True)
class Member:
    account_id: uuid.UUID
    email: str
    role: Role
    totp_enabled: bool
    since: datetime


@dataclass(frozen=True)
class LoginCandidate:
    """What a login needs to check a password: None for an unknown email."""

    account_id: uuid.UUID | None
    password_hash: str | None


@dataclass(frozen=True)
class Invitation:
    id: uuid.UUID
    organisation_id: uuid.UUID
    organisation_name: str
    email: str
    role: Role
    expires_at: datetime


@dataclass(frozen=True)
class CreatedInvitation:
    invitation_id: uuid.UUID
    token: str  # shown once, in the link


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    provisioning_uri: str


def _sealer(work: UnitOfWork) -> Sealer:
    return Sealer(work.settings.secret_key.get_secret_value(), "totp")


def _account(row: RowMapping) -> Account:
    return Account(
        id=row["id"],
        email=row["email"],
        is_operator=row["is_operator"],
        must_change_password=row["must_change_password"],
        totp_enabled=row["totp_enabled_at"] is not None,
        created_at=as_utc(row["created_at"]),
    )


def valid_email(text: str) -> str:
    email = rules.normalise_email(text)
    if email is None:
        raise InvalidEmail()
    return email


# Organisations


def create_organisation(
    work: UnitOfWork, name: str, *, by: uuid.UUID | None = None
) -> Organisation:
    repository = AccountRepository(work.connection)
    organisation_id = new_id()
    repository.insert_organisation(
        id=organisation_id, name=name.strip(), created_at=work.clock.now()
    )
    work.audit.record(
        AuditEvent.ORGANISATION_CREATED,
        app_id=None,
        actor=actor(by) if by else "cli",
        organisation_id=str(organisation_id),
    )
    return get_organisation(work, organisation_id)


def get_organisation(work: UnitOfWork, organisation_id: uuid.UUID) -> Organisation:
    row = AccountRepository(work.connection).organisation(organisation_id)
    if row is None:
        raise OrganisationNotFound()
    return Organisation(id=row["id"], name=row["name"], created_at=as_utc(row["created_at"]))


def find_or_create_organisation(work: UnitOfWork, name: str) -> Organisation:
    row = AccountRepository(work.connection).organisation_named(name.strip())
    if row is not None:
        return get_organisation(work, row["id"])
    return create_organisation(work, name)


def list_organisations(work: UnitOfWork) -> list[Organisation]:
    return [
        Organisation(id=row["id"], name=row["name"], created_at=as_utc(row["created_at"]))
        for row in AccountRepository(work.connection).all_organisations()
    ]


# Accounts


def create_account(
    work: UnitOfWork,
    email: str,
    *,
    password_hash: str,
    must_change_password: bool = False,
    is_operator: bool = False,
    by: str = "cli",
) -> Account:
    repository = AccountRepository(work.connection)
    email = valid_email(email)
    if repository.account_by_email(email) is not None:
        raise AccountExists()
    account_id = new_id()
    repository.insert_account(
        id=account_id,
        email=email,
        password_hash=password_hash,
        must_change_password=must_change_password,
        is_operator=is_operator,
        created_at=work.clock.now(),
    )
    work.audit.record(
        AuditEvent.ACCOUNT_CREATED,
        app_id=None,
        actor=by,
        account_id=str(account_id),
        is_operator=is_operator,
    )
    return get_account(work, account_id)


def get_account(work: UnitOfWork, account_id: uuid.UUID) -> Account:
    row = AccountRepository(work.connection).account(account_id)
    if row is None:
        raise AccountNotFound()
    return _account(row)


def login_candidate(work: UnitOfWork, email: str) -> LoginCandidate:
    normalised = rules.normalise_email(email)
    row = AccountRepository(work.connection).account_by_email(normalised) if normalised else None
    if row is None:
        return LoginCandidate(account_id=None, password_hash=None)
    return LoginCandidate(account_id=row["id"], password_hash=row["password_hash"])


def set_password(
    work: UnitOfWork, account_id: uuid.UUID, *, password_hash: str, by: uuid.UUID | None = None
) -> None:
    get_account(work, account_id)
    AccountRepository(work.connection).update_account(
        account_id, password_hash=password_hash, must_change_password=False
    )
    work.audit.record(
        AuditEvent.ACCOUNT_PASSWORD_CHANGED,
        app_id=None,
        actor=actor(by or account_id),
        account_id=str(account_id),
    )


def store_rehashed_password(work: UnitOfWork, account_id: uuid.UUID, password_hash: str) -> None:
    """The same password under stronger hash parameters (argon2's check_needs_rehash)."""
    AccountRepository(work.connection).update_account(account_id, password_hash=password_hash)


# Memberships


def add_member(
    work: UnitOfWork,
    organisation_id: uuid.UUID,
    account_id: uuid.UUID,
    role: Role,
    *,
    by: str = "cli",
) -> None:
    repository = AccountRepository(work.connection)
    get_organisation(work, organisation_id)
    if repository.membership(account_id, organisation_id) is not None:
        raise AlreadyMember()
    repository.insert_membership(
        account_id=account_id,
        organisation_id=organisation_id,
        role=role.value,
        created_at=work.clock.now(),
    )
    work.audit.record(
        AuditEvent.MEMBER_JOINED,
        app_id=None,
        actor=by,
        account_id=str(account_id),
        organisation_id=str(organisation_id),
        role=role.value,
    )


def memberships_of(work: UnitOfWork, account_id: uuid.UUID) -> list[Membership]:
    return [
        Membership(
            organisation_id=row["organisation_id"],
            organisation_name=row["organisation_name"],
            role=Role(row["role"]),
        )
        for row in AccountRepository(work.connection).memberships_of(account_id)
    ]


def members_of(work: UnitOfWork, organisation_id: uuid.UUID) -> list[Member]:
    return [
        Member(
            account_id=row["id"],
            email=row["email"],
            role=Role(row["role"]),
            totp_enabled=row["totp_enabled_at"] is not None,
            since=as_utc(row["created_at"]),
        )
        for row in AccountRepository(work.connection).members_of(organisation_id)
    ]


def change_role(
    work: UnitOfWork,
    organisation_id: uuid.UUID,
    account_id: uuid.UUID,
    role: Role,
    *,
    by: uuid.UUID,
) -> None:
    repository = AccountRepository(work.connection)
    repository.lock_organisation(organisation_id)
    current = repository.membership(account_id, organisation_id)
    if current is None:
        raise AccountNotFound("This account is not a member of the organisation.")
    demoting_owner = current["role"] == Role.OWNER and role is not Role.OWNER
    if not rules.may_leave_owners(
        repository.count_owners(organisation_id), removing_an_owner=demoting_owner
    ):
        raise LastOwner()
    repository.update_membership(account_id, organisation_id, role=role.value)
    work.audit.record(
        AuditEvent.MEMBER_ROLE_CHANGED,
        app_id=None,
        actor=actor(by),
        account_id=str(account_id),
        organisation_id=str(organisation_id),
        role=role.value,
    )


def remove_member(
    work: UnitOfWork, organisation_id: uuid.UUID, account_id: uuid.UUID, *, by: uuid.UUID
) -> None:
    repository = AccountRepository(work.connection)
    repository.lock_organisation(organisation_id)
    current = repository.membership(account_id, organisation_id)
    if current is None:
        raise AccountNotFound("This account is not a member of the organisation.")
    if not rules.may_leave_owners(
        repository.count_owners(organisation_id),
        removing_an_owner=current["role"] == Role.OWNER,
    ):
        raise LastOwner()
    repository.delete_membership(account_id, organisation_id)
    work.audit.record(
        AuditEvent.MEMBER_REMOVED,
        app_id=None,
        actor=actor(by),
        account_id=str(account_id),
        organisation_id=str(organisation_id),
    )


# The second factor
#
# The sealed value holds the confirmed secret and, while enrolling, a pending one: re-enrolling a
# new phone keeps the old secret working until a code from the new one confirms it.


def _secrets(work: UnitOfWork, sealed: str | None) -> dict[str, str | None]:
    opened = _sealer(work).open(sealed) if sealed else None
    if opened is None:
        return {"active": None, "pending": None}
    value = json.loads(opened)
    return {"active": value.get("active"), "pending": value.get("pending")}


def _store_secrets(work: UnitOfWork, account_id: uuid.UUID, **values: str | None) -> None:
    AccountRepository(work.connection).update_account(
        account_id, totp_secret_sealed=_sealer(work).seal(json.dumps(values))
    )


def begin_totp_enrolment(work: UnitOfWork, account_id: uuid.UUID) -> TotpEnrolment:
    row = AccountRepository(work.connection).account(account_id)
    if row is None:
        raise AccountNotFound()
    current = _secrets(work, row["totp_secret_sealed"])
    # A page reloaded while enrolling shows the same secret, so a code scanned from it works.
    secret = current["pending"] or pyotp.random_base32()
    if current["pending"] is None:
        _store_secrets(work, account_id, active=current["active"], pending=secret)
    return TotpEnrolment(
        secret=secret,
        provisioning_uri=pyotp.TOTP(secret).provisioning_uri(
            name=row["email"], issuer_name=TOTP_ISSUER
        ),
    )


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code `code` is, within the window, or None."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_PERIOD_SECONDS)
    for offset in range(-TOTP_VALID_WINDOW, TOTP_VALID_WINDOW + 1):
        moment = now + timedelta(seconds=offset * TOTP_PERIOD_SECONDS)
        if hmac.compare_digest(totp.at(moment), code):
            return totp.timecode(moment)
    return None


def confirm_totp_enrolment(work: UnitOfWork, account_id: uuid.UUID, code: str) -> list[str]:
    """Confirm with a code from the pending secret; returns ten new recovery codes, shown once."""
    repository = AccountRepository(work.connection)
    row = repository.account(account_id)
    if row is None:
        raise AccountNotFound()
    current = _secrets(work, row["totp_secret_sealed"])
    pending = current["pending"]
    if pending is None:
        raise TotpNotStarted()
    now = work.clock.now()
    step = _matching_step(pending, code, now)
    if step is None:
        raise InvalidSecondFactor()
    _store_secrets(work, account_id, active=pending, pending=None)
    repository.update_account(account_id, totp_enabled_at=now, totp_last_step=step)
    codes = _new_recovery_codes(work, account_id)
    work.audit.record(AuditEvent.ACCOUNT_TOTP_ENROLLED, app_id=None, actor=actor(account_id))
    return codes


def _new_recovery_codes(work: UnitOfWork, account_id: uuid.UUID) -> list[str]:
    now = work.clock.now()
    codes = [
        "-".join(stdlib_secrets.token_hex(3) for _ in range(2))
        for _ in range(rules.RECOVERY_CODE_COUNT)
    ]
    AccountRepository(work.connection).replace_recovery_codes(
        account_id,
        [
            {
                "id": new_id(),
                "account_id": account_id,
                "code_hash": work.hasher.hash(f"recovery:{account_id}:{code}"),
                "created_at": now,
            }
            for code in codes
        ],
    )
    return codes


def check_second_factor(work: UnitOfWork, account_id: uuid.UUID, code: str) -> None:
    """A current TOTP code not used before, or an unused recovery code (used up by this)."""
    repository = AccountRepository(work.connection)
    row = repository.account(account_id)
    if row is None or row["totp_enabled_at"] is None:
        raise InvalidSecondFactor()
    now = work.clock.now()
    active = _secrets(work, row["totp_secret_sealed"])["active"]
    step = _matching_step(active, code, now) if active else None
    if step is not None:
        if repository.advance_totp_step(account_id, step):
            return
        raise InvalidSecondFactor()
    recovery = code.strip().lower()
    if repository.use_recovery_code(
        account_id, work.hasher.hash(f"recovery:{account_id}:{recovery}"), now
    ):
        work.audit.record(
            AuditEvent.ACCOUNT_RECOVERY_CODE_USED,
            app_id=None,
            actor=actor(account_id),
            remaining=repository.unused_recovery_codes(account_id),
        )
        return
    raise InvalidSecondFactor()


def remaining_recovery_codes(work: UnitOfWork, account_id: uuid.UUID) -> int:
    return AccountRepository(work.connection).unused_recovery_codes(account_id)


# Invitations


def invite(
    work: UnitOfWork,
    organisation_id: uuid.UUID,
    email: str,
    role: Role,
    *,
    by: uuid.UUID,
) -> CreatedInvitation:
    email = valid_email(email)
    get_organisation(work, organisation_id)
    token = stdlib_secrets.token_urlsafe(32)
    invitation_id = new_id()
    now = work.clock.now()
    AccountRepository(work.connection).insert_invitation(
        id=invitation_id,
        organisation_id=organisation_id,
        email=email,
        role=role.value,
        token_hash=work.hasher.hash(f"invitation:{token}"),
        invited_by=by,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    work.audit.record(
        AuditEvent.MEMBER_INVITED,
        app_id=None,
        actor=actor(by),
        organisation_id=str(organisation_id),
        invitation_id=str(invitation_id),
        role=role.value,
    )
    return CreatedInvitation(invitation_id=invitation_id, token=token)


def pending_invitations(work: UnitOfWork, organisation_id: uuid.UUID) -> list[Invitation]:
    return [
        Invitation(
            id=row["id"],
            organisation_id=row["organisation_id"],
            organisation_name="",
            email=row["email"],
            role=Role(row["role"]),
            expires_at=as_utc(row["expires_at"]),
        )
        for row in AccountRepository(work.connection).pending_invitations(
            organisation_id, work.clock.now()
        )
    ]


def revoke_invitation(
    work: UnitOfWork, organisation_id: uuid.UUID, invitation_id: uuid.UUID, *, by: uuid.UUID
) -> None:
    AccountRepository(work.connection).revoke_invitation(
        organisation_id, invitation_id, work.clock.now()
    )
    work.audit.record(
        AuditEvent.MEMBER_INVITATION_REVOKED,
        app_id=None,
        actor=actor(by),
        organisation_id=str(organisation_id),
        invitation_id=str(invitation_id),
    )


def open_invitation(work: UnitOfWork, token: str) -> Invitation:
    repository = AccountRepository(work.connection)
    row = repository.invitation_by_token_hash(work.hasher.hash(f"invitation:{token}"))
    now = work.clock.now()
    if (
        row is None
        or row["accepted_at"] is not None
        or row["revoked_at"] is not None
        or as_utc(row["expires_at"]) <= now
    ):
        raise InvitationInvalid()
    return Invitation(
        id=row["id"],
        organisation_id=row["organisation_id"],
        organisation_name=row["organisation_name"],
        email=row["email"],
        role=Role(row["role"]),
        expires_at=as_utc(row["expires_at"]),
    )


def accept_invitation(
    work: UnitOfWork,
    token: str,
    *,
    password_hash: str | None = None,
    as_account: uuid.UUID | None = None,
) -> Account:
    """Join the organisation: either as a new account with `password_hash`, or as the existing
    account `as_account` (signed in as it: a link alone never adds an existing account)."""
    invitation = open_invitation(work, token)
    repository = AccountRepository(work.connection)
    existing = repository.account_by_email(invitation.email)
    if as_account is not None:
        if existing is None or existing["id"] != as_account:
            raise InvitationInvalid(
                f"This invitation is for {invitation.email}: log in as that account to accept it."
            )
        account = _account(existing)
    elif existing is not None:
        raise AccountExists(
            f"{invitation.email} has an account already: log in as it, then open this link again."
        )
    elif password_hash is None:
        raise InvitationInvalid("Choose a password to accept this invitation.")
    if not repository.accept_invitation(invitation.id, work.clock.now()):
        raise InvitationInvalid()
    if as_account is None:
        assert password_hash is not None
        account = create_account(
            work, invitation.email, password_hash=password_hash, by=f"invitation:{invitation.id}"
        )
    add_member(work, invitation.organisation_id, account.id, invitation.role, by=actor(account.id))
    return account
