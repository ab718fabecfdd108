"""Legacy linking with install ids (DESIGN §2.2), through the SDK against the real runtime: the
app's linker asks a small customer backend over HTTP, which links the install server-to-server
with its link key (`POST /v2/users/{install_id}/link`)."""

from __future__ import annotations

import threading

import pytest

from userlink_sdk import (
    NO_OP_LINKER,
    InitError,
    InitIssue,
    LegacyConfig,
    LinkerCallback,
    UserCreationOptions,
    UserLinkerAsync,
    UserLinkingError,
    UserLinkingFailureReason,
)
from userlink_testing.factories.apps import make_app

from .conftest import NEW_PHONE, PHONE, TABLET, LoseAnswers, backend_linker


def legacy(live, tenant, linker, *, secret=None):
    return LegacyConfig(
        app_id=str(tenant.app_id),
        secret=secret or tenant.app_secret,
        linker=linker,
        platform_url=live.url,
        linker_timeout=30,
    )


def test_a_plain_linker_links_the_install_through_the_customer_backend(
    live, tenant, customer, linking_backend, make_device
):
    phone = make_device("phone")

    phone.initialize(legacy(live, tenant, backend_linker(linking_backend, "alice")))

    assert (phone.user_exists(), phone.is_user_linked()) == (True, True)
    status = phone.sdk_status()
    assert [c["install_id"] for c in linking_backend.calls] == [status.install_id]
    assert (status.is_linked, status.is_remote_enabled) == (True, True)
    record = customer.user(phone.user_id)
    assert record["external_id"] == "alice"
    assert [i["id"] for i in record["installs"]] == [status.install_id]


def test_a_callback_linker_answering_from_another_thread_links_the_install(
    live, tenant, customer, linking_backend, make_device
):
    ask_backend = backend_linker(linking_backend, "alice")

    def link_async(install_id: str, callback: LinkerCallback) -> None:
        def work() -> None:
            if ask_backend(install_id):
                callback.link_success()
            else:
                callback.link_failed()

        threading.Thread(target=work).start()

    phone = make_device("phone")

    phone.initialize(legacy(live, tenant, UserLinkerAsync(link_async)))

    assert phone.is_user_linked()
    assert customer.user(phone.user_id)["external_id"] == "alice"


def test_a_failed_link_fails_init_and_the_next_init_links_the_same_install(
    live, tenant, customer, linking_backend, make_device
):
    linking_backend.fail_next = 1
    phone = make_device("phone")
    config = legacy(live, tenant, backend_linker(linking_backend, "alice"))
    with pytest.raises(InitError) as failure:
        phone.initialize(config)
    assert failure.value.issue is InitIssue.LINK_FAILED
    assert (phone.user_exists(), phone.is_user_linked()) == (False, False)

    phone.initialize(config)

    assert phone.is_user_linked()
    first_call, second_call = linking_backend.calls
    assert first_call["install_id"] == second_call["install_id"]
    record = customer.user(phone.user_id)
    assert [i["id"] for i in record["installs"]] == [first_call["install_id"]]


def test_a_link_retried_after_the_access_token_expired_links_the_same_install(
    live, tenant, customer, linking_backend, make_device
):
    linking_backend.fail_next = 1
    phone = make_device("phone")
    config = legacy(live, tenant, backend_linker(linking_backend, "alice"))
    with pytest.raises(InitError):
        phone.initialize(config)
    live.clock.advance(hours=2)

    phone.initialize(config)

    assert phone.is_user_linked()
    assert phone.sdk_status().install_id == linking_backend.calls[0]["install_id"]


def test_a_lost_link_confirmation_is_repeated_by_the_next_initialize(
    live, tenant, customer, linking_backend, make_device
):
    first = make_device("first-phone", PHONE)
    first.initialize(legacy(live, tenant, backend_linker(linking_backend, "alice")))
    network = LoseAnswers("/sdk/v1/link/confirm")
    second = make_device("second-phone", NEW_PHONE, transport=network)
    config = legacy(live, tenant, backend_linker(linking_backend, "alice"))
    with pytest.raises(InitError) as failure:
        second.initialize(config)
    assert failure.value.issue is InitIssue.SERVICE_UNREACHABLE

    second.initialize(config)

    assert (second.user_id, second.is_user_linked()) == (first.user_id, True)
    assert len({call["install_id"] for call in linking_backend.calls[1:]}) == 1
    assert second.sdk_status().is_remote_enabled is True


def test_a_restarted_app_with_a_linked_device_initializes_without_the_linker(
    live, tenant, linking_backend, make_device
):
    make_device("phone").initialize(legacy(live, tenant, backend_linker(linking_backend, "alice")))
    restarted = make_device("phone")

    restarted.initialize(legacy(live, tenant, backend_linker(linking_backend, "alice")))

    assert restarted.is_user_linked()
    assert len(linking_backend.calls) == 1
    assert restarted.sdk_status().is_remote_enabled is True


def test_a_wrong_secret_fails_init_with_invalid_credentials(
    live, tenant, linking_backend, make_device
):
    phone = make_device("phone")

    with pytest.raises(InitError) as failure:
        phone.initialize(
            legacy(live, tenant, backend_linker(linking_backend, "alice"), secret="uls_wrong")
        )

    assert failure.value.issue is InitIssue.INVALID_CREDENTIALS
    assert failure.value.error_code == "INVALID_APP_CREDENTIALS"
    assert linking_backend.calls == []
    assert phone.user_exists() is False


def test_other_app_credentials_on_an_initialized_device_fail_with_changed_credentials(
    live, tenant, runtime, linking_backend, make_device
):
    phone = make_device("phone")
    phone.initialize(legacy(live, tenant, backend_linker(linking_backend, "alice")))
    other = make_app(runtime, name="Another app")

    with pytest.raises(InitError) as failure:
        phone.initialize(
            LegacyConfig(
                app_id=str(other.app.id),
                secret=other.secret,
                linker=backend_linker(linking_backend, "alice"),
                platform_url=live.url,
            )
        )

    assert failure.value.issue is InitIssue.CHANGED_CREDENTIALS
    assert len(linking_backend.calls) == 1
    assert phone.is_user_linked()


def test_no_op_linker_then_link_user_with_a_code_links_a_new_external_id(
    live, tenant, customer, make_device
):
    phone = make_device("phone")
    phone.initialize(legacy(live, tenant, NO_OP_LINKER))
    assert (phone.user_exists(), phone.is_user_linked()) == (True, False)
    unlinked_user = phone.user_id

    result = phone.link_user(auth_code=customer.auth_code("carol"))

    assert result.user_info.user_id == unlinked_user
    assert phone.is_user_linked()
    assert phone.sdk_status().is_linked is True
    found = customer.user_by_external_id("carol")
    assert found.status_code == 200
    assert found.json()["id"] == unlinked_user


def test_no_op_linker_then_link_user_with_a_linker_links_a_new_external_id(
    live, tenant, customer, linking_backend, make_device
):
    phone = make_device("phone")
    phone.initialize(legacy(live, tenant, NO_OP_LINKER))

    result = phone.link_user(linker=backend_linker(linking_backend, "dave"))

    assert phone.is_user_linked()
    assert customer.user(result.user_info.user_id)["external_id"] == "dave"


def test_no_op_linker_then_initialize_with_a_real_linker_links_the_user(
    live, tenant, customer, linking_backend, make_device
):
    phone = make_device("phone")
    phone.initialize(legacy(live, tenant, NO_OP_LINKER))
    unlinked_user = phone.user_id

    phone.initialize(legacy(live, tenant, backend_linker(linking_backend, "erin")))

    assert (phone.user_id, phone.is_user_linked()) == (unlinked_user, True)
    assert customer.user(unlinked_user)["external_id"] == "erin"


def test_link_user_with_a_linker_for_a_known_external_id_fails_as_app_side_linking_failed(
    live, tenant, customer, linking_backend, make_device
):
    # The runtime refuses the backend's link (403 CANNOT_LINK_EXISTING_PERSON_TO_OTHER_PERSON):
    # an established user cannot join another one.
    make_device("alice-phone").create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    tablet = make_device("tablet", TABLET)
    tablet.initialize(legacy(live, tenant, NO_OP_LINKER))

    with pytest.raises(UserLinkingError) as failure:
        tablet.link_user(linker=backend_linker(linking_backend, "alice"))

    assert failure.value.reason is UserLinkingFailureReason.APP_SIDE_LINKING_FAILED
    assert tablet.is_user_linked() is False


def test_link_user_with_a_code_for_a_known_external_id_fails_with_external_id_already_linked(
    live, tenant, customer, make_device
):
    make_device("alice-phone").create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    tablet = make_device("tablet", TABLET)
    tablet.initialize(legacy(live, tenant, NO_OP_LINKER))

    with pytest.raises(UserLinkingError) as failure:
        tablet.link_user(auth_code=customer.auth_code("alice"))

    assert failure.value.reason is UserLinkingFailureReason.EXTERNAL_ID_ALREADY_LINKED
    assert failure.value.error_code == "EXTERNAL_ID_ALREADY_LINKED"
    assert tablet.is_user_linked() is False
    assert tablet.sdk_status().is_linked is False


def test_after_external_id_already_linked_reset_and_a_new_code_restore_that_user(
    live, tenant, customer, make_device
):
    alice_user = (
        make_device("alice-phone")
        .create_user(
            UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
        )
        .user_info.user_id
    )
    tablet = make_device("tablet", TABLET)
    tablet.initialize(legacy(live, tenant, NO_OP_LINKER))
    with pytest.raises(UserLinkingError):
        tablet.link_user(auth_code=customer.auth_code("alice"))
    tablet.reset()

    result = tablet.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )

    assert (result.restored, result.user_info.user_id) == (True, alice_user)


def test_a_second_phone_linked_to_the_same_external_id_joins_the_user_and_becomes_active(
    live, tenant, customer, linking_backend, make_device
):
    first = make_device("first-phone", PHONE)
    first.initialize(legacy(live, tenant, backend_linker(linking_backend, "alice")))
    second = make_device("second-phone", NEW_PHONE)

    second.initialize(legacy(live, tenant, backend_linker(linking_backend, "alice")))

    assert second.user_id == first.user_id
    assert second.is_user_linked()
    assert second.sdk_status().is_remote_enabled is True
    first_status = first.sdk_status()
    assert (first_status.is_remote_enabled, first_status.inactive_reason) == (
        False,
        "NEWER_INSTALL_ACTIVE",
    )
    installs = customer.user(first.user_id)["installs"]
    assert sorted(i["model"] for i in installs) == ["Pixel 8", "Pixel 9"]


def test_a_legacy_tablet_joining_the_user_of_an_auth_code_phone_stays_inactive(
    live, tenant, customer, linking_backend, make_device
):
    phone = make_device("phone", PHONE)
    phone.create_user(
        UserCreationOptions(auth_code=customer.auth_code("alice"), platform_url=live.url)
    )
    tablet = make_device("tablet", TABLET)

    tablet.initialize(legacy(live, tenant, backend_linker(linking_backend, "alice")))

    assert tablet.user_id == phone.user_id
    status = tablet.sdk_status()
    assert (status.is_remote_enabled, status.inactive_reason) == (
        False,
        "PHONE_PREFERRED_OVER_TABLET",
    )
    assert phone.sdk_status().is_remote_enabled is True


def test_a_reset_legacy_device_initialized_again_joins_its_user_on_a_new_install(
    live, tenant, customer, linking_backend, make_device
):
    phone = make_device("phone")
    config = legacy(live, tenant, backend_linker(linking_backend, "alice"))
    phone.initialize(config)
    first_user, first_install = phone.user_id, phone.sdk_status().install_id
    phone.reset()

    phone.initialize(config)

    status = phone.sdk_status()
    assert (phone.user_id, status.is_remote_enabled) == (first_user, True)
    assert status.install_id != first_install
    installs = {i["id"]: i["status"] for i in customer.user(first_user)["installs"]}
    assert installs == {first_install: "reset", status.install_id: "live"}


def test_create_user_with_app_credentials_and_a_linker_creates_the_linked_user(
    live, tenant, customer, linking_backend, make_device
):
    phone = make_device("phone")

    result = phone.create_user(
        UserCreationOptions(
            platform_url=live.url,
            app_id=str(tenant.app_id),
            secret=tenant.app_secret,
            linker=backend_linker(linking_backend, "alice"),
        )
    )

    assert result.restored is False
    assert phone.is_user_linked()
    assert customer.user(result.user_info.user_id)["external_id"] == "alice"
