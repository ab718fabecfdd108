"""The routes added beyond codes and users, on a scripted platform (`httpx.MockTransport`), sync
and async: what is sent, what is retried, and answers the library cannot read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from userlink_backend import APIResponseError, APITimeoutError, ConflictError, ServerError

URL = "https://platform.test"
KEY = "ulk_secret_key_for_the_tests_0123456789"
UNDO = {
    "undo_event_id": "12",
    "undone_event_id": "7",
    "undone_type": "user.restored",
    "user_id": "user-1",
    "install_id": "install-2",
    "install_user_id": "user-3",
    "replayed": False,
}
ENDPOINT = {
    "id": "hook-1",
    "url": "https://example.com/hooks",
    "description": "",
    "event_types": None,
    "enabled": True,
    "disabled_reason": None,
    "previous_secret_expires_at": None,
    "created_at": "2026-11-29T23:00:00.000Z",
    "updated_at": "2026-11-29T23:00:00.000Z",
    "secret": "whsec_" + "s" * 32,
}


class Script:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request):
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def refused(status, code):
    return httpx.Response(status, json={"message": "no", "errorCode": code, "ref": "r"})


def test_an_undo_keeps_its_idempotency_key_across_retries_and_reads_the_replay(make_client):
    replayed = {**UNDO, "replayed": True}
    script = Script(refused(503, "UNAVAILABLE"), httpx.Response(200, json=replayed))
    client = make_client(URL, KEY, handler=script)

    undone = client.undo_event("user-1", 7)

    first, second = script.requests
    assert (first.method, first.url.path) == ("POST", "/v2/users/user-1/events/7/undo")
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert (undone.replayed, undone.install_user_id) == (True, "user-3")


def test_creating_a_webhook_is_not_sent_again_after_a_lost_answer(make_client, sleeps):
    script = Script(httpx.ReadTimeout("lost"), httpx.Response(201, json=ENDPOINT))
    client = make_client(URL, KEY, handler=script)

    with pytest.raises(APITimeoutError):
        client.create_webhook("https://example.com/hooks")

    assert (len(script.requests), sleeps) == (1, [])


def test_creating_a_webhook_is_sent_again_after_a_429_or_503(make_client):
    script = Script(
        refused(429, "RATE_LIMITED"),
        refused(503, "UNAVAILABLE"),
        httpx.Response(201, json=ENDPOINT),
    )
    client = make_client(URL, KEY, handler=script)

    created = client.create_webhook("https://example.com/hooks", event_types=["user.restored"])

    assert len(script.requests) == 3
    assert json.loads(script.requests[0].content) == {
        "url": "https://example.com/hooks",
        "event_types": ["user.restored"],
        "description": "",
        "enabled": True,
    }
    assert created.secret == ENDPOINT["secret"]
    assert "whsec_" not in repr(created)


def test_rotating_a_secret_after_a_502_is_left_to_the_caller(make_client):
    script = Script(refused(502, "BAD_GATEWAY"), httpx.Response(200, json=ENDPOINT))
    client = make_client(URL, KEY, handler=script)

    with pytest.raises(ServerError) as caught:
        client.rotate_webhook_secret("hook-1")

    assert (caught.value.status, len(script.requests)) == (502, 1)


def test_an_update_sends_only_the_fields_given_and_none_for_every_type(make_client):
    script = Script(httpx.Response(200, json=ENDPOINT), httpx.Response(200, json=ENDPOINT))
    client = make_client(URL, KEY, handler=script)

    client.update_webhook("hook-1", event_types=None)
    client.update_webhook("hook-1", enabled=False, description="ops")

    assert [json.loads(r.content) for r in script.requests] == [
        {"event_types": None},
        {"description": "ops", "enabled": False},
    ]
    assert script.requests[0].method == "PATCH"


def test_ledger_filters_go_on_the_query(make_client):
    script = Script(httpx.Response(200, json={"items": [], "next_cursor": None}))
    client = make_client(URL, KEY, handler=script)

    client.events_page(
        "user-1",
        types=["user.restored", "user.linked"],
        since=datetime(2026, 11, 29, 22, 40, tzinfo=UTC),
        limit=10,
    )

    (request,) = script.requests
    assert dict(request.url.params) == {
        "limit": "10",
        "type": "user.restored,user.linked",
        "since": "2026-11-29T22:40:00+00:00",
    }


def test_a_deleted_webhook_whose_answer_was_lost_is_done_on_the_404(make_client):
    script = Script(httpx.ReadError("reset"), refused(404, "WEBHOOK_ENDPOINT_NOT_FOUND"))
    client = make_client(URL, KEY, handler=script)

    client.delete_webhook("hook-1")

    assert len(script.requests) == 2


def test_a_pending_message_redelivered_is_a_conflict(make_client):
    script = Script(refused(409, "WEBHOOK_MESSAGE_PENDING"))
    client = make_client(URL, KEY, handler=script)

    with pytest.raises(ConflictError) as caught:
        client.redeliver_webhook_message("hook-1", "msg_1")

    assert caught.value.error_code == "WEBHOOK_MESSAGE_PENDING"


@pytest.mark.parametrize(
    ("call", "args", "answer"),
    [
        ("preview_auth_code", ("alice",), {"outcome": "restore", "installs": []}),
        ("preview_link", ("install-1", "alice"), {"outcome": "join", "user_id": 3}),
        ("migration_report", (), {"users": "many"}),
        ("list_webhooks", (), {"endpoints": [{"id": "hook-1"}]}),
        ("merge_held_payloads", ("user-1",), {"merged": "2"}),
    ],
)
def test_an_answer_of_the_wrong_shape_is_an_api_response_error(make_client, call, args, answer):
    client = make_client(URL, KEY, handler=Script(httpx.Response(200, json=answer)))

    with pytest.raises(APIResponseError) as caught:
        getattr(client, call)(*args)

    assert caught.value.error_code == "INVALID_RESPONSE"
