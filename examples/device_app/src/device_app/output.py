"""One line for people per command result (the CLI prints these; the demo reuses them)."""

from __future__ import annotations

from userlink_sdk import ResetResult, SdkStatus, UploadReport

from .app import CreatedUser, DeviceStatus, LegacyInit, LoggedOut, Recorded
from .backend import Session

__all__ = [
    "describe_created",
    "describe_install",
    "describe_legacy",
    "describe_logout",
    "describe_recorded",
    "describe_reset",
    "describe_session",
    "describe_status",
    "describe_upload",
]


def describe_install(status: SdkStatus | None) -> str:
    if status is None:
        return "install status unknown (platform not reachable)"
    if not status.user_exists:
        return "no platform user on this device"
    if status.is_remote_enabled:
        return f"install {status.install_id} active"
    since = status.inactive_since
    when = f" since {since.isoformat(timespec='seconds')}" if since is not None else ""
    return f"install {status.install_id} inactive ({status.inactive_reason}{when})"


def describe_session(session: Session, *, signed_up: bool = False) -> str:
    verb = "signed up and logged in as" if signed_up else "logged in as"
    return f"{verb} {session.username} (backend user {session.user_id})"


def describe_created(created: CreatedUser) -> str:
    verb = "restored" if created.restored else "created"
    return f"user {created.user_id} {verb}; {describe_install(created.status)}"


def describe_legacy(init: LegacyInit) -> str:
    what = "linked" if init.linked else "initialised, not linked"
    return (
        f"{what}: user {init.user_id} (app credentials from the {init.credentials_from}); "
        f"{describe_install(init.status)}"
    )


def describe_status(status: DeviceStatus) -> str:
    who = f"{status.username} logged in" if status.username else "not logged in"
    if not status.sdk.user_exists:
        return f"{who}; no platform user on this device"
    return f"{who}; user {status.sdk.user_id} {describe_install(status.sdk)}"


def describe_recorded(recorded: Recorded) -> str:
    return f"queued payload {recorded.payload_id}; {recorded.pending} waiting to upload"


def describe_upload(report: UploadReport) -> str:
    counts = (
        f"uploaded {report.sent}: {report.processed} processed, "
        f"{report.not_processed} not processed, {report.duplicates} duplicates, "
        f"{report.rejected} rejected"
    )
    if not report.is_remote_enabled:
        return f"{counts}; install inactive, {report.remaining} kept on the device"
    return f"{counts}; {report.remaining} waiting"


def describe_reset(result: ResetResult) -> str:
    if result.deregistered_on_server:
        return "SDK reset: install deregistered on the platform, device data deleted"
    return f"SDK reset: device data deleted ({result.details})"


def describe_logout(logged_out: LoggedOut) -> str:
    backend = "" if logged_out.backend_told else " (backend unreachable: session forgotten here)"
    return f"logged out {logged_out.username}{backend}; {describe_reset(logged_out.reset)}"
