from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from userlink.models import accounts, invitations, memberships, organisations, recovery_codes


class AccountRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # organisations
    def insert_organisation(self, **values: Any) -> None:
        self._connection.execute(insert(organisations).values(**values))

    def organisation(self, organisation_id: uuid.UUID) -> RowMapping | None:
        query = select(organisations).where(organisations.c.id == organisation_id)
        return self._connection.execute(query).mappings().first()

    def lock_organisation(self, organisation_id: uuid.UUID) -> None:
        """Changes to an organisation's owners one at a time (FOR UPDATE; SQLite serialises every
        write anyway), so two demotions at once cannot leave it without an owner."""
        query = (
            select(organisations.c.id)
            .where(organisations.c.id == organisation_id)
            .with_for_update()
        )
        self._connection.execute(query)

    def organisation_named(self, name: str) -> RowMapping | None:
        query = select(organisations).where(organisations.c.name == name)
        return self._connection.execute(query).mappings().first()

    def all_organisations(self) -> Sequence[RowMapping]:
        query = select(organisations).order_by(organisations.c.name)
        return self._connection.execute(query).mappings().all()

    # accounts
    def insert_account(self, **values: Any) -> None:
        self._connection.execute(insert(accounts).values(**values))

    def account(self, account_id: uuid.UUID) -> RowMapping | None:
        query = select(accounts).where(accounts.c.id == account_id)
        return self._connection.execute(query).mappings().first()

    def account_by_email(self, email: str) -> RowMapping | None:
        query = select(accounts).where(accounts.c.email == email)
        return self._connection.execute(query).mappings().first()

    def update_account(self, account_id: uuid.UUID, **values: Any) -> None:
        self._connection.execute(
            update(accounts).where(accounts.c.id == account_id).values(**values)
        )

    def advance_totp_step(self, account_id: uuid.UUID, step: int) -> bool:
        """Record `step` as used unless it (or a later one) was: one statement, so two logins
        racing with the same code cannot both pass."""
        result = self._connection.execute(
            update(accounts)
            .where(
                accounts.c.id == account_id,
                (accounts.c.totp_last_step.is_(None)) | (accounts.c.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        return result.rowcount == 1

    # memberships
    def insert_membership(self, **values: Any) -> None:
        self._connection.execute(insert(memberships).values(**values))

    def membership(self, account_id: uuid.UUID, organisation_id: uuid.UUID) -> RowMapping | None:
        query = select(memberships).where(
            memberships.c.account_id == account_id,
            memberships.c.organisation_id == organisation_id,
        )
        return self._connection.execute(query).mappings().first()

    def memberships_of(self, account_id: uuid.UUID) -> Sequence[RowMapping]:
        query = (
            select(
                memberships.c.organisation_id,
                memberships.c.role,
                organisations.c.name.label("organisation_name"),
            )
            .join(organisations, organisations.c.id == memberships.c.organisation_id)
            .where(memberships.c.account_id == account_id)
            .order_by(organisations.c.name)
        )
        return self._connection.execute(query).mappings().all()

    def members_of(self, organisation_id: uuid.UUID) -> Sequence[RowMapping]:
        query = (
            select(
                accounts.c.id,
                accounts.c.email,
                accounts.c.totp_enabled_at,
                memberships.c.role,
                memberships.c.created_at,
            )
            .join(accounts, accounts.c.id == memberships.c.account_id)
            .where(memberships.c.organisation_id == organisation_id)
            .order_by(accounts.c.email)
        )
        return self._connection.execute(query).mappings().all()

    def count_owners(self, organisation_id: uuid.UUID) -> int:
        query = select(func.count()).where(
            memberships.c.organisation_id == organisation_id, memberships.c.role == "owner"
        )
        return int(self._connection.execute(query).scalar_one())

    def update_membership(
        self, account_id: uuid.UUID, organisation_id: uuid.UUID, **values: Any
    ) -> None:
        self._connection.execute(
            update(memberships)
            .where(
                memberships.c.account_id == account_id,
                memberships.c.organisation_id == organisation_id,
            )
            .values(**values)
        )

    def delete_membership(self, account_id: uuid.UUID, organisation_id: uuid.UUID) -> None:
        self._connection.execute(
            memberships.delete().where(
                memberships.c.account_id == account_id,
                memberships.c.organisation_id == organisation_id,
            )
        )

    # recovery codes
    def replace_recovery_codes(self, account_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
        self._connection.execute(
            recovery_codes.delete().where(recovery_codes.c.account_id == account_id)
        )
        self._connection.execute(insert(recovery_codes), rows)

    def use_recovery_code(self, account_id: uuid.UUID, code_hash: str, now: datetime) -> bool:
        result = self._connection.execute(
            update(recovery_codes)
            .where(
                recovery_codes.c.account_id == account_id,
                recovery_codes.c.code_hash == code_hash,
                recovery_codes.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return result.rowcount == 1

    def unused_recovery_codes(self, account_id: uuid.UUID) -> int:
        query = select(func.count()).where(
            recovery_codes.c.account_id == account_id, recovery_codes.c.used_at.is_(None)
        )
        return int(self._connection.execute(query).scalar_one())

    # invitations
    def insert_invitation(self, **values: Any) -> None:
        self._connection.execute(insert(invitations).values(**values))

    def invitation_by_token_hash(self, token_hash: str) -> RowMapping | None:
        query = (
            select(invitations, organisations.c.name.label("organisation_name"))
            .join(organisations, organisations.c.id == invitations.c.organisation_id)
            .where(invitations.c.token_hash == token_hash)
        )
        return self._connection.execute(query).mappings().first()

    def accept_invitation(self, invitation_id: uuid.UUID, now: datetime) -> bool:
        result = self._connection.execute(
            update(invitations)
            .where(
                invitations.c.id == invitation_id,
                invitations.c.accepted_at.is_(None),
                invitations.c.revoked_at.is_(None),
                invitations.c.expires_at > now,
            )
            .values(accepted_at=now)
        )
        return result.rowcount == 1

    def pending_invitations(
        self, organisation_id: uuid.UUID, now: datetime
    ) -> Sequence[RowMapping]:
        query = (
            select(invitations)
            .where(
                invitations.c.organisation_id == organisation_id,
                invitations.c.accepted_at.is_(None),
                invitations.c.revoked_at.is_(None),
                invitations.c.expires_at > now,
            )
            .order_by(invitations.c.created_at)
        )
        return self._connection.execute(query).mappings().all()

    def revoke_invitation(
        self, organisation_id: uuid.UUID, invitation_id: uuid.UUID, now: datetime
    ) -> None:
        self._connection.execute(
            update(invitations)
            .where(
                invitations.c.id == invitation_id,
                invitations.c.organisation_id == organisation_id,
                invitations.c.accepted_at.is_(None),
            )
            .values(revoked_at=now)
        )
