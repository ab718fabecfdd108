"""Rolling an API key (the service, the CLI, the API that checks keys): a new key with the old
one's name, scopes and lifetime; the old one working for the overlap and never longer than it
would have; the active-key limit counting a roll as a replacement; who made each key recorded."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from userlink.api_keys import rules
from userlink.api_keys import service as api_keys
from userlink.api_keys.errors import (
    ApiKeyNotActive,
    ApiKeyNotFound,
    InvalidKeyName,
    InvalidKeyOverlap,
    TooManyApiKeys,
)
from userlink.kit.ids import new_id
from userlink.runtime import Runtime
from userlink_testing.factories.api_keys import key_by_token, make_key, revoke_key_by_token
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer
from userlink_testing.factories.records import audit_rows

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
API_KEY = re.compile(r"\bulk_[0-9A-Za-z]{46}\b")


def ask_for_code(api: httpx.Client, key: str) -> httpx.Response:
    return api.post("/users/auth-code", json={"external_id": "alice"}, headers=bearer(key))


def roll(
    runtime: Runtime, app_id: object, key_id: object, overlap: timedelta
) -> api_keys.RolledApiKey:
    with runtime.unit_of_work() as work:
        return api_keys.roll_key(work, app_id, key_id, overlap=overlap)  # type: ignore[arg-type]


def test_replacement_keeps_name_scopes_and_lifetime(runtime):
    app_id = make_app(runtime).app.id
    token = make_key(
        runtime, app_id, name="billing", scopes=("user.read", "user.delete"), lifetime_days=30
    )
    old = key_by_token(runtime, app_id, token)

    rolled = roll(runtime, app_id, old.id, timedelta(hours=1))

    new = rolled.replacement.key
    assert new.id != old.id
    assert new.name == "billing"
    assert new.scopes == old.scopes
    assert new.expires_at - new.created_at == timedelta(days=30)
    assert rolled.replacement.token != token


def test_old_key_works_for_the_overlap_then_expires(api, runtime, live):
    app_id = make_app(runtime).app.id
    token = make_key(runtime, app_id)

    rolled = roll(runtime, app_id, key_by_token(runtime, app_id, token).id, timedelta(hours=1))

    assert ask_for_code(api, token).status_code == 200
    assert ask_for_code(api, rolled.replacement.token).status_code == 200
    live.clock.advance(hours=1, seconds=1)
    refused = ask_for_code(api, token)
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "API_KEY_EXPIRED"
    assert ask_for_code(api, rolled.replacement.token).status_code == 200


def test_roll_without_overlap_bites_at_once_despite_the_credential_cache(api, runtime):
    app_id = make_app(runtime).app.id
    token = make_key(runtime, app_id)
    # The check of a key is kept by the process for `credential_cache_seconds`.
    assert ask_for_code(api, token).status_code == 200

    roll(runtime, app_id, key_by_token(runtime, app_id, token).id, timedelta(0))

    assert ask_for_code(api, token).json()["errorCode"] == "API_KEY_EXPIRED"


def test_roll_never_lengthens_the_old_keys_life(runtime):
    app_id = make_app(runtime).app.id
    token = make_key(runtime, app_id, lifetime_days=1)
    old = key_by_token(runtime, app_id, token)

    rolled = roll(runtime, app_id, old.id, timedelta(days=7))

    assert rolled.rolled.expires_at == old.expires_at


def test_roll_is_audited_with_both_keys(runtime):
    app_id = make_app(runtime).app.id
    old = key_by_token(runtime, app_id, make_key(runtime, app_id))

    rolled = roll(runtime, app_id, old.id, timedelta(hours=24))

    [event] = audit_rows(runtime, "api_key.rolled")
    assert event["actor"] == "cli"
    assert event["details"] == {
        "key_id": str(old.id),
        "replacement_key_id": str(rolled.replacement.key.id),
        "overlap_seconds": 86400,
    }


def test_revoked_key_cannot_be_rolled(runtime):
    app_id = make_app(runtime).app.id
    token = make_key(runtime, app_id)
    revoke_key_by_token(runtime, app_id, token)

    with pytest.raises(ApiKeyNotActive):
        roll(runtime, app_id, key_by_token(runtime, app_id, token).id, timedelta(0))


def test_key_of_another_app_cannot_be_rolled(runtime):
    app_id = make_app(runtime).app.id
    other_app_id = make_app(runtime, name="Other").app.id
    key_id = key_by_token(runtime, app_id, make_key(runtime, app_id)).id

    with pytest.raises(ApiKeyNotFound):
        roll(runtime, other_app_id, key_id, timedelta(0))
    with pytest.raises(ApiKeyNotFound):
        roll(runtime, app_id, new_id(), timedelta(0))


@pytest.mark.parametrize("overlap", [timedelta(seconds=-1), timedelta(days=7, seconds=1)])
def test_overlap_outside_zero_to_seven_days_is_refused(runtime, overlap):
    app_id = make_app(runtime).app.id
    key_id = key_by_token(runtime, app_id, make_key(runtime, app_id)).id

    with pytest.raises(InvalidKeyOverlap):
        roll(runtime, app_id, key_id, overlap)


def test_full_app_may_roll_once_over_the_limit_but_create_nothing(runtime):
    app_id = make_app(runtime).app.id
    tokens = [make_key(runtime, app_id, name=f"key {n}") for n in range(10)]

    roll(runtime, app_id, key_by_token(runtime, app_id, tokens[0]).id, timedelta(hours=1))

    with pytest.raises(TooManyApiKeys):
        make_key(runtime, app_id)
    with pytest.raises(TooManyApiKeys):
        roll(runtime, app_id, key_by_token(runtime, app_id, tokens[1]).id, timedelta(hours=1))


def test_key_records_who_made_it(runtime):
    app_id = make_app(runtime).app.id
    with runtime.unit_of_work() as work:
        by_account = api_keys.create_key(
            work, app_id, name="dash", scopes=["user.link"], actor="account:someone"
        )

    assert key_by_token(runtime, app_id, make_key(runtime, app_id)).created_by == "cli"
    assert by_account.key.created_by == "account:someone"
    assert sorted(e["actor"] for e in audit_rows(runtime, "api_key.created")) == [
        "account:someone",
        "cli",
    ]


def test_key_name_over_two_hundred_characters_is_refused(runtime):
    app_id = make_app(runtime).app.id

    with pytest.raises(InvalidKeyName):
        make_key(runtime, app_id, name="x" * 201)


def test_active_key_counts_cover_every_app_asked(runtime):
    app_id = make_app(runtime).app.id
    empty_app_id = make_app(runtime, name="Empty").app.id
    make_key(runtime, app_id)
    revoke_key_by_token(runtime, app_id, make_key(runtime, app_id))

    with runtime.unit_of_work() as work:
        counts = api_keys.active_key_counts(work, [app_id, empty_app_id])

    assert counts == {app_id: 1, empty_app_id: 0}


# The pure rules

moments = st.integers(min_value=-(10**6), max_value=10**6).map(lambda s: NOW + timedelta(seconds=s))
overlaps = st.integers(min_value=0, max_value=7 * 86400).map(lambda s: timedelta(seconds=s))


@given(expires_at=moments, overlap=overlaps)
def test_rolled_key_never_outlives_its_expiry_nor_the_overlap(expires_at, overlap):
    stops = rules.rolled_expiry(expires_at, NOW, overlap)

    assert stops <= expires_at
    assert stops <= NOW + overlap
    assert stops in (expires_at, NOW + overlap)


@given(
    active=st.integers(min_value=0, max_value=20),
    limit=st.integers(min_value=1, max_value=15),
    replacing=st.booleans(),
)
def test_the_limit_is_exceeded_by_at_most_the_key_being_replaced(active, limit, replacing):
    allowed = rules.may_add_key(active, limit, replacing=replacing)

    assert allowed == (active - (1 if replacing else 0) < limit)
    if allowed:
        assert active + 1 <= limit + (1 if replacing else 0)


@given(
    created_at=moments,
    lifetime=st.integers(min_value=0, max_value=400 * 86400).map(lambda s: timedelta(seconds=s)),
)
def test_replacement_lives_between_one_day_and_a_year_in_whole_days(created_at, lifetime):
    replacement = rules.replacement_lifetime(created_at, created_at + lifetime)

    assert timedelta(days=1) <= replacement <= timedelta(days=365)
    assert replacement.seconds == 0


# The CLI


def test_cli_rolls_a_key_and_prints_the_new_one_once(run, api, runtime):
    app_id = make_app(runtime).app.id
    token = make_key(runtime, app_id)
    key_id = key_by_token(runtime, app_id, token).id

    result = run("keys", "roll", str(app_id), str(key_id), "--overlap-hours", "1")

    assert result.exit_code == 0, result.output
    [new_token] = API_KEY.findall(result.output)
    assert "works until" in result.output
    assert ask_for_code(api, new_token).status_code == 200
    assert ask_for_code(api, token).status_code == 200
    assert key_by_token(runtime, app_id, new_token).created_by == "cli"
