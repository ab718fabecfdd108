"""The async clients under real concurrency on PostgreSQL: many `AsyncUserLink` devices and one
`AsyncPlatformClient` on one event loop, against the live platform."""

from __future__ import annotations

import asyncio

import pytest

from userlink_backend import AsyncPlatformClient
from userlink_sdk import (
    AsyncUserLink,
    UserCreationError,
    UserCreationFailureReason,
    UserCreationOptions,
    UserCreationResult,
)

from .conftest import PHONE

pytestmark = pytest.mark.postgres_only
DEVICES = 8


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("real concurrent clients are tested on PostgreSQL; SQLite has one writer")


async def redeem(sdk: AsyncUserLink, code: str, url: str) -> object:
    try:
        return await sdk.create_user(UserCreationOptions(auth_code=code, platform_url=url))
    except UserCreationError as error:
        return error


def test_one_code_redeemed_by_many_async_devices_at_once_creates_one_user(live, tenant, tmp_path):
    async def race() -> list[object]:
        async with AsyncPlatformClient(live.url, tenant.link_key) as platform:
            code = (await platform.issue_auth_code("alice")).code
        devices = [AsyncUserLink(tmp_path / f"d{n}", device=PHONE) for n in range(DEVICES)]
        try:
            return await asyncio.gather(*(redeem(d, code, live.url) for d in devices))
        finally:
            await asyncio.gather(*(d.aclose() for d in devices))

    outcomes = asyncio.run(race())

    created = [o for o in outcomes if isinstance(o, UserCreationResult)]
    refused = [o.reason for o in outcomes if isinstance(o, UserCreationError)]
    assert len(created) == 1
    assert refused == [UserCreationFailureReason.AUTH_CODE_ALREADY_USED] * (DEVICES - 1)


def test_many_users_made_at_once_through_both_async_clients_are_each_their_own(
    live, tenant, tmp_path
):
    names = [f"user-{n}" for n in range(DEVICES)]

    async def flow() -> tuple[list[str], list[str | None]]:
        async with (
            AsyncPlatformClient(live.url, tenant.link_key) as linker,
            AsyncPlatformClient(live.url, tenant.read_key) as reader,
        ):
            codes = await asyncio.gather(*(linker.issue_auth_code(n) for n in names))
            devices = [AsyncUserLink(tmp_path / n, device=PHONE) for n in names]
            try:
                results = await asyncio.gather(
                    *(redeem(d, c.code, live.url) for d, c in zip(devices, codes, strict=True))
                )
            finally:
                await asyncio.gather(*(d.aclose() for d in devices))
            user_ids = [r.user_info.user_id for r in results if isinstance(r, UserCreationResult)]
            users = await asyncio.gather(*(reader.get_user(u) for u in user_ids))
            return user_ids, [u.external_id for u in users]

    user_ids, external_ids = asyncio.run(flow())

    assert len(set(user_ids)) == DEVICES
    assert external_ids == names
