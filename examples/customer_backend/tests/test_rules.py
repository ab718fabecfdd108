"""Pure rules: which fields name a user, usernames, passwords, install ids, session tokens."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customer_backend.accounts import rules as accounts
from customer_backend.accounts.errors import InvalidUsername, WeakPassword
from customer_backend.linking import rules as linking


@pytest.mark.parametrize(
    "field",
    [
        "external_id",
        "user_id",
        "externalId",
        "userId",
        "userID",
        "User-Id",
        "EXTERNAL_ID",
        "externalid",
        "userid",
        "id",
        "uid",
        "sub",
        "user",
        "username",
        "accountId",
        "customer_id",
    ],
)
def test_fields_naming_a_user_are_recognised(field):
    assert linking.names_an_identity(field)


@pytest.mark.parametrize("field", ["cache", "v", "locale", "paid", "valid", "idle", "", "_"])
def test_other_fields_are_not(field):
    assert not linking.names_an_identity(field)


@given(st.text(max_size=30))
def test_every_field_ending_in_underscore_id_names_a_user(prefix):
    assert linking.names_an_identity(prefix + "_id")


def test_identity_fields_lists_the_offending_names_once_and_sorted():
    fields = ["cache", "user_id", "external_id", "user_id"]

    assert linking.identity_fields(fields) == ["external_id", "user_id"]


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._@+-", min_size=3, max_size=64))
def test_usernames_of_the_allowed_characters_are_accepted_and_kept(username):
    assert accounts.check_username(username) == username


@given(st.text(min_size=3, max_size=64).filter(lambda s: any(c.isspace() for c in s)))
def test_usernames_with_whitespace_are_refused(username):
    with pytest.raises(InvalidUsername):
        accounts.check_username(username)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._@+-", min_size=3, max_size=64))
def test_username_keys_ignore_case(username):
    assert accounts.username_key(username.upper()) == accounts.username_key(username) == username


@given(st.text(max_size=7))
def test_passwords_under_eight_characters_are_weak(password):
    with pytest.raises(WeakPassword):
        accounts.check_password(password)


@given(st.text(min_size=8, max_size=1024))
def test_passwords_of_eight_to_1024_characters_are_accepted(password):
    accounts.check_password(password)


def test_session_tokens_are_prefixed_random_and_hashed_to_sha256():
    tokens = {accounts.new_session_token() for _ in range(100)}

    assert len(tokens) == 100
    assert all(t.startswith("cbs_") and len(t) >= 46 for t in tokens)
    assert {len(accounts.token_hash(t)) for t in tokens} == {64}


@pytest.mark.parametrize(
    "install_id", ["d12339a8-6320-4308-abc8-7a5940389da0", "5e3c1f0a9b8d7e6f5a4b3c2d", "abc_1"]
)
def test_install_ids_of_safe_characters_are_valid(install_id):
    assert linking.valid_install_id(install_id)


@pytest.mark.parametrize("install_id", ["", "..", ".", "a/b", "a b", "-x", "x" * 129, "é"])
def test_text_that_cannot_be_an_install_id_is_not_valid(install_id):
    assert not linking.valid_install_id(install_id)


@pytest.mark.parametrize(
    ("outcome", "takes_over_from"), [("create", None), ("restore", None), ("create", "install-1")]
)
def test_there_is_nothing_to_say_unless_a_restore_takes_over(outcome, takes_over_from):
    assert linking.preview_notice("phone", outcome, takes_over_from, "phone", "Pixel 6") is None


def test_a_restore_taking_over_names_the_other_device():
    told = linking.preview_notice("tablet", "restore", "install-1", "phone", None)

    assert told is not None
    assert told.startswith("You are signed in on another phone. Continuing on this tablet")
