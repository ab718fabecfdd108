"""Paths as customer backends send them: repeated slashes (a base URL ending in `/`) reach their
route; a path that matches no route, a trailing slash or an encoded one included, is a 404 in the
error envelope, never a redirect."""

from __future__ import annotations

import uuid

import pytest

from userlink.http.envelope import REF_HEADER
from userlink_testing.factories.devices import bearer, issue_code, redeem


def test_a_base_url_ending_in_a_slash_reaches_the_route(api, tenant, live):
    response = api.post(
        f"{live.url}//users/auth-code",
        json={"external_id": "alice"},
        headers=bearer(tenant.link_key),
    )

    assert response.status_code == 200
    assert len(response.json()["authentication_code"]) == 128


def test_slashes_repeated_inside_a_path_are_merged(api, tenant, live):
    user = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = api.get(f"{live.url}/v2///users//{user['user_id']}", headers=bearer(tenant.read_key))

    assert response.status_code == 200
    assert response.json()["id"] == user["user_id"]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/v2/users/%2F", id="encoded-slash"),
        pytest.param("/v2/users/", id="trailing-slash"),
        pytest.param("/users/auth-code/", id="trailing-slash-on-a-post-route"),
    ],
)
def test_a_path_matching_no_route_is_a_404_envelope_not_a_redirect(api, tenant, live, path):
    response = api.get(f"{live.url}{path}", headers=bearer(tenant.read_key))

    assert response.status_code == 404
    assert response.json()["errorCode"] == "ROUTE_NOT_FOUND"
    assert uuid.UUID(response.headers[REF_HEADER]) == uuid.UUID(response.json()["ref"])
    assert "location" not in response.headers
