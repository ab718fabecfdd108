"""Authentication codes cannot be guessed faster through one route than another: every route that
takes a code (redemption, and linking an install's user) counts against one allowance per client
address."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer, redeem_body, register_install

CODES_ALLOWED = 2


@pytest.fixture
def server(limited_server):
    return limited_server(rate_limit_redemption=f"{CODES_ALLOWED}/minute")


@pytest.fixture
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def access_token(server, client) -> str:
    """The access token of a legacy install, whose unlinked user may be linked with a code."""
    app = make_app(server.runtime)
    installed = register_install(client, app.app.id, app.secret)
    token: str = installed["credentials"]["access_token"]
    return token


def link_with(client: httpx.Client, access_token: str, code: str) -> httpx.Response:
    return client.post(
        "/sdk/v1/link", json={"authentication_code": code}, headers=bearer(access_token)
    )


def guessed_code(n: int) -> str:
    return f"{n:0128x}"


def test_codes_presented_for_linking_are_limited_per_address(client, access_token):
    guesses = [link_with(client, access_token, guessed_code(n)) for n in range(CODES_ALLOWED)]

    response = link_with(client, access_token, guessed_code(CODES_ALLOWED))

    assert [g.json()["errorCode"] for g in guesses] == ["AUTH_CODE_INVALID"] * CODES_ALLOWED
    assert response.status_code == 429
    assert response.json()["errorCode"] == "RATE_LIMITED"
    assert int(response.headers["Retry-After"]) >= 1


def test_redemption_and_linking_share_one_allowance(client, access_token):
    client.post("/sdk/v1/users", json=redeem_body(guessed_code(0)))
    link_with(client, access_token, guessed_code(1))

    redemption = client.post("/sdk/v1/users", json=redeem_body(guessed_code(2)))
    link = link_with(client, access_token, guessed_code(3))

    assert (redemption.status_code, link.status_code) == (429, 429)
