"""Who is looking at the dashboard, and what they may see and do: a session, its account's
memberships, and the one check every dashboard page makes before touching an app."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from userlink.accounts import service as accounts
from userlink.accounts.errors import NotAllowed
from userlink.accounts.rules import Permission, Role, allows, second_factor_required
from userlink.apps import service as apps
from userlink.apps.errors import AppNotFound
from userlink.apps.service import App
from userlink.dashboard_sessions import service as sessions
from userlink.dashboard_sessions.service import Session
from userlink.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Viewer:
    session: Session
    memberships: tuple[accounts.Membership, ...]
    # The platform's setting: TOTP for every account, not only owners and operators.
    totp_required_for_all: bool = False

    @property
    def account_id(self) -> uuid.UUID:
        return self.session.account_id

    @property
    def actor(self) -> str:
        return accounts.actor(self.session.account_id)

    @property
    def is_operator(self) -> bool:
        return self.session.is_operator

    def role_in(self, organisation_id: uuid.UUID | None) -> Role | None:
        for membership in self.memberships:
            if membership.organisation_id == organisation_id:
                return membership.role
        return None

    def may(self, permission: Permission, organisation_id: uuid.UUID | None) -> bool:
        return allows(self.role_in(organisation_id), permission, is_operator=self.is_operator)

    @property
    def needs_second_factor_enrolment(self) -> bool:
        """An owner or operator without TOTP yet (or anyone, when the platform requires it)."""
        return not self.session.totp_enabled and second_factor_required(
            {m.role for m in self.memberships},
            is_operator=self.is_operator,
            required_for_all=self.totp_required_for_all,
        )


def viewer(work: UnitOfWork, session_token: str) -> Viewer:
    """The viewer behind a session cookie (SessionInvalid when there is none)."""
    session = sessions.find(work, session_token)
    return Viewer(
        session=session,
        memberships=tuple(accounts.memberships_of(work, session.account_id)),
        totp_required_for_all=work.settings.dashboard_totp_required_for_all,
    )


def require(viewer: Viewer, permission: Permission, organisation_id: uuid.UUID | None) -> None:
    if not viewer.may(permission, organisation_id):
        raise NotAllowed()


def app_for(work: UnitOfWork, viewer: Viewer, app_id: uuid.UUID, permission: Permission) -> App:
    """The app, when the viewer's role in its organisation allows `permission`. An app of an
    organisation the viewer is not in is 'not found', not 'forbidden': its existence is not
    theirs to learn."""
    app = apps.get_app(work, app_id)
    if viewer.role_in(app.organisation_id) is None and not viewer.is_operator:
        raise AppNotFound()
    require(viewer, permission, app.organisation_id)
    return app


def visible_apps(work: UnitOfWork, viewer: Viewer, organisation_id: uuid.UUID) -> list[App]:
    require(viewer, Permission.READ, organisation_id)
    return apps.list_apps(work, organisation_id=organisation_id)
