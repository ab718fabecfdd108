"""The backend library's routes beyond codes and users, against the live platform (SQLite and
PostgreSQL), sync and async: previews, the identity ledger and its undo, held payloads, webhooks
management and the migration report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from userlink_backend import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from userlink_testing import live as live_servers
from userlink_testing.backends import empty_all_tables
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.devices import (
    issue_code,
    payload,
    phone,
    redeem,
    register_install,
    tablet,
    upload,
)
from userlink_testing.factories.webhooks import worker
from userlink_testing.live import LiveServer
from userlink_testing.receiver import Answer, Receiver


def _day(n: int) -> str:
    return f"2026-01-{n:02d}T00:00:00Z"


@pytest.fixture
def linker(make_client, live, tenant):
    return make_client(live.url, tenant.link_key)


@pytest.fixture
def reader(make_client, live, tenant):
    return make_client(live.url, tenant.read_key)


@pytest.fixture
def admin(make_client, live, runtime, tenant):
    return make_client(live.url, make_key(runtime, tenant.app_id, scopes=("user.admin",)))


@pytest.fixture
def hooks(make_client, live, runtime, tenant):
    return make_client(live.url, make_key(runtime, tenant.app_id, scopes=("webhooks.manage",)))


def restored_on_a_second_phone(api, tenant):
    """Alice on her old phone, then restored on a new one: the old one is displaced."""
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 6"))
    new = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 9"))
    return old, new


# -- previews --------------------------------------------------------------------------------


def test_the_code_preview_of_an_unknown_external_id_is_a_creation(linker):
    preview = linker.preview_auth_code("alice")

    assert (preview.outcome, preview.user_id, preview.installs) == ("create", None, ())
    assert preview.on_redemption.phone.is_active
    assert not preview.takes_over_from_another_phone


def test_the_code_preview_says_which_phone_a_restore_takes_over_from_and_writes_nothing(
    linker, reader, api, tenant
):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 6"))
    events_before = [event.id for event in reader.iter_events(old["user_id"])]

    preview = linker.preview_auth_code("alice")

    assert (preview.outcome, preview.user_id, preview.active_install_id) == (
        "restore",
        old["user_id"],
        old["install_id"],
    )
    assert [install.model for install in preview.installs] == ["Pixel 6"]
    assert preview.takes_over_from_another_phone
    assert preview.on_redemption.phone.takes_over_from == old["install_id"]
    tablet_arrival = preview.on_redemption.tablet
    assert (tablet_arrival.is_active, tablet_arrival.inactive_reason) == (
        False,
        "PHONE_PREFERRED_OVER_TABLET",
    )
    assert [event.id for event in reader.iter_events(old["user_id"])] == events_before


def test_the_code_preview_matches_what_the_redemption_then_does(linker, reader, api, tenant):
    old = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone("Pixel 6"))
    preview = linker.preview_auth_code("alice")

    new = redeem(api, linker.issue_auth_code("alice").code, device=phone("Pixel 9"))

    user = reader.get_user(old["user_id"])
    active = [install.id for install in user.installs if install.is_active]
    assert (new["user_id"], active) == (preview.user_id, [new["install_id"]])
    assert preview.on_redemption.phone.takes_over_from == old["install_id"]


def test_the_link_preview_of_a_fresh_legacy_install_links_it_in_place(linker, api, tenant):
    install = register_install(api, tenant.app_id, tenant.app_secret)

    preview = linker.preview_link(install["install_id"], "bob")

    assert (preview.outcome, preview.install.is_active) == ("link", True)
    assert preview.active_install_id == install["install_id"]


def test_a_link_preview_joining_a_phone_user_says_the_tablet_stays_inactive(linker, api, tenant):
    phone_user = redeem(api, issue_code(api, tenant.link_key, "bob"), device=phone())
    install = register_install(api, tenant.app_id, tenant.app_secret, device=tablet())

    preview = linker.preview_link(install["install_id"], "bob")

    assert (preview.outcome, preview.user_id) == ("join", phone_user["user_id"])
    assert (preview.install.is_active, preview.install.inactive_reason) == (
        False,
        "PHONE_PREFERRED_OVER_TABLET",
    )


def test_previews_refuse_what_the_real_calls_refuse(linker):
    with pytest.raises(InvalidRequestError) as blocked:
        linker.preview_auth_code("undefined")
    with pytest.raises(NotFoundError) as unknown:
        linker.preview_link("00000000-0000-4000-8000-000000000000", "bob")

    assert blocked.value.error_code == "EXTERNAL_ID_BLOCKED"
    assert unknown.value.status == 404


# -- the ledger and undo ---------------------------------------------------------------------


def test_the_ledger_is_iterated_newest_first_across_pages(reader, api, tenant):
    old, new = restored_on_a_second_phone(api, tenant)

    events = list(reader.iter_events(old["user_id"], page_size=2))
    first = reader.events_page(old["user_id"], limit=2)

    assert len(events) > 2
    assert [event.id for event in events] == sorted(
        (event.id for event in events), key=int, reverse=True
    )
    assert events[0].occurred_at >= events[-1].occurred_at
    assert (len(first.items), first.next_cursor is not None) == (2, True)
    restored = [event for event in events if event.type == "user.restored"]
    assert [(event.install_id, event.details["active_install_id"]) for event in restored] == [
        (new["install_id"], new["install_id"])
    ]


def test_the_ledger_is_filtered_by_type_and_time(reader, api, tenant, live):
    old, _ = restored_on_a_second_phone(api, tenant)
    restored = list(reader.iter_events(old["user_id"], types=["user.restored"]))
    two_types = list(reader.iter_events(old["user_id"], types=["user.restored", "user.created"]))
    future = list(reader.iter_events(old["user_id"], since=live.clock.now() + timedelta(days=1)))
    past = list(reader.iter_events(old["user_id"], until=live.clock.now() - timedelta(days=1)))

    assert [event.type for event in restored] == ["user.restored"]
    assert sorted(event.type for event in two_types) == ["user.created", "user.restored"]
    assert (future, past) == ([], [])


def test_ledger_filters_the_platform_refuses_are_invalid_requests(reader, api, tenant):
    old, _ = restored_on_a_second_phone(api, tenant)

    with pytest.raises(InvalidRequestError) as unknown_type:
        reader.events_page(old["user_id"], types=["user.teleported"])
    with pytest.raises(InvalidRequestError) as backwards:
        reader.events_page(
            old["user_id"],
            since=datetime(2026, 2, 1, tzinfo=UTC),
            until=datetime(2026, 1, 1, tzinfo=UTC),
        )

    assert unknown_type.value.error_code == "INVALID_EVENT_TYPE"
    assert backwards.value.error_code == "INVALID_TIME_FILTER"


def test_a_naive_datetime_is_refused_before_anything_is_sent(reader):
    with pytest.raises(ValueError, match="time zone"):
        reader.events_page("some-user", since=datetime(2026, 1, 1))


def test_undoing_a_restore_moves_the_install_back_and_a_retry_is_refused(
    admin, reader, api, tenant
):
    old, new = restored_on_a_second_phone(api, tenant)
    [restored] = reader.events_page(old["user_id"], types=["user.restored"]).items

    undone = admin.undo_event(old["user_id"], restored.id)

    assert (undone.undone_event_id, undone.undone_type, undone.user_id) == (
        restored.id,
        "user.restored",
        old["user_id"],
    )
    assert (undone.install_id, undone.replayed) == (new["install_id"], False)
    assert undone.install_user_id not in (None, old["user_id"])
    assert [install.id for install in reader.get_user(old["user_id"]).installs] == [
        old["install_id"]
    ]
    [undo_event] = reader.events_page(old["user_id"], types=["event.undone"]).items
    assert (undo_event.id, undo_event.undoes_event_id) == (undone.undo_event_id, restored.id)
    # Another call (another idempotency key) is a second undo: a mistake the platform reports.
    with pytest.raises(ConflictError) as again:
        admin.undo_event(old["user_id"], int(restored.id))
    assert (again.value.status, again.value.error_code) == (409, "EVENT_ALREADY_UNDONE")


def test_undo_refusals_come_through_the_error_tree(admin, linker, reader, api, tenant):
    old, _ = restored_on_a_second_phone(api, tenant)
    [created] = reader.events_page(old["user_id"], types=["user.created"]).items

    with pytest.raises(ConflictError) as not_undoable:
        admin.undo_event(old["user_id"], created.id)
    with pytest.raises(NotFoundError) as unknown:
        admin.undo_event(old["user_id"], "999999999")
    with pytest.raises(PermissionDeniedError) as no_scope:
        linker.undo_event(old["user_id"], created.id)

    assert not_undoable.value.error_code == "EVENT_NOT_UNDOABLE"
    assert unknown.value.error_code == "EVENT_NOT_FOUND"
    assert no_scope.value.error_code == "INSUFFICIENT_SCOPE"


# -- held payloads ---------------------------------------------------------------------------


@pytest.fixture
def displaced(api, tenant):
    """Alice's old phone, displaced by a new one, sent two payloads late: they are held."""
    old, new = restored_on_a_second_phone(api, tenant)
    upload(api, new["credentials"]["access_token"], [payload("n3", at=_day(3))])
    late = upload(
        api,
        old["credentials"]["access_token"],
        [payload("late2", at=_day(2)), payload("late4", at=_day(4))],
    )
    assert [r["status"] for r in late.json()["results"]] == ["not_processed", "not_processed"]
    return old, new


def test_held_payloads_are_iterated_across_pages_and_filtered(reader, displaced):
    old, new = displaced

    held = list(reader.iter_held_payloads(old["user_id"], page_size=1))
    of_new = list(reader.iter_held_payloads(old["user_id"], install_id=new["install_id"]))
    in_range = reader.held_payloads_page(
        old["user_id"],
        since=datetime(2026, 1, 3, tzinfo=UTC),
        until=datetime(2026, 1, 5, tzinfo=UTC),
    )

    assert [(item.id, item.install_id) for item in held] == [
        ("late2", old["install_id"]),
        ("late4", old["install_id"]),
    ]
    assert held[0].timestamp == datetime(2026, 1, 2, tzinfo=UTC)
    assert (of_new, [item.id for item in in_range.items]) == ([], ["late4"])


def test_merging_held_payloads_puts_them_in_the_timeline_once(linker, reader, displaced):
    old, _ = displaced

    first = linker.merge_held_payloads(old["user_id"], since=datetime(2026, 1, 3, tzinfo=UTC))
    rest = linker.merge_held_payloads(old["user_id"])
    again = linker.merge_held_payloads(old["user_id"])

    assert (first, rest, again) == (1, 1, 0)
    assert [item.id for item in reader.iter_timeline(old["user_id"])] == ["late2", "n3", "late4"]
    assert list(reader.iter_held_payloads(old["user_id"])) == []


def test_held_payload_refusals_come_through_the_error_tree(linker, reader, displaced):
    old, _ = displaced

    with pytest.raises(NotFoundError) as other_install:
        linker.merge_held_payloads(old["user_id"], install_id="not-an-install")
    with pytest.raises(InvalidRequestError) as backwards:
        reader.held_payloads_page(
            old["user_id"],
            since=datetime(2026, 2, 1, tzinfo=UTC),
            until=datetime(2026, 1, 1, tzinfo=UTC),
        )

    assert other_install.value.error_code == "INSTALL_NOT_FOUND"
    assert backwards.value.error_code == "INVALID_TIME_RANGE"


# -- the migration report --------------------------------------------------------------------


def test_the_migration_report_counts_code_and_legacy_users(reader, linker, api, tenant):
    redeem(api, issue_code(api, tenant.link_key, "alice"))
    legacy = register_install(api, tenant.app_id, tenant.app_secret)
    linker.link_install(legacy["install_id"], "bob")
    register_install(api, tenant.app_id, tenant.app_secret)

    report = reader.migration_report(window_days=7)

    assert (report.window_days, report.users) == (7, 3)
    assert (report.users_by_link["code"], report.users_by_link["legacy"]) == (1, 1)
    assert report.users_by_link["unlinked"] == 1
    assert dict(report.live_installs_by_flow) == {"code": 1, "legacy": 2}
    assert sum(line.installs for line in report.legacy_installs_by_sdk_version) == 2
    assert report.legacy_registration_enabled is True


def test_a_report_window_out_of_range_is_refused_before_sending(reader):
    with pytest.raises(ValueError, match="window_days"):
        reader.migration_report(window_days=0)


# -- webhooks --------------------------------------------------------------------------------


def test_a_webhook_endpoint_is_managed_from_creation_to_deletion(hooks):
    created = hooks.create_webhook(
        "https://example.com/hooks", event_types=["user.restored"], description="sign-in"
    )

    assert created.secret is not None
    assert created.secret.startswith("whsec_")
    assert created.secret not in repr(created)
    assert (created.url, created.event_types, created.enabled) == (
        "https://example.com/hooks",
        ("user.restored",),
        True,
    )
    assert [(e.id, e.secret) for e in hooks.list_webhooks()] == [(created.id, None)]
    assert hooks.get_webhook(created.id).description == "sign-in"

    changed = hooks.update_webhook(created.id, event_types=None, enabled=False)
    kept = hooks.update_webhook(created.id, description="ops")
    assert (changed.event_types, changed.enabled, changed.url) == (
        None,
        False,
        "https://example.com/hooks",
    )
    assert (kept.description, kept.event_types, kept.enabled) == ("ops", None, False)

    rotated = hooks.rotate_webhook_secret(created.id, overlap_hours=1)
    assert rotated.secret not in (None, created.secret)
    assert rotated.previous_secret_expires_at is not None

    hooks.delete_webhook(created.id)
    with pytest.raises(NotFoundError) as gone:
        hooks.get_webhook(created.id)
    assert gone.value.error_code == "WEBHOOK_ENDPOINT_NOT_FOUND"


def test_a_test_message_is_queued_and_listed_and_cannot_be_redelivered_while_pending(hooks):
    endpoint = hooks.create_webhook("https://example.com/hooks")

    queued = hooks.send_test_webhook(endpoint.id)

    assert (queued.event_type, queued.status) == ("webhook.test", "pending")
    assert [m.id for m in hooks.iter_webhook_messages(endpoint.id)] == [queued.id]
    assert list(hooks.iter_webhook_messages(endpoint.id, status="dead")) == []
    with pytest.raises(ConflictError) as pending:
        hooks.redeliver_webhook_message(endpoint.id, queued.id)
    assert pending.value.error_code == "WEBHOOK_MESSAGE_PENDING"


def test_webhook_messages_are_iterated_across_pages_newest_first(hooks):
    endpoint = hooks.create_webhook("https://example.com/hooks")
    sent = [hooks.send_test_webhook(endpoint.id).id for _ in range(3)]

    listed = [m.id for m in hooks.iter_webhook_messages(endpoint.id, page_size=2)]
    first = hooks.webhook_messages_page(endpoint.id, limit=2)

    assert listed == sent[::-1]
    assert first.next_before is not None


def test_webhook_refusals_come_through_the_error_tree(hooks, reader):
    with pytest.raises(InvalidRequestError) as bad_url:
        hooks.create_webhook("http://example.com/hooks")
    with pytest.raises(InvalidRequestError) as bad_types:
        hooks.create_webhook("https://example.com/hooks", event_types=["user.teleported"])
    with pytest.raises(NotFoundError) as unknown:
        hooks.send_test_webhook("00000000-0000-4000-8000-000000000000")
    with pytest.raises(PermissionDeniedError) as no_scope:
        reader.list_webhooks()

    assert bad_url.value.error_code == "INVALID_WEBHOOK_URL"
    assert bad_types.value.error_code == "INVALID_EVENT_TYPES"
    assert unknown.value.error_code == "WEBHOOK_ENDPOINT_NOT_FOUND"
    assert no_scope.value.error_code == "INSUFFICIENT_SCOPE"


@pytest.fixture
def delivering_server(database_url, live) -> Iterator[LiveServer]:
    """A server that delivers to a receiver on 127.0.0.1, on the test database."""
    server = live_servers.start_live_server(
        live_servers.test_settings(database_url, webhook_allow_insecure_targets=True)
    )
    yield server
    server.stop()
    empty_all_tables(live.runtime.database)


def test_a_dead_letter_is_redelivered(delivering_server, make_client, runtime, tenant):
    key = make_key(runtime, tenant.app_id, scopes=("webhooks.manage",))
    hooks = make_client(delivering_server.url, key)
    receiver = Receiver()
    try:
        endpoint = hooks.create_webhook(receiver.url)
        queued = hooks.send_test_webhook(endpoint.id)
        receiver.answer(Answer(410))
        delivery = worker(delivering_server.runtime)
        try:
            delivery.run_once()
        finally:
            delivery.close()
    finally:
        receiver.stop()

    [dead] = list(hooks.iter_webhook_messages(endpoint.id, status="dead"))
    again = hooks.redeliver_webhook_message(endpoint.id, dead.id)

    assert (dead.id, dead.last_status_code) == (queued.id, 410)
    assert (again.id, again.status) == (queued.id, "pending")
