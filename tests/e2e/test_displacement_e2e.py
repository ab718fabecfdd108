"""A displaced install, through the SDK against the real runtime: the app's listener hears once
that a new phone took the active role, and what the old phone uploaded late is held, then merged
into the timeline in order by the customer backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from userlink_sdk import UserCreationOptions, UserDisplacedEvent

from .conftest import NEW_PHONE, PHONE, TABLET

START = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def create(device, live, customer, external_id="alice"):
    return device.create_user(
        UserCreationOptions(auth_code=customer.auth_code(external_id), platform_url=live.url)
    )


def test_the_displaced_phone_hears_it_once_with_the_new_install_and_the_reason(
    live, customer, make_device
):
    old = make_device("old-phone", device=PHONE)
    create(old, live, customer)
    heard: list[UserDisplacedEvent] = []
    old.set_user_displaced_listener(heard.append)
    new = make_device("new-phone", device=NEW_PHONE)
    create(new, live, customer)

    old.sdk_status()
    old.sdk_status()

    new_install = new.sdk_status().install_id
    assert [(e.install_id, e.new_install_id, e.reason) for e in heard] == [
        (old.sdk_status().install_id, new_install, "newer_install")
    ]


class Recording(httpx.BaseTransport):
    """A real transport that remembers the path of every request it sent."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_the_token_refresh_answer_alone_tells_it(live, customer, make_device):
    transport = Recording()
    old = make_device("old-phone", device=PHONE, transport=transport)
    create(old, live, customer)
    told_after: list[str] = []
    old.set_user_displaced_listener(lambda event: told_after.append(transport.paths[-1]))
    create(make_device("new-phone", device=NEW_PHONE), live, customer)
    live.clock.advance(hours=2)  # the access token has expired: the next call refreshes first

    old.request_user_access_token()

    assert told_after == ["/sdk/v1/token"]


def test_a_tablet_displaced_by_a_phone_hears_phone_over_tablet(live, customer, make_device):
    tablet = make_device("tablet", device=TABLET)
    create(tablet, live, customer)
    heard: list[UserDisplacedEvent] = []
    tablet.set_user_displaced_listener(heard.append)
    create(make_device("phone", device=PHONE), live, customer)

    tablet.sdk_status()

    assert [e.reason for e in heard] == ["phone_over_tablet"]


def test_a_restarted_app_is_not_told_the_same_displacement_again(live, customer, make_device):
    old = make_device("old-phone", device=PHONE)
    create(old, live, customer)
    first: list[UserDisplacedEvent] = []
    old.set_user_displaced_listener(first.append)
    create(make_device("new-phone", device=NEW_PHONE), live, customer)
    old.sdk_status()
    old.close()
    restarted = make_device("old-phone", device=PHONE)
    again: list[UserDisplacedEvent] = []
    restarted.set_user_displaced_listener(again.append)

    restarted.sdk_status()

    assert (len(first), again) == (1, [])


def test_a_listener_object_hears_it_from_the_upload_answer(live, customer, make_device):
    class Listener:
        def __init__(self) -> None:
            self.events: list[UserDisplacedEvent] = []

        def on_user_displaced(self, event: UserDisplacedEvent) -> None:
            self.events.append(event)

    old = make_device("old-phone", device=PHONE)
    create(old, live, customer)
    listener = Listener()
    old.set_user_displaced_listener(listener)
    create(make_device("new-phone", device=NEW_PHONE), live, customer)
    old.submit_payload("trip", {"km": 1}, timestamp=at(5))

    report = old.upload_payloads()

    assert (report.sent, report.not_processed) == (1, 1)
    assert [e.reason for e in listener.events] == ["newer_install"]


def test_a_listener_that_raises_does_not_fail_the_call(live, customer, make_device):
    old = make_device("old-phone", device=PHONE)
    create(old, live, customer)

    def broken(event: UserDisplacedEvent) -> None:
        raise RuntimeError("the app's bug")

    old.set_user_displaced_listener(broken)
    create(make_device("new-phone", device=NEW_PHONE), live, customer)

    assert old.sdk_status().is_remote_enabled is False


def test_a_displacement_seen_before_a_listener_is_registered_is_told_later(
    live, customer, make_device
):
    old = make_device("old-phone", device=PHONE)
    create(old, live, customer)
    create(make_device("new-phone", device=NEW_PHONE), live, customer)
    old.sdk_status()
    heard: list[UserDisplacedEvent] = []
    old.set_user_displaced_listener(heard.append)

    old.sdk_status()

    assert len(heard) == 1


def test_the_old_phones_late_payloads_are_held_then_merged_in_order(live, customer, make_device):
    old = make_device("old-phone", device=PHONE)
    create(old, live, customer)
    old.submit_payload("trip", {"n": 1}, timestamp=at(1))
    old.upload_payloads()
    old.submit_payload("trip", {"n": 3}, timestamp=at(3))  # offline: not sent yet
    new = make_device("new-phone", device=NEW_PHONE)
    user_id = create(new, live, customer).user_info.user_id
    new.submit_payload("trip", {"n": 2}, timestamp=at(2))
    new.submit_payload("trip", {"n": 4}, timestamp=at(4))
    new.upload_payloads()

    old.upload_payloads()  # back online: the late payload is held, not processed
    held = customer.api.get(
        f"/v2/users/{user_id}/held-payloads",
        headers={"Authorization": f"Bearer {customer.tenant.read_key}"},
    ).json()["items"]
    merged = customer.api.post(
        f"/v2/users/{user_id}/held-payloads/merge",
        json={},
        headers={"Authorization": f"Bearer {customer.tenant.link_key}"},
    ).json()

    assert [item["body"] for item in held] == [{"n": 3}]
    assert merged == {"merged": 1}
    assert [item["body"]["n"] for item in customer.timeline(user_id)] == [1, 2, 3, 4]


# sdk_status(): why an inactive install is inactive, and since when


def just_before(live):
    """The live server's clock now, a millisecond early (the wire keeps milliseconds)."""
    return live.clock.now() - timedelta(milliseconds=1)


def test_sdk_status_of_a_displaced_phone_says_why_and_since_when(live, customer, make_device):
    old = make_device("old-phone", device=PHONE)
    create(old, live, customer)
    new = make_device("new-phone", device=NEW_PHONE)
    before = just_before(live)
    create(new, live, customer)
    after = live.clock.now()

    status = old.sdk_status()

    assert (status.is_remote_enabled, status.inactive_reason) == (False, "NEWER_INSTALL_ACTIVE")
    assert status.displacement is not None
    assert (status.displacement.install_id, status.displacement.new_install_id) == (
        status.install_id,
        new.sdk_status().install_id,
    )
    assert status.displacement.reason == "newer_install"
    assert status.inactive_since is not None
    assert before <= status.inactive_since <= after


def test_sdk_status_of_a_tablet_displaced_by_a_phone_says_phone_over_tablet(
    live, customer, make_device
):
    tablet = make_device("tablet", device=TABLET)
    create(tablet, live, customer)
    before = just_before(live)
    create(make_device("phone", device=PHONE), live, customer)
    after = live.clock.now()

    status = tablet.sdk_status()

    assert status.inactive_reason == "PHONE_PREFERRED_OVER_TABLET"
    assert status.displacement is not None
    assert status.displacement.reason == "phone_over_tablet"
    assert status.inactive_since is not None
    assert before <= status.inactive_since <= after


def test_sdk_status_of_the_active_install_has_no_displacement(live, customer, make_device):
    create(make_device("old-phone", device=PHONE), live, customer)
    new = make_device("new-phone", device=NEW_PHONE)
    create(new, live, customer)

    status = new.sdk_status()

    assert (status.is_remote_enabled, status.displacement, status.inactive_since) == (
        True,
        None,
        None,
    )


def test_sdk_status_of_a_tablet_that_never_held_the_role_says_why_but_not_since_when(
    live, customer, make_device
):
    create(make_device("phone", device=PHONE), live, customer)
    tablet = make_device("tablet", device=TABLET)
    create(tablet, live, customer)

    status = tablet.sdk_status()

    assert (status.inactive_reason, status.displacement, status.inactive_since) == (
        "PHONE_PREFERRED_OVER_TABLET",
        None,
        None,
    )


def test_a_displaced_phone_that_gets_the_role_back_reports_no_displacement(
    live, customer, make_device
):
    old = make_device("old-phone", device=PHONE)
    create(old, live, customer)
    new = make_device("new-phone", device=NEW_PHONE)
    create(new, live, customer)
    assert old.sdk_status().displacement is not None

    new.reset()  # the role goes back to the old phone
    status = old.sdk_status()

    assert (status.is_remote_enabled, status.inactive_reason, status.displacement) == (
        True,
        None,
        None,
    )
