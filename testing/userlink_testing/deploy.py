"""The files of `deploy/` run for real (tests/deploy): a settings file as docs/deployment.md writes
it, a PostgreSQL database of the test's own, readiness polled (never slept), a self-signed
certificate, and the environment a service manager gives a process (none of the test run's
`USERLINK_*` variables)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "deployment.md"
# Where docs/deployment.md installs the code and the settings: what the shipped files name.
INSTALLED_USERLINK = "/opt/userlink/venv/bin/userlink"
INSTALLED_SETTINGS = "/etc/userlink/userlink.env"


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout: float = 60,
    alive: Callable[[], bool] | None = None,
    log: Path | None = None,
) -> None:
    """Polls `ready` until it holds; fails at once when `alive` stops holding (the process
    died), else after `timeout` seconds, with the end of `log` in the message."""
    deadline = time.monotonic() + timeout
    while not ready():
        problem = None
        if alive is not None and not alive():
            problem = "the process exited"
        elif time.monotonic() > deadline:
            problem = f"not within {timeout} s"
        if problem is not None:
            tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
            raise AssertionError(f"{what}: {problem}\n{tail}")
        time.sleep(0.05)


def answers(url: str, *, verify: ssl.SSLContext | bool = True) -> bool:
    """Whether `url` answers 200 now."""
    try:
        return httpx.get(url, timeout=2, verify=verify).status_code == 200
    except httpx.TransportError:
        return False


def service_environment(home: Path) -> dict[str, str]:
    """What systemd gives a service (PATH, a locale, the user's HOME): nothing of this test
    run's environment, so that the settings file alone configures userlink."""
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
        "LANG": "C.UTF-8",
        "HOME": str(home),
    }


def write_settings(path: Path, **values: str) -> Path:
    """A settings file (`userlink --env-file`): `USERLINK_<NAME>=value` lines, mode 600."""
    lines = [f"USERLINK_{name.upper()}={value}\n" for name, value in values.items()]
    path.write_text("".join(lines))
    path.chmod(0o600)
    return path


def production_settings(data_dir: Path, port: int, database_url: str | None) -> dict[str, str]:
    """docs/deployment.md's settings (§2) with this test's data directory, port and database
    (None: the default, SQLite in the data directory)."""
    settings = {
        "environment": "production",
        "secret_key": secrets.token_urlsafe(48),
        "data_dir": str(data_dir),
        "host": "127.0.0.1",
        "port": str(port),
        "log_format": "json",
    }
    if database_url is not None:
        settings["database_url"] = database_url
    return settings


@contextmanager
def own_postgres_database(tests_url: str, suffix: str) -> Iterator[str]:
    """A new, empty database `<the test database>_<suffix>` on the test run's PostgreSQL server,
    dropped afterwards: the processes a deployment test starts never touch the database the
    rest of the suite shares."""
    base = make_url(tests_url)
    name = f"{base.database}_{suffix}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def run(statement: str) -> None:
        with admin.connect() as connection:
            connection.execute(text(statement))

    try:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        run(f'CREATE DATABASE "{name}"')
        yield base.set(database=name).render_as_string(hide_password=False)
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def self_signed_certificate(directory: Path, host: str) -> tuple[Path, Path]:
    """A certificate for `host` (an IP address) signed by its own key, as `openssl req -x509`
    makes one: (certificate, key) in PEM files. The certificate is its own CA file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    certificate_path = directory / "userlink.pem"
    key_path = directory / "userlink.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return certificate_path, key_path


def rendered(source: Path, replacements: dict[str, str]) -> str:
    """`source`'s text with each of `replacements` made; each must occur in it, so a change to
    the shipped file that the test no longer rewrites fails here rather than going untested."""
    content = source.read_text()
    for old, new in replacements.items():
        assert old in content, f"{source.name} no longer contains {old!r}"
        content = content.replace(old, new)
    return content


def environment_required(variable: str) -> bool:
    return os.environ.get(variable, "") not in {"", "0", "false"}
