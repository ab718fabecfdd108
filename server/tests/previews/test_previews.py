"""Previews write nothing and say what the real request would do: a code's create or restore,
with what a phone or a tablet redeeming it now would do; a link's link or join. A property test
over random install histories checks the preview against the redemption that follows it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from userlink.models import audit_events, auth_codes, users
from userlink_testing.factories.devices import (
    bearer,
    confirm,
    issue_code,
    phone,
    redeem,
    register_install,
    tablet,
)
from userlink_testing.factories.records import count_rows


def preview_code(api: httpx.Client, key: str, external_id: str) -> httpx.Response:
    return api.post(
        "/users/auth-code/preview", json={"external_id": external_id}, headers=bearer(key)
    )


def preview_link(api: httpx.Client, key: str, install_id: str, external_id: str) -> httpx.Response:
    return api.post(
        f"/v2/users/{install_id}/link/preview",
        json={"external_id": external_id},
        headers=bearer(key),
    )


def test_a_new_external_id_would_be_created_and_nothing_is_written(api, tenant, runtime):
    events_before = count_rows(runtime, audit_events)

    response = preview_code(api, tenant.link_key, "alice")

    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "create"
    assert body["user_id"] is None
    assert body["installs"] == []
    assert body["active_install_id"] is None
    assert body["on_redemption"]["phone"] == {
        "is_active": True,
        "inactive_reason": None,
        "takes_over_from": None,
    }
    assert count_rows(runtime, auth_codes) == 0
    assert count_rows(runtime, users) == 0
    assert count_rows(runtime, audit_events) == events_before


def test_a_known_external_id_would_be_restored_a_phone_takes_over_a_tablet_stays_inactive(
    api, tenant
):
    first = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())

    body = preview_code(api, tenant.link_key, "alice").json()

    assert body["outcome"] == "restore"
    assert body["user_id"] == first["user_id"]
    assert [i["id"] for i in body["installs"]] == [first["install_id"]]
    assert body["active_install_id"] == first["install_id"]
    assert body["on_redemption"]["phone"] == {
        "is_active": True,
        "inactive_reason": None,
        "takes_over_from": first["install_id"],
    }
    assert body["on_redemption"]["tablet"] == {
        "is_active": False,
        "inactive_reason": "PHONE_PREFERRED_OVER_TABLET",
        "takes_over_from": None,
    }


def test_a_preview_refuses_what_minting_refuses(api, tenant):
    blocked = preview_code(api, tenant.link_key, "undefined")
    empty = preview_code(api, tenant.link_key, "  ")
    plain = api.post(
        "/users/auth-code/preview",
        json={"external_id": "alice", "code_challenge": "x" * 43, "code_challenge_method": "plain"},
        headers=bearer(tenant.link_key),
    )

    assert blocked.json()["errorCode"] == "EXTERNAL_ID_BLOCKED"
    assert empty.json()["errorCode"] == "INVALID_EXTERNAL_ID"
    assert plain.json()["errorCode"] == "CODE_CHALLENGE_METHOD_UNSUPPORTED"


def test_a_preview_needs_the_link_scope(api, tenant):
    response = preview_code(api, tenant.read_key, "alice")

    assert response.status_code == 403
    assert response.json()["errorCode"] == "INSUFFICIENT_SCOPE"


def test_a_link_preview_of_an_unknown_external_id_links_the_install_own_user(api, tenant, runtime):
    install = register_install(api, tenant.app_id, tenant.app_secret)

    body = preview_link(api, tenant.link_key, install["install_id"], "alice").json()

    assert body["outcome"] == "link"
    assert body["user_id"] == install["user_id"]
    assert body["install"]["is_active"] is True
    assert count_rows(runtime, users, external_id="alice") == 0


def test_a_link_preview_of_a_known_external_id_joins_its_user_as_the_link_then_does(api, tenant):
    existing = redeem(api, issue_code(api, tenant.link_key, "alice"), device=phone())
    install = register_install(api, tenant.app_id, tenant.app_secret, device=tablet())

    body = preview_link(api, tenant.link_key, install["install_id"], "alice").json()
    linked = api.post(
        f"/v2/users/{install['install_id']}/link",
        json={"external_id": "alice"},
        headers=bearer(tenant.link_key),
    )

    assert body["outcome"] == "join"
    assert body["user_id"] == existing["user_id"] == linked.json()["id"]
    assert body["install"] == {
        "is_active": False,
        "inactive_reason": "PHONE_PREFERRED_OVER_TABLET",
        "takes_over_from": None,
    }
    record = api.get(f"/v2/users/{existing['user_id']}", headers=bearer(tenant.read_key)).json()
    joined = next(i for i in record["installs"] if i["id"] == install["install_id"])
    assert (joined["is_active"], joined["inactive_reason"]) == (
        False,
        "PHONE_PREFERRED_OVER_TABLET",
    )


def test_a_link_preview_refuses_what_the_link_refuses(api, tenant):
    redeem(api, issue_code(api, tenant.link_key, "alice"))
    install = register_install(api, tenant.app_id, tenant.app_secret)
    confirm(api, install["credentials"]["access_token"], established=True)

    established = preview_link(api, tenant.link_key, install["install_id"], "alice")
    unknown = preview_link(api, tenant.link_key, str(uuid.uuid4()), "alice")

    assert established.json()["errorCode"] == "CANNOT_LINK_EXISTING_PERSON_TO_OTHER_PERSON"
    assert unknown.status_code == 404
    assert unknown.json()["errorCode"] == "INSTALL_NOT_FOUND"


STEPS = st.lists(
    st.one_of(
        st.sampled_from(["phone", "tablet"]),
        st.integers(min_value=0, max_value=5).map(lambda n: f"reset:{n}"),
    ),
    max_size=6,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=STEPS, redeemed_on=st.sampled_from(["phone", "tablet"]))
def test_the_preview_says_what_the_redemption_then_does(api, tenant, live, history, redeemed_on):
    external_id = f"user-{uuid.uuid4()}"
    devices: list[dict[str, Any]] = []
    for step in history:
        live.clock.advance(seconds=1)
        if step.startswith("reset:"):
            live_devices = [d for d in devices if not d.get("reset")]
            if live_devices:
                gone = live_devices[int(step.split(":")[1]) % len(live_devices)]
                token = gone["credentials"]["access_token"]
                assert api.post("/sdk/v1/reset", headers=bearer(token)).status_code in (200, 204)
                gone["reset"] = True
            continue
        device = phone() if step == "phone" else tablet()
        devices.append(redeem(api, issue_code(api, tenant.link_key, external_id), device=device))
    live.clock.advance(seconds=1)

    preview = preview_code(api, tenant.link_key, external_id).json()
    before = preview["active_install_id"]
    redeemed = redeem(
        api,
        issue_code(api, tenant.link_key, external_id),
        device=phone() if redeemed_on == "phone" else tablet(),
    )

    expected = preview["on_redemption"][redeemed_on]
    record = api.get(f"/v2/users/{redeemed['user_id']}", headers=bearer(tenant.read_key)).json()
    new = next(i for i in record["installs"] if i["id"] == redeemed["install_id"])
    assert (new["is_active"], new["inactive_reason"]) == (
        expected["is_active"],
        expected["inactive_reason"],
    )
    assert preview["outcome"] == ("restore" if devices else "create")
    if expected["takes_over_from"] is not None:
        assert expected["takes_over_from"] == before
        old = next(i for i in record["installs"] if i["id"] == before)
        assert old["is_active"] is False
