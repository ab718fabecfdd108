"""Property tests of the placeholder rule (`apps/rules.py`): which external ids an app refuses as
placeholders rather than identities, and how its own lists change that. No server: the rules
are plain functions (the routes are tested in auth_codes/test_external_id_hygiene.py)."""

from __future__ import annotations

import uuid

from hypothesis import assume, given
from hypothesis import strategies as st

from userlink.apps.rules import (
    MAX_LISTED_EXTERNAL_IDS,
    PLACEHOLDER_EXTERNAL_IDS,
    clean_external_id_list,
    edited_external_id_lists,
    external_id_key,
    is_placeholder_external_id,
)

placeholders = st.sampled_from(sorted(PLACEHOLDER_EXTERNAL_IDS))
blanks = st.text(st.sampled_from(" \t\n\u00a0\u2003"), max_size=3)
# Letters and digits other than zero: appended to a placeholder they make a real-looking id.
id_characters = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz123456789_-."), min_size=1)


@st.composite
def spelled(draw: st.DrawFn, key: str) -> str:
    """`key` as a backend might send it: any letter's case flipped, whitespace around."""
    cased = "".join(c.upper() if draw(st.booleans()) else c for c in key)
    return draw(blanks) + cased + draw(blanks)


placeholder_spellings = placeholders.flatmap(spelled)
nil_uuid_spellings = st.sampled_from(
    [
        "00000000-0000-0000-0000-000000000000",
        "00000000000000000000000000000000",
        "{00000000-0000-0000-0000-000000000000}",
    ]
).flatmap(spelled)
real_ids = st.one_of(
    st.uuids().filter(lambda u: u.int != 0).map(str),
    st.uuids().filter(lambda u: u.int != 0).map(lambda u: u.hex),
    st.integers(min_value=1).map(str),
    st.emails(),
    st.from_regex(r"[a-z]{2,12}[0-9]{0,6}", fullmatch=True),
).filter(lambda value: len(value) <= 200)


@given(placeholder_spellings)
def test_every_default_placeholder_is_refused_whatever_its_case_and_surrounding_space(value):
    assert is_placeholder_external_id(value)


@given(st.integers(min_value=1, max_value=64), blanks)
def test_a_run_of_zeros_is_refused(length, blank):
    assert is_placeholder_external_id(blank + "0" * length + blank)


@given(nil_uuid_spellings)
def test_the_all_zero_uuid_is_refused_with_or_without_dashes(value):
    assert is_placeholder_external_id(value)


@given(
    st.sampled_from([("${", "}"), ("{{", "}}"), ("<", ">")]),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30),
)
def test_a_template_variable_nobody_filled_in_is_refused(delimiters, name):
    opening, closing = delimiters

    assert is_placeholder_external_id(opening + name + closing)


@given(real_ids)
def test_an_id_that_is_not_a_placeholder_is_accepted(value):
    assume(external_id_key(value) not in PLACEHOLDER_EXTERNAL_IDS)

    assert not is_placeholder_external_id(value)


@given(placeholders, id_characters)
def test_an_id_that_merely_contains_a_placeholder_is_accepted(placeholder, more):
    value = placeholder + more  # "tester42", "user_17", "null-island"
    assume(external_id_key(value) not in PLACEHOLDER_EXTERNAL_IDS)

    assert not is_placeholder_external_id(value)


@given(placeholders.flatmap(lambda key: st.tuples(st.just(key), spelled(key))))
def test_an_app_that_allows_a_default_placeholder_accepts_it_in_any_spelling(pair):
    key, value = pair

    assert not is_placeholder_external_id(value, allowed=frozenset({key}))


@given(real_ids.flatmap(lambda value: st.tuples(st.just(value), spelled(external_id_key(value)))))
def test_an_app_that_blocks_a_value_refuses_it_in_any_spelling(pair):
    listed, value = pair

    assert is_placeholder_external_id(value, blocked=clean_external_id_list([listed]))


@given(st.one_of(placeholders, real_ids.map(external_id_key)))
def test_blocked_wins_over_allowed(key):
    assert is_placeholder_external_id(key, blocked=frozenset({key}), allowed=frozenset({key}))


@given(st.lists(st.one_of(placeholder_spellings, real_ids), max_size=20))
def test_a_cleaned_list_holds_the_keys_and_cleaning_it_again_changes_nothing(values):
    cleaned = clean_external_id_list(values)

    assert cleaned is not None
    assert cleaned == {external_id_key(v) for v in values if v.strip()}
    assert clean_external_id_list(cleaned) == cleaned


def test_a_list_too_long_or_with_a_control_character_is_refused():
    too_many = [f"qa-{n}" for n in range(MAX_LISTED_EXTERNAL_IDS + 1)]

    assert clean_external_id_list(too_many) is None
    assert clean_external_id_list(["qa\x00"]) is None
    assert clean_external_id_list(["x" * 257]) is None


lists = st.frozensets(st.one_of(placeholders, real_ids.map(external_id_key)), max_size=6)


@given(lists, lists, lists, lists, lists)
def test_edited_lists_stay_apart_and_say_what_was_asked(blocked, allowed, block, allow, unlist):
    assume(not block & allow)
    allowed = allowed - blocked

    edited = edited_external_id_lists(blocked, allowed, block=block, allow=allow, unlist=unlist)

    assert edited is not None
    new_blocked, new_allowed = edited
    assert not new_blocked & new_allowed
    assert (block - unlist) <= new_blocked
    assert (allow - unlist) <= new_allowed
    assert not unlist & (new_blocked | new_allowed)


@given(st.one_of(placeholders, real_ids.map(external_id_key)))
def test_a_value_both_blocked_and_allowed_at_once_is_refused(key):
    assert edited_external_id_lists(frozenset(), frozenset(), block=[key], allow=[key]) is None


def test_a_real_uuid_is_accepted():
    assert not is_placeholder_external_id(str(uuid.uuid4()))
