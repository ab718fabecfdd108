"""Rate limits per user and per IP on /signup, /login, /auth/code, /users/{id}/link and
/app-credentials: 429 RATE_LIMITED with Retry-After."""

from __future__ import annotations

import pytest


def assert_rate_limited(response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["errorCode"] == "RATE_LIMITED"
    assert int(response.headers["Retry-After"]) >= 1


def login(running, username: str, password: str = "wrong horse"):
    return running.client.post("/login", json={"username": username, "password": password})


def test_login_is_limited_per_username(make_backend):
    running = make_backend(rate_limit_per_user="2/minute")
    running.signup("alice", "correct horse")
    login(running, "alice")
    login(running, "alice")

    response = login(running, "alice", "correct horse")

    assert_rate_limited(response)


def test_the_login_limit_of_one_username_leaves_others_alone(make_backend):
    running = make_backend(rate_limit_per_user="2/minute")
    running.signup("bob", "correct horse")
    login(running, "alice")
    login(running, "alice")

    assert login(running, "bob", "correct horse").status_code == 200


def test_the_login_limit_counts_usernames_case_insensitively(make_backend):
    running = make_backend(rate_limit_per_user="2/minute")
    login(running, "alice")
    login(running, "Alice")

    assert_rate_limited(login(running, "ALICE"))


def test_login_is_limited_per_ip(make_backend):
    running = make_backend(rate_limit_per_ip="3/minute")
    for name in ("alice", "bob", "carol"):
        login(running, name)

    assert_rate_limited(login(running, "dave"))


def test_signup_is_limited_per_ip(make_backend):
    running = make_backend(rate_limit_per_ip="2/minute")
    running.signup("alice")
    running.signup("bob")

    response = running.client.post(
        "/signup", json={"username": "carol", "password": "correct horse"}
    )

    assert_rate_limited(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/auth/code"),
        ("POST", "/users/d12339a8-6320-4308-abc8-7a5940389da0/link"),
        ("GET", "/app-credentials"),
    ],
)
def test_platform_routes_are_limited_per_user(make_backend, method, path):
    running = make_backend(rate_limit_per_user="2/minute")
    alice = running.signup("alice")
    bob = running.signup("bob")
    for _ in range(2):
        running.client.request(method, path, headers=alice.headers)

    limited = running.client.request(method, path, headers=alice.headers)
    other_user = running.client.request(method, path, headers=bob.headers)

    assert_rate_limited(limited)
    assert other_user.status_code != 429


def test_platform_routes_are_limited_per_ip_before_authentication(make_backend):
    running = make_backend(rate_limit_per_ip="2/minute")
    for _ in range(2):
        running.client.get("/auth/code", headers={"Authorization": "Bearer cbs_guess"})

    assert_rate_limited(running.client.get("/auth/code"))


def test_a_rate_limited_request_never_reaches_the_platform(make_backend, api, tenant):
    running = make_backend(rate_limit_per_user="1/minute")
    alice = running.signup("alice")
    alice.get("/auth/code")

    limited = alice.get("/auth/code")

    assert_rate_limited(limited)
    assert "auth_code" not in limited.json()


def test_limits_can_be_turned_off(make_backend):
    running = make_backend(rate_limit_enabled=False, rate_limit_per_user="1/minute")

    statuses = {login(running, "alice").status_code for _ in range(3)}

    assert statuses == {401}
