"""Secrets are stored only as keyed hashes (DESIGN §4): after every flow that handles one, no API
key, app secret, auth code, access or refresh token, or installation nonce is anywhere in the
database, not even in the audit log, and neither is an unkeyed hash of one."""

from __future__ import annotations

import hashlib

from userlink_testing.factories.api_keys import revoke_key_by_token
from userlink_testing.factories.devices import (
    bearer,
    confirm,
    issue_code,
    link,
    new_nonce,
    redeem,
    redeem_body,
    register_install,
)
from userlink_testing.factories.records import every_stored_value


def credentials_of(answer: dict) -> list[str]:
    return [answer["credentials"]["access_token"], answer["credentials"]["refresh_token"]]


def run_every_flow_that_handles_a_secret(api, tenant, runtime) -> list[str]:
    """Create, retry, replay, refresh, link, leak and revoke; every secret seen on the way."""
    seen = [tenant.app_secret, tenant.link_key, tenant.read_key, tenant.delete_key]

    code = issue_code(api, tenant.link_key, "alice")
    nonce = new_nonce()
    created = redeem(api, code, nonce=nonce)
    retried = redeem(api, code, nonce=nonce)
    replay_nonce = new_nonce()
    assert api.post("/sdk/v1/users", json=redeem_body(code, nonce=replay_nonce)).status_code == 409
    refreshed = api.post(
        "/sdk/v1/token", json={"refresh_token": retried["credentials"]["refresh_token"]}
    ).json()
    seen += [code, nonce, replay_nonce, *credentials_of(created), *credentials_of(retried)]
    seen += credentials_of(refreshed)

    legacy = register_install(api, tenant.app_id, tenant.app_secret)
    assert link(api, tenant.link_key, legacy["install_id"], "bob").status_code == 200
    assert confirm(api, legacy["credentials"]["access_token"]).status_code == 200
    seen += credentials_of(legacy)

    leaked = api.get("/sdk/v1/status", headers=bearer(tenant.read_key))
    assert leaked.json()["errorCode"] == "API_KEY_NOT_ALLOWED"
    revoke_key_by_token(runtime, tenant.app_id, tenant.delete_key)
    return seen


def test_no_secret_is_stored_in_plain_text(api, tenant, runtime):
    secrets_seen = run_every_flow_that_handles_a_secret(api, tenant, runtime)

    stored = every_stored_value(runtime)

    assert [s for s in secrets_seen if s in stored] == []


def test_no_secret_is_stored_as_an_unkeyed_hash(api, tenant, runtime):
    secrets_seen = run_every_flow_that_handles_a_secret(api, tenant, runtime)

    stored = every_stored_value(runtime)

    unkeyed = [s for s in secrets_seen if hashlib.sha256(s.encode()).hexdigest() in stored]
    assert unkeyed == []


def test_the_random_part_of_an_api_key_is_not_stored(api, tenant, runtime):
    run_every_flow_that_handles_a_secret(api, tenant, runtime)

    stored = every_stored_value(runtime)

    # The hint keeps the prefix, four random characters and the checksum; never the middle.
    assert tenant.link_key[8:-6] not in stored
    assert tenant.link_key[:8] in stored


def test_the_search_covered_every_table_a_secret_passes_through(api, tenant, runtime):
    run_every_flow_that_handles_a_secret(api, tenant, runtime)

    stored = every_stored_value(runtime)

    tables_with_rows = {line.split(".", 1)[0] for line in stored.splitlines()}
    assert {"apps", "api_keys", "auth_codes", "installs", "sdk_tokens", "audit_events"} <= (
        tables_with_rows
    )
    assert "'api_key.presented_on_sdk_route'" in stored
