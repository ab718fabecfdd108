"""Backends whose user ids are numbers send them as JSON integers: an integer external id is its
decimal string, on every route that takes one, and is the same user as that string. Floats,
booleans and other values are still not ids."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from userlink.models import auth_codes
from userlink_testing.factories.devices import bearer, redeem, register_install
from userlink_testing.factories.records import count_rows


def ask_for_code(api: httpx.Client, key: str, external_id: Any) -> httpx.Response:
    return api.post("/users/auth-code", json={"external_id": external_id}, headers=bearer(key))


def user_by_external_id(api: httpx.Client, key: str, external_id: str) -> dict[str, Any]:
    response = api.get("/v2/users", params={"external_id": external_id}, headers=bearer(key))
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()
    return user


@pytest.mark.parametrize(
    ("number", "text"),
    [
        pytest.param(12345, "12345", id="12345"),
        pytest.param(7, "7", id="one-digit"),
        pytest.param(-7, "-7", id="negative"),
        pytest.param(2**64, "18446744073709551616", id="beyond-64-bits"),
    ],
)
def test_an_integer_external_id_is_issued_a_code_for_its_decimal_string(api, tenant, number, text):
    response = ask_for_code(api, tenant.link_key, number)

    created = redeem(api, response.json()["authentication_code"])
    assert response.status_code == 200
    assert user_by_external_id(api, tenant.read_key, text)["id"] == created["user_id"]


def test_the_integer_zero_is_refused_like_the_string_zero_a_placeholder(api, tenant):
    response = ask_for_code(api, tenant.link_key, 0)

    assert response.status_code == 422
    assert response.json()["errorCode"] == "EXTERNAL_ID_BLOCKED"


def test_an_integer_and_its_decimal_string_are_the_same_user(api, tenant):
    first = redeem(api, ask_for_code(api, tenant.link_key, 12345).json()["authentication_code"])

    second = redeem(api, ask_for_code(api, tenant.link_key, "12345").json()["authentication_code"])

    assert second["restored"] is True
    assert second["user_id"] == first["user_id"]


def test_an_integer_of_more_than_256_digits_is_an_invalid_external_id(api, tenant, runtime):
    response = ask_for_code(api, tenant.link_key, 10**300)

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_EXTERNAL_ID"
    assert count_rows(runtime, auth_codes) == 0


def test_an_integer_external_id_links_an_install(api, tenant):
    installed = register_install(api, tenant.app_id, tenant.app_secret)

    response = api.post(
        f"/v2/users/{installed['install_id']}/link",
        json={"external_id": 12345},
        headers=bearer(tenant.link_key),
    )

    assert response.status_code == 200
    user = user_by_external_id(api, tenant.read_key, "12345")
    assert [i["id"] for i in user["installs"]] == [installed["install_id"]]


NOT_IDS = [
    pytest.param(12345.0, id="float"),
    pytest.param(1e3, id="exponent"),
    pytest.param(True, id="true"),
    pytest.param(False, id="false"),
    pytest.param(None, id="null"),
    pytest.param([12345], id="array"),
    pytest.param({"id": 12345}, id="object"),
]


@pytest.mark.parametrize("external_id", NOT_IDS)
def test_a_value_that_is_not_a_string_or_an_integer_is_refused_for_a_code(
    api, tenant, runtime, external_id
):
    response = ask_for_code(api, tenant.link_key, external_id)

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert count_rows(runtime, auth_codes) == 0


@pytest.mark.parametrize("external_id", NOT_IDS)
def test_a_value_that_is_not_a_string_or_an_integer_is_refused_for_a_link(api, tenant, external_id):
    installed = register_install(api, tenant.app_id, tenant.app_secret)

    response = api.post(
        f"/v2/users/{installed['install_id']}/link",
        json={"external_id": external_id},
        headers=bearer(tenant.link_key),
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
