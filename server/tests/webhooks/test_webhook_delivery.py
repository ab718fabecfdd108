"""Delivery through the outbox: events become signed messages (Standard Webhooks) that a worker
delivers to a real receiver, retries, gives up on, and delivers again on request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Mapping

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event
from standardwebhooks.webhooks import Webhook

from userlink.webhooks.worker import Outcome, Sender, Worker
from userlink_testing.factories.devices import bearer, issue_code, redeem
from userlink_testing.factories.webhooks import create_endpoint, messages, worker
from userlink_testing.live import LiveServer
from userlink_testing.receiver import Answer, Receiver

from .conftest import HooksTenant


def independent_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """The specification's algorithm written out: HMAC-SHA256 with the base64-decoded secret
    after `whsec_`, over `id.timestamp.body`, base64, versioned `v1,`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_an_event_is_delivered_signed_per_the_specification(
    hooks_api: httpx.Client,
    hooks_tenant: HooksTenant,
    receiver: Receiver,
    delivery: Worker,
) -> None:
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url + "/hooks")
    issue_code(hooks_api, hooks_tenant.link_key, "alice")

    assert delivery.run_once() == 1

    [request] = receiver.received
    assert request.path == "/hooks"
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["webhook-signature"] == independent_signature(
        endpoint["secret"],
        request.headers["webhook-id"],
        request.headers["webhook-timestamp"],
        request.body,
    )
    body = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert body["type"] == "auth_code.issued"
    assert body["data"]["app_id"] == str(hooks_tenant.app_id)
    assert set(body) == {"type", "timestamp", "data"}
    [message] = messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"])
    assert (message["id"], message["status"], message["attempts"]) == (
        request.headers["webhook-id"],
        "delivered",
        1,
    )


def test_an_endpoint_gets_only_the_types_it_subscribes_to(
    hooks_api: httpx.Client, hooks_tenant: HooksTenant, receiver: Receiver, delivery: Worker
) -> None:
    create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url, event_types=["user.restored"])
    everything = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url + "/all")
    code = issue_code(hooks_api, hooks_tenant.link_key, "bob")
    redeem(hooks_api, code)
    redeem(hooks_api, issue_code(hooks_api, hooks_tenant.link_key, "bob"))

    while delivery.run_once():
        pass

    restored = [r for r in receiver.received if r.path == "/"]
    assert [json.loads(r.body)["type"] for r in restored] == ["user.restored"]
    assert {json.loads(r.body)["type"] for r in receiver.received if r.path == "/all"} >= {
        "auth_code.issued",
        "user.created",
        "user.restored",
    }
    assert all(
        m["status"] == "delivered"
        for m in messages(hooks_api, hooks_tenant.hooks_key, everything["id"])
    )


def test_a_disabled_endpoint_gets_no_message(
    hooks_api: httpx.Client, hooks_tenant: HooksTenant, receiver: Receiver, delivery: Worker
) -> None:
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url, enabled=False)
    issue_code(hooks_api, hooks_tenant.link_key, "carol")

    assert delivery.run_once() == 0
    assert messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"]) == []


def test_an_endpoint_made_by_this_process_gets_the_next_event_at_once(
    hooks: LiveServer,
    hooks_api: httpx.Client,
    hooks_tenant: HooksTenant,
    receiver: Receiver,
) -> None:
    issue_code(hooks_api, hooks_tenant.link_key, "dave")  # the app's (empty) list is cached
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url)
    issue_code(hooks_api, hooks_tenant.link_key, "dave")

    assert len(messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"])) == 1


def test_an_app_without_endpoints_pays_no_statement_for_its_events(
    hooks: LiveServer, hooks_api: httpx.Client, hooks_tenant: HooksTenant
) -> None:
    issue_code(hooks_api, hooks_tenant.link_key, "erin")
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = hooks.runtime.database.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        issue_code(hooks_api, hooks_tenant.link_key, "erin")
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    assert statements
    assert not [s for s in statements if "webhook" in s]


def test_a_receiver_answering_500_gets_the_message_again_on_retry(
    hooks: LiveServer,
    hooks_api: httpx.Client,
    hooks_tenant: HooksTenant,
    receiver: Receiver,
    delivery: Worker,
) -> None:
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url)
    receiver.answer(Answer(500))
    issue_code(hooks_api, hooks_tenant.link_key, "frank")

    assert delivery.run_once() == 1
    [waiting] = messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"])
    assert (waiting["status"], waiting["attempts"], waiting["last_status_code"]) == (
        "pending",
        1,
        500,
    )
    assert delivery.run_once() == 0  # not due yet
    hooks.clock.advance(minutes=1)
    assert delivery.run_once() == 1

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    [done] = messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"])
    assert (done["status"], done["attempts"]) == ("delivered", 2)


def test_a_stopping_worker_ends_the_message_in_flight_and_hands_back_the_rest(
    hooks: LiveServer,
    hooks_api: httpx.Client,
    hooks_tenant: HooksTenant,
    receiver: Receiver,
) -> None:
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url)
    for name in ("gina", "hugo", "ines"):
        issue_code(hooks_api, hooks_tenant.link_key, name)
    stop = threading.Event()

    class StopAfterOneSend(Sender):
        def send(self, url: str, headers: Mapping[str, str], body: str) -> Outcome:
            outcome = super().send(url, headers, body)
            stop.set()  # SIGTERM arrives while the first message is in flight
            return outcome

    stopping = Worker(
        unit_of_work=hooks.runtime.unit_of_work,
        settings=hooks.runtime.settings,
        clock=hooks.runtime.clock,
        sender=StopAfterOneSend(timeout=5, insecure_allowed=True),
    )
    try:
        stopping.run_until(stop)
    finally:
        stopping.close()

    assert len(receiver.received) == 1
    listed = messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"])
    assert sorted((m["status"], m["attempts"]) for m in listed) == [
        ("delivered", 1),
        ("pending", 0),
        ("pending", 0),
    ]
    # Handed back due at once: the next worker delivers them without waiting for a lease.
    next_worker = worker(hooks.runtime)
    try:
        assert next_worker.run_once() == 2
    finally:
        next_worker.close()
    assert len(receiver.received) == 3


def test_a_receiver_that_hangs_is_timed_out(
    hooks_api: httpx.Client, hooks_tenant: HooksTenant, receiver: Receiver, delivery: Worker
) -> None:
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url)
    receiver.answer(Answer(200, delay=5))
    issue_code(hooks_api, hooks_tenant.link_key, "grace")

    delivery.run_once()

    [message] = messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"])
    assert (message["status"], message["last_error"]) == ("pending", "Timed out.")


def test_a_redirect_is_never_followed(
    hooks_api: httpx.Client, hooks_tenant: HooksTenant, receiver: Receiver, delivery: Worker
) -> None:
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url + "/old")
    receiver.answer(Answer(307, headers={"location": receiver.url + "/new"}))
    issue_code(hooks_api, hooks_tenant.link_key, "heidi")

    delivery.run_once()

    assert [r.path for r in receiver.received] == ["/old"]
    [message] = messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"])
    assert (message["status"], message["last_status_code"]) == ("pending", 307)


def test_a_410_disables_the_endpoint(
    hooks_api: httpx.Client, hooks_tenant: HooksTenant, receiver: Receiver, delivery: Worker
) -> None:
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url)
    receiver.answer(Answer(410))
    issue_code(hooks_api, hooks_tenant.link_key, "ivan")

    delivery.run_once()
    issue_code(hooks_api, hooks_tenant.link_key, "ivan")

    found = hooks_api.get(f"/v2/webhooks/{endpoint['id']}", headers=bearer(hooks_tenant.hooks_key))
    assert (found.json()["enabled"], found.json()["disabled_reason"]) == (
        False,
        "The receiver answered 410 Gone.",
    )
    [message] = messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"])
    assert message["status"] == "dead"


def test_a_message_never_accepted_for_3_days_is_a_dead_letter_and_can_be_redelivered(
    hooks: LiveServer,
    hooks_api: httpx.Client,
    hooks_tenant: HooksTenant,
    receiver: Receiver,
    delivery: Worker,
) -> None:
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url)
    receiver.answer(*[Answer(503)] * 100)
    issue_code(hooks_api, hooks_tenant.link_key, "judy")

    attempts = 0
    while not messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"], status="dead"):
        attempts += delivery.run_once()
        hooks.clock.advance(hours=8, minutes=30)
    assert 8 < attempts < 40
    receiver.answers.clear()

    [dead] = messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"], status="dead")
    again = hooks_api.post(
        f"/v2/webhooks/{endpoint['id']}/messages/{dead['id']}/redeliver",
        headers=bearer(hooks_tenant.hooks_key),
    )
    assert (again.status_code, again.json()["status"]) == (200, "pending")
    pending = hooks_api.post(
        f"/v2/webhooks/{endpoint['id']}/messages/{dead['id']}/redeliver",
        headers=bearer(hooks_tenant.hooks_key),
    )
    assert (pending.status_code, pending.json()["errorCode"]) == (409, "WEBHOOK_MESSAGE_PENDING")
    delivery.run_once()
    [done] = messages(hooks_api, hooks_tenant.hooks_key, endpoint["id"])
    assert (done["id"], done["status"]) == (dead["id"], "delivered")
    assert receiver.received[-1].headers["webhook-id"] == dead["id"]


def test_the_test_event_reaches_the_endpoint(
    hooks_api: httpx.Client, hooks_tenant: HooksTenant, receiver: Receiver, delivery: Worker
) -> None:
    endpoint = create_endpoint(
        hooks_api, hooks_tenant.hooks_key, receiver.url, event_types=["user.restored"]
    )
    sent = hooks_api.post(
        f"/v2/webhooks/{endpoint['id']}/test", headers=bearer(hooks_tenant.hooks_key)
    )
    assert sent.status_code == 202

    delivery.run_once()

    [request] = receiver.received
    assert json.loads(request.body)["type"] == "webhook.test"
    assert request.headers["webhook-id"] == sent.json()["id"]


def test_during_a_rotation_both_secrets_sign(
    hooks_api: httpx.Client, hooks_tenant: HooksTenant, receiver: Receiver, delivery: Worker
) -> None:
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url)
    rotated = hooks_api.post(
        f"/v2/webhooks/{endpoint['id']}/rotate-secret",
        json={"overlap_hours": 2},
        headers=bearer(hooks_tenant.hooks_key),
    )
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != endpoint["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None
    hooks_api.post(f"/v2/webhooks/{endpoint['id']}/test", headers=bearer(hooks_tenant.hooks_key))

    delivery.run_once()

    [request] = receiver.received
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(endpoint["secret"]).verify(request.body, request.headers)
    Webhook(rotated.json()["secret"]).verify(request.body, request.headers)


def test_after_the_overlap_only_the_new_secret_signs(
    hooks: LiveServer,
    hooks_api: httpx.Client,
    hooks_tenant: HooksTenant,
    receiver: Receiver,
    delivery: Worker,
) -> None:
    endpoint = create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url)
    rotated = hooks_api.post(
        f"/v2/webhooks/{endpoint['id']}/rotate-secret",
        json={"overlap_hours": 1},
        headers=bearer(hooks_tenant.hooks_key),
    ).json()
    hooks.clock.advance(hours=2)
    hooks_api.post(f"/v2/webhooks/{endpoint['id']}/test", headers=bearer(hooks_tenant.hooks_key))

    delivery.run_once()

    [request] = receiver.received
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    assert request.headers["webhook-signature"] == independent_signature(
        rotated["secret"],
        request.headers["webhook-id"],
        request.headers["webhook-timestamp"],
        request.body,
    )


@pytest.mark.parametrize(
    "url", ["https://localhost:1/hook", "https://127.0.0.1:1/hook", "http://example.com/hook"]
)
def test_outside_development_private_addresses_and_http_are_refused_at_delivery(
    url: str,
) -> None:
    from userlink.webhooks.worker import Sender

    sender = Sender(timeout=1, insecure_allowed=False)
    try:
        outcome = sender.send(url, {}, "{}")
    finally:
        sender.close()
    assert outcome.status_code is None
    assert outcome.error is not None
    assert outcome.error.startswith("Refused")


def backlog(api: httpx.Client) -> dict[str, float]:
    answer = api.get("/metrics")
    assert answer.status_code == 200, answer.text
    return {
        sample.labels["status"]: sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == "userlink_webhook_messages"
    }


def test_the_metrics_show_the_backlog_and_the_dead_letters(
    hooks: LiveServer,
    hooks_api: httpx.Client,
    hooks_tenant: HooksTenant,
    receiver: Receiver,
    delivery: Worker,
) -> None:
    create_endpoint(hooks_api, hooks_tenant.hooks_key, receiver.url)
    receiver.answer(*[Answer(500)] * 100)  # every attempt fails
    issue_code(hooks_api, hooks_tenant.link_key, "gina")
    issue_code(hooks_api, hooks_tenant.link_key, "hugo")

    assert backlog(hooks_api) == {"pending": 2, "dead": 0}
    assert delivery.run_once() == 2
    assert backlog(hooks_api) == {"pending": 2, "dead": 0}  # failed once, to be retried

    for _ in range(40):  # past the last attempt, three days on: dead letters
        hooks.clock.advance(hours=8)
        delivery.run_once()
    assert backlog(hooks_api) == {"pending": 0, "dead": 2}
