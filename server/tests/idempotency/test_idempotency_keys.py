"""`Idempotency-Key` on the three server-to-server writes (Stripe's semantics): the same key with
the same request replays the first answer, with another request it is refused, a bad key is
refused before anything runs, and keys live 24 hours per app."""

from __future__ import annotations

import uuid

import httpx
import pytest

from userlink.models import audit_events, auth_codes, idempotency_keys, users
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer, redeem, register_install
from userlink_testing.factories.records import count_rows


def keyed(token: str, key: str) -> dict[str, str]:
    return {**bearer(token), "Idempotency-Key": key}


def post_code(
    api: httpx.Client, token: str, key: str, external_id: str = "alice"
) -> httpx.Response:
    return api.post(
        "/users/auth-code", json={"external_id": external_id}, headers=keyed(token, key)
    )


def test_the_same_key_and_request_mint_one_code_and_replay_its_answer(api, tenant, runtime):
    key = str(uuid.uuid4())

    first = post_code(api, tenant.link_key, key)
    second = post_code(api, tenant.link_key, key)

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count_rows(runtime, auth_codes) == 1
    assert count_rows(runtime, audit_events, event="auth_code.issued") == 1


def test_a_replayed_code_is_the_one_minted_and_redeems(api, tenant):
    key = str(uuid.uuid4())
    post_code(api, tenant.link_key, key)

    replayed = post_code(api, tenant.link_key, key).json()["authentication_code"]

    assert redeem(api, replayed)["restored"] is False


def test_the_same_key_with_another_body_is_refused_and_mints_nothing(api, tenant, runtime):
    key = str(uuid.uuid4())
    post_code(api, tenant.link_key, key, "alice")

    response = post_code(api, tenant.link_key, key, "bob")

    assert response.status_code == 422
    assert response.json()["errorCode"] == "IDEMPOTENCY_KEY_REUSED"
    assert count_rows(runtime, auth_codes) == 1


def test_the_same_key_on_another_route_is_refused(api, tenant):
    key = str(uuid.uuid4())
    post_code(api, tenant.link_key, key, "alice")
    install = register_install(api, tenant.app_id, tenant.app_secret)

    response = api.post(
        f"/v2/users/{install['install_id']}/link",
        json={"external_id": "alice"},
        headers=keyed(tenant.link_key, key),
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "IDEMPOTENCY_KEY_REUSED"


def test_requests_without_a_key_mint_a_code_each(api, tenant, runtime):
    for _ in range(2):
        response = api.post(
            "/users/auth-code", json={"external_id": "alice"}, headers=bearer(tenant.link_key)
        )
        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response.headers

    assert count_rows(runtime, auth_codes) == 2
    assert count_rows(runtime, idempotency_keys) == 0


def test_keys_are_per_app(api, tenant, runtime):
    other = make_app(runtime)
    other_key = make_key(runtime, other.app.id, scopes=("user.link",))
    key = str(uuid.uuid4())

    mine = post_code(api, tenant.link_key, key, "alice")
    theirs = post_code(api, other_key, key, "bob")

    assert mine.status_code == theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs.headers
    assert count_rows(runtime, auth_codes) == 2


@pytest.mark.parametrize(
    "bad_key",
    ["", "has space", "x" * 256, "tab\there", "caf\u00e9"],
    ids=["empty", "space", "too-long", "control", "non-ascii"],
)
def test_a_malformed_key_is_refused_and_runs_nothing(api, tenant, runtime, bad_key):
    response = api.post(
        "/users/auth-code",
        json={"external_id": "alice"},
        headers={**bearer(tenant.link_key), "Idempotency-Key": bad_key.encode("utf-8")},
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_IDEMPOTENCY_KEY"
    assert count_rows(runtime, auth_codes) == 0


def test_a_refused_request_keeps_no_key_and_its_retry_runs_again(api, tenant, runtime):
    key = str(uuid.uuid4())
    refused = post_code(api, tenant.link_key, key, "undefined")
    assert refused.json()["errorCode"] == "EXTERNAL_ID_BLOCKED"

    retried = post_code(api, tenant.link_key, key, "undefined")

    assert retried.json()["errorCode"] == "EXTERNAL_ID_BLOCKED"
    assert "Idempotent-Replayed" not in retried.headers
    assert count_rows(runtime, idempotency_keys) == 0


def test_a_key_expires_after_24_hours_and_is_swept(api, tenant, runtime, live):
    key = str(uuid.uuid4())
    post_code(api, tenant.link_key, key, "alice")
    post_code(api, tenant.link_key, str(uuid.uuid4()), "carol")
    live.clock.advance(hours=24, seconds=1)

    reused = post_code(api, tenant.link_key, key, "bob")

    assert reused.status_code == 200
    assert "Idempotent-Replayed" not in reused.headers
    # The expired key was taken over, the other expired one swept.
    assert count_rows(runtime, idempotency_keys) == 1
    assert count_rows(runtime, auth_codes) == 3


def test_a_key_still_replays_just_before_24_hours(api, tenant, live):
    key = str(uuid.uuid4())
    first = post_code(api, tenant.link_key, key)
    live.clock.advance(hours=23, minutes=59)

    second = post_code(api, tenant.link_key, key)

    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


def test_a_link_with_a_key_replays_its_answer(api, tenant, runtime):
    install = register_install(api, tenant.app_id, tenant.app_secret)
    key = str(uuid.uuid4())

    def send() -> httpx.Response:
        return api.post(
            f"/v2/users/{install['install_id']}/link",
            json={"external_id": "alice"},
            headers=keyed(tenant.link_key, key),
        )

    first = send()
    events_after_first = count_rows(runtime, audit_events)
    second = send()

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json() == {"id": install["user_id"]}
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count_rows(runtime, audit_events, event="user.linked") == 1
    assert count_rows(runtime, audit_events) == events_after_first


def test_a_delete_with_a_key_replays_204_instead_of_404(api, tenant, runtime):
    user_id = redeem(api, _code(api, tenant.link_key))["user_id"]
    key = str(uuid.uuid4())

    first = api.delete(f"/users/{user_id}", headers=keyed(tenant.delete_key, key))
    second = api.delete(f"/users/{user_id}", headers=keyed(tenant.delete_key, key))
    unkeyed = api.delete(f"/users/{user_id}", headers=bearer(tenant.delete_key))

    assert first.status_code == second.status_code == 204
    assert second.headers["Idempotent-Replayed"] == "true"
    assert unkeyed.status_code == 404
    assert count_rows(runtime, users) == 0


def test_a_delete_key_reused_for_another_user_is_refused(api, tenant):
    first_user = redeem(api, _code(api, tenant.link_key, "alice"))["user_id"]
    second_user = redeem(api, _code(api, tenant.link_key, "bob"))["user_id"]
    key = str(uuid.uuid4())
    api.delete(f"/users/{first_user}", headers=keyed(tenant.delete_key, key))

    response = api.delete(f"/users/{second_user}", headers=keyed(tenant.delete_key, key))

    assert response.status_code == 422
    assert response.json()["errorCode"] == "IDEMPOTENCY_KEY_REUSED"


def _code(api: httpx.Client, token: str, external_id: str = "alice") -> str:
    response = api.post(
        "/users/auth-code", json={"external_id": external_id}, headers=bearer(token)
    )
    code: str = response.json()["authentication_code"]
    return code
