"""Fixtures: the real platform (`live`, `tenant`, `api` from the root conftest, once per database
backend) and, in the same process, the customer backend on a real socket configured to it.

The customer backend keeps its accounts on the same backend as the platform: a SQLite file, or a
schema of its own (`customer_backend`) in the platform's PostgreSQL database.

Every answer the customer backend gives a test is recorded, and at teardown none may contain the
tenant's API key.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from argon2 import PasswordHasher
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from customer_backend import create_app
from customer_backend.accounts.passwords import Passwords
from customer_backend.backend import Backend
from customer_backend.config import Settings
from customer_backend.models import metadata
from userlink_testing.clock import ShiftableClock
from userlink_testing.live import LiveServer

PACKAGE_NAME = "com.example.fitness"
STORE_SCHEMA = "customer_backend"


@pytest.fixture(scope="session")
def store_url(backend: str, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where the customer backend keeps its accounts, sessions and nonces."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('customer-backend') / 'customer_backend.db'}"
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {STORE_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {STORE_SCHEMA}"))
    engine.dispose()
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={STORE_SCHEMA}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def store(store_url: str) -> Iterator[str]:
    """The store's URL; its tables are emptied after the test."""
    yield store_url
    engine = create_engine(store_url)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if engine.dialect.has_table(connection, table.name):
                connection.execute(table.delete())
    engine.dispose()


@dataclass
class RunningBackend:
    """A customer backend serving on a real socket, and a client that records every answer."""

    url: str
    backend: Backend
    clock: ShiftableClock
    client: httpx.Client
    answers: list[httpx.Response]
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        self.client.close()
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def signup(self, username: str = "alice", password: str = "correct horse") -> Session:
        response = self.client.post("/signup", json={"username": username, "password": password})
        assert response.status_code == 201, response.text
        return Session(self, response.json()["token"], response.json()["user_id"])


@dataclass
class Session:
    """A logged-in user of the customer backend."""

    running: RunningBackend
    token: str
    user_id: str
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def nonce(self) -> str:
        response = self.running.client.get("/attestation/nonce", headers=self.headers)
        assert response.status_code == 200, response.text
        nonce: str = response.json()["nonce"]
        return nonce

    def get(self, path: str, *, statement: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.running.client.get(path, headers=self._with(statement), **kwargs)

    def post(self, path: str, *, statement: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.running.client.post(path, headers=self._with(statement), **kwargs)

    def _with(self, statement: str | None) -> dict[str, str]:
        if statement is None:
            return dict(self.headers)
        return {**self.headers, "X-Device-Attestation": statement}


def serve(app: FastAPI) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the customer backend did not start")
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}", server, thread


MakeBackend = Callable[..., RunningBackend]

# Cheap argon2id parameters for speed; one test checks the production defaults.
FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def make_backend(live: LiveServer, tenant: Any, store: str) -> Iterator[MakeBackend]:
    """`make_backend(**settings)`: a customer backend for the tenant's app on the live platform,
    attestation off unless the settings say otherwise, with its own shiftable clock and cheap
    password hashing (`passwords=None` for the production hasher)."""
    running: list[RunningBackend] = []

    def make(passwords: Passwords | None = FAST_PASSWORDS, **overrides: Any) -> RunningBackend:
        values: dict[str, Any] = {
            "platform_url": live.url,
            "app_id": str(tenant.app_id),
            "api_key": tenant.link_key,
            "app_secret": tenant.app_secret,
            "database_url": store,
            "attestation": "development",
        }
        values.update(overrides)
        clock = ShiftableClock()
        app = create_app(Settings.model_validate(values), clock=clock, passwords=passwords)
        url, server, thread = serve(app)
        answers: list[httpx.Response] = []

        def record(response: httpx.Response) -> None:
            response.read()
            answers.append(response)

        client = httpx.Client(base_url=url, timeout=30, event_hooks={"response": [record]})
        instance = RunningBackend(url, app.state.backend, clock, client, answers, server, thread)
        running.append(instance)
        return instance

    yield make
    for instance in running:
        instance.stop()
    for instance in running:
        for answer in instance.answers:
            seen = answer.text + "".join(f"{k}: {v}" for k, v in answer.headers.items())
            assert tenant.link_key not in seen, f"the API key leaked in {answer.request.url}"


@pytest.fixture
def service(make_backend: MakeBackend) -> RunningBackend:
    """A customer backend with attestation in development mode."""
    return make_backend()


@dataclass(frozen=True)
class AttestationKey:
    algorithm: str
    private_key: Any
    public_pem_file: Path


def _key_file(directory: Path, name: str, private_key: Any) -> Path:
    path = directory / f"{name}.pem"
    path.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


@pytest.fixture(scope="session")
def rsa_key(tmp_path_factory: pytest.TempPathFactory) -> AttestationKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    directory = tmp_path_factory.mktemp("attestation-rsa")
    return AttestationKey("RS256", private_key, _key_file(directory, "rsa", private_key))


@pytest.fixture(scope="session")
def ec_key(tmp_path_factory: pytest.TempPathFactory) -> AttestationKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    directory = tmp_path_factory.mktemp("attestation-ec")
    return AttestationKey("ES256", private_key, _key_file(directory, "ec", private_key))


@pytest.fixture(scope="session")
def other_rsa_key() -> Any:
    """A key the customer backend does not know."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign_statement(
    key: AttestationKey,
    *,
    nonce: str,
    clock: ShiftableClock,
    signing_key: Any = None,
    algorithm: str | None = None,
    age: timedelta = timedelta(seconds=1),
    **claims: Any,
) -> str:
    """A SafetyNet-shaped attestation statement: a compact JWS over the verdict claims."""
    payload: dict[str, Any] = {
        "nonce": nonce,
        "timestampMs": int((clock.now() - age).timestamp() * 1000),
        "apkPackageName": PACKAGE_NAME,
        "apkCertificateDigestSha256": ["dGVzdA=="],
        "ctsProfileMatch": True,
        "basicIntegrity": True,
        "evaluationType": "BASIC,HARDWARE_BACKED",
    }
    payload.update(claims)
    return jwt.encode(payload, signing_key or key.private_key, algorithm=algorithm or key.algorithm)


@pytest.fixture
def jws_backend(make_backend: MakeBackend, rsa_key: AttestationKey) -> RunningBackend:
    """A customer backend that checks JWS attestation statements signed with `rsa_key`."""
    return make_backend(
        attestation="jws",
        attestation_public_key_file=str(rsa_key.public_pem_file),
        package_name=PACKAGE_NAME,
    )


Sign = Callable[..., str]


@pytest.fixture
def sign(rsa_key: AttestationKey, jws_backend: RunningBackend) -> Sign:
    """`sign(nonce, **claims)`: a statement `jws_backend` accepts, unless the claims or keyword
    arguments of `sign_statement` (signing_key, algorithm, age) spoil it."""

    def make(nonce: str, **kwargs: Any) -> str:
        return sign_statement(rsa_key, nonce=nonce, clock=jws_backend.clock, **kwargs)

    return make


@pytest.fixture
def ec_backend(make_backend: MakeBackend, ec_key: AttestationKey) -> RunningBackend:
    """A customer backend that checks ES256 statements signed with `ec_key`."""
    return make_backend(
        attestation="jws",
        attestation_public_key_file=str(ec_key.public_pem_file),
        package_name=PACKAGE_NAME,
    )


@pytest.fixture
def sign_ec(ec_key: AttestationKey, ec_backend: RunningBackend) -> Sign:
    def make(nonce: str, **kwargs: Any) -> str:
        return sign_statement(ec_key, nonce=nonce, clock=ec_backend.clock, **kwargs)

    return make
