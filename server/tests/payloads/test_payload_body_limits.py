"""A body is accepted only if the timeline can serve it back exactly as it came: bodies too deep,
or holding numbers that JSON readers or databases cannot carry, are refused at the upload; and a
stored body the timeline cannot serve never breaks the user's timeline."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from userlink.models import installs, payloads
from userlink.payloads.rules import MAX_BODY_DEPTH
from userlink_testing.factories.devices import bearer, issue_code, payload, redeem
from userlink_testing.factories.records import count_rows

UNREADABLE = {
    "errorCode": "PAYLOAD_BODY_UNREADABLE",
    "message": "This payload's stored body cannot be served as JSON.",
}


def nested(levels: int) -> dict[str, Any]:
    """A body of `levels` levels of objects: {"a": {"a": … {}}}; {} alone is one level."""
    body: dict[str, Any] = {}
    for _ in range(levels - 1):
        body = {"a": body}
    return body


def upload_text(api: httpx.Client, access_token: str, body_text: str) -> httpx.Response:
    """A batch of one payload whose body is this JSON text, sent as the client wrote it."""
    envelope = json.dumps({"payloads": [payload("p1")]})
    content = envelope.replace('"body": {}', f'"body": {body_text}')
    return api.post(
        "/sdk/v1/payloads",
        content=content.encode("utf-8"),
        headers={**bearer(access_token), "content-type": "application/json"},
    )


def timeline(api: httpx.Client, read_key: str, user_id: str) -> httpx.Response:
    return api.get(f"/v2/users/{user_id}/timeline", headers=bearer(read_key))


@pytest.fixture
def device(api, tenant) -> dict[str, Any]:
    return redeem(api, issue_code(api, tenant.link_key, "alice"))


def test_a_body_nesting_256_levels_is_refused_and_nothing_is_stored(api, device, runtime):
    response = upload_text(api, device["credentials"]["access_token"], json.dumps(nested(256)))

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_PAYLOAD_BODY"
    assert "64 levels" in response.json()["message"]
    assert count_rows(runtime, payloads) == 0


def test_a_body_nesting_one_level_too_deep_is_refused(api, device):
    body = nested(MAX_BODY_DEPTH + 1)

    response = upload_text(api, device["credentials"]["access_token"], json.dumps(body))

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_PAYLOAD_BODY"


def test_arrays_count_as_levels_too(api, device):
    body_text = '{"a": ' + "[" * MAX_BODY_DEPTH + "]" * MAX_BODY_DEPTH + "}"

    response = upload_text(api, device["credentials"]["access_token"], body_text)

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_PAYLOAD_BODY"


def test_a_body_of_the_deepest_nesting_accepted_reads_back_unchanged(api, tenant, device):
    body = nested(MAX_BODY_DEPTH)

    uploaded = upload_text(api, device["credentials"]["access_token"], json.dumps(body))

    read = timeline(api, tenant.read_key, device["user_id"])
    assert uploaded.status_code == 200
    assert read.status_code == 200
    assert [item["body"] for item in read.json()["items"]] == [body]


@pytest.mark.parametrize(
    "number",
    [
        pytest.param(str(2**63), id="2**63"),
        pytest.param(str(-(2**63) - 1), id="-2**63-1"),
        pytest.param("1" + "0" * 30, id="10**30"),
        pytest.param("1e400", id="too-large-for-a-double"),
        pytest.param("-1e400", id="too-small-for-a-double"),
    ],
)
def test_a_number_beyond_64_bits_or_a_double_is_refused_and_nothing_is_stored(
    api, device, runtime, number
):
    response = upload_text(api, device["credentials"]["access_token"], f'{{"n": {number}}}')

    assert response.status_code == 422
    assert response.json()["errorCode"] == "INVALID_PAYLOAD_BODY"
    assert count_rows(runtime, payloads) == 0


def test_the_64_bit_integer_extremes_read_back_unchanged(api, tenant, device):
    body = {"min": -(2**63), "max": 2**63 - 1, "double": 1.7976931348623157e308}

    uploaded = upload_text(api, device["credentials"]["access_token"], json.dumps(body))

    read = timeline(api, tenant.read_key, device["user_id"])
    assert uploaded.status_code == 200
    assert [item["body"] for item in read.json()["items"]] == [body]


def store_directly(runtime, device: dict[str, Any], client_id: str, body: Any) -> None:
    """A row as an older server could have stored it, bypassing today's upload checks."""
    with runtime.database.transaction() as connection:
        install_id = uuid.UUID(device["install_id"])
        app_id = connection.execute(
            select(installs.c.app_id).where(installs.c.id == install_id)
        ).scalar_one()
        connection.execute(
            insert(payloads).values(
                app_id=app_id,
                user_id=uuid.UUID(device["user_id"]),
                install_id=install_id,
                client_id=client_id,
                type="trip",
                occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
                received_at=datetime(2026, 1, 1, tzinfo=UTC),
                body=body,
                processed=True,
            )
        )


def test_a_stored_body_the_timeline_cannot_serve_is_replaced_by_a_marker(
    api, tenant, runtime, device
):
    upload_text(api, device["credentials"]["access_token"], '{"before": 1}')
    store_directly(runtime, device, "deep", nested(256))

    read = timeline(api, tenant.read_key, device["user_id"])

    assert read.status_code == 200
    assert {item["id"]: item["body"] for item in read.json()["items"]} == {
        "p1": {"before": 1},
        "deep": UNREADABLE,
    }


def test_a_stored_body_the_timeline_cannot_serve_is_logged_without_its_content(
    api, tenant, runtime, device, caplog
):
    store_directly(runtime, device, "deep", nested(256))

    with caplog.at_level(logging.WARNING, logger="userlink"):
        timeline(api, tenant.read_key, device["user_id"])

    [record] = [r for r in caplog.records if "cannot be served" in r.getMessage()]
    assert "deep" in record.getMessage()
    assert '"a"' not in record.getMessage()


# Any JSON value, the awkward ones drawn more often than chance: the 64-bit and double extremes,
# negative zero, every kind of text, nesting up to the limit.
ANY_CHARACTER = st.characters(exclude_categories=())
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63 - 1, -(2**63), 2**63, 2**53 + 1, 0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.1, -0.0, 5e-324, 1.7976931348623157e308, 1e16, 1e300]),
    st.text(ANY_CHARACTER),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.text(st.characters(exclude_categories=()), max_size=8), inner, max_size=4
        ),
    ),
    max_leaves=30,
)
BODIES = st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4)


JSON = "application/json"


def same_json(value: Any) -> str:
    """The value in one canonical JSON text: equal texts, identical JSON (types included)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True, allow_nan=True)


@settings(
    max_examples=60,
    deadline=None,
    # The live server and its tables outlive each example; each example reads its own payload.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODIES)
@example(body=nested(256))  # once accepted, then a 500 on every read of the timeline
@example(body={"deep": nested(MAX_BODY_DEPTH - 1)})
@example(body={"deep": nested(MAX_BODY_DEPTH)})
@example(body={"big": 2**63, "double": 1e300, "zero": -0.0})
@example(body={"text": "nul\x00, lone \ud800, line\u2028break"})
def test_any_body_the_upload_accepts_reads_back_identically(api, tenant, device, body):
    client_id = str(uuid.uuid4())
    content = json.dumps(
        {"payloads": [{**payload(client_id), "body": body}]}, ensure_ascii=True, allow_nan=False
    )

    uploaded = api.post(
        "/sdk/v1/payloads",
        content=content.encode("ascii"),
        headers={
            **bearer(device["credentials"]["access_token"]),
            "content-type": "application/json",
        },
    )

    assert (uploaded.status_code, uploaded.json().get("errorCode")) in {
        (200, None),
        (422, "INVALID_PAYLOAD_BODY"),
        (413, "PAYLOAD_TOO_LARGE"),
    }
    if uploaded.status_code == 200:
        read = timeline(api, tenant.read_key, device["user_id"])
        [item] = [i for i in read.json()["items"] if i["id"] == client_id]
        assert same_json(item["body"]) == same_json(body)
