"""Invariants the database enforces under real concurrency (DESIGN §2.1, §5): many clients on
their own connections, released together, against one server and one PostgreSQL.

SQLite serialises every write transaction, so these only mean something on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from userlink.models import installs, users
from userlink_testing.factories.devices import issue_code, new_nonce, redeem_body
from userlink_testing.factories.records import count_rows, rows

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip(
            "these invariants are tested with real concurrent clients on PostgreSQL; "
            "SQLite takes one writer at a time"
        )


def all_at_once(
    base_url: str, bodies: list[dict[str, Any]], path: str = "/sdk/v1/users"
) -> list[httpx.Response]:
    """POST each body from its own thread and its own client, all released by one barrier."""
    barrier = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            barrier.wait(timeout=30)
            return client.post(path, json=body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str | None]]:
    return Counter((r.status_code, r.json().get("errorCode")) for r in responses)


def test_fifty_devices_redeeming_one_code_at_once_get_exactly_one_user(api, tenant, live, runtime):
    code = issue_code(api, tenant.link_key, "alice")

    responses = all_at_once(live.url, [redeem_body(code, nonce=new_nonce()) for _ in range(50)])

    assert outcomes(responses) == {(200, None): 1, (409, "AUTH_CODE_ALREADY_USED"): 49}
    assert count_rows(runtime, users) == 1
    assert count_rows(runtime, installs) == 1


def test_twenty_codes_for_one_new_external_id_redeemed_at_once_make_one_user(
    api, tenant, live, runtime
):
    codes = [issue_code(api, tenant.link_key, "alice") for _ in range(20)]

    responses = all_at_once(live.url, [redeem_body(code) for code in codes])

    assert outcomes(responses) == {(200, None): 20}
    [user] = rows(runtime, users, external_id="alice")
    user_installs = rows(runtime, installs, user_id=user["id"])
    assert len(user_installs) == 20
    assert sum(install["is_active"] for install in user_installs) == 1
    assert {r.json()["user_id"] for r in responses} == {str(user["id"])}
    assert sorted(r.json()["restored"] for r in responses) == [False] + [True] * 19


def test_twenty_codes_for_one_new_external_id_leave_the_newest_install_active(
    api, tenant, live, runtime
):
    codes = [issue_code(api, tenant.link_key, "alice") for _ in range(20)]

    all_at_once(live.url, [redeem_body(code) for code in codes])

    newest_first = sorted(rows(runtime, installs), key=lambda i: i["created_at"], reverse=True)
    assert [i["is_active"] for i in newest_first] == [True] + [False] * 19


def test_one_device_retrying_a_redemption_twenty_times_at_once_gets_one_install(
    api, tenant, live, runtime
):
    code = issue_code(api, tenant.link_key, "alice")
    nonce = new_nonce()

    responses = all_at_once(live.url, [redeem_body(code, nonce=nonce) for _ in range(20)])

    assert outcomes(responses) == {(200, None): 20}
    assert len({(r.json()["user_id"], r.json()["install_id"]) for r in responses}) == 1
    assert count_rows(runtime, users) == 1
    assert count_rows(runtime, installs) == 1
