"""Bodies and calls a device would send to the SDK routes."""

from __future__ import annotations

import secrets
from typing import Any

import httpx


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def phone(model: str = "Pixel 8", diagonal: float = 6.2) -> dict[str, Any]:
    return {
        "platform": "android",
        "os_version": "14",
        "model": model,
        "screen_diagonal_inches": diagonal,
    }


def tablet(model: str = "Galaxy Tab S9", diagonal: float = 11.0) -> dict[str, Any]:
    return {
        "platform": "android",
        "os_version": "14",
        "model": model,
        "screen_diagonal_inches": diagonal,
    }


def iphone() -> dict[str, Any]:
    return {"platform": "ios", "os_version": "18.1", "model": "iPhone16,1", "ios_idiom": "phone"}


def ipad() -> dict[str, Any]:
    return {"platform": "ios", "os_version": "18.1", "model": "iPad14,1", "ios_idiom": "pad"}


def redeem_body(
    code: str, *, nonce: str | None = None, device: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "authentication_code": code,
        "installation_nonce": nonce or new_nonce(),
        "device": device or phone(),
        "app": {"app_version": "1.0.0", "sdk_version": "0.1.0"},
        **extra,
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue_code(api: httpx.Client, key: str, external_id: str) -> str:
    response = api.post("/users/auth-code", json={"external_id": external_id}, headers=bearer(key))
    assert response.status_code == 200, response.text
    code: str = response.json()["authentication_code"]
    return code


def redeem(api: httpx.Client, code: str, **kwargs: Any) -> dict[str, Any]:
    response = api.post("/sdk/v1/users", json=redeem_body(code, **kwargs))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def status(api: httpx.Client, access_token: str) -> dict[str, Any]:
    response = api.get("/sdk/v1/status", headers=bearer(access_token))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def basic(app_id: object, secret: str) -> dict[str, str]:
    import base64

    token = base64.b64encode(f"{app_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def register_install(
    api: httpx.Client, app_id: object, secret: str, *, device: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = api.post(
        "/sdk/v1/installs",
        json={"installation_nonce": new_nonce(), "device": device or phone(), "app": {}},
        headers=basic(app_id, secret),
    )
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def link(api: httpx.Client, key: str, install_id: str, external_id: str) -> httpx.Response:
    return api.post(
        f"/v2/users/{install_id}/link", json={"external_id": external_id}, headers=bearer(key)
    )


def confirm(api: httpx.Client, access_token: str, *, established: bool = False) -> httpx.Response:
    return api.post(
        "/sdk/v1/link/confirm", json={"established": established}, headers=bearer(access_token)
    )


def upload(api: httpx.Client, access_token: str, payloads: list[dict[str, Any]]) -> httpx.Response:
    return api.post("/sdk/v1/payloads", json={"payloads": payloads}, headers=bearer(access_token))


def payload(
    client_id: str | None = None, *, at: str = "2026-11-21T10:00:00Z", **body: Any
) -> dict[str, Any]:
    import uuid

    return {"id": client_id or str(uuid.uuid4()), "type": "trip", "timestamp": at, "body": body}
