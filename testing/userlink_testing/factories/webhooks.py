from __future__ import annotations

from typing import Any

import httpx

from userlink.runtime import Runtime
from userlink.webhooks.worker import Worker
from userlink_testing.factories.devices import bearer


def create_endpoint(api: httpx.Client, key: str, url: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/v2/webhooks", json={"url": url, **fields}, headers=bearer(key))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def messages(api: httpx.Client, key: str, endpoint_id: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"/v2/webhooks/{endpoint_id}/messages", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["messages"]
    return found


def worker(runtime: Runtime, *, rand: float = 0.5) -> Worker:
    """A delivery worker on this server's database and clock (jitter fixed by `rand`)."""
    return Worker(
        unit_of_work=runtime.unit_of_work,
        settings=runtime.settings,
        clock=runtime.clock,
        rand=lambda: rand,
    )
