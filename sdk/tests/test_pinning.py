"""Pinning against a real TLS server on 127.0.0.1 with a certificate made by `openssl`."""

import asyncio
import base64
import hashlib
import json
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from userlink_sdk import (
    AsyncUserLink,
    PinningError,
    UserCreationError,
    UserCreationFailureReason,
    UserCreationOptions,
    UserLink,
)
from userlink_sdk._transport import parse_pins, spki_sha256

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def openssl(*args, input=None):
    return subprocess.run(["openssl", *args], input=input, capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and the SHA-256 of its public key (SPKI),
    computed by openssl independently of the SDK."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    )  # fmt: skip
    public_pem = openssl("x509", "-in", str(cert), "-pubkey", "-noout")
    spki_der = openssl("pkey", "-pubin", "-outform", "DER", input=public_pem)
    return {"cert": str(cert), "key": str(key), "pin": hashlib.sha256(spki_der).digest()}


class Handler(BaseHTTPRequestHandler):
    received: list[str]

    def do_POST(self):
        self.server.received.append(self.path)
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps(
            {
                "user_id": "user-1",
                "install_id": "install-1",
                "restored": False,
                "is_linked": True,
                "credentials": {
                    "access_token": "ula_x",
                    "access_token_expires_at": "2099-01-01T00:00:00.000Z",
                    "refresh_token": "ulr_x",
                    "refresh_token_expires_at": "2099-02-01T00:00:00.000Z",
                },
                "configuration": {"is_remote_enabled": True},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass


@pytest.fixture
def tls_server(certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate["cert"], certificate["key"])
    server = QuietServer(("127.0.0.1", 0), Handler)
    server.received = []
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def make(tmp_path, tls_server, **kwargs):
    return UserLink(
        tmp_path / "device",
        platform_url=f"https://127.0.0.1:{tls_server.server_address[1]}",
        sleep=lambda seconds: None,
        **kwargs,
    )


def test_pin_matching_the_server_key_is_accepted(tmp_path, tls_server, certificate):
    pin = base64.b64encode(certificate["pin"]).decode()

    with make(
        tmp_path, tls_server, pinned_public_key_sha256=pin, verify=certificate["cert"]
    ) as sdk:
        result = sdk.create_user(UserCreationOptions(auth_code="code"))

    assert result.user_info.user_id == "user-1"


def test_pin_in_hex_is_accepted(tmp_path, tls_server, certificate):
    with make(
        tmp_path,
        tls_server,
        pinned_public_key_sha256=certificate["pin"].hex(),
        verify=certificate["cert"],
    ) as sdk:
        result = sdk.create_user(UserCreationOptions(auth_code="code"))

    assert result.user_info.user_id == "user-1"


def test_pin_alone_trusts_a_self_signed_server_when_verify_is_false(
    tmp_path, tls_server, certificate
):
    pin = base64.b64encode(certificate["pin"]).decode()

    with make(tmp_path, tls_server, pinned_public_key_sha256=pin, verify=False) as sdk:
        result = sdk.create_user(UserCreationOptions(auth_code="code"))

    assert result.user_info.user_id == "user-1"


def test_one_matching_pin_among_backup_pins_is_enough(tmp_path, tls_server, certificate):
    pins = [base64.b64encode(b"\x00" * 32).decode(), base64.b64encode(certificate["pin"]).decode()]

    with make(
        tmp_path, tls_server, pinned_public_key_sha256=pins, verify=certificate["cert"]
    ) as sdk:
        result = sdk.create_user(UserCreationOptions(auth_code="code"))

    assert result.user_info.user_id == "user-1"


def test_pin_mismatch_fails_with_network_error_naming_the_pin(tmp_path, tls_server, certificate):
    other = base64.b64encode(hashlib.sha256(b"another key").digest()).decode()

    with (
        make(
            tmp_path, tls_server, pinned_public_key_sha256=other, verify=certificate["cert"]
        ) as sdk,
        pytest.raises(UserCreationError) as caught,
    ):
        sdk.create_user(UserCreationOptions(auth_code="code"))

    assert caught.value.reason is UserCreationFailureReason.NETWORK_ERROR
    assert "certificate pin mismatch" in caught.value.details
    assert isinstance(caught.value.__cause__, PinningError)


def test_pin_mismatch_sends_no_request_and_is_not_retried(tmp_path, tls_server, certificate):
    other = base64.b64encode(hashlib.sha256(b"another key").digest()).decode()
    sleeps = []

    with (
        UserLink(
            tmp_path / "device",
            platform_url=f"https://127.0.0.1:{tls_server.server_address[1]}",
            pinned_public_key_sha256=other,
            verify=certificate["cert"],
            sleep=sleeps.append,
        ) as sdk,
        pytest.raises(UserCreationError),
    ):
        sdk.create_user(UserCreationOptions(auth_code="code"))

    assert (tls_server.received, sleeps) == ([], [])


def test_untrusted_certificate_is_not_retried(tmp_path, tls_server):
    sleeps = []

    with (
        UserLink(
            tmp_path / "device",
            platform_url=f"https://127.0.0.1:{tls_server.server_address[1]}",
            sleep=sleeps.append,
        ) as sdk,
        pytest.raises(UserCreationError),
    ):
        sdk.create_user(UserCreationOptions(auth_code="code"))

    assert sleeps == []


def test_untrusted_certificate_without_a_pin_is_refused(tmp_path, tls_server):
    with make(tmp_path, tls_server) as sdk, pytest.raises(UserCreationError) as caught:
        sdk.create_user(UserCreationOptions(auth_code="code"))

    assert caught.value.reason is UserCreationFailureReason.NETWORK_ERROR


def test_spki_extraction_matches_openssl(certificate):
    der = ssl.PEM_cert_to_DER_cert(Path(certificate["cert"]).read_text())

    assert spki_sha256(der) == certificate["pin"]


def test_pins_decode_from_base64_hex_and_sha256_prefix():
    digest = hashlib.sha256(b"key").digest()
    forms = [
        base64.b64encode(digest).decode(),
        "sha256/" + base64.b64encode(digest).decode(),
        digest.hex(),
        ":".join(f"{byte:02X}" for byte in digest),
    ]

    assert {pin for form in forms for pin in parse_pins(form)} == {digest}


def test_a_pin_that_is_not_a_sha256_digest_is_refused(tmp_path):
    with pytest.raises(ValueError, match="SHA-256"):
        UserLink(tmp_path, pinned_public_key_sha256="not-a-pin")


def test_a_pin_with_a_custom_transport_is_refused(tmp_path):
    with pytest.raises(ValueError, match="either transport or pinned_public_key_sha256"):
        UserLink(
            tmp_path,
            transport=httpx.MockTransport(lambda request: httpx.Response(200)),
            pinned_public_key_sha256=hashlib.sha256(b"key").hexdigest(),
        )


# -- AsyncUserLink: the pin is checked by the event loop's ssl.SSLObject -------------------------


def run_async(tmp_path, tls_server, sleeps, **kwargs):
    async def sleep(seconds):
        sleeps.append(seconds)

    async def create():
        async with AsyncUserLink(
            tmp_path / "async-device",
            platform_url=f"https://127.0.0.1:{tls_server.server_address[1]}",
            sleep=sleep,
            **kwargs,
        ) as sdk:
            return await sdk.create_user(UserCreationOptions(auth_code="code"))

    return asyncio.run(create())


def test_async_pin_matching_the_server_key_is_accepted(tmp_path, tls_server, certificate):
    pin = base64.b64encode(certificate["pin"]).decode()

    result = run_async(
        tmp_path, tls_server, [], pinned_public_key_sha256=pin, verify=certificate["cert"]
    )

    assert result.user_info.user_id == "user-1"


def test_async_pin_mismatch_sends_no_request_and_is_not_retried(tmp_path, tls_server, certificate):
    sleeps = []
    wrong = base64.b64encode(hashlib.sha256(b"another key").digest()).decode()

    with pytest.raises(UserCreationError) as caught:
        run_async(tmp_path, tls_server, sleeps, pinned_public_key_sha256=wrong, verify=False)

    assert caught.value.reason is UserCreationFailureReason.NETWORK_ERROR
    assert isinstance(caught.value.__cause__, PinningError)
    assert (tls_server.received, sleeps) == ([], [])
