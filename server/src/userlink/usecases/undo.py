"""Undo a restore or a link (`POST /v2/users/{user_id}/events/{event_id}/undo`, scope
`user.admin`), within the app's window, once.

A restore, or a link that joined an install to the external id's user, moved the install: the
undo moves it back to the user it had before (a new provisional user when it had none, or when
that one was discarded), its payloads follow it, and the active install of both users is
recomputed by the rule (installs/rules.py). A link in place (the install's own user got the
external id) is undone by unlinking that user. The undo is itself a ledger event
(`event.undone`, naming the event it reversed: the database holds an event to one undo).

Idempotent by event and key: a retry carrying the same `Idempotency-Key` as the undo that
succeeded answers that undo's result again; any other undo of an undone event is 409
`EVENT_ALREADY_UNDONE`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from userlink.api_keys.service import ApiKeyCaller
from userlink.audit import rules as ledger_rules
from userlink.audit import service as ledger
from userlink.audit.errors import EventAlreadyUndone
from userlink.audit.rules import AuditEvent, LedgerFacts, UndoRefusal
from userlink.audit.service import RecordedEvent
from userlink.idempotency import rules as idempotency_rules
from userlink.idempotency.errors import IdempotencyKeyInvalid
from userlink.installs import service as installs
from userlink.installs.rules import LIVE
from userlink.payloads import service as payloads
from userlink.unit_of_work import UnitOfWork
from userlink.usecases.errors import (
    EventNotFound,
    EventNotUndoable,
    UndoBlockedByLaterEvents,
    UndoWindowPassed,
)
from userlink.users import service as users


@dataclass(frozen=True)
class Undone:
    undo_event_id: int
    undone_event_id: int
    undone_type: str
    # The user whose event was undone, and the install concerned.
    user_id: uuid.UUID
    install_id: uuid.UUID | None
    # The user the install belongs to now (None for an in-place link: it did not move).
    install_user_id: uuid.UUID | None
    # True when this answers a retry of an undo done before.
    replayed: bool


def valid_idempotency_key(text: str | None) -> str | None:
    """The key as sent, or None when none was sent; refused as every route's `Idempotency-Key`
    is (`idempotency.rules.parse_key`)."""
    if text is None:
        return None
    key = idempotency_rules.parse_key(text)
    if key is None:
        raise IdempotencyKeyInvalid()
    return key


def undo(
    work: UnitOfWork,
    caller: ApiKeyCaller,
    user_id: uuid.UUID | None,
    event_id: int | None,
    *,
    idempotency_key: str | None,
) -> Undone:
    app = caller.app
    user = users.get_in_app(work, app.id, user_id)
    # Every change of this user's installs (links, restores, resets, undos) takes this lock:
    # concurrent undos of one event run one after the other, and the second sees the first.
    users.lock(work, user.id)
    event = ledger.find_event(work.connection, app.id, event_id) if event_id else None
    if event is None or event.user_id != user.id:
        raise EventNotFound()
    key_hash = work.hasher.hash(f"idempotency:{idempotency_key}") if idempotency_key else None
    previous_undo = ledger.undo_of(work.connection, event.id)
    if previous_undo is not None:
        if key_hash is not None and previous_undo.details.get("idempotency_key_hash") == key_hash:
            return _result(previous_undo, event, replayed=True)
        raise EventAlreadyUndone()
    blocking = (
        ledger.blocking_events(work.connection, app.id, event)
        if event.event in ledger_rules.UNDOABLE_EVENTS
        else []
    )
    refusal = ledger_rules.undo_refusal(
        ledger.facts(event),
        already_undone=False,
        now=work.clock.now(),
        window=timedelta(seconds=app.undo_window_seconds),
        blocking=blocking,
    )
    if refusal is UndoRefusal.NOT_UNDOABLE:
        raise EventNotUndoable(
            f"A `{event.event}` event cannot be undone: only a restore (`user.restored`) or a "
            "link (`user.linked`) can."
        )
    if refusal is UndoRefusal.WINDOW_PASSED:
        raise UndoWindowPassed(
            f"This event happened at {event.occurred_at.isoformat()}, more than the app's undo "
            f"window ({app.undo_window_seconds} seconds) ago."
        )
    if refusal is UndoRefusal.LATER_EVENTS:
        raise UndoBlockedByLaterEvents(_blocked_message(blocking))
    if ledger_rules.moves_install(ledger.facts(event)):
        return _move_back(work, caller, event, key_hash)
    return _unlink(work, caller, event, key_hash)


def _blocked_message(blocking: list[LedgerFacts]) -> str:
    named = ", ".join(f"{other.event} (event {other.id})" for other in blocking[:10])
    more = f" and {len(blocking) - 10} more" if len(blocking) > 10 else ""
    if all(other.event in ledger_rules.UNDOABLE_EVENTS for other in blocking):
        advice = "Undo those first, newest first."
    else:
        advice = "This event can no longer be undone."
    return f"Later events depend on this one: {named}{more}. {advice}"


def _move_back(
    work: UnitOfWork, caller: ApiKeyCaller, event: RecordedEvent, key_hash: str | None
) -> Undone:
    """The install returns to the user it had before (or a new provisional user), with its
    payloads; both users' active install recomputed by the rule."""
    app_id = caller.app_id
    assert event.user_id is not None
    install = installs.find(work, event.install_id) if event.install_id else None
    if install is None or install.status != LIVE or install.user_id != event.user_id:
        # The ledger says nothing later moved or ended it; the tables say otherwise.
        raise UndoBlockedByLaterEvents("The install of this event is no longer this user's.")
    previous_id = _uuid(event.details.get("previous_user_id"))
    previous = users.lock(work, previous_id) if previous_id else None
    created = previous is None or previous.app_id != app_id
    target = users.create_provisional(work, app_id) if created else previous
    assert target is not None
    installs.move_to_user(work, install, target.id)
    payloads.move_install(work, install.id, target.id)
    change = installs.apply_active_rule(
        work,
        app_id=app_id,
        user_id=event.user_id,
        previous_active=install.id if install.is_active else None,
    )
    if created:
        work.audit.record(
            AuditEvent.USER_CREATED,
            app_id=app_id,
            actor=caller.actor,
            user_id=target.id,
            install_id=install.id,
            provisional=True,
            via_undo_of=str(event.id),
            previous_user_id=str(event.user_id),
        )
    target_change = installs.apply_active_rule(work, app_id=app_id, user_id=target.id)
    details: dict[str, Any] = {
        "undone_type": event.event,
        "previous_user_id": str(event.user_id),
        "install_user_id": str(target.id),
        "install_user_created": created,
        "install_user_active_install_id": _text(target_change.current),
        **change.details(),
    }
    return _record(work, caller, event, install.id, target.id, details, key_hash)


def _unlink(
    work: UnitOfWork, caller: ApiKeyCaller, event: RecordedEvent, key_hash: str | None
) -> Undone:
    """An in-place link undone: the user is unlinked again; its installs stay as they are."""
    assert event.user_id is not None
    users.unlink(work, event.user_id)
    details: dict[str, Any] = {"undone_type": event.event, "unlinked": True}
    return _record(work, caller, event, event.install_id, None, details, key_hash)


def _record(
    work: UnitOfWork,
    caller: ApiKeyCaller,
    event: RecordedEvent,
    install_id: uuid.UUID | None,
    install_user_id: uuid.UUID | None,
    details: dict[str, Any],
    key_hash: str | None,
) -> Undone:
    assert event.user_id is not None
    if key_hash is not None:
        details["idempotency_key_hash"] = key_hash
    undo_id = work.audit.record_undo(
        app_id=caller.app_id,
        actor=caller.actor,
        user_id=event.user_id,
        install_id=install_id,
        undoes_event_id=event.id,
        **details,
    )
    return Undone(
        undo_event_id=undo_id,
        undone_event_id=event.id,
        undone_type=event.event,
        user_id=event.user_id,
        install_id=install_id,
        install_user_id=install_user_id,
        replayed=False,
    )


def _result(undo_event: RecordedEvent, event: RecordedEvent, *, replayed: bool) -> Undone:
    assert event.user_id is not None
    return Undone(
        undo_event_id=undo_event.id,
        undone_event_id=event.id,
        undone_type=event.event,
        user_id=event.user_id,
        install_id=undo_event.install_id,
        install_user_id=_uuid(undo_event.details.get("install_user_id")),
        replayed=replayed,
    )


def _uuid(value: object) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _text(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None
