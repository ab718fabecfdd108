"""What owners do with their organisation (members, roles, invitations) and what operators see
of the whole platform, each behind the viewer's permission."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from userlink.accounts import service as accounts
from userlink.accounts.rules import Permission, Role
from userlink.apps import service as apps
from userlink.apps.service import App
from userlink.audit.service import RecordedEvent, recent_events
from userlink.unit_of_work import UnitOfWork
from userlink.usecases.dashboard_access import Viewer, require


@dataclass(frozen=True)
class MembersPage:
    organisation: accounts.Organisation
    members: list[accounts.Member]
    invitations: list[accounts.Invitation]


def members_page(work: UnitOfWork, viewer: Viewer, organisation_id: uuid.UUID) -> MembersPage:
    require(viewer, Permission.MANAGE_MEMBERS, organisation_id)
    return MembersPage(
        organisation=accounts.get_organisation(work, organisation_id),
        members=accounts.members_of(work, organisation_id),
        invitations=accounts.pending_invitations(work, organisation_id),
    )


def invite(
    work: UnitOfWork, viewer: Viewer, organisation_id: uuid.UUID, email: str, role: Role
) -> accounts.CreatedInvitation:
    require(viewer, Permission.MANAGE_MEMBERS, organisation_id)
    return accounts.invite(work, organisation_id, email, role, by=viewer.account_id)


def revoke_invitation(
    work: UnitOfWork, viewer: Viewer, organisation_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    require(viewer, Permission.MANAGE_MEMBERS, organisation_id)
    accounts.revoke_invitation(work, organisation_id, invitation_id, by=viewer.account_id)


def change_role(
    work: UnitOfWork,
    viewer: Viewer,
    organisation_id: uuid.UUID,
    account_id: uuid.UUID,
    role: Role,
) -> None:
    require(viewer, Permission.MANAGE_MEMBERS, organisation_id)
    accounts.change_role(work, organisation_id, account_id, role, by=viewer.account_id)


def remove_member(
    work: UnitOfWork, viewer: Viewer, organisation_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    require(viewer, Permission.MANAGE_MEMBERS, organisation_id)
    accounts.remove_member(work, organisation_id, account_id, by=viewer.account_id)


@dataclass(frozen=True)
class OperatorOverview:
    organisations: list[tuple[accounts.Organisation, list[App]]]
    unassigned_apps: list[App]
    events: list[RecordedEvent]
    next_before_id: int | None


AUDIT_PAGE_SIZE = 50


def operator_overview(
    work: UnitOfWork, viewer: Viewer, *, before_id: int | None
) -> OperatorOverview:
    """Every organisation and app, and the audit log of everything (operators only)."""
    require(viewer, Permission.SEE_EVERYTHING, None)
    every_app = apps.list_apps(work)
    organisations = [
        (organisation, [app for app in every_app if app.organisation_id == organisation.id])
        for organisation in accounts.list_organisations(work)
    ]
    events = recent_events(work.connection, before_id=before_id, limit=AUDIT_PAGE_SIZE)
    return OperatorOverview(
        organisations=organisations,
        unassigned_apps=[app for app in every_app if app.organisation_id is None],
        events=events,
        next_before_id=events[-1].id if len(events) == AUDIT_PAGE_SIZE else None,
    )
