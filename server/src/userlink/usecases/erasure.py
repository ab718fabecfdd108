"""Erase a user (`DELETE /users/{user_id}`): the user, its installs, their credentials and
payloads, and the codes still pending for its external id."""

from __future__ import annotations

import uuid

from userlink.audit.rules import AuditEvent
from userlink.auth_codes import service as auth_codes
from userlink.unit_of_work import UnitOfWork
from userlink.users import service as users


def erase_user(work: UnitOfWork, app_id: uuid.UUID, user_id: uuid.UUID | None, actor: str) -> None:
    """Credentials stop working at once because their rows are gone."""
    user = users.get_in_app(work, app_id, user_id)
    users.lock(work, user.id)
    if user.external_id is not None:
        auth_codes.delete_pending_for(work, app_id, user.external_id)
    users.delete(work, user.id)
    work.audit.record(AuditEvent.USER_DELETED, app_id=app_id, actor=actor, user_id=user.id)
