"""`device-app` (or `python -m device_app`): one device of the example app, from a shell.

    device-app --device ./devices/phone-1 --backend http://127.0.0.1:8080 \\
        --platform android --model "Pixel 8" --diagonal 6.2 signup alice
    device-app --device ./devices/phone-1 create-user

Settings given once are remembered in the device directory (`device.json`). Every command prints
one line; a failure prints `error: <CODE>: <message>` on stderr and exits with status 1.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from .app import DeviceApp
from .errors import INVALID_PAYLOAD, STORAGE_ERROR, DeviceAppError
from .output import (
    describe_created,
    describe_legacy,
    describe_logout,
    describe_recorded,
    describe_reset,
    describe_session,
    describe_status,
    describe_upload,
)

__all__ = ["cli", "main"]

cli = typer.Typer(
    help="One device of the example app: the userlink SDK plus the customer backend.",
    no_args_is_help=True,
    add_completion=False,
)


class PlatformChoice(enum.StrEnum):
    android = "android"
    ios = "ios"
    other = "other"


class IdiomChoice(enum.StrEnum):
    phone = "phone"
    pad = "pad"


def _app(context: typer.Context) -> DeviceApp:
    app = context.obj
    assert isinstance(app, DeviceApp)
    return app


def _run(call: Callable[[], str]) -> None:
    try:
        line = call()
    except DeviceAppError as error:
        _fail(error)
    except OSError as error:  # the device directory: disk full, permissions
        _fail(DeviceAppError(STORAGE_ERROR, str(error)))
    typer.echo(line)


def _fail(error: DeviceAppError) -> NoReturn:
    typer.echo(f"error: {error.code}: {error.message}", err=True)
    raise typer.Exit(1) from error


@cli.callback()
def device_options(
    context: typer.Context,
    device: Annotated[
        Path,
        typer.Option(envvar="DEVICE_APP_DEVICE", help="The device's directory (its storage)."),
    ],
    backend: Annotated[
        str | None,
        typer.Option(envvar="DEVICE_APP_BACKEND", help="The customer backend's URL."),
    ] = None,
    platform: Annotated[PlatformChoice | None, typer.Option(help="The device's OS.")] = None,
    model: Annotated[str | None, typer.Option(help="e.g. 'Pixel 8'.")] = None,
    os_version: Annotated[str | None, typer.Option(help="e.g. '14'.")] = None,
    diagonal: Annotated[
        float | None, typer.Option(help="Screen diagonal, inches (Android: < 7 is a phone).")
    ] = None,
    idiom: Annotated[IdiomChoice | None, typer.Option(help="iOS: phone or pad.")] = None,
    pin: Annotated[
        list[str] | None,
        typer.Option(help="SHA-256 of the platform's public key (SPKI), base64 or hex; repeat."),
    ] = None,
    ca_file: Annotated[
        Path | None, typer.Option(help="CA bundle the SDK trusts for the platform.")
    ] = None,
    platform_url: Annotated[
        str | None, typer.Option(help="Use this platform URL instead of the backend's.")
    ] = None,
    attestation_key: Annotated[
        Path | None,
        typer.Option(help="PEM private key that signs attestation statements (simulated OS)."),
    ] = None,
    package_name: Annotated[
        str | None, typer.Option(help="The app's package name, claimed in attestations.")
    ] = None,
) -> None:
    """Settings given here are remembered in the device directory for later commands."""
    try:
        context.obj = DeviceApp.open(
            device,
            backend_url=backend,
            platform=platform.value if platform else None,
            model=model,
            os_version=os_version,
            diagonal=diagonal,
            idiom=idiom.value if idiom else None,
            pins=tuple(pin or ()),
            ca_file=ca_file,
            platform_url=platform_url,
            attestation_key=attestation_key,
            package_name=package_name,
        )
    except DeviceAppError as error:
        _fail(error)
    except OSError as error:
        _fail(DeviceAppError(STORAGE_ERROR, str(error)))


Password = Annotated[
    str,
    typer.Option(
        prompt=True, hide_input=True, envvar="DEVICE_APP_PASSWORD", help="Prompted if not given."
    ),
]


@cli.command()
def signup(context: typer.Context, username: str, password: Password) -> None:
    """Create an account at the backend and log in."""
    _run(lambda: describe_session(_app(context).signup(username, password), signed_up=True))


@cli.command()
def login(context: typer.Context, username: str, password: Password) -> None:
    """Log in at the backend."""
    _run(lambda: describe_session(_app(context).login(username, password)))


@cli.command("create-user")
def create_user(context: typer.Context) -> None:
    """Get a code from the backend and redeem it: creates or restores the platform user."""
    _run(lambda: describe_created(_app(context).create_user()))


@cli.command("init-legacy")
def init_legacy(context: typer.Context) -> None:
    """Legacy flow: initialise with the app credentials; the linker asks the backend to link."""
    _run(lambda: describe_legacy(_app(context).init_legacy()))


@cli.command()
def status(context: typer.Context) -> None:
    """Who is logged in, the platform user, and whether this install is the active one."""
    _run(lambda: describe_status(_app(context).status()))


@cli.command()
def record(
    context: typer.Context,
    type: Annotated[str, typer.Argument(help="The payload type, e.g. trip.")],
    body: Annotated[str, typer.Argument(help="A JSON object, e.g. '{\"km\": 12.5}'.")],
) -> None:
    """Queue a payload on the device (durably); `upload` sends it."""

    def call() -> str:
        try:
            parsed: Any = json.loads(body)
        except ValueError as exc:
            raise DeviceAppError(INVALID_PAYLOAD, f"not JSON: {exc}") from exc
        return describe_recorded(_app(context).record(type, parsed))

    _run(call)


@cli.command()
def upload(context: typer.Context) -> None:
    """Upload the queued payloads (only an active install's are processed)."""
    _run(lambda: describe_upload(_app(context).upload()))


@cli.command()
def reset(context: typer.Context) -> None:
    """Reset the SDK: deregister the install, delete its data (the app stays logged in)."""
    _run(lambda: describe_reset(_app(context).reset()))


@cli.command()
def logout(context: typer.Context) -> None:
    """Reset the SDK (as the vendor advises), then log out of the backend."""
    _run(lambda: describe_logout(_app(context).logout()))


def main() -> None:
    cli()
