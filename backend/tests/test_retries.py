"""Retries, `Retry-After`, idempotency keys, timeouts and errors, on a scripted platform
(`httpx.MockTransport`), sync and async."""

from __future__ import annotations

import contextlib
import json
import logging

import httpx
import pytest

import userlink_backend
from userlink_backend import (
    APIConnectionError,
    APIResponseError,
    APITimeoutError,
    RateLimitError,
    ServerError,
    UserLinkBackendError,
)

URL = "https://platform.test"
KEY = "ulk_secret_key_for_the_tests_0123456789"
CODE = {"authentication_code": "c" * 128, "expires_at": "2026-11-21T23:08:33.561Z"}


class Script:
    """Answers the requests in order from `answers` (a response, or an exception to raise), then
    `last`; records every request."""

    def __init__(self, *answers, last=None):
        self.answers = list(answers)
        self.last = last if last is not None else httpx.Response(200, json=CODE)
        self.requests: list[httpx.Request] = []

    def __call__(self, request):
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else self.last
        if isinstance(answer, Exception):
            raise answer
        return answer


def refused(status, code, retry_after=None):
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(
        status, headers=headers, json={"message": "no", "errorCode": code, "ref": f"ref-{status}"}
    )


def test_a_429_then_200_waits_as_asked_and_succeeds(make_client, sleeps):
    script = Script(refused(429, "RATE_LIMITED", "3"))
    client = make_client(URL, KEY, handler=script)

    code = client.issue_auth_code("alice")

    assert (code.code, sleeps, len(script.requests)) == ("c" * 128, [3.0], 2)


def test_retry_after_as_an_http_date_is_read_against_the_answers_date(make_client, sleeps):
    answer = httpx.Response(
        503,
        headers={
            "Retry-After": "Wed, 21 Oct 2015 07:28:07 GMT",
            "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
        },
        json={"message": "busy", "errorCode": "UNAVAILABLE", "ref": "r"},
    )
    client = make_client(URL, KEY, handler=Script(answer))

    client.issue_auth_code("alice")

    assert sleeps == [7.0]


def test_one_logical_call_keeps_its_idempotency_key_across_retries(make_client):
    script = Script(refused(503, "UNAVAILABLE"), httpx.ReadError("reset"))
    client = make_client(URL, KEY, handler=script)

    client.issue_auth_code("alice")
    client.issue_auth_code("alice")

    keys = [r.headers.get("Idempotency-Key") for r in script.requests]
    assert len(keys) == 4
    assert None not in keys
    assert keys[0] == keys[1] == keys[2] != keys[3]


@pytest.mark.parametrize(
    ("call", "args", "answer", "idempotent"),
    [
        ("issue_auth_code", ("alice",), CODE, True),
        ("link_install", ("install-1", "alice"), {"id": "user-1"}, True),
        ("delete_user", ("user-1",), None, True),
        ("get_user_by_external_id", ("alice",), None, False),
        ("timeline_page", ("user-1",), {"items": [], "next_cursor": None}, False),
    ],
)
def test_idempotency_keys_go_on_the_writes_only(make_client, call, args, answer, idempotent):
    response = httpx.Response(204) if answer is None else httpx.Response(200, json=answer)
    if call == "get_user_by_external_id":
        response = refused(404, "USER_NOT_FOUND")
    script = Script(last=response)
    client = make_client(URL, KEY, handler=script)

    with contextlib.suppress(userlink_backend.NotFoundError):
        getattr(client, call)(*args)

    (request,) = script.requests
    assert ("Idempotency-Key" in request.headers) is idempotent
    assert request.headers["Authorization"] == f"Bearer {KEY}"


def test_the_requests_are_the_documented_ones(make_client):
    script = Script(last=httpx.Response(200, json={"id": "user-1"}))
    client = make_client(URL, KEY, handler=script)

    client.link_install("inst/1", 42)

    (request,) = script.requests
    assert (request.method, request.url.raw_path) == ("POST", b"/v2/users/inst%2F1/link")
    assert json.loads(request.content) == {"external_id": 42}
    assert request.headers["User-Agent"].startswith("userlink-backend-python/")


def test_a_wait_longer_than_max_retry_wait_is_not_taken(make_client, sleeps):
    script = Script(refused(429, "EXTERNAL_ID_VELOCITY_EXCEEDED", "2140"))
    client = make_client(URL, KEY, handler=script, max_retry_wait=30)

    with pytest.raises(RateLimitError) as caught:
        client.link_install("install-1", "alice")

    error = caught.value
    assert (error.retry_after, error.error_code, error.ref, sleeps) == (
        2140.0,
        "EXTERNAL_ID_VELOCITY_EXCEEDED",
        "ref-429",
        [],
    )
    assert len(script.requests) == 1


def test_transient_failures_back_off_exponentially_then_give_up(make_client, sleeps):
    script = Script(last=refused(502, "BAD_GATEWAY"))
    client = make_client(URL, KEY, handler=script, max_retries=3)

    with pytest.raises(ServerError) as caught:
        client.get_user("user-1")

    assert (caught.value.status, len(script.requests)) == (502, 4)
    assert len(sleeps) == 3
    assert [0.5 <= sleeps[0] <= 1.0, 1.0 <= sleeps[1] <= 1.5, 2.0 <= sleeps[2] <= 2.5] == [True] * 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 500])
def test_other_statuses_are_not_retried(make_client, sleeps, status):
    script = Script(last=refused(status, "X"))
    client = make_client(URL, KEY, handler=script)

    with pytest.raises(userlink_backend.APIStatusError) as caught:
        client.get_user("user-1")

    assert (caught.value.status, len(script.requests), sleeps) == (status, 1, [])


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, userlink_backend.InvalidRequestError),
        (401, userlink_backend.AuthenticationError),
        (403, userlink_backend.PermissionDeniedError),
        (404, userlink_backend.NotFoundError),
        (409, userlink_backend.ConflictError),
        (413, userlink_backend.InvalidRequestError),
        (415, userlink_backend.InvalidRequestError),
        (422, userlink_backend.InvalidRequestError),
        (429, userlink_backend.RateLimitError),
        (500, userlink_backend.ServerError),
        (504, userlink_backend.ServerError),
    ],
)
def test_each_status_has_its_error_class_in_one_tree(make_client, status, kind):
    client = make_client(URL, KEY, handler=Script(last=refused(status, "CODE")), max_retries=0)

    with pytest.raises(kind) as caught:
        client.get_user("user-1")

    assert isinstance(caught.value, UserLinkBackendError)
    assert (caught.value.status, caught.value.error_code, caught.value.ref) == (
        status,
        "CODE",
        f"ref-{status}",
    )


def test_a_connection_failure_is_retried_then_succeeds(make_client, sleeps):
    script = Script(httpx.ConnectError("refused"), httpx.ConnectError("refused"))
    client = make_client(URL, KEY, handler=script)

    assert client.issue_auth_code("alice").code == "c" * 128
    assert len(sleeps) == 2


def test_a_timeout_on_every_attempt_is_an_api_timeout_error_without_status(make_client):
    client = make_client(URL, KEY, handler=Script(last=httpx.ReadTimeout("slow")), max_retries=1)

    with pytest.raises(APITimeoutError) as caught:
        client.get_user("user-1")

    assert isinstance(caught.value, APIConnectionError)
    assert (caught.value.status, caught.value.ref, caught.value.error_code) == (
        None,
        None,
        "TIMEOUT",
    )


def test_the_timeout_reaches_every_request(make_client):
    script = Script(last=httpx.Response(200, json={"items": [], "next_cursor": None}))
    client = make_client(URL, KEY, handler=script, timeout=2.5)

    client.timeline_page("user-1")

    assert script.requests[0].extensions["timeout"]["read"] == 2.5


def test_a_delete_whose_answer_was_lost_is_done_when_the_retry_finds_nothing(make_client):
    script = Script(httpx.ReadError("reset after the platform deleted"), last=refused(404, "X"))
    client = make_client(URL, KEY, handler=script)

    assert client.delete_user("user-1") is None
    assert len(script.requests) == 2


def test_a_delete_of_an_unknown_user_is_not_found(make_client):
    client = make_client(URL, KEY, handler=Script(last=refused(404, "USER_NOT_FOUND")))

    with pytest.raises(userlink_backend.NotFoundError):
        client.delete_user("user-1")


def test_an_unreadable_success_answer_is_an_api_response_error(make_client):
    client = make_client(URL, KEY, handler=Script(last=httpx.Response(200, json={"code": 1})))

    with pytest.raises(APIResponseError) as caught:
        client.issue_auth_code("alice")

    assert caught.value.error_code == "INVALID_RESPONSE"


def test_pagination_follows_next_cursor_until_null(make_client):
    def item(n):
        return {
            "id": f"p{n}",
            "install_id": "i",
            "type": "trip",
            "timestamp": "2026-01-01T00:00:00.000Z",
            "body": {"n": n},
        }

    script = Script(
        httpx.Response(200, json={"items": [item(1), item(2)], "next_cursor": "c1"}),
        httpx.Response(200, json={"items": [item(3)], "next_cursor": None}),
    )
    client = make_client(URL, KEY, handler=script)

    items = list(client.iter_timeline("user-1", page_size=2))

    assert [i.id for i in items] == ["p1", "p2", "p3"]
    assert [r.url.params.get("cursor") for r in script.requests] == [None, "c1"]
    assert {r.url.params["limit"] for r in script.requests} == {"2"}


def test_retries_are_logged_without_the_key(make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(URL, KEY, handler=Script(refused(503, "UNAVAILABLE", "1")))

    client.issue_auth_code("alice")

    messages = [r.getMessage() for r in caplog.records if r.name == "userlink_backend"]
    assert len(messages) == 1
    assert "503 UNAVAILABLE" in messages[0]
    assert [m for m in caplog.messages if KEY in m] == []


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"base_url": "ftp://x"}, "base_url"),
        ({"api_key": ""}, "api_key"),
        ({"max_retries": -1}, "max_retries"),
    ],
)
def test_bad_options_are_refused_without_quoting_the_key(make_client, kwargs, problem):
    arguments = {"base_url": URL, "api_key": KEY, **kwargs}

    with pytest.raises(ValueError, match=problem) as caught:
        make_client(arguments.pop("base_url"), arguments.pop("api_key"), **arguments)

    assert KEY not in str(caught.value)


def test_bad_arguments_are_refused_before_sending(make_client):
    script = Script()
    client = make_client(URL, KEY, handler=script)

    with pytest.raises(ValueError, match="limit"):
        client.timeline_page("user-1", limit=0)
    with pytest.raises(TypeError, match="external_id"):
        client.issue_auth_code(1.5)

    assert script.requests == []
