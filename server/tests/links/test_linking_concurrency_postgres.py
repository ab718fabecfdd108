"""Linking and ingest invariants under real concurrent clients (PostgreSQL: many processes can
share it, so the database, not process memory, must hold the invariants)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    link,
    payload,
    phone,
    redeem,
    register_install,
    upload,
)


@pytest.fixture
def postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("concurrency invariants are tested with real concurrent clients on PostgreSQL")


def test_installs_linked_to_one_new_external_id_at_once_share_one_user(
    postgres_only, live, api, tenant
):
    installs = [register_install(api, tenant.app_id, tenant.app_secret) for _ in range(10)]
    barrier = threading.Barrier(len(installs))

    def link_one(install):
        with httpx.Client(base_url=live.url, timeout=60) as client:
            barrier.wait()
            return link(client, tenant.link_key, install["install_id"], "shared-new-id")

    with ThreadPoolExecutor(len(installs)) as pool:
        responses = list(pool.map(link_one, installs))

    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["id"] for r in responses}) == 1
    record = api.get(
        "/v2/users", params={"external_id": "shared-new-id"}, headers=bearer(tenant.read_key)
    )
    assert len(record.json()["installs"]) == 10
    assert sum(i["is_active"] for i in record.json()["installs"]) == 1


def test_uploads_racing_a_handover_are_each_stored_once_processed_or_kept_apart(
    postgres_only, live, api, tenant
):
    old_phone = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("old"))
    token = old_phone["credentials"]["access_token"]
    statuses: dict[str, str] = {}
    start = threading.Barrier(2)

    def upload_batches():
        with httpx.Client(base_url=live.url, timeout=60) as client:
            start.wait()
            for batch in range(30):
                sent = [
                    payload(f"b{batch}-{n}", at=f"2026-01-01T00:{batch:02d}:{n:02d}Z")
                    for n in range(10)
                ]
                response = upload(client, token, sent)
                assert response.status_code == 200, response.text
                statuses.update({r["id"]: r["status"] for r in response.json()["results"]})

    def hand_over():
        with httpx.Client(base_url=live.url, timeout=60) as client:
            start.wait()
            return redeem(client, issue_code(client, tenant.link_key, "alice"), device=phone("new"))

    with ThreadPoolExecutor(2) as pool:
        uploading = pool.submit(upload_batches)
        new_phone = pool.submit(hand_over).result()
        uploading.result()

    assert len(statuses) == 300
    assert set(statuses.values()) <= {"processed", "not_processed"}
    timeline = api.get(
        f"/v2/users/{new_phone['user_id']}/timeline",
        params={"limit": 1000},
        headers=bearer(tenant.read_key),
    ).json()["items"]
    in_timeline = [item["id"] for item in timeline]
    assert sorted(in_timeline) == sorted(i for i, s in statuses.items() if s == "processed")
    assert len(in_timeline) == len(set(in_timeline))
