"""What the app knows about itself and its device, remembered in `device.json` in the device
directory so that later commands need not repeat it.

In a real app, `backend_url`, `pins` and `package_name` are build configuration and the device
description comes from the OS; this CLI takes them as options because it plays many devices.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Literal, get_args

from .errors import INVALID_SETTINGS, DeviceAppError
from .storage import read_json, write_json

__all__ = ["DeviceSettings", "Idiom", "Platform", "load_settings", "save_settings"]

Platform = Literal["android", "ios", "other"]
Idiom = Literal["phone", "pad"]

SETTINGS_FILE = "device.json"


@dataclasses.dataclass(frozen=True)
class DeviceSettings:
    backend_url: str | None = None
    """The customer backend, e.g. https://api.example.com."""
    platform: Platform = "other"
    model: str | None = None
    os_version: str | None = None
    diagonal: float | None = None
    """Screen diagonal in inches (Android: under 7 is a phone)."""
    idiom: Idiom | None = None
    """iOS: phone (iPhone) or pad (iPad)."""
    pins: tuple[str, ...] = ()
    """SHA-256 of the platform's public key (SPKI), base64 or hex: the SDK pins it."""
    ca_file: str | None = None
    """A CA bundle the SDK trusts for the platform (a private CA or a self-signed certificate)."""
    platform_url: str | None = None
    """Overrides the platform URL the backend reports (e.g. a TLS front for the same platform)."""
    attestation_key: str | None = None
    """PEM private key that signs attestation statements (simulates the OS attestation)."""
    package_name: str | None = None
    """The app's package name, a claim of the attestation statement."""

    def updated(self, **changes: Any) -> DeviceSettings:
        """These settings with every change that is not None (an empty `pins` keeps the pins)."""
        given = {
            name: value for name, value in changes.items() if value is not None and value != ()
        }
        unknown = set(given) - {field.name for field in dataclasses.fields(self)}
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        if "pins" in given:
            given["pins"] = tuple(given["pins"])
        return _checked(dataclasses.replace(self, **given))


def _checked(settings: DeviceSettings) -> DeviceSettings:
    if settings.platform not in get_args(Platform):
        raise DeviceAppError(INVALID_SETTINGS, f"platform must be one of {get_args(Platform)}")
    if settings.idiom is not None and settings.idiom not in get_args(Idiom):
        raise DeviceAppError(INVALID_SETTINGS, f"idiom must be one of {get_args(Idiom)}")
    if settings.diagonal is not None and not 0 < settings.diagonal < 100:
        raise DeviceAppError(INVALID_SETTINGS, "diagonal is in inches, between 0 and 100")
    return settings


def load_settings(directory: Path) -> DeviceSettings:
    try:
        data = read_json(directory / SETTINGS_FILE)
    except ValueError as exc:
        raise DeviceAppError(INVALID_SETTINGS, str(exc)) from exc
    if data is None:
        return DeviceSettings()
    data["pins"] = tuple(data.get("pins") or ())
    try:
        return _checked(DeviceSettings(**data))
    except TypeError as exc:
        raise DeviceAppError(INVALID_SETTINGS, f"{directory / SETTINGS_FILE}: {exc}") from exc


def save_settings(directory: Path, settings: DeviceSettings) -> None:
    data = dataclasses.asdict(settings)
    data["pins"] = list(settings.pins)
    write_json(directory / SETTINGS_FILE, data)
