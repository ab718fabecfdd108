"""Payload bodies are the device's own JSON: any text a database can hold round-trips through the
timeline unchanged, and text no database can hold is refused, never a 500."""

from __future__ import annotations

import json

import httpx
import pytest

from userlink.models import payloads
from userlink_testing.factories.devices import bearer, issue_code, payload, redeem
from userlink_testing.factories.records import count_rows


def upload_raw(api: httpx.Client, access_token: str, body: dict) -> httpx.Response:
    """json.dumps escapes a lone surrogate (`\\ud800`) as a client can send it; httpx refuses."""
    return api.post(
        "/sdk/v1/payloads",
        content=json.dumps({"payloads": [body]}).encode("ascii"),
        headers={**bearer(access_token), "content-type": "application/json"},
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("usér-日本-🙂", id="unicode"),
        pytest.param("line\nbreak\ttab", id="whitespace-controls"),
        pytest.param("nul\x00inside", id="NUL"),
        pytest.param("\U0001f600\u2028\ufeff", id="astral-and-separators"),
    ],
)
def test_payload_body_text_round_trips_through_the_timeline(api, tenant, text):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    uploaded = upload_raw(api, device["credentials"]["access_token"], payload("p1", note=text))

    timeline = api.get(
        f"/v2/users/{device['user_id']}/timeline", headers=bearer(tenant.read_key)
    ).json()
    assert uploaded.status_code == 200
    assert [item["body"] for item in timeline["items"]] == [{"note": text}]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"note": "ali\ud800ce"}, id="in-a-value"),
        pytest.param({"ali\udfffce": 1}, id="in-a-key"),
    ],
)
def test_payload_body_with_a_lone_surrogate_is_refused_and_nothing_is_stored(
    api, tenant, runtime, body
):
    device = redeem(api, issue_code(api, tenant.link_key, "alice"))

    response = upload_raw(
        api, device["credentials"]["access_token"], {**payload("p1"), "body": body}
    )

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_PAYLOAD_BODY"
    assert count_rows(runtime, payloads) == 0
