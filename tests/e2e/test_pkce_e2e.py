"""Codes bound to the device (PKCE) through the SDK against the real runtime: the device that
began the creation redeems its code; a device that got the code some other way cannot."""

from __future__ import annotations

import pytest

from userlink.apps.rules import PkcePolicy
from userlink_sdk import UserCreationError, UserCreationFailureReason, UserCreationOptions
from userlink_testing.factories.apps import update_app


def test_the_device_that_began_the_creation_redeems_its_bound_code(live, customer, make_device):
    phone = make_device("phone")
    challenge = phone.begin_user_creation()

    result = phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice", challenge), platform_url=live.url)
    )

    assert result.restored is False
    assert phone.user_exists()


def test_a_stolen_bound_code_fails_on_another_device_and_is_burned(live, customer, make_device):
    phone = make_device("phone")
    thief = make_device("thief")
    code = customer.auth_code("alice", phone.begin_user_creation())

    with pytest.raises(UserCreationError) as stolen:
        thief.create_user(UserCreationOptions(auth_code=code, platform_url=live.url))
    with pytest.raises(UserCreationError) as rightful:
        phone.create_user(UserCreationOptions(auth_code=code, platform_url=live.url))

    assert stolen.value.reason is UserCreationFailureReason.INVALID_AUTH_CODE
    assert "AUTH_CODE_VERIFIER_MISMATCH" in stolen.value.details
    assert rightful.value.reason is UserCreationFailureReason.AUTH_CODE_ALREADY_USED
    assert not thief.user_exists()


def test_a_thief_that_begins_its_own_creation_still_fails(live, customer, make_device):
    phone = make_device("phone")
    thief = make_device("thief")
    code = customer.auth_code("alice", phone.begin_user_creation())
    thief.begin_user_creation()

    with pytest.raises(UserCreationError) as stolen:
        thief.create_user(UserCreationOptions(auth_code=code, platform_url=live.url))

    assert "AUTH_CODE_VERIFIER_MISMATCH" in stolen.value.details


def test_a_new_creation_after_a_bound_one_sends_no_stale_verifier(live, customer, make_device):
    phone = make_device("phone")
    phone.create_user(
        UserCreationOptions(
            auth_code=customer.auth_code("alice", phone.begin_user_creation()),
            platform_url=live.url,
        )
    )
    phone.reset()

    again = phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )

    assert again.restored is True


def test_with_required_policy_the_sdk_flow_still_works(live, customer, make_device, runtime):
    update_app(runtime, customer.tenant.app_id, pkce_policy=PkcePolicy.REQUIRED)
    phone = make_device("phone")

    result = phone.create_user(
        UserCreationOptions(
            auth_code=customer.auth_code("alice", phone.begin_user_creation()),
            platform_url=live.url,
        )
    )

    assert result.restored is False
