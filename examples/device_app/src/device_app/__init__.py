"""The example device app: one device on the userlink SDK and the reference customer backend."""

from .app import CreatedUser, DeviceApp, DeviceStatus, LegacyInit, LoggedOut, Recorded
from .attestation import Attester
from .backend import AppCredentials, AuthCode, BackendClient, Session
from .errors import DeviceAppError
from .settings import DeviceSettings

__all__ = [
    "AppCredentials",
    "Attester",
    "AuthCode",
    "BackendClient",
    "CreatedUser",
    "DeviceApp",
    "DeviceAppError",
    "DeviceSettings",
    "DeviceStatus",
    "LegacyInit",
    "LoggedOut",
    "Recorded",
    "Session",
]
