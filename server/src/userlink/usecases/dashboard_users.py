"""The dashboard's users and installs: find a user, its page (installs, timeline, identity
events), erase it, disable one of its installs. Each checks the viewer's permission on the app
first (`dashboard_access.app_for`)."""

from __future__ import annotations

import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from userlink.accounts.rules import Permission
from userlink.apps.service import App
from userlink.audit import service as audit
from userlink.audit.service import RecordedEvent
from userlink.auth_codes.rules import normalise_external_id
from userlink.installs import service as installs
from userlink.installs.errors import InstallNotFound
from userlink.installs.rules import LIVE
from userlink.installs.service import Install
from userlink.kit.ids import parse_id
from userlink.payloads import service as payloads
from userlink.payloads.service import TimelinePage
from userlink.sdk_credentials import service as credentials
from userlink.unit_of_work import UnitOfWork
from userlink.usecases import erasure, install_lifecycle
from userlink.usecases.dashboard_access import Viewer, app_for
from userlink.usecases.errors import ConfirmationMismatch, InstallAlreadyEnded
from userlink.users import service as users
from userlink.users.errors import UserNotFound
from userlink.users.service import User

TIMELINE_PAGE_SIZE = 50
EVENTS_PAGE_SIZE = 50


@dataclass(frozen=True)
class Search:
    app: App
    query: str
    found: list[User]


def search(work: UnitOfWork, viewer: Viewer, app_id: uuid.UUID, query: str) -> Search:
    """Exact matches only: the user whose external id is `query`, and the user whose id it is
    (an external id may look like a user id, so both are tried)."""
    app = app_for(work, viewer, app_id, Permission.READ)
    found: list[User] = []
    external_id = normalise_external_id(query)
    if external_id is not None:
        with suppress(UserNotFound):
            found.append(users.find_by_external_id(work, app.id, external_id))
    user_id = parse_id(query.strip())
    if user_id is not None and all(user.id != user_id for user in found):
        with suppress(UserNotFound):
            found.append(users.get_in_app(work, app.id, user_id))
    return Search(app=app, query=query, found=found)


@dataclass(frozen=True)
class InstallRow:
    install: Install
    # Last given credentials (redemption, registration, refresh): see sdk_credentials.last_issued.
    last_seen: datetime | None


@dataclass(frozen=True)
class UserPage:
    app: App
    user: User
    installs: list[InstallRow]
    timeline: TimelinePage
    events: list[RecordedEvent]
    # The id to pass as `before` for the next (older) page of events, when there is one.
    older_events_before: int | None
    may_delete: bool
    may_disable_installs: bool


def user_page(
    work: UnitOfWork,
    viewer: Viewer,
    app_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    timeline_cursor: str | None = None,
    events_before: int | None = None,
) -> UserPage:
    app = app_for(work, viewer, app_id, Permission.READ)
    user = users.get_in_app(work, app.id, user_id)
    user_installs = installs.installs_of(work, user.id)
    last_seen = credentials.last_issued(work, [install.id for install in user_installs])
    events = audit.events_of_user(
        work.connection, app.id, user.id, before_id=events_before, limit=EVENTS_PAGE_SIZE + 1
    )
    return UserPage(
        app=app,
        user=user,
        # Newest install first: the one a restore just made is at the top.
        installs=[
            InstallRow(install=install, last_seen=last_seen.get(install.id))
            for install in reversed(user_installs)
        ],
        timeline=payloads.timeline_newest_first(
            work, app.id, user.id, timeline_cursor, TIMELINE_PAGE_SIZE
        ),
        events=events[:EVENTS_PAGE_SIZE],
        older_events_before=events[EVENTS_PAGE_SIZE - 1].id
        if len(events) > EVENTS_PAGE_SIZE
        else None,
        may_delete=viewer.may(Permission.DELETE_USERS, app.organisation_id),
        may_disable_installs=viewer.may(Permission.DISABLE_INSTALLS, app.organisation_id),
    )


def confirmation_matches(user: User, typed: str) -> bool:
    """The typed confirmation names this user: its external id, or its user id."""
    value = typed.strip()
    return value != "" and value in {user.external_id, str(user.id)}


def erase(
    work: UnitOfWork,
    viewer: Viewer,
    app_id: uuid.UUID,
    user_id: uuid.UUID,
    confirmation: str,
) -> App:
    """Erase the user once the viewer typed its external id or user id (owners: DELETE_USERS)."""
    app = app_for(work, viewer, app_id, Permission.DELETE_USERS)
    user = users.get_in_app(work, app.id, user_id)
    if not confirmation_matches(user, confirmation):
        raise ConfirmationMismatch()
    erasure.erase_user(work, app.id, user.id, viewer.actor)
    return app


def disable_install(
    work: UnitOfWork, viewer: Viewer, app_id: uuid.UUID, install_id: uuid.UUID
) -> Install:
    """Operators only: the install of this app stops working at once (install_lifecycle)."""
    app = app_for(work, viewer, app_id, Permission.DISABLE_INSTALLS)
    install = installs.find(work, install_id)
    if install is None or install.app_id != app.id:
        raise InstallNotFound()
    if install.status != LIVE:
        raise InstallAlreadyEnded()
    return install_lifecycle.disable(work, install.id, actor=viewer.actor)
