"""The app's use cases, one method per CLI command. Each returns a typed result or raises
`DeviceAppError`; the CLI and the demo only format them.

How the app uses the SDK (the parts to copy):

- **create the platform user at signup/login**: ask the backend for a code (`GET /auth/code`,
  the backend authenticates its user and holds the API key), redeem it with
  `create_user(UserCreationOptions(auth_code=...))`. A known user is restored (reinstall, new
  device).
- **legacy flow**: the app credentials come from the backend at runtime (never from the code) and
  are kept in the app's private storage, so that the SDK can start before anyone logs in, as the
  legacy SDK does at app start. The linker asks the backend to link the install id to the
  logged-in user; without a login it fails, and the next `initialize()` calls it again.
- **logout**: `reset()` the SDK first (the vendor's advice: one user per device, and the next
  user must not inherit this one's install), then log out of the backend.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from userlink_sdk import (
    DeviceInfo,
    DeviceStateError,
    InitError,
    LegacyConfig,
    PinningError,
    ResetResult,
    SdkStatus,
    SdkStatusError,
    UploadReport,
    UserCreationFailureReason,
    UserCreationOptions,
    UserLink,
    UserLinkError,
)

from .attestation import Attester
from .backend import AppCredentials, AuthCode, BackendClient, Session
from .errors import (
    ALREADY_LOGGED_IN,
    INVALID_PAYLOAD,
    INVALID_SETTINGS,
    NO_APP_CREDENTIALS,
    NOT_LOGGED_IN,
    STORAGE_ERROR,
    DeviceAppError,
)
from .settings import DeviceSettings, load_settings, save_settings
from .storage import ensure_private_dir, read_json, remove, write_json

__all__ = [
    "CreatedUser",
    "DeviceApp",
    "DeviceStatus",
    "LegacyInit",
    "LoggedOut",
    "Recorded",
]

APP_VERSION = "1.0.0"
SDK_DIR = "userlink"
SESSION_FILE = "session.json"
CREDENTIALS_FILE = "app_credentials.json"
LINKER_TIMEOUT_SECONDS = 30.0


@dataclasses.dataclass(frozen=True)
class CreatedUser:
    user_id: str
    restored: bool
    status: SdkStatus | None
    """The install's status right after; None when the platform could not be asked."""


@dataclasses.dataclass(frozen=True)
class LegacyInit:
    user_id: str | None
    linked: bool
    credentials_from: str
    """"backend" (fetched now, for the logged-in user) or "storage" (kept from an earlier run)."""
    status: SdkStatus | None


@dataclasses.dataclass(frozen=True)
class DeviceStatus:
    username: str | None
    sdk: SdkStatus


@dataclasses.dataclass(frozen=True)
class Recorded:
    payload_id: str
    pending: int


@dataclasses.dataclass(frozen=True)
class LoggedOut:
    username: str
    reset: ResetResult
    backend_told: bool
    """False when the backend could not be reached (the local session is gone anyway)."""


class DeviceApp:
    """One device: its directory holds the SDK's state (`userlink/`), the app's session
    (`session.json`), the app credentials of the legacy flow (`app_credentials.json`) and the
    settings (`device.json`), the secrets with mode 0600."""

    def __init__(
        self,
        directory: Path,
        settings: DeviceSettings,
        *,
        backend_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.settings = settings
        self._backend_transport = backend_transport  # tests: httpx.MockTransport

    @classmethod
    def open(
        cls,
        directory: Path | str,
        *,
        backend_transport: httpx.BaseTransport | None = None,
        **settings: Any,
    ) -> DeviceApp:
        """The device in `directory`, its remembered settings updated with those given (None
        keeps a remembered value) and saved."""
        directory = Path(directory)
        ensure_private_dir(directory)
        stored = load_settings(directory)
        if isinstance(settings.get("attestation_key"), Path | str):
            settings["attestation_key"] = str(Path(settings["attestation_key"]).resolve())
        if isinstance(settings.get("ca_file"), Path | str):
            settings["ca_file"] = str(Path(settings["ca_file"]).resolve())
        updated = stored.updated(**settings)
        if updated != stored:
            save_settings(directory, updated)
        return cls(directory, updated, backend_transport=backend_transport)

    # -- the app's own accounts -------------------------------------------------------------

    def signup(self, username: str, password: str) -> Session:
        self._refuse_other_login(username)
        with self._backend() as backend:
            session = backend.signup(username, password)
        self._save_session(session)
        return session

    def login(self, username: str, password: str) -> Session:
        self._refuse_other_login(username)
        with self._backend() as backend:
            session = backend.login(username, password)
        self._save_session(session)
        return session

    def logout(self) -> LoggedOut:
        session = self._require_session()
        with self._sdk() as sdk:
            reset = sdk.reset()
        backend_told = True
        try:
            with self._backend() as backend:
                backend.logout(session.token)
        except DeviceAppError as exc:
            if exc.status is None:  # unreachable: forget the session anyway
                backend_told = False
            elif exc.status != 401:  # 401: the session had expired already
                raise
        remove(self.directory / SESSION_FILE)
        return LoggedOut(session.username, reset, backend_told)

    def session(self) -> Session | None:
        """The logged-in user, or None."""
        data = _read(self.directory / SESSION_FILE, "username", "token", "user_id")
        if data is None:
            return None
        return Session(data["username"], data["token"], data["user_id"])

    # -- the platform user ------------------------------------------------------------------

    def create_user(self) -> CreatedUser:
        """Create the platform user of the logged-in user on this device, or restore it, with a
        code bound to this device (PKCE): the SDK's challenge goes to the backend with the
        login, the verifier never leaves the SDK."""
        return self.redeem_code(self.request_code())

    def request_code(self) -> AuthCode:
        """Begin a user creation and get its code from the backend: a code that only this
        device can redeem."""
        session = self._require_session()
        with self._sdk() as sdk:
            if sdk.user_exists():  # checked first so that no code is wasted
                raise DeviceAppError(
                    UserCreationFailureReason.USER_ALREADY_EXISTS.value,
                    f"user {sdk.user_id} is on this device: reset (or logout) first",
                )
            challenge = sdk.begin_user_creation()
        with self._backend() as backend:
            return backend.auth_code(session.token, challenge)

    def redeem_code(self, code: AuthCode) -> CreatedUser:
        """Create (or restore) the platform user from a code: this device's own, or one that
        reached it some other way (a deep link, a log), which a bound code refuses."""
        with self._sdk() as sdk:
            options = UserCreationOptions(
                auth_code=code.auth_code,
                platform_url=self.settings.platform_url or code.platform_url,
                app_id=code.app_id,
            )
            result = sdk.create_user(options)
            return CreatedUser(result.user_info.user_id, result.restored, _status_or_none(sdk))

    def init_legacy(self) -> LegacyInit:
        """Initialise the SDK the legacy way: app credentials and a linker."""
        session = self.session()
        credentials, source = self._app_credentials(session)
        failures: list[str] = []
        with self._sdk() as sdk:
            config = LegacyConfig(
                app_id=credentials.app_id,
                secret=credentials.app_secret,
                linker=self._linker(session, failures),
                platform_url=self.settings.platform_url or credentials.platform_url,
                linker_timeout=LINKER_TIMEOUT_SECONDS,
            )
            try:
                sdk.initialize(config)
            except InitError as exc:
                error = _sdk_error(exc)
                if failures:  # say why the linker failed
                    error = DeviceAppError(error.code, f"{error.message}; linker: {failures[-1]}")
                raise error from exc
            return LegacyInit(sdk.user_id, sdk.is_user_linked(), source, _status_or_none(sdk))

    def status(self) -> DeviceStatus:
        session = self.session()
        with self._sdk() as sdk:
            return DeviceStatus(session.username if session else None, sdk.sdk_status())

    # -- payloads ---------------------------------------------------------------------------

    def record(self, type: str, body: Mapping[str, Any]) -> Recorded:
        if not isinstance(body, Mapping):
            raise DeviceAppError(INVALID_PAYLOAD, "the payload body must be a JSON object")
        with self._sdk() as sdk:
            payload_id = sdk.submit_payload(type, body)
            return Recorded(payload_id, sdk.pending_payloads())

    def upload(self) -> UploadReport:
        with self._sdk() as sdk:
            return sdk.upload_payloads()

    def reset(self) -> ResetResult:
        with self._sdk() as sdk:
            return sdk.reset()

    # -- plumbing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _sdk(self) -> Iterator[UserLink]:
        settings = self.settings
        device = DeviceInfo(
            platform=settings.platform,
            os_version=settings.os_version,
            model=settings.model,
            screen_diagonal_inches=settings.diagonal,
            ios_idiom=settings.idiom,
        )
        try:
            sdk = UserLink(
                self.directory / SDK_DIR,
                device=device,
                app_version=APP_VERSION,
                platform_url=settings.platform_url,
                pinned_public_key_sha256=list(settings.pins) or None,
                verify=settings.ca_file or True,
            )
        except ValueError as exc:  # a malformed pin or platform URL
            raise DeviceAppError(INVALID_SETTINGS, str(exc)) from exc
        with sdk:
            try:
                yield sdk
            except UserLinkError as exc:
                raise _sdk_error(exc) from exc

    @contextlib.contextmanager
    def _backend(self) -> Iterator[BackendClient]:
        if not self.settings.backend_url:
            raise DeviceAppError(INVALID_SETTINGS, "no backend URL: pass --backend once")
        attester = None
        if self.settings.attestation_key:
            if not self.settings.package_name:
                raise DeviceAppError(INVALID_SETTINGS, "--attestation-key needs --package-name")
            try:
                attester = Attester.from_file(
                    Path(self.settings.attestation_key), self.settings.package_name
                )
            except (OSError, ValueError) as exc:
                raise DeviceAppError(INVALID_SETTINGS, f"attestation key: {exc}") from exc
        backend = BackendClient(
            self.settings.backend_url, attester=attester, transport=self._backend_transport
        )
        try:
            yield backend
        finally:
            backend.close()

    def _linker(self, session: Session | None, failures: list[str]) -> Callable[[str], bool]:
        """The plain linker: the backend links the install id to its logged-in user (it never
        trusts a user id sent by the app). Runs on the SDK's worker thread."""

        def link(install_id: str) -> bool:
            if session is None:
                failures.append(f"{NOT_LOGGED_IN}: log in, then init again")
                return False
            try:
                with self._backend() as backend:
                    backend.link(session.token, install_id)
            except DeviceAppError as exc:
                failures.append(f"{exc.code}: {exc.message}")
                return False
            return True

        return link

    def _app_credentials(self, session: Session | None) -> tuple[AppCredentials, str]:
        """Fresh from the backend for a logged-in user (and kept); else the kept ones."""
        path = self.directory / CREDENTIALS_FILE
        if session is not None:
            with self._backend() as backend:
                credentials = backend.app_credentials(session.token)
            write_json(path, dataclasses.asdict(credentials))
            return credentials, "backend"
        data = _read(path, "app_id", "app_secret", "platform_url")
        if data is None:
            raise DeviceAppError(
                NO_APP_CREDENTIALS, "log in first: the app credentials come from the backend"
            )
        return AppCredentials(data["app_id"], data["app_secret"], data["platform_url"]), "storage"

    def _require_session(self) -> Session:
        session = self.session()
        if session is None:
            raise DeviceAppError(NOT_LOGGED_IN, "log in (or sign up) first")
        return session

    def _refuse_other_login(self, username: str) -> None:
        session = self.session()
        if session is not None and session.username != username:
            raise DeviceAppError(
                ALREADY_LOGGED_IN, f"{session.username} is logged in on this device: logout first"
            )

    def _save_session(self, session: Session) -> None:
        write_json(self.directory / SESSION_FILE, dataclasses.asdict(session))


def _read(path: Path, *fields: str) -> dict[str, str] | None:
    """These string fields of one of the app's files; None when the file does not exist."""
    try:
        data = read_json(path)
    except (OSError, ValueError) as exc:
        raise DeviceAppError(STORAGE_ERROR, f"{path}: {exc}") from exc
    if data is None:
        return None
    if not all(isinstance(data.get(field), str) for field in fields):
        raise DeviceAppError(STORAGE_ERROR, f"{path}: needs {', '.join(fields)}; delete it")
    return {field: str(data[field]) for field in fields}


def _status_or_none(sdk: UserLink) -> SdkStatus | None:
    try:
        return sdk.sdk_status()
    except SdkStatusError:
        return None


def _sdk_error(exc: UserLinkError) -> DeviceAppError:
    """The SDK's failure reason (or issue) as the code, its details as the message."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, enum.Enum):
        return DeviceAppError(str(reason.value), str(getattr(exc, "details", "")) or str(exc))
    if isinstance(exc, DeviceStateError):
        return DeviceAppError("DEVICE_STATE_ERROR", f"{exc} (inspect it, or reset)")
    if isinstance(exc, PinningError):
        return DeviceAppError("NETWORK_ERROR", str(exc))
    return DeviceAppError("SDK_ERROR", str(exc))
