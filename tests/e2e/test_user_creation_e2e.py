"""User creation with an authentication code (DESIGN §2.1), through the SDK against the real
runtime: the customer backend fetches codes over HTTP with its link key; devices redeem them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from userlink_sdk import (
    DeviceInfo,
    SdkStatusError,
    SdkStatusFailureReason,
    UserAccessTokenError,
    UserCreationError,
    UserCreationFailureReason,
    UserCreationOptions,
)

from .conftest import IPAD, NEW_PHONE, PHONE, TABLET, LoseAnswers


def test_a_new_code_creates_an_active_linked_user_on_the_device(live, customer, make_device):
    phone = make_device("phone")

    result = phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )

    assert result.restored is False
    assert (phone.user_exists(), phone.is_user_linked()) == (True, True)
    assert phone.user_id == result.user_info.user_id
    status = phone.sdk_status()
    assert (status.is_remote_enabled, status.inactive_reason) == (True, None)
    record = customer.user(phone.user_id)
    assert record["external_id"] == "alice"
    assert [(i["id"], i["is_active"]) for i in record["installs"]] == [(status.install_id, True)]


def test_a_device_reporting_odd_text_still_creates_its_user(live, customer, make_device):
    # The runtime accepts at most 128 printable characters per device or app field.
    odd = DeviceInfo(platform="android", os_version="14\n", model="Pixel\x00 8 " + "Pro " * 40)
    phone = make_device("phone", odd, app_version="\t2.0.0")

    result = phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )

    (install,) = customer.user(result.user_info.user_id)["installs"]
    assert install["model"] == ("Pixel 8 " + "Pro " * 40)[:128]
    assert install["device_class"] == "phone"


def test_an_os_and_app_version_of_up_to_128_characters_create_the_user(live, customer, make_device):
    device = DeviceInfo(platform="android", os_version="14 " + "o" * 90)
    phone = make_device("phone", device, app_version="2.0.0+" + "b" * 90)

    result = phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )

    assert result.user_info.user_id


def test_reinstall_in_the_same_directory_restores_the_user_as_the_active_install(
    live, customer, make_device
):
    phone = make_device("phone")
    first = phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    first_install = phone.sdk_status().install_id
    assert phone.reset().deregistered_on_server is True

    again = phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )

    assert again.restored is True
    assert again.user_info.user_id == first.user_info.user_id
    status = phone.sdk_status()
    assert status.is_remote_enabled is True
    assert status.install_id != first_install
    installs = {i["id"]: i for i in customer.user(phone.user_id)["installs"]}
    assert (installs[first_install]["status"], installs[first_install]["is_active"]) == (
        "reset",
        False,
    )
    assert installs[status.install_id]["is_active"] is True


def test_a_new_phone_restores_the_user_and_the_old_phone_learns_it_is_inactive(
    live, customer, make_device
):
    old_phone = make_device("old-phone", PHONE)
    created = old_phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    new_phone = make_device("new-phone", NEW_PHONE)

    restored = new_phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )

    assert restored.restored is True
    assert restored.user_info.user_id == created.user_info.user_id
    assert new_phone.sdk_status().is_remote_enabled is True
    old_status = old_phone.sdk_status()
    assert (old_status.is_remote_enabled, old_status.inactive_reason) == (
        False,
        "NEWER_INSTALL_ACTIVE",
    )
    assert old_phone.configuration.is_remote_enabled is False


@pytest.mark.parametrize("tablet", [TABLET, IPAD], ids=["android-11in", "ipad"])
def test_a_tablet_added_while_a_phone_is_active_stays_inactive(live, customer, make_device, tablet):
    phone = make_device("phone", PHONE)
    phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    tablet_sdk = make_device("tablet", tablet)

    result = tablet_sdk.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )

    assert result.user_info.user_id == phone.user_id
    status = tablet_sdk.sdk_status()
    assert (status.is_remote_enabled, status.inactive_reason) == (
        False,
        "PHONE_PREFERRED_OVER_TABLET",
    )
    assert phone.sdk_status().is_remote_enabled is True


def test_resetting_the_active_phone_hands_the_role_to_the_tablet(live, customer, make_device):
    phone = make_device("phone", PHONE)
    phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    tablet = make_device("tablet", TABLET)
    tablet.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )

    phone.reset()

    status = tablet.sdk_status()
    assert (status.is_remote_enabled, status.inactive_reason) == (True, None)


def test_an_expired_access_token_is_refreshed_against_the_platform(live, customer, make_device):
    phone = make_device("phone")
    created = phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    live.clock.advance(seconds=3700)
    assert created.user_info.token.is_expired(live.clock.now())

    token = phone.request_user_access_token()

    assert token.token_id != created.user_info.token.token_id
    assert token.expiry_date > live.clock.now() + timedelta(minutes=50)
    response = customer.api.get(
        "/sdk/v1/status", headers={"Authorization": f"Bearer {token.token_id}"}
    )
    assert response.status_code == 200, response.text
    assert phone.sdk_status().is_remote_enabled is True


def test_a_lost_refresh_answer_does_not_lock_the_device_out(live, customer, make_device):
    network = LoseAnswers("/sdk/v1/token")
    phone = make_device("phone", transport=network)
    phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    live.clock.advance(seconds=3700)
    with pytest.raises(UserAccessTokenError):
        phone.request_user_access_token()  # the runtime rotated the token; the answer is lost

    token = phone.request_user_access_token()

    assert token.expiry_date > live.clock.now()


def test_a_device_clock_behind_the_platform_recovers_from_an_expired_access_token(
    live, customer, make_device
):
    # The device's clock (real time) is an hour behind the platform's: it believes its token
    # valid, the runtime answers ACCESS_TOKEN_EXPIRED, and the SDK refreshes and asks again.
    phone = make_device("phone", clock=None)
    created = phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    live.clock.advance(seconds=3700)

    status = phone.sdk_status()

    assert status.is_remote_enabled is True
    assert phone.request_user_access_token().token_id != created.user_info.token.token_id


def test_creating_a_second_user_on_a_device_fails_with_user_already_exists(
    live, customer, make_device
):
    phone = make_device("phone")
    phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    bob_code = customer.auth_code("bob")

    with pytest.raises(UserCreationError) as failure:
        phone.create_user(UserCreationOptions(auth_code=bob_code, platform_url=live.url))

    assert failure.value.reason is UserCreationFailureReason.USER_ALREADY_EXISTS
    assert customer.user_by_external_id("bob").status_code == 404
    # The code was not spent: another device can still redeem it.
    other = make_device("other")
    assert other.create_user(UserCreationOptions(auth_code=bob_code, platform_url=live.url))


def test_an_expired_code_fails_with_expired_auth_code(live, customer, make_device):
    code = customer.auth_code("alice")
    live.clock.advance(seconds=601)
    phone = make_device("phone")

    with pytest.raises(UserCreationError) as failure:
        phone.create_user(UserCreationOptions(auth_code=code, platform_url=live.url))

    assert failure.value.reason is UserCreationFailureReason.EXPIRED_AUTH_CODE
    assert failure.value.error_code == "AUTH_CODE_EXPIRED"
    assert phone.user_exists() is False


def test_a_used_code_fails_on_another_device_with_auth_code_already_used(
    live, customer, make_device
):
    code = customer.auth_code("alice")
    make_device("phone").create_user(UserCreationOptions(auth_code=code, platform_url=live.url))
    thief = make_device("thief")

    with pytest.raises(UserCreationError) as failure:
        thief.create_user(UserCreationOptions(auth_code=code, platform_url=live.url))

    assert failure.value.reason is UserCreationFailureReason.AUTH_CODE_ALREADY_USED
    assert failure.value.error_code == "AUTH_CODE_ALREADY_USED"
    assert thief.user_exists() is False


def test_an_unknown_code_fails_with_invalid_auth_code(live, make_device):
    phone = make_device("phone")

    with pytest.raises(UserCreationError) as failure:
        phone.create_user(
            UserCreationOptions(auth_code="not-a-code-the-runtime-issued", platform_url=live.url)
        )

    assert failure.value.reason is UserCreationFailureReason.INVALID_AUTH_CODE
    assert failure.value.error_code == "AUTH_CODE_INVALID"


def test_a_code_of_another_app_fails_with_invalid_auth_code(live, customer, make_device):
    phone = make_device("phone")
    other_app = "00000000-0000-4000-8000-000000000000"

    with pytest.raises(UserCreationError) as failure:
        phone.create_user(
            UserCreationOptions(
                auth_code=customer.auth_code("alice"), platform_url=live.url, app_id=other_app
            )
        )

    assert failure.value.reason is UserCreationFailureReason.INVALID_AUTH_CODE
    assert failure.value.error_code == "AUTH_CODE_APP_MISMATCH"


def test_a_code_checked_against_its_own_app_id_creates_the_user(
    live, customer, tenant, make_device
):
    phone = make_device("phone")

    result = phone.create_user(
        UserCreationOptions(
            auth_code=customer.auth_code("alice"),
            platform_url=live.url,
            app_id=str(tenant.app_id),
        )
    )

    assert customer.user(result.user_info.user_id)["external_id"] == "alice"


def test_a_lost_redemption_answer_is_retried_with_the_same_nonce_and_makes_one_install(
    live, customer, make_device, sleeps
):
    network = LoseAnswers("/sdk/v1/users")
    phone = make_device("phone", transport=network)

    result = phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )

    redemptions = network.requests_to("/sdk/v1/users")
    assert len(redemptions) == 2
    assert redemptions[0].content == redemptions[1].content  # same code, same nonce
    assert sleeps == [0.5]
    record = customer.user(result.user_info.user_id)
    assert record["external_id"] == "alice"
    assert [i["id"] for i in record["installs"]] == [phone.sdk_status().install_id]
    assert record["installs"][0]["is_active"] is True


def test_after_every_answer_was_lost_the_same_code_still_creates_the_user_once(
    live, customer, make_device
):
    network = LoseAnswers("/sdk/v1/users", count=4)
    phone = make_device("phone", transport=network)
    code = customer.auth_code("alice")
    with pytest.raises(UserCreationError) as failure:
        phone.create_user(UserCreationOptions(auth_code=code, platform_url=live.url))
    assert failure.value.reason is UserCreationFailureReason.NETWORK_ERROR
    live.clock.advance(seconds=30)

    result = phone.create_user(UserCreationOptions(auth_code=code, platform_url=live.url))

    assert len(network.requests_to("/sdk/v1/users")) == 5
    record = customer.user(result.user_info.user_id)
    assert [i["id"] for i in record["installs"]] == [phone.sdk_status().install_id]


def test_an_install_whose_redemption_answers_were_all_lost_never_takes_the_active_role(
    live, customer, make_device
):
    old_phone = make_device("old-phone", PHONE)
    old_phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    new_phone = make_device("new-phone", NEW_PHONE, transport=LoseAnswers("/sdk/v1/users", count=4))
    with pytest.raises(UserCreationError):
        new_phone.create_user(
            UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
        )
    live.clock.advance(seconds=61)  # past the retry window: the app fetches a new code
    new_phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )

    new_phone.reset()  # alice goes back to her old phone

    assert old_phone.sdk_status().is_remote_enabled is True


def test_the_credentials_of_a_lost_redemption_answer_are_revoked_by_the_retry(
    live, customer, make_device
):
    network = LoseAnswers("/sdk/v1/users")
    phone = make_device("phone", transport=network)
    phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    lost_token = network.lost_answers[0]["credentials"]["access_token"]

    response = customer.api.get("/sdk/v1/status", headers={"Authorization": f"Bearer {lost_token}"})

    assert response.status_code == 401
    assert response.json()["errorCode"] == "ACCESS_TOKEN_INVALID"
    assert phone.sdk_status().is_remote_enabled is True


def test_reset_deregisters_the_install_and_its_old_token_stops_working(live, customer, make_device):
    phone = make_device("phone")
    phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    old_token = phone.request_user_access_token().token_id

    result = phone.reset()

    assert result.deregistered_on_server is True
    assert phone.user_exists() is False
    response = customer.api.get("/sdk/v1/status", headers={"Authorization": f"Bearer {old_token}"})
    assert response.status_code == 401
    assert response.json()["errorCode"] == "INSTALL_DEREGISTERED"


def test_a_deleted_user_shows_on_the_device_as_disabled_remotely(
    live, customer, tenant, make_device
):
    phone = make_device("phone")
    created = phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    erased = customer.api.delete(
        f"/users/{created.user_info.user_id}",
        headers={"Authorization": f"Bearer {tenant.delete_key}"},
    )
    assert erased.status_code == 204

    with pytest.raises(SdkStatusError) as failure:
        phone.sdk_status()

    assert failure.value.reason is SdkStatusFailureReason.USER_DISABLED_REMOTELY
