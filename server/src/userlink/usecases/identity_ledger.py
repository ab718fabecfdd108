"""A user's identity events, as the customer's backend reads them (`GET /v2/users/{id}/events`):
the ledger (`audit_events`) of one user of the caller's app."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from userlink.audit import service as ledger
from userlink.audit.service import LedgerPage
from userlink.unit_of_work import UnitOfWork
from userlink.users import service as users


def events_of_user(
    work: UnitOfWork,
    app_id: uuid.UUID,
    user_id: uuid.UUID | None,
    *,
    cursor: str | None,
    limit: int,
    types: Sequence[str],
    since: str | None,
    until: str | None,
) -> LedgerPage:
    """Newest first; another app's user, an erased user and an unknown one are not found alike."""
    user = users.get_in_app(work, app_id, user_id)
    return ledger.ledger_of_user(
        work.connection,
        app_id,
        user.id,
        cursor=cursor,
        limit=limit,
        types=types,
        since=since,
        until=until,
    )
