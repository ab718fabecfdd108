"""Property tests of the ledger's pure rules (audit/rules.py): the opaque cursor, the type and
time filters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from userlink.audit import rules
from userlink.audit.rules import MAX_EVENT_ID, AuditEvent, LedgerFacts, UndoRefusal


@given(st.integers(min_value=1, max_value=MAX_EVENT_ID))
def test_a_cursor_round_trips(event_id):
    assert rules.decode_cursor(rules.encode_cursor(event_id)) == event_id


@given(st.text(max_size=40))
def test_any_text_decodes_to_an_id_in_range_or_nothing(text):
    decoded = rules.decode_cursor(text)

    assert decoded is None or 1 <= decoded <= MAX_EVENT_ID


@given(st.integers(max_value=0) | st.integers(min_value=MAX_EVENT_ID + 1))
def test_a_cursor_out_of_range_is_refused(event_id):
    assert rules.decode_cursor(rules.encode_cursor(event_id)) is None


@given(st.lists(st.sampled_from(list(AuditEvent)), max_size=8), st.booleans())
def test_known_types_parse_repeated_or_comma_separated(events, joined):
    values = [",".join(events)] if joined else [str(event) for event in events]

    assert rules.parse_event_types(values) == frozenset(events)


@given(st.lists(st.sampled_from(list(AuditEvent)), max_size=4), st.text(min_size=1, max_size=20))
def test_one_unknown_type_refuses_the_filter(events, unknown):
    name = unknown.strip()
    if not name or "," in name or name in set(AuditEvent):
        name = "no.such_event"

    assert rules.parse_event_types([*events, name]) is None


offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(st.datetimes(timezones=st.just(UTC)), offsets)
def test_an_instant_reads_back_as_the_same_moment_in_utc(moment, offset):
    shown = moment.astimezone(offset) if moment.year not in (1, 9999) else moment

    parsed = rules.parse_instant(shown.isoformat())

    assert parsed == moment
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(0)


# Undo: what may be undone, the window, which later events block.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=7)
users = st.sampled_from([uuid.UUID(int=1), uuid.UUID(int=2)])
installs = st.sampled_from([uuid.UUID(int=10), uuid.UUID(int=11), None])
events = st.builds(
    LedgerFacts,
    id=st.integers(min_value=1, max_value=50),
    event=st.sampled_from(list(AuditEvent)),
    occurred_at=st.integers(min_value=0, max_value=20 * 86400).map(
        lambda seconds: NOW - timedelta(seconds=seconds)
    ),
    user_id=users,
    install_id=installs,
    joined=st.sampled_from([None, True, False]),
)


@given(events, st.booleans(), st.lists(events, max_size=3))
def test_only_a_restore_or_a_link_may_be_undone(event, undone, blocking):
    refusal = rules.undo_refusal(
        event, already_undone=undone, now=NOW, window=WINDOW, blocking=blocking
    )

    assert (refusal is UndoRefusal.NOT_UNDOABLE) == (event.event not in rules.UNDOABLE_EVENTS)


@given(events)
def test_an_undoable_event_within_the_window_with_nothing_later_may_be_undone(event):
    refusal = rules.undo_refusal(event, already_undone=False, now=NOW, window=WINDOW, blocking=[])

    expected = None if NOW - event.occurred_at <= WINDOW else UndoRefusal.WINDOW_PASSED
    if event.event not in rules.UNDOABLE_EVENTS:
        expected = UndoRefusal.NOT_UNDOABLE
    assert refusal is expected


@given(events, st.lists(events, max_size=8))
def test_an_undone_event_is_refused_whatever_else_holds(event, blocking):
    refusal = rules.undo_refusal(
        event, already_undone=True, now=NOW, window=WINDOW, blocking=blocking
    )

    assert refusal in (UndoRefusal.NOT_UNDOABLE, UndoRefusal.ALREADY_UNDONE)


@given(events, st.lists(events, max_size=8))
def test_only_later_events_not_undone_block(event, later):
    undone = {other.id for other in later if other.id % 2}

    blocking = rules.blocking_events(event, later, undone)

    assert all(other.id > event.id and other.id not in undone for other in blocking)
    assert all(other in later for other in blocking)


@given(events, st.lists(events, max_size=8))
def test_a_moved_install_is_blocked_only_by_events_of_that_install(event, later):
    blocking = rules.blocking_events(event, later, set())

    if rules.moves_install(event):
        assert all(other.install_id == event.install_id for other in blocking)
    else:
        assert all(
            other.user_id == event.user_id and other.install_id != event.install_id
            for other in blocking
        )


def test_a_reset_of_the_restored_install_blocks_the_restore():
    restore = LedgerFacts(1, AuditEvent.USER_RESTORED, NOW, uuid.UUID(int=1), uuid.UUID(int=10))
    reset = LedgerFacts(2, AuditEvent.INSTALL_RESET, NOW, uuid.UUID(int=1), uuid.UUID(int=10))
    elsewhere = LedgerFacts(3, AuditEvent.INSTALL_RESET, NOW, uuid.UUID(int=1), uuid.UUID(int=11))

    assert rules.blocking_events(restore, [reset, elsewhere], set()) == [reset]
    assert rules.blocking_events(restore, [reset, elsewhere], {2}) == []
