"""The SDK's credentials: access tokens expire, refresh tokens rotate, reset ends both, and the
active role moves on when the active install resets."""

from __future__ import annotations

from typing import Any

import httpx

from userlink.models import audit_events
from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    phone,
    redeem,
    status,
    tablet,
)
from userlink_testing.factories.records import count_rows


def new_device(api: httpx.Client, tenant, external_id: str = "alice", **kwargs: Any) -> dict:
    answer: dict[str, Any] = redeem(api, issue_code(api, tenant.link_key, external_id), **kwargs)
    return answer


def access(device: dict[str, Any]) -> str:
    token: str = device["credentials"]["access_token"]
    return token


def refresh_token(device: dict[str, Any]) -> str:
    token: str = device["credentials"]["refresh_token"]
    return token


def refresh(api: httpx.Client, token: str) -> httpx.Response:
    return api.post("/sdk/v1/token", json={"refresh_token": token})


def reset(api: httpx.Client, token: str) -> httpx.Response:
    return api.post("/sdk/v1/reset", headers=bearer(token))


def test_access_token_is_refused_once_expired(api, tenant, live):
    device = new_device(api, tenant)
    live.clock.advance(seconds=3601)

    response = api.get("/sdk/v1/status", headers=bearer(access(device)))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "ACCESS_TOKEN_EXPIRED"


def test_access_token_works_until_it_expires(api, tenant, live):
    device = new_device(api, tenant)
    live.clock.advance(seconds=3500)

    assert status(api, access(device))["install_id"] == device["install_id"]


def test_refresh_gives_new_credentials_for_the_same_install(api, tenant):
    device = new_device(api, tenant)

    response = refresh(api, refresh_token(device))

    assert response.status_code == 200
    renewed = response.json()["credentials"]
    assert renewed["access_token"] != access(device)
    assert renewed["refresh_token"] != refresh_token(device)
    assert status(api, renewed["access_token"])["install_id"] == device["install_id"]


def test_refresh_after_the_access_token_expired_restores_access(api, tenant, live):
    device = new_device(api, tenant)
    live.clock.advance(seconds=3601)

    renewed = refresh(api, refresh_token(device)).json()["credentials"]

    assert status(api, renewed["access_token"])["user_id"] == device["user_id"]


def test_a_rotated_refresh_token_is_refused_after_the_retry_window(api, tenant, live):
    device = new_device(api, tenant)
    refresh(api, refresh_token(device))
    live.clock.advance(seconds=61)

    replay = refresh(api, refresh_token(device))

    assert replay.status_code == 401
    assert replay.json()["errorCode"] == "REFRESH_TOKEN_INVALID"


def test_a_refresh_retried_within_the_window_replaces_the_lost_pair(api, tenant):
    device = new_device(api, tenant)
    lost = refresh(api, refresh_token(device)).json()["credentials"]

    retried = refresh(api, refresh_token(device))

    renewed = retried.json()["credentials"]
    lost_refused = refresh(api, lost["refresh_token"])
    assert retried.status_code == 200
    assert status(api, renewed["access_token"])["install_id"] == device["install_id"]
    assert lost_refused.status_code == 401
    assert lost_refused.json()["errorCode"] == "REFRESH_TOKEN_INVALID"


def test_rotated_refresh_token_works(api, tenant):
    device = new_device(api, tenant)
    rotated = refresh(api, refresh_token(device)).json()["credentials"]["refresh_token"]

    response = refresh(api, rotated)

    assert response.status_code == 200


def test_refresh_token_is_refused_once_expired(api, tenant, live):
    device = new_device(api, tenant)
    live.clock.advance(days=90, seconds=1)

    response = refresh(api, refresh_token(device))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "REFRESH_TOKEN_EXPIRED"


def test_access_token_is_not_a_refresh_token(api, tenant):
    device = new_device(api, tenant)

    response = refresh(api, access(device))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "REFRESH_TOKEN_INVALID"


def test_refresh_token_is_not_an_access_token(api, tenant):
    device = new_device(api, tenant)

    response = api.get("/sdk/v1/status", headers=bearer(refresh_token(device)))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "ACCESS_TOKEN_INVALID"


def test_access_token_sent_without_the_bearer_scheme_is_refused_as_invalid(api, tenant):
    device = new_device(api, tenant)

    response = api.get("/sdk/v1/status", headers={"Authorization": access(device)})

    assert response.status_code == 401
    assert response.json()["errorCode"] == "ACCESS_TOKEN_INVALID"


def test_status_without_credentials_is_refused_as_missing_credentials(api, tenant):
    response = api.get("/sdk/v1/status")

    assert response.status_code == 401
    assert response.json()["errorCode"] == "MISSING_CREDENTIALS"


def test_reset_answers_no_content_and_records_it(api, tenant, runtime):
    device = new_device(api, tenant)

    response = reset(api, access(device))

    assert response.status_code == 204
    assert count_rows(runtime, audit_events, event="install.reset") == 1


def test_access_token_is_refused_after_reset(api, tenant):
    device = new_device(api, tenant)
    reset(api, access(device))

    response = api.get("/sdk/v1/status", headers=bearer(access(device)))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INSTALL_DEREGISTERED"


def test_refresh_after_reset_is_refused_as_deregistered(api, tenant):
    device = new_device(api, tenant)
    reset(api, access(device))

    response = refresh(api, refresh_token(device))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "INSTALL_DEREGISTERED"


def test_second_reset_is_refused_and_records_nothing_more(api, tenant, runtime):
    device = new_device(api, tenant)
    reset(api, access(device))

    second = reset(api, access(device))

    assert second.status_code == 401
    assert second.json()["errorCode"] == "INSTALL_DEREGISTERED"
    assert count_rows(runtime, audit_events, event="install.reset") == 1


def test_reset_of_the_active_phone_hands_the_role_to_the_remaining_tablet(api, tenant):
    active_phone = new_device(api, tenant, device=phone())
    waiting_tablet = new_device(api, tenant, device=tablet())

    reset(api, access(active_phone))

    tablet_status = status(api, access(waiting_tablet))
    assert tablet_status["is_remote_enabled"] is True
    assert tablet_status["inactive_reason"] is None


def test_reset_of_an_inactive_tablet_leaves_the_phone_active(api, tenant):
    active_phone = new_device(api, tenant, device=phone())
    waiting_tablet = new_device(api, tenant, device=tablet())

    reset(api, access(waiting_tablet))

    assert status(api, access(active_phone))["is_remote_enabled"] is True


def test_reset_of_the_newest_phone_hands_the_role_back_to_the_older_phone(api, tenant):
    older = new_device(api, tenant, device=phone("Pixel 6"))
    newer = new_device(api, tenant, device=phone("Pixel 9"))

    reset(api, access(newer))

    assert status(api, access(older))["is_remote_enabled"] is True


def test_reset_of_one_users_install_leaves_another_users_install_alone(api, tenant):
    alice = new_device(api, tenant, "alice")
    bob = new_device(api, tenant, "bob")

    reset(api, access(alice))

    assert status(api, access(bob))["is_remote_enabled"] is True


def test_new_code_after_reset_restores_the_same_user_on_a_new_install(api, tenant):
    first = new_device(api, tenant)
    reset(api, access(first))

    again = new_device(api, tenant)

    assert again["restored"] is True
    assert again["user_id"] == first["user_id"]
    assert again["install_id"] != first["install_id"]
    assert again["configuration"]["is_remote_enabled"] is True
