"""Dashboard accounts for tests: an organisation, an account with a known password and, when
asked, a confirmed TOTP secret to make codes from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache

import pyotp
from argon2 import PasswordHasher

from userlink.accounts import service as accounts
from userlink.accounts.rules import Role
from userlink.runtime import Runtime

DEFAULT_PASSWORD = "correct horse battery staple"


@cache
def _password_hash(password: str) -> str:
    # Cheap parameters: the tests check the flows, not argon2's cost.
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password)


@dataclass(frozen=True)
class TestAccount:
    __test__ = False  # not a test class, whatever pytest thinks of its name

    id: uuid.UUID
    email: str
    password: str
    organisation_id: uuid.UUID
    role: Role
    totp_secret: str | None
    recovery_codes: tuple[str, ...]

    def totp_code(self, runtime: Runtime, *, steps_ahead: int = 0) -> str:
        """The code the authenticator shows at the runtime clock's now (plus some steps)."""
        assert self.totp_secret is not None
        moment = runtime.clock.now().timestamp() + steps_ahead * accounts.TOTP_PERIOD_SECONDS
        return pyotp.TOTP(self.totp_secret).at(moment)


def make_organisation(runtime: Runtime, name: str | None = None) -> uuid.UUID:
    with runtime.unit_of_work() as work:
        return accounts.create_organisation(work, name or f"Org {uuid.uuid4().hex[:8]}").id


def make_account(
    runtime: Runtime,
    *,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    role: Role = Role.OWNER,
    organisation_id: uuid.UUID | None = None,
    totp: bool = True,
    operator: bool = False,
    must_change_password: bool = False,
) -> TestAccount:
    """An account in an organisation (a new one unless given). With `totp`, enrolment is done
    and confirmed as the dashboard would, and the recovery codes are returned."""
    email = email or f"{uuid.uuid4().hex[:10]}@example.com"
    if organisation_id is None:
        organisation_id = make_organisation(runtime)
    with runtime.unit_of_work() as work:
        account = accounts.create_account(
            work,
            email,
            password_hash=_password_hash(password),
            is_operator=operator,
            must_change_password=must_change_password,
        )
        accounts.add_member(work, organisation_id, account.id, role)
    secret = None
    codes: list[str] = []
    if totp:
        with runtime.unit_of_work() as work:
            secret = accounts.begin_totp_enrolment(work, account.id).secret
        with runtime.unit_of_work() as work:
            # A step before now: the login right after may use the current code.
            previous = runtime.clock.now().timestamp() - accounts.TOTP_PERIOD_SECONDS
            codes = accounts.confirm_totp_enrolment(
                work, account.id, pyotp.TOTP(secret).at(previous)
            )
    return TestAccount(
        id=account.id,
        email=account.email,
        password=password,
        organisation_id=organisation_id,
        role=role,
        totp_secret=secret,
        recovery_codes=tuple(codes),
    )
