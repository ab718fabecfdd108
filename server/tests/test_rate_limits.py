"""Rate limits on code redemption and on credential checks, through a server that enforces them
(the shared test server runs without limits so other tests do not trip them)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from userlink.models import auth_codes
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer, issue_code, redeem_body


@pytest.fixture
def limited(limited_server):
    return limited_server(
        rate_limit_redemption="2/minute", rate_limit_credential_failures="3/minute"
    )


@pytest.fixture
def limited_api(limited):
    with httpx.Client(base_url=limited.url, timeout=30) as client:
        yield client


@pytest.fixture
def link_key(limited):
    app = make_app(limited.runtime)
    return make_key(limited.runtime, app.app.id)


def test_redemptions_over_the_limit_are_refused_with_retry_after(limited_api, limited, link_key):
    codes = [issue_code(limited_api, link_key, f"user-{n}") for n in range(3)]

    answers = [limited_api.post("/sdk/v1/users", json=redeem_body(code)) for code in codes]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["errorCode"] == "RATE_LIMITED"
    assert int(answers[2].headers["Retry-After"]) >= 1


def test_a_redemption_refused_by_the_limit_does_not_consume_its_code(
    limited_api, limited, link_key
):
    codes = [issue_code(limited_api, link_key, f"user-{n}") for n in range(3)]
    for code in codes[:2]:
        limited_api.post("/sdk/v1/users", json=redeem_body(code))

    refused = limited_api.post("/sdk/v1/users", json=redeem_body(codes[2]))

    assert refused.status_code == 429
    with limited.runtime.database.transaction() as connection:
        redeemed = connection.execute(
            select(auth_codes.c.redeemed_at).where(auth_codes.c.redeemed_at.is_not(None))
        ).all()
    assert len(redeemed) == 2


def test_successful_api_key_checks_are_not_limited(limited_api, link_key):
    statuses = [
        limited_api.post(
            "/users/auth-code", json={"external_id": "alice"}, headers=bearer(link_key)
        ).status_code
        for _ in range(6)
    ]

    assert statuses == [200] * 6


def test_wrong_api_keys_count_against_the_same_limit(limited_api, link_key):
    wrong = link_key[:-1] + ("A" if link_key[-1] != "A" else "B")
    for _ in range(3):
        limited_api.post("/users/auth-code", json={"external_id": "a"}, headers=bearer(wrong))

    response = limited_api.post(
        "/users/auth-code", json={"external_id": "a"}, headers=bearer(wrong)
    )

    assert response.status_code == 429
    assert response.json()["errorCode"] == "RATE_LIMITED"
