"""Guessing credentials is slowed per client address, whatever the values guessed: failed checks of
API keys, access tokens, refresh tokens and app secrets share one allowance per address, a
successful check costs none of it, and no part of a guessed value reaches a storage key or a log.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator

import httpx
import pytest

from userlink.kit import secrets
from userlink.kit.secrets import SecretKind
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer, new_nonce, phone

FAILURES_ALLOWED = 3


@pytest.fixture
def server(limited_server):
    return limited_server(rate_limit_credential_failures=f"{FAILURES_ALLOWED}/minute")


@pytest.fixture
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def app(server):
    return make_app(server.runtime)


@pytest.fixture
def link_key(server, app) -> str:
    return make_key(server.runtime, app.app.id)


def issue(client: httpx.Client, key: str, **headers: str) -> httpx.Response:
    return client.post(
        "/users/auth-code", json={"external_id": "alice"}, headers={**bearer(key), **headers}
    )


def wrong_api_key(client: httpx.Client, app) -> httpx.Response:
    return issue(client, secrets.generate(SecretKind.API_KEY))


def wrong_access_token(client: httpx.Client, app) -> httpx.Response:
    return client.get("/sdk/v1/status", headers=bearer(secrets.generate(SecretKind.ACCESS_TOKEN)))


def wrong_refresh_token(client: httpx.Client, app) -> httpx.Response:
    token = secrets.generate(SecretKind.REFRESH_TOKEN)
    return client.post("/sdk/v1/token", json={"refresh_token": token})


def wrong_app_secret(client: httpx.Client, app) -> httpx.Response:
    pair = f"{app.app.id}:{secrets.generate(SecretKind.APP_SECRET)}".encode()
    return client.post(
        "/sdk/v1/installs",
        json={"installation_nonce": new_nonce(), "device": phone()},
        headers={"Authorization": f"Basic {base64.b64encode(pair).decode()}"},
    )


Guess = Callable[[httpx.Client, object], httpx.Response]
GUESSES: dict[str, Guess] = {
    "api-key": wrong_api_key,
    "access-token": wrong_access_token,
    "refresh-token": wrong_refresh_token,
    "app-secret": wrong_app_secret,
}


@pytest.mark.parametrize("kind", list(GUESSES))
def test_guesses_of_one_kind_are_refused_once_the_address_is_over_the_limit(client, app, kind):
    guess = GUESSES[kind]
    refused = [guess(client, app).status_code for _ in range(FAILURES_ALLOWED)]

    response = guess(client, app)

    assert refused == [401] * FAILURES_ALLOWED
    assert response.status_code == 429
    assert response.json()["errorCode"] == "RATE_LIMITED"
    assert int(response.headers["Retry-After"]) >= 1


def test_different_wrong_api_keys_share_one_allowance(client, app):
    for _ in range(FAILURES_ALLOWED):
        wrong_api_key(client, app)

    response = wrong_api_key(client, app)

    assert response.status_code == 429


def test_failures_of_every_kind_share_one_allowance(client, app):
    for guess in (wrong_api_key, wrong_access_token, wrong_app_secret):
        guess(client, app)

    response = wrong_refresh_token(client, app)

    assert response.status_code == 429


def test_an_address_over_the_limit_is_refused_even_with_a_working_key(client, app, link_key):
    for _ in range(FAILURES_ALLOWED):
        wrong_api_key(client, app)

    response = issue(client, link_key)

    assert response.status_code == 429
    assert response.json()["errorCode"] == "RATE_LIMITED"


def test_successful_checks_are_not_counted(client, app, link_key):
    successes = [issue(client, link_key).status_code for _ in range(10)]

    failures = [wrong_api_key(client, app).status_code for _ in range(FAILURES_ALLOWED)]

    assert successes == [200] * 10
    assert failures == [401] * FAILURES_ALLOWED


def storage_keys(server) -> set[str]:
    """Every key the in-memory rate-limit storage holds."""
    storage = server.runtime.rate_limiter.storage
    return set(storage.events) | set(storage.storage)


def test_a_successful_request_adds_nothing_to_the_rate_limit_storage(server, client, link_key):
    for _ in range(5):
        issue(client, link_key)

    assert storage_keys(server) == set()


def test_the_allowance_is_per_client_address(server, client, app):
    # The test server trusts its own loopback as a proxy (uvicorn's default), so X-Forwarded-For
    # stands for other client addresses here.
    for _ in range(FAILURES_ALLOWED):
        issue(client, secrets.generate(SecretKind.API_KEY), **{"X-Forwarded-For": "203.0.113.7"})

    other = issue(
        client, secrets.generate(SecretKind.API_KEY), **{"X-Forwarded-For": "203.0.113.8"}
    )

    assert other.status_code == 401


def windows(token: str, width: int = 6) -> set[str]:
    """Every run of `width` characters of the token's random part."""
    secret = token[4:]
    return {secret[i : i + width] for i in range(len(secret) - width + 1)}


def test_no_part_of_a_guessed_key_is_in_a_rate_limit_storage_key(server, client):
    guessed = secrets.generate(SecretKind.API_KEY)
    for _ in range(FAILURES_ALLOWED + 1):
        issue(client, guessed)

    keys = storage_keys(server)

    assert keys
    assert [key for key in keys if any(part in key for part in windows(guessed))] == []


def test_guessed_credentials_are_not_logged(client, app, caplog):
    guessed = secrets.generate(SecretKind.API_KEY)

    with caplog.at_level(logging.DEBUG):
        for _ in range(FAILURES_ALLOWED + 1):
            issue(client, guessed)

    assert [part for part in windows(guessed) if part in caplog.text] == []
