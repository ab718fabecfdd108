"""`AsyncUserLink` on its own event loop (the other SDK tests run it through a blocking face):
concurrent calls, coroutine linkers, and the device state shared with `UserLink`."""

import asyncio

import httpx
import pytest

from userlink_sdk import (
    NO_OP_LINKER,
    AsyncUserLink,
    InitError,
    InitIssue,
    LegacyConfig,
    UserCreationError,
    UserCreationFailureReason,
    UserCreationOptions,
    UserLink,
)

from .conftest import PLATFORM_URL


def make_async(state_dir, network, clock, sleeps, handler=None, **kwargs):
    async def sleep(seconds):
        sleeps.append(seconds)

    return AsyncUserLink(
        state_dir,
        platform_url=PLATFORM_URL,
        transport=httpx.MockTransport(handler or network.handle),
        clock=clock,
        sleep=sleep,
        **kwargs,
    )


def make_sync(state_dir, network, clock, sleeps):
    return UserLink(
        state_dir,
        platform_url=PLATFORM_URL,
        transport=httpx.MockTransport(network.handle),
        clock=clock,
        sleep=sleeps.append,
    )


def test_a_state_written_by_userlink_is_read_by_asyncuserlink(
    state_dir, network, platform, clock, sleeps
):
    with make_sync(state_dir, network, clock, sleeps) as sdk:
        created = sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))
        payload_id = sdk.submit_payload("trip", {"km": 1})

    async def later():
        async with make_async(state_dir, network, clock, sleeps) as sdk:
            clock.advance(hours=2)  # the token must be refreshed with the stored refresh token
            token = await sdk.request_user_access_token()
            report = await sdk.upload_payloads()
            return sdk.user_id, sdk.is_user_linked(), token, report

    user_id, linked, token, report = asyncio.run(later())

    assert (user_id, linked) == (created.user_info.user_id, True)
    assert not token.is_expired(clock())
    assert (report.processed, platform.timeline[user_id]) == (1, [payload_id])


def test_a_state_written_by_asyncuserlink_is_read_by_userlink(
    state_dir, network, platform, clock, sleeps
):
    async def first():
        async with make_async(state_dir, network, clock, sleeps) as sdk:
            created = await sdk.create_user(
                UserCreationOptions(auth_code=platform.issue_code("alice"))
            )
            sdk.submit_payload("trip", {"km": 2})
            return created

    created = asyncio.run(first())

    with make_sync(state_dir, network, clock, sleeps) as sdk:
        clock.advance(hours=2)
        status = sdk.sdk_status()
        report = sdk.upload_payloads()
        reset = sdk.reset()

    assert (status.user_id, status.is_remote_enabled) == (created.user_info.user_id, True)
    assert (report.processed, reset.deregistered_on_server) == (1, True)


def test_two_concurrent_create_user_tasks_one_fails_in_progress(
    state_dir, network, platform, clock, sleeps
):
    release = asyncio.Event()

    async def held(request):
        await release.wait()
        return network.handle(request)

    async def race():
        async with make_async(state_dir, network, clock, sleeps, handler=held) as sdk:
            first = asyncio.create_task(
                sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("alice")))
            )
            await asyncio.sleep(0)  # the first task takes the creation lock, then waits
            with pytest.raises(UserCreationError) as caught:
                await sdk.create_user(UserCreationOptions(auth_code=platform.issue_code("bob")))
            release.set()
            return (await first), caught.value

    result, error = asyncio.run(race())

    assert error.reason is UserCreationFailureReason.USER_CREATION_IN_PROGRESS
    assert result.user_info.user_id in platform.users


def test_a_coroutine_linker_is_awaited(state_dir, network, platform, clock, sleeps):
    seen = []

    async def linker(install_id):
        await asyncio.sleep(0)
        seen.append(install_id)
        platform.link_install(install_id, "alice")
        return True

    async def run():
        async with make_async(state_dir, network, clock, sleeps) as sdk:
            await sdk.initialize(
                LegacyConfig(app_id=platform.app_id, secret=platform.app_secret, linker=linker)
            )
            return sdk.is_user_linked()

    assert asyncio.run(run()) is True
    assert seen == list(platform.installs)


def test_a_coroutine_linker_that_does_not_answer_in_time_fails_link_failed(
    state_dir, network, platform, clock, sleeps
):
    async def linker(install_id):
        await asyncio.Event().wait()  # never answers
        return True

    async def run():
        async with make_async(state_dir, network, clock, sleeps) as sdk:
            await sdk.initialize(
                LegacyConfig(
                    app_id=platform.app_id,
                    secret=platform.app_secret,
                    linker=linker,
                    linker_timeout=0.05,
                )
            )

    with pytest.raises(InitError) as caught:
        asyncio.run(run())

    assert caught.value.issue is InitIssue.LINK_FAILED
    assert "did not answer" in caught.value.details


def test_a_coroutine_linker_that_raises_fails_link_failed(
    state_dir, network, platform, clock, sleeps
):
    async def linker(install_id):
        raise RuntimeError("backend down")

    async def run():
        async with make_async(state_dir, network, clock, sleeps) as sdk:
            await sdk.initialize(
                LegacyConfig(app_id=platform.app_id, secret=platform.app_secret, linker=linker)
            )

    with pytest.raises(InitError) as caught:
        asyncio.run(run())

    assert (caught.value.issue, "backend down" in caught.value.details) == (
        InitIssue.LINK_FAILED,
        True,
    )


def test_async_no_op_linker_creates_an_unlinked_user(state_dir, network, platform, clock, sleeps):
    async def run():
        async with make_async(state_dir, network, clock, sleeps) as sdk:
            await sdk.initialize(
                LegacyConfig(
                    app_id=platform.app_id, secret=platform.app_secret, linker=NO_OP_LINKER
                )
            )
            return sdk.user_exists(), sdk.is_user_linked()

    assert asyncio.run(run()) == (True, False)


def test_async_transport_options_are_checked_like_the_sync_ones(state_dir, network):
    with pytest.raises(ValueError, match="pinned_public_key_sha256"):
        AsyncUserLink(
            state_dir,
            transport=httpx.MockTransport(network.handle),
            pinned_public_key_sha256="A" * 43 + "=",
        )
