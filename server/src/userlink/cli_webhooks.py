"""`userlink webhooks …` (an app's webhook endpoints, their messages and dead letters) and
`userlink worker` (the delivery worker). Registered by cli.py."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from userlink.cli import load_settings, parse_uuid, unit_of_work
from userlink.kit.clock import SystemClock, iso_utc
from userlink.runtime import build_runtime
from userlink.webhooks import service as webhooks
from userlink.webhooks.service import Endpoint, EndpointWithSecret, Message
from userlink.webhooks.worker import Worker

webhooks_cli = typer.Typer(
    help="Webhook endpoints of an app (docs/events.md); the secret is shown once.",
    no_args_is_help=True,
)

EventTypes = Annotated[
    list[str] | None,
    typer.Option("--type", help="An event type to deliver (repeat it); none: every type."),
]


def _endpoint_line(endpoint: Endpoint) -> str:
    types = " ".join(sorted(endpoint.event_types)) if endpoint.event_types else "(all types)"
    state = "enabled" if endpoint.enabled else f"disabled {endpoint.disabled_reason or ''}"
    return f"{endpoint.id}  {endpoint.url}  {state.strip()}  {types}"


def _print_secret(created: EndpointWithSecret) -> None:
    typer.echo(f"endpoint id  {created.endpoint.id}")
    typer.echo(f"url          {created.endpoint.url}")
    typer.echo(f"secret       {created.secret}   (shown once)")
    expires = created.endpoint.previous_secret_expires_at
    if expires is not None:
        typer.echo(f"previous     signs too until {iso_utc(expires)}")


def _message_line(message: Message) -> str:
    last = message.last_status_code or message.last_error or "-"
    return (
        f"{message.message_id}  {message.event_type:28} {message.status:9} "
        f"attempts {message.attempts}  last {last}  created {iso_utc(message.created_at)}"
    )


@webhooks_cli.command("create")
def create(
    app_id: str,
    url: str,
    event_type: EventTypes = None,
    description: Annotated[str, typer.Option(help="A note for people.")] = "",
) -> None:
    """Add an endpoint; prints its signing secret once."""
    with unit_of_work() as work:
        created = webhooks.create_endpoint(
            work, parse_uuid(app_id), url=url, event_types=event_type, description=description
        )
    _print_secret(created)


@webhooks_cli.command("list")
def list_endpoints(app_id: str) -> None:
    """The app's endpoints."""
    with unit_of_work() as work:
        found = webhooks.list_endpoints(work, parse_uuid(app_id))
    for endpoint in found:
        typer.echo(_endpoint_line(endpoint))


@webhooks_cli.command("update")
def update(
    app_id: str,
    endpoint_id: str,
    url: Annotated[str | None, typer.Option(help="A new URL.")] = None,
    event_type: EventTypes = None,
    all_types: Annotated[bool, typer.Option(help="Deliver every event type.")] = False,
    enabled: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Deliver, or stop delivering.")
    ] = None,
) -> None:
    """Change an endpoint's URL, event types or enabled flag."""
    changes: dict[str, object] = {"url": url, "enabled": enabled}
    if all_types:
        changes["event_types"] = None
    elif event_type:
        changes["event_types"] = event_type
    with unit_of_work() as work:
        endpoint = webhooks.update_endpoint(
            work,
            parse_uuid(app_id),
            parse_uuid(endpoint_id),
            **changes,  # type: ignore[arg-type]
        )
    typer.echo(_endpoint_line(endpoint))


@webhooks_cli.command("delete")
def delete(app_id: str, endpoint_id: str) -> None:
    """Delete an endpoint and its messages."""
    with unit_of_work() as work:
        webhooks.delete_endpoint(work, parse_uuid(app_id), parse_uuid(endpoint_id))
    typer.echo(f"{endpoint_id} deleted")


@webhooks_cli.command("rotate-secret")
def rotate_secret(
    app_id: str,
    endpoint_id: str,
    overlap_hours: Annotated[
        int, typer.Option(help="Hours the replaced secret keeps signing too (0-168).")
    ] = 24,
) -> None:
    """A new signing secret, printed once; the old one signs too during the overlap."""
    with unit_of_work() as work:
        rotated = webhooks.rotate_secret(
            work, parse_uuid(app_id), parse_uuid(endpoint_id), overlap_hours
        )
    _print_secret(rotated)


@webhooks_cli.command("messages")
def list_messages(
    app_id: str,
    endpoint_id: str,
    status: Annotated[
        str | None, typer.Option(help="pending, delivered or dead (the dead letters).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """An endpoint's messages, newest first."""
    if status is not None and status not in ("pending", "delivered", "dead"):
        raise typer.BadParameter("--status is pending, delivered or dead")
    with unit_of_work() as work:
        found = webhooks.list_messages(
            work, parse_uuid(app_id), parse_uuid(endpoint_id), status=status, limit=limit
        )
    for message in found:
        typer.echo(_message_line(message))


@webhooks_cli.command("redeliver")
def redeliver(app_id: str, endpoint_id: str, message_id: str) -> None:
    """Send a dead letter (or a delivered message) again, same id and body."""
    with unit_of_work() as work:
        message = webhooks.redeliver(work, parse_uuid(app_id), parse_uuid(endpoint_id), message_id)
    typer.echo(_message_line(message))


@webhooks_cli.command("test")
def send_test(app_id: str, endpoint_id: str) -> None:
    """Queue a `webhook.test` message to the endpoint."""
    with unit_of_work() as work:
        message = webhooks.send_test(work, parse_uuid(app_id), parse_uuid(endpoint_id))
    typer.echo(_message_line(message))


def worker_command(
    once: Annotated[
        bool, typer.Option(help="Deliver what is due now, then exit (else run until stopped).")
    ] = False,
) -> None:
    """Deliver webhooks: claims due messages from the outbox, signs and sends them, retries.
    Run any number on PostgreSQL; SIGTERM or Ctrl-C stops it after the message in flight."""
    settings = load_settings()
    runtime = build_runtime(settings, SystemClock())
    worker = Worker(unit_of_work=runtime.unit_of_work, settings=settings, clock=runtime.clock)
    stop = threading.Event()

    def stop_on(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    try:
        if once:
            while worker.run_once():
                pass
            return
        signal.signal(signal.SIGTERM, stop_on)
        signal.signal(signal.SIGINT, stop_on)
        typer.echo("userlink worker: delivering webhooks (Ctrl-C to stop)")
        worker.run_until(stop)
    finally:
        worker.close()
        runtime.database.dispose()
