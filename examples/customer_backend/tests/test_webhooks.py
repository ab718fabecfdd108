"""The receiver route: a message signed with the endpoint's secret is recorded once; a tampered,
stale or unsigned one is refused; `install.displaced` becomes a notice for its user."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def signed(
    body: dict[str, Any], *, message_id: str = "msg_1", at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    """A message as the platform sends it (signed by the Standard Webhooks library)."""
    at = at or datetime.now(UTC)
    raw = json.dumps(body)
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(message_id, at, raw),
    }
    return raw.encode(), headers


DISPLACED = {
    "type": "install.displaced",
    "timestamp": "2026-11-29T23:00:00.000Z",
    "data": {
        "app_id": "a",
        "user_id": "3f1c0c36-6a3c-4c55-9a4f-1f0c6f3f8f00",
        "install_id": "old-phone",
        "details": {"new_install_id": "new-phone", "reason": "newer_install"},
    },
}


def test_a_signed_install_displaced_becomes_a_notice_once(make_backend: Any) -> None:
    running = make_backend(webhook_secret=SECRET)
    body, headers = signed(DISPLACED)

    first = running.client.post("/webhooks/userlink", content=body, headers=headers)
    again = running.client.post("/webhooks/userlink", content=body, headers=headers)

    assert (first.status_code, again.status_code) == (204, 204)
    [notice] = running.backend.webhooks.notices_of(DISPLACED["data"]["user_id"])
    assert (notice.message_id, notice.displaced_install_id, notice.reason) == (
        "msg_1",
        "old-phone",
        "newer_install",
    )
    assert running.backend.webhooks.received() == [("msg_1", "install.displaced")]


def test_a_tampered_message_is_refused(make_backend: Any) -> None:
    running = make_backend(webhook_secret=SECRET)
    body, headers = signed(DISPLACED)

    response = running.client.post(
        "/webhooks/userlink", content=body.replace(b"old-phone", b"any-phone"), headers=headers
    )

    assert (response.status_code, response.json()["errorCode"]) == (400, "INVALID_WEBHOOK")
    assert running.backend.webhooks.received() == []


def test_a_stale_message_is_refused(make_backend: Any) -> None:
    running = make_backend(webhook_secret=SECRET)
    body, headers = signed(DISPLACED, at=datetime.now(UTC) - timedelta(minutes=6))

    response = running.client.post("/webhooks/userlink", content=body, headers=headers)

    assert (response.status_code, response.json()["errorCode"]) == (400, "INVALID_WEBHOOK")


def test_a_message_signed_with_another_secret_is_refused(make_backend: Any) -> None:
    running = make_backend(webhook_secret="whsec_" + base64.b64encode(b"o" * 32).decode())
    body, headers = signed(DISPLACED)

    response = running.client.post("/webhooks/userlink", content=body, headers=headers)

    assert (response.status_code, response.json()["errorCode"]) == (400, "INVALID_WEBHOOK")


def test_an_unsigned_message_is_refused(make_backend: Any) -> None:
    running = make_backend(webhook_secret=SECRET)

    response = running.client.post("/webhooks/userlink", json=DISPLACED)

    assert (response.status_code, response.json()["errorCode"]) == (400, "INVALID_WEBHOOK")


def test_one_of_two_signatures_matching_is_enough(make_backend: Any) -> None:
    running = make_backend(webhook_secret=SECRET)
    body, headers = signed(DISPLACED)
    headers["webhook-signature"] = "v1,bm9wZQ== " + headers["webhook-signature"]

    response = running.client.post("/webhooks/userlink", content=body, headers=headers)

    assert response.status_code == 204


def test_without_a_secret_webhooks_are_not_received(make_backend: Any) -> None:
    running = make_backend()
    body, headers = signed(DISPLACED)

    response = running.client.post("/webhooks/userlink", content=body, headers=headers)

    assert (response.status_code, response.json()["errorCode"]) == (
        503,
        "WEBHOOKS_NOT_CONFIGURED",
    )
