"""Secrets shown to people: prefixed, checksummed, never stored as themselves (DESIGN §4)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from userlink.kit import secrets
from userlink.kit.secrets import SecretHasher, SecretKind

TOKEN_LENGTH = 4 + secrets.RANDOM_LENGTH + secrets.CHECKSUM_LENGTH
KINDS = st.sampled_from(list(SecretKind))


@st.composite
def single_character_changes(draw: st.DrawFn) -> tuple[str, str]:
    """A generated token, and the same token with one character replaced by any other."""
    token = secrets.generate(draw(KINDS))
    position = draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = draw(
        st.one_of(st.sampled_from(secrets.BASE62 + "_-"), st.characters()).filter(
            lambda c: c != token[position]
        )
    )
    return token, token[:position] + replacement + token[position + 1 :]


@given(single_character_changes())
def test_changing_any_single_character_makes_a_token_unparseable(change):
    _token, changed = change

    assert secrets.parse_kind(changed) is None


@given(KINDS)
def test_generated_token_parses_as_its_kind(kind):
    assert secrets.parse_kind(secrets.generate(kind)) is kind


@given(KINDS, st.integers(min_value=1, max_value=TOKEN_LENGTH - 1))
def test_truncated_token_is_unparseable(kind, length):
    assert secrets.parse_kind(secrets.generate(kind)[:length]) is None


@given(KINDS, st.text(min_size=1, max_size=3))
def test_token_with_anything_appended_is_unparseable(kind, tail):
    assert secrets.parse_kind(secrets.generate(kind) + tail) is None


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [
        (SecretKind.API_KEY, "ulk_"),
        (SecretKind.APP_SECRET, "uls_"),
        (SecretKind.ACCESS_TOKEN, "ula_"),
        (SecretKind.REFRESH_TOKEN, "ulr_"),
    ],
)
def test_each_kind_has_its_recognisable_prefix(kind, prefix):
    token = secrets.generate(kind)

    assert token.startswith(prefix)
    assert secrets.looks_like(token, kind)
    assert len(token) == TOKEN_LENGTH
    assert all(c in secrets.BASE62 for c in token[len(prefix) :])


def test_two_generated_tokens_differ():
    assert secrets.generate(SecretKind.API_KEY) != secrets.generate(SecretKind.API_KEY)


def test_every_position_of_the_random_part_takes_every_base62_digit() -> None:
    # 3,000 tokens: odds below 1e-17 that any position misses one of the 62 digits by chance;
    # a random part drawn from too small a range leaves its first digits few values.
    bodies = [secrets.generate(SecretKind.ACCESS_TOKEN)[4:-6] for _ in range(3000)]
    for position in range(secrets.RANDOM_LENGTH):
        assert {body[position] for body in bodies} == set(secrets.BASE62), position


def test_auth_code_is_128_hex_characters():
    code = secrets.generate_auth_code()

    assert len(code) == 128
    assert set(code) <= set("0123456789abcdef")


@given(KINDS)
def test_hash_is_not_the_token_nor_contains_it(kind):
    token = secrets.generate(kind)

    stored = SecretHasher(b"server-secret-key").hash(token)

    assert token not in stored
    assert token[4:-6] not in stored
    assert len(stored) == 64


def test_hash_is_keyed_by_the_server_secret():
    token = secrets.generate(SecretKind.API_KEY)

    ours = SecretHasher(b"server-secret-key").hash(token)

    assert ours != SecretHasher(b"another-server-key").hash(token)
    assert ours != hashlib.sha256(token.encode()).hexdigest()


def test_hash_matches_only_the_token_it_was_made_from():
    hasher = SecretHasher(b"server-secret-key")
    token = secrets.generate(SecretKind.REFRESH_TOKEN)
    other = secrets.generate(SecretKind.REFRESH_TOKEN)

    assert hasher.matches(token, hasher.hash(token))
    assert not hasher.matches(other, hasher.hash(token))
