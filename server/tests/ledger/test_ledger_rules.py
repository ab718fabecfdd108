"""Property tests of the ledger's pure rules (audit/rules.py): the opaque cursor, the type and
time filters."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from userlink.audit import rules
from userlink.audit.rules import MAX_EVENT_ID, AuditEvent


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
