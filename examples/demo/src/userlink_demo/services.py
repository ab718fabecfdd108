"""The processes of the demo: the platform (over HTTP, and a second process over HTTPS on the
same database) and the reference customer backend, each a real subprocess on a free local port,
plus the app and API keys made with the operator CLI. `running_environment()` stops every
process it started, also on failure and on Ctrl-C."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from .keys import AttestationKeys, TlsMaterial, make_attestation_keys, make_tls

__all__ = [
    "PACKAGE_NAME",
    "DemoSetupError",
    "Environment",
    "Service",
    "Tenant",
    "free_ports",
    "running_environment",
]

HOST = "127.0.0.1"
PACKAGE_NAME = "com.example.userlinkdemo"
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
PR_SET_PDEATHSIG = 1


class DemoSetupError(RuntimeError):
    """A process of the demo could not be started or configured."""


@dataclasses.dataclass(frozen=True)
class Tenant:
    """The customer's app on the platform, made with `userlink apps create` / `keys create`,
    and its webhook endpoint (`userlink webhooks create`) at the customer backend."""

    app_id: str
    app_secret: str = dataclasses.field(repr=False)
    link_key: str = dataclasses.field(repr=False)
    read_key: str = dataclasses.field(repr=False)
    admin_key: str = dataclasses.field(repr=False)
    """Scope `user.admin`: undo a restore or a link."""
    webhook_endpoint_id: str
    webhook_secret: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class Environment:
    workdir: Path
    database_url: str
    platform_url: str
    tls_platform_url: str
    tls: TlsMaterial
    tenant: Tenant
    backend_url: str
    backend_database_url: str
    """The customer backend's own database (where it records the webhooks it received)."""
    webhook_delivery: str
    """Who delivers the webhooks: the platform's in-process worker or a `userlink worker`."""
    attestation: AttestationKeys
    package_name: str


@dataclasses.dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_ports(count: int) -> list[int]:
    """`count` different free local ports (held together while chosen, so never the same)."""
    with contextlib.ExitStack() as stack:
        ports: list[int] = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((HOST, 0))
            ports.append(sock.getsockname()[1])
        return ports


def _userlink_command() -> list[str]:
    """The operator CLI of this interpreter's environment."""
    script = Path(sys.executable).parent / "userlink"
    if script.exists():
        return [str(script)]
    found = shutil.which("userlink")
    if found:
        return [found]
    return [sys.executable, "-c", "from userlink.cli import main; main()"]


def _clean_environ() -> dict[str, str]:
    """This process's environment without any USERLINK_ / CUSTOMER_BACKEND_ setting."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("USERLINK_", "CUSTOMER_BACKEND_"))
    }


def _platform_environ(database_url: str, data_dir: Path) -> dict[str, str]:
    return _clean_environ() | {
        "USERLINK_ENVIRONMENT": "development",
        "USERLINK_DATABASE_URL": database_url,
        # The demo's own data directory: its metrics files, and no settings file of the user's.
        "USERLINK_DATA_DIR": str(data_dir),
    }


def _run_cli(arguments: list[str], environ: Mapping[str, str]) -> str:
    command = [*_userlink_command(), *arguments]
    done = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        command, env=dict(environ), capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise DemoSetupError(
            f"`userlink {' '.join(arguments[:2])}` failed ({done.returncode}): "
            f"{done.stderr.strip() or done.stdout.strip()}"
        )
    return done.stdout


def _field(output: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}\s+(\S+)", output, re.MULTILINE)
    if match is None:
        raise DemoSetupError(f"no {label!r} in the CLI output:\n{output}")
    return match.group(1)


WEBHOOK_PATH = "/webhooks/userlink"
WEBHOOK_EVENT_TYPE = "install.displaced"


def create_tenant(environ: Mapping[str, str], backend_url: str) -> Tenant:
    """`userlink apps create`, three `userlink keys create` and a `userlink webhooks create`
    (the customer backend's receiver, subscribed to `install.displaced`), their output parsed."""
    app = _run_cli(["apps", "create", "Demo app"], environ)
    app_id = _field(app, "app id")
    with ThreadPoolExecutor(max_workers=2) as pool:  # two CLI processes at once
        link, read, admin, webhook = pool.map(
            lambda arguments: _run_cli(arguments, environ),
            [
                ["keys", "create", app_id, "--scope", "user.link", "--name", "demo backend"],
                ["keys", "create", app_id, "--scope", "user.read", "--name", "demo reader"],
                ["keys", "create", app_id, "--scope", "user.admin", "--name", "demo support"],
                [
                    "webhooks",
                    "create",
                    app_id,
                    f"{backend_url}{WEBHOOK_PATH}",
                    "--type",
                    WEBHOOK_EVENT_TYPE,
                    "--description",
                    "demo customer backend",
                ],
            ],
        )
    return Tenant(
        app_id=app_id,
        app_secret=_field(app, "app secret"),
        link_key=_field(link, "API key"),
        read_key=_field(read, "API key"),
        admin_key=_field(admin, "API key"),
        webhook_endpoint_id=_field(webhook, "endpoint id"),
        webhook_secret=_field(webhook, "secret"),
    )


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when the demo dies, even by SIGKILL (no orphans)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start(
    name: str,
    command: list[str],
    environ: Mapping[str, str],
    url: str,
    logs: Path,
) -> Service:
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own programs, fixed arguments
            command,
            env=dict(environ),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the runner only; it stops them in order
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    return Service(name, url, process, log_path)


def _wait_until_answering(
    service: Service, path: str, *, verify: ssl.SSLContext | bool = True
) -> None:
    """Until the service answers any HTTP request on `path`."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    with httpx.Client(verify=verify, timeout=2.0) as client:
        while True:
            if service.process.poll() is not None:
                raise DemoSetupError(
                    f"{service.name} exited with {service.process.returncode}:\n"
                    f"{service.log_tail()}"
                )
            try:
                client.get(f"{service.url}{path}")
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise DemoSetupError(
                        f"{service.name} did not answer within {START_TIMEOUT_SECONDS:.0f} s:\n"
                        f"{service.log_tail()}"
                    ) from None
                time.sleep(0.05)


def _uvicorn(port: int, *tls: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "userlink.asgi:create_app_from_environment",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        *tls,
    ]


def _is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def _write_secret(path: Path, value: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(value)
    return path


@contextlib.contextmanager
def running_environment(
    workdir: Path,
    *,
    database_url: str | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> Iterator[Environment]:
    """Start everything in `workdir` (databases, keys, logs); stop it all on the way out.

    `database_url` defaults to a new SQLite database in `workdir`; a PostgreSQL URL works too
    (the demo creates its own app there and leaves the data)."""
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{workdir / 'userlink.db'}"
    platform_environ = _platform_environ(database_url, workdir / "userlink-data")
    services: list[Service] = []
    try:
        progress("migrating the platform database")
        _run_cli(["migrate"], platform_environ)
        tls = make_tls(workdir, HOST)
        attestation = make_attestation_keys(workdir)

        http_port, https_port, backend_port = free_ports(3)
        platform = _start(
            "platform",
            _uvicorn(http_port),
            platform_environ,
            f"http://{HOST}:{http_port}",
            logs,
        )
        services.append(platform)
        tls_platform = _start(
            "platform-tls",
            _uvicorn(
                https_port,
                "--ssl-keyfile",
                str(tls.private_key),
                "--ssl-certfile",
                str(tls.certificate),
            ),
            platform_environ,
            f"https://{HOST}:{https_port}",
            logs,
        )
        services.append(tls_platform)
        backend_url = f"http://{HOST}:{backend_port}"
        # While the platform processes start:
        tenant = create_tenant(platform_environ, backend_url)
        progress(f"app {tenant.app_id[:8]}… created; API keys user.link, user.read, user.admin")
        progress(
            f"webhook endpoint {tenant.webhook_endpoint_id[:8]}… → {backend_url}{WEBHOOK_PATH} "
            f"({WEBHOOK_EVENT_TYPE}, signing secret whsec_…)"
        )
        if _is_sqlite(database_url):
            webhook_delivery = "the platform's in-process worker (SQLite)"
        else:  # on PostgreSQL, delivery belongs to `userlink worker` (docs/events.md)
            worker = _start(
                "webhook-worker", [*_userlink_command(), "worker"], platform_environ, "", logs
            )
            services.append(worker)
            webhook_delivery = "a `userlink worker` process"
        backend_database_url = f"sqlite:///{workdir / 'customer_backend.db'}"
        backend_environ = _clean_environ() | {
            "CUSTOMER_BACKEND_PLATFORM_URL": platform.url,
            "CUSTOMER_BACKEND_APP_ID": tenant.app_id,
            "CUSTOMER_BACKEND_API_KEY_FILE": str(
                _write_secret(workdir / "backend-api-key", tenant.link_key)
            ),
            "CUSTOMER_BACKEND_APP_SECRET_FILE": str(
                _write_secret(workdir / "backend-app-secret", tenant.app_secret)
            ),
            "CUSTOMER_BACKEND_DATABASE_URL": backend_database_url,
            "CUSTOMER_BACKEND_WEBHOOK_SECRET_FILE": str(
                _write_secret(workdir / "backend-webhook-secret", tenant.webhook_secret)
            ),
            "CUSTOMER_BACKEND_HOST": HOST,
            "CUSTOMER_BACKEND_PORT": str(backend_port),
            "CUSTOMER_BACKEND_ATTESTATION": "jws",
            "CUSTOMER_BACKEND_ATTESTATION_PUBLIC_KEY_FILE": str(attestation.public_key),
            "CUSTOMER_BACKEND_PACKAGE_NAME": PACKAGE_NAME,
        }
        backend = _start(
            "customer-backend",
            [sys.executable, "-m", "customer_backend"],
            backend_environ,
            backend_url,
            logs,
        )
        services.append(backend)

        _wait_until_answering(platform, "/health")
        _wait_until_answering(
            tls_platform, "/health", verify=ssl.create_default_context(cafile=tls.certificate)
        )
        _wait_until_answering(backend, "/")
        progress(f"platform {platform.url} and {tls_platform.url} (same database)")
        progress(f"customer backend {backend.url} (attestation: jws; webhooks verified)")
        progress(f"webhooks delivered by {webhook_delivery}")
        yield Environment(
            workdir=workdir,
            database_url=database_url,
            platform_url=platform.url,
            tls_platform_url=tls_platform.url,
            tls=tls,
            tenant=tenant,
            backend_url=backend.url,
            backend_database_url=backend_database_url,
            webhook_delivery=webhook_delivery,
            attestation=attestation,
            package_name=PACKAGE_NAME,
        )
    finally:
        for service in reversed(services):
            service.stop()
