"""The example bodies of the OpenAPI document (`http/examples.py` says where they go): one story,
user `alice` with a phone and a tablet, so the ids of one example reappear in the next. The test
of the document checks every one against the schema of the body it illustrates."""

from __future__ import annotations

from typing import Any

USER_ID = "c1191439-9584-43ca-864b-c244279d3065"
OTHER_USER_ID = "f2eb43ae-6850-4d4d-9232-bfc5ddb5aa77"
PHONE_ID = "20a46090-15f4-4e38-8f80-d9b1fd2ca303"
TABLET_ID = "7b9ef61b-3c52-4d8e-a1f0-6e2d9c4b8a17"
NEW_PHONE_ID = "9eed7013-1e60-4840-abc0-09942ec349d8"
ENDPOINT_ID = "5d0e3b8a-9f41-4c27-b6a2-81e47c3d9f05"
MESSAGE_ID = "msg_8f3a2c6d1e9b4f7a0c5d2e8b6a1f4c39"

AUTH_CODE = (
    "03a1c1e7becdf727e333902cf000a5d8148c5d6367e1f4ae308fa25a31d225ff"
    "f26517f0573f63db24cd90bf6590687e741c41e2e7182c0e40f250f2bb9959d8"
)
CODE_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
NONCE = "kI3lYBS0ND-gmpLV"

DEVICE = {
    "platform": "android",
    "os_version": "15",
    "model": "Pixel 8",
    "screen_diagonal_inches": 6.1,
}
APP_INFO = {"app_version": "3.2.0", "sdk_version": "0.1.0"}

CREDENTIALS = {
    "access_token": "ula_fz5Op2gb4PX10qqdHGQNZjSWMlLx9vf9p8WjRlfF2r4Tcp",
    "access_token_expires_at": "2026-11-29T21:32:43.220Z",
    "refresh_token": "ulr_0tAl6R1JlpDLwaUZEz9ipIUDKExBrUpg1DoASjPD3G0xvj",
    "refresh_token_expires_at": "2027-02-27T20:32:43.220Z",
}

CONFIGURATION = {
    "is_remote_enabled": True,
    "upload": {
        "max_batch_size": 100,
        "max_payload_bytes": 65536,
        "max_batch_bytes": 1000000,
        "min_interval_seconds": 30,
    },
    "features": {"payload_upload": True, "legacy_linking": True},
    "redemption_retry_window_seconds": 60,
}

PHONE = {
    "id": PHONE_ID,
    "platform": "android",
    "device_class": "phone",
    "model": "Pixel 8",
    "created_at": "2026-11-29T20:33:01.412Z",
    "status": "live",
    "is_active": True,
    "inactive_reason": None,
}
TABLET = {
    "id": TABLET_ID,
    "platform": "android",
    "device_class": "tablet",
    "model": "Galaxy Tab S9",
    "created_at": "2026-11-29T20:41:17.090Z",
    "status": "live",
    "is_active": False,
    "inactive_reason": "PHONE_PREFERRED_OVER_TABLET",
}

# Server-to-server.
AUTH_CODE_REQUEST = {"external_id": "alice"}
AUTH_CODE_RESPONSE = {"authentication_code": AUTH_CODE, "expires_at": "2026-11-29T20:37:43.220Z"}
CODE_PREVIEW = {
    "outcome": "restore",
    "user_id": USER_ID,
    "installs": [PHONE, TABLET],
    "active_install_id": PHONE_ID,
    "on_redemption": {
        "phone": {"is_active": True, "inactive_reason": None, "takes_over_from": PHONE_ID},
        "tablet": {
            "is_active": False,
            "inactive_reason": "PHONE_PREFERRED_OVER_TABLET",
            "takes_over_from": None,
        },
    },
}
LINK_REQUEST = {"external_id": "bob"}
LINK_RESPONSE = {"id": OTHER_USER_ID}
LINK_PREVIEW = {
    "outcome": "join",
    "user_id": OTHER_USER_ID,
    "installs": [{**PHONE, "id": NEW_PHONE_ID, "model": "Pixel 9"}],
    "active_install_id": NEW_PHONE_ID,
    "install": {"is_active": True, "inactive_reason": None, "takes_over_from": NEW_PHONE_ID},
}
USER = {
    "id": USER_ID,
    "external_id": "alice",
    "created_at": "2026-11-29T20:33:01.398Z",
    "linked_at": "2026-11-29T20:33:01.398Z",
    "installs": [PHONE, TABLET],
}
EVENTS = {
    "items": [
        {
            "id": "1042",
            "type": "user.restored",
            "occurred_at": "2026-11-29T20:41:17.090Z",
            "user_id": USER_ID,
            "install_id": TABLET_ID,
            "actor": None,
            "details": {
                "code_id": "e3c51f0a-8b7d-4e62-9a14-5f2c0d8b7e39",
                "previous_user_id": None,
                "previous_active_install_id": PHONE_ID,
                "active_install_id": PHONE_ID,
            },
            "undoes_event_id": None,
        }
    ],
    "next_cursor": "ZXYxOjEwNDE",
}
UNDO = {
    "undo_event_id": "1077",
    "undone_event_id": "1042",
    "undone_type": "user.restored",
    "user_id": USER_ID,
    "install_id": TABLET_ID,
    "install_user_id": "0b6f2d94-71c3-4a58-8e0d-c93a5f17b264",
    "replayed": False,
}
TIMELINE = {
    "items": [
        {
            "id": "4f1c9d2e-7a3b-4c8e-9f60-2b5d1e8a7c34",
            "install_id": PHONE_ID,
            "type": "trip",
            "timestamp": "2026-11-29T20:40:12.512Z",
            "body": {"label": "monday commute", "distance_km": 12.4},
        }
    ],
    "next_cursor": "MjAyNi0xMS0yOVQyMDo0MDoxMi41MTIwMDArMDA6MDB8NTMxMg",
}
HELD = {
    "items": [
        {
            "id": "a7e2c5f1-0d9b-4e36-8c17-3f4b6d2e9a58",
            "install_id": TABLET_ID,
            "type": "trip",
            "timestamp": "2026-11-29T20:45:03.000Z",
            "received_at": "2026-11-29T20:45:09.771Z",
            "body": {"label": "sofa browsing"},
        }
    ],
    "next_cursor": None,
}
MERGE_REQUEST = {"install_id": TABLET_ID, "since": "2026-11-29T00:00:00Z"}
MERGE_RESPONSE = {"merged": 1}
MIGRATION_REPORT = {
    "generated_at": "2026-11-29T21:00:00.000Z",
    "window_days": 30,
    "users": 1002,
    "users_by_link": {"code": 812, "legacy": 130, "both": 57, "unlinked": 3},
    "live_installs_by_flow": {"code": 1490, "legacy": 211},
    "legacy_installs_by_sdk_version": [
        {
            "sdk_version": "2.4.1",
            "installs": 180,
            "seen_recently": 96,
            "last_seen": "2026-11-29T20:58:41.003Z",
        }
    ],
    "legacy_registrations_recent": 14,
    "active_users": 870,
    "active_users_on_code_flow": 801,
    "share_on_code_flow": 0.9207,
    "legacy_registration_enabled": True,
}

# Webhooks.
ENDPOINT_REQUEST = {
    "url": "https://backend.example/webhooks/userlink",
    "event_types": ["user.restored", "install.displaced"],
    "description": "production receiver",
    "enabled": True,
}
ENDPOINT = {
    "id": ENDPOINT_ID,
    "url": "https://backend.example/webhooks/userlink",
    "description": "production receiver",
    "event_types": ["install.displaced", "user.restored"],
    "enabled": True,
    "disabled_reason": None,
    "previous_secret_expires_at": None,
    "created_at": "2026-11-29T20:50:00.000Z",
    "updated_at": "2026-11-29T20:50:00.000Z",
}
SECRET = "whsec_MfKQ9r8GKYqrTFXpnpPr5hf1bHJVnZs0Ou1kXpE4JVc"  # noqa: S105 - an example, signs nothing
ENDPOINT_WITH_SECRET = {**ENDPOINT, "secret": SECRET}
ENDPOINTS = {"endpoints": [ENDPOINT]}
ENDPOINT_PATCH = {"enabled": False}
ROTATE_REQUEST = {"overlap_hours": 24}
ROTATED = {
    **ENDPOINT_WITH_SECRET,
    "previous_secret_expires_at": "2026-11-30T21:05:00.000Z",
    "updated_at": "2026-11-29T21:05:00.000Z",
}
MESSAGE = {
    "id": MESSAGE_ID,
    "event_type": "user.restored",
    "status": "delivered",
    "attempts": 1,
    "next_attempt_at": None,
    "last_attempt_at": "2026-11-29T20:41:17.912Z",
    "last_status_code": 204,
    "last_error": None,
    "created_at": "2026-11-29T20:41:17.090Z",
    "finished_at": "2026-11-29T20:41:17.912Z",
    "payload": {
        "type": "user.restored",
        "timestamp": "2026-11-29T20:41:17.090Z",
        "data": {"user_id": USER_ID, "install_id": TABLET_ID},
    },
    "cursor": 318,
}
MESSAGES = {"messages": [MESSAGE], "next_before": None}
TEST_MESSAGE = {
    **MESSAGE,
    "event_type": "webhook.test",
    "status": "pending",
    "attempts": 0,
    "next_attempt_at": "2026-11-29T21:10:00.000Z",
    "last_attempt_at": None,
    "last_status_code": None,
    "finished_at": None,
    "payload": {"type": "webhook.test", "timestamp": "2026-11-29T21:10:00.000Z", "data": {}},
    "cursor": 319,
}

# SDK.
REDEEM_REQUEST = {
    "authentication_code": AUTH_CODE,
    "installation_nonce": NONCE,
    "code_verifier": CODE_VERIFIER,
    "device": DEVICE,
    "app": APP_INFO,
}
REDEEM_RESPONSE = {
    "user_id": USER_ID,
    "install_id": PHONE_ID,
    "restored": False,
    "is_linked": True,
    "credentials": CREDENTIALS,
    "configuration": CONFIGURATION,
}
REFRESH_REQUEST = {"refresh_token": CREDENTIALS["refresh_token"]}
REFRESH_RESPONSE = {"credentials": CREDENTIALS, "displacement": None}
STATUS = {
    "user_id": USER_ID,
    "install_id": TABLET_ID,
    "is_linked": True,
    "is_remote_enabled": False,
    "inactive_reason": "PHONE_PREFERRED_OVER_TABLET",
    "configuration": {**CONFIGURATION, "is_remote_enabled": False},
    "displacement": {
        "new_install_id": PHONE_ID,
        "reason": "phone_over_tablet",
        "displaced_at": "2026-11-29T20:41:17.090Z",
    },
}
REGISTER_REQUEST = {"installation_nonce": NONCE, "device": DEVICE, "app": APP_INFO}
REGISTER_RESPONSE = {
    "user_id": OTHER_USER_ID,
    "install_id": NEW_PHONE_ID,
    "is_linked": False,
    "credentials": CREDENTIALS,
    "configuration": CONFIGURATION,
}
CONFIRM_REQUEST = {"established": False}
INSTALL_STATE = {
    "user_id": OTHER_USER_ID,
    "install_id": NEW_PHONE_ID,
    "is_linked": True,
    "configuration": CONFIGURATION,
}
LINK_WITH_CODE_REQUEST = {"authentication_code": AUTH_CODE, "code_verifier": CODE_VERIFIER}
UPLOAD_REQUEST = {
    "payloads": [
        {
            "id": "4f1c9d2e-7a3b-4c8e-9f60-2b5d1e8a7c34",
            "type": "trip",
            "timestamp": "2026-11-29T20:40:12.512Z",
            "body": {"label": "monday commute", "distance_km": 12.4},
        }
    ]
}
UPLOAD_RESPONSE: dict[str, Any] = {
    "is_remote_enabled": True,
    "results": [{"id": "4f1c9d2e-7a3b-4c8e-9f60-2b5d1e8a7c34", "status": "processed"}],
}

# Operations.
HEALTH = {"status": "ok"}
READY = {"status": "ready", "migration": "0009"}
METRICS = (
    "# HELP userlink_payloads_total Payloads uploaded, by outcome: processed, not_processed "
    "(held apart), duplicate.\n"
    "# TYPE userlink_payloads_total counter\n"
    'userlink_payloads_total{status="processed"} 42.0\n'
)
