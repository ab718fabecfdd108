"""deploy/nginx/userlink.conf with Debian's nginx in front of `userlink serve --workers 2` on
PostgreSQL with Redis rate limits and JSON logs, set up as docs/deployment.md says: what a person
running it would notice. The shipped file is rendered with only its ports, certificate paths and
access log path replaced, and included in a minimal nginx.conf of the test's (pid, error log and
temporary files in a temporary directory; nginx runs as the test's own process, never the system
service).

Needs /usr/sbin/nginx (apt-get install -y nginx), USERLINK_TEST_POSTGRES_URL and
USERLINK_TEST_REDIS_URL; without one of them the tests skip saying which, unless
USERLINK_TEST_REQUIRE_NGINX=1 (.ci/run), where they fail. USERLINK_TEST_NGINX names another nginx.
"""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from userlink_sdk import DeviceInfo, UserCreationOptions, UserLink
from userlink_testing.backends import POSTGRES_ENV
from userlink_testing.deploy import (
    DEPLOY,
    answers,
    environment_required,
    own_postgres_database,
    production_settings,
    rendered,
    self_signed_certificate,
    service_environment,
    wait_until,
    write_settings,
)
from userlink_testing.live import free_port

NGINX = Path(os.environ.get("USERLINK_TEST_NGINX", "/usr/sbin/nginx"))
REQUIRE_NGINX_ENV = "USERLINK_TEST_REQUIRE_NGINX"
REDIS_ENV = "USERLINK_TEST_REDIS_URL"
USERLINK = Path(sys.executable).parent / "userlink"
WORKERS = 2
POOL_SIZE = 4
# The test's client connects from another loopback address than nginx's own, so that the
# address userlink sees tells the client from the proxy.
CLIENT_ADDRESS = "127.0.0.2"
PHONE = DeviceInfo(platform="android", os_version="14", model="Pixel 8", screen_diagonal_inches=6.2)
PASSWORD = "a long password for the nginx test"


def prerequisites() -> tuple[str, str]:
    """(the PostgreSQL server's URL, the Redis URL), or a skip saying what is missing (a failure
    when the run requires this test)."""
    missing = []
    if not (NGINX.is_file() and os.access(NGINX, os.X_OK)):
        missing.append(f"nginx is not installed at {NGINX} (apt-get install -y nginx)")
    postgres, redis = os.environ.get(POSTGRES_ENV), os.environ.get(REDIS_ENV)
    if not postgres:
        missing.append(f"set {POSTGRES_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/<db>")
    if not redis:
        missing.append(f"set {REDIS_ENV}=redis://127.0.0.1:6379/<db>")
    if missing:
        reason = "the nginx deployment test needs: " + "; ".join(missing)
        if environment_required(REQUIRE_NGINX_ENV):
            pytest.fail(f"{reason} ({REQUIRE_NGINX_ENV} requires it to run)")
        pytest.skip(reason)
    assert postgres is not None
    assert redis is not None
    return postgres, redis


@dataclass(frozen=True)
class Deployment:
    workdir: Path
    https: str
    http: str
    direct: str
    ca: ssl.SSLContext
    ca_file: Path
    server_log: Path
    access_log: Path
    api_key: str
    account: str

    def client(self) -> httpx.Client:
        """A client of the deployment's https URL, from CLIENT_ADDRESS, trusting its CA."""
        transport = httpx.HTTPTransport(verify=self.ca, local_address=CLIENT_ADDRESS)
        return httpx.Client(base_url=self.https, transport=transport, timeout=30)

    def log_lines(self) -> list[dict[str, Any]]:
        text = self.server_log.read_text()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def logged(self, ref: str) -> dict[str, Any]:
        """userlink's request log line with this ref (a worker writes it just after answering)."""
        found: list[dict[str, Any]] = []

        def written() -> bool:
            found[:] = [line for line in self.log_lines() if line.get("ref") == ref]
            return bool(found)

        wait_until(written, what=f"a log line with ref {ref}", timeout=30)
        return found[0]


def userlink(settings: Path, home: Path, *arguments: str, stdin: str = "") -> str:
    """A `userlink --env-file <settings> …` command as an operator runs it; its output."""
    done = subprocess.run(
        [str(USERLINK), "--env-file", str(settings), *arguments],
        input=stdin,
        env=service_environment(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"userlink {' '.join(arguments)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def printed(output: str, label: str) -> str:
    match = re.search(rf"^{label}\s+(\S+)", output, re.MULTILINE)
    assert match, f"no {label!r} in:\n{output}"
    return match.group(1)


def nginx_conf(workdir: Path, site: Path) -> Path:
    """The test's nginx.conf: the process's own files in `workdir`, then the rendered site."""
    temporary = {name: workdir / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temporary.values():
        path.mkdir()
    # As root nginx would run its workers as nobody, who cannot enter the test's directories.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 1;\npid {workdir / 'nginx.pid'};\n"
        f"error_log {workdir / 'error.log'};\nevents {{ worker_connections 64; }}\n"
        f"http {{\n    access_log {workdir / 'other.access.log'};\n"
        f"    client_body_temp_path {temporary['body']};\n"
        f"    proxy_temp_path {temporary['proxy']};\n"
        f"    fastcgi_temp_path {temporary['fastcgi']};\n"
        f"    uwsgi_temp_path {temporary['uwsgi']};\n"
        f"    scgi_temp_path {temporary['scgi']};\n"
        f"    include {site};\n}}\n"
    )
    return conf


def nginx(conf: Path, workdir: Path, *arguments: str) -> list[str]:
    files = ["-p", str(workdir), "-e", str(workdir / "error.log"), "-c", str(conf)]
    return [str(NGINX), *files, *arguments]


def start(command: list[str], home: Path, log: Path) -> subprocess.Popen[bytes]:
    """A long-running process as a service manager starts it (its environment, from /), its
    output in `log`."""
    with log.open("wb") as output:
        return subprocess.Popen(
            command,
            env=service_environment(home),
            cwd="/",
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    postgres, redis = prerequisites()
    workdir = tmp_path_factory.mktemp("nginx")
    home = workdir / "home"
    home.mkdir()
    app_port, tls_port, http_port = free_port(), free_port(), free_port()
    certificate, private_key = self_signed_certificate(workdir, "127.0.0.1")
    access_log = workdir / "userlink.access.log"
    site = workdir / "userlink.conf"
    site.write_text(
        rendered(
            DEPLOY / "nginx" / "userlink.conf",
            {
                "listen 443 ssl;": f"listen 127.0.0.1:{tls_port} ssl;",
                "listen 80;": f"listen 127.0.0.1:{http_port};",
                "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
                "/etc/ssl/certs/userlink.pem": str(certificate),
                "/etc/ssl/private/userlink.key": str(private_key),
                "/var/log/nginx/userlink.access.log": str(access_log),
            },
        )
    )
    conf = nginx_conf(workdir, site)
    with own_postgres_database(postgres, "nginx") as database_url:
        settings = write_settings(
            workdir / "userlink.env",
            **production_settings(workdir / "data", app_port, database_url),
            database_pool_size=str(POOL_SIZE),
            rate_limit_storage_url=redis,
            workers=str(WORKERS),
            forwarded_allow_ips="127.0.0.1",
        )
        userlink(settings, home, "migrate")
        app_id = printed(userlink(settings, home, "apps", "create", "nginx test"), "app id")
        key = userlink(
            settings, home, "keys", "create", app_id, "--scope", "user.link", "--scope", "user.read"
        )
        account = "operator@example.com"
        userlink(
            settings, home, "accounts", "create", account, "--org", "Ops", "--password-stdin",
            stdin=PASSWORD + "\n",
        )  # fmt: skip

        server_log = workdir / "serve.log"
        direct = f"http://127.0.0.1:{app_port}"
        https = f"https://127.0.0.1:{tls_port}"
        ca = ssl.create_default_context(cafile=str(certificate))
        started: list[subprocess.Popen[bytes]] = []
        try:
            server = start([str(USERLINK), "--env-file", str(settings), "serve"], home, server_log)
            started.append(server)
            wait_until(
                lambda: pool_size(direct) == WORKERS * POOL_SIZE,
                what=f"{WORKERS} userlink processes serve",
                alive=lambda: server.poll() is None,
                log=server_log,
            )
            proxy = start(nginx(conf, workdir, "-g", "daemon off;"), home, workdir / "nginx.out")
            started.append(proxy)
            wait_until(
                lambda: answers(f"{https}/health/live", verify=ca),
                what="nginx answers",
                alive=lambda: proxy.poll() is None,
                log=workdir / "error.log",
            )
            yield Deployment(
                workdir=workdir,
                https=https,
                http=f"http://127.0.0.1:{http_port}",
                direct=direct,
                ca=ca,
                ca_file=certificate,
                server_log=server_log,
                access_log=access_log,
                api_key=printed(key, "API key"),
                account=account,
            )
        finally:
            for process in reversed(started):
                stop(process)


def pool_size(direct: str) -> float | None:
    """`userlink_database_pool_size` scraped on the host: the pools of every live process."""
    try:
        text = httpx.get(f"{direct}/metrics", timeout=2).text
    except httpx.TransportError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "userlink_database_pool_size":
                return sample.value
    return None


def test_nginx_accepts_the_configuration(deployment: Deployment) -> None:
    workdir = deployment.workdir

    checked = subprocess.run(
        nginx(workdir / "nginx.conf", workdir, "-t"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_health_ready_answers_through_tls(deployment: Deployment) -> None:
    with deployment.client() as client:
        answer = client.get("/health/ready")

    # Over TLS with the deployment's certificate checked (the client trusts only it).
    assert answer.status_code == 200


def test_plain_http_is_redirected_to_https(deployment: Deployment) -> None:
    answer = httpx.get(f"{deployment.http}/health/ready?x=1", timeout=10)

    assert answer.status_code == 301
    # nginx's $host: the name without the port (the standard port 443 in production).
    assert answer.headers["location"] == "https://127.0.0.1/health/ready?x=1"


def test_nginx_request_id_is_the_ref_of_both_logs(deployment: Deployment) -> None:
    with deployment.client() as client:
        answer = client.get("/health/live")

    ref = answer.headers["x-request-ref"]
    # nginx's $request_id: 32 hexadecimal digits (userlink's own refs are UUIDs with dashes).
    assert re.fullmatch(r"[0-9a-f]{32}", ref), ref
    line = deployment.logged(ref)
    assert (line["route"], line["status"]) == ("/health/live", 200)
    wait_until(lambda: ref in deployment.access_log.read_text(), what="nginx's access log line")
    (nginx_line,) = [
        entry for entry in deployment.access_log.read_text().splitlines() if ref in entry
    ]
    assert '"GET /health/live HTTP/1.1" 200' in nginx_line


def test_userlink_sees_the_clients_address_not_the_proxys(deployment: Deployment) -> None:
    with deployment.client() as client:
        plain = client.get("/health/live")
        # A client naming another address itself is not believed: nginx overwrites the header.
        spoofed = client.get("/health/live", headers={"X-Forwarded-For": "203.0.113.7"})

    assert deployment.logged(plain.headers["x-request-ref"])["client"] == CLIENT_ADDRESS
    assert deployment.logged(spoofed.headers["x-request-ref"])["client"] == CLIENT_ADDRESS


def test_the_dashboard_session_cookie_is_secure(deployment: Deployment) -> None:
    with deployment.client() as client:
        form = client.get("/dashboard/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text
        logged_in = client.post(
            "/dashboard/login",
            data={"email": deployment.account, "password": PASSWORD, "csrf_token": token[1]},
        )

    assert logged_in.status_code == 303, logged_in.text
    (session,) = [
        cookie
        for cookie in logged_in.headers.get_list("set-cookie")
        if cookie.startswith("userlink_session=")
    ]
    assert "secure" in [part.strip().lower() for part in session.split(";")]


def test_metrics_answer_only_on_the_host(deployment: Deployment) -> None:
    with deployment.client() as client:
        proxied = client.get("/metrics")
    on_the_host = httpx.get(f"{deployment.direct}/metrics", timeout=10)
    forwarded = httpx.get(
        f"{deployment.direct}/metrics", headers={"X-Forwarded-For": CLIENT_ADDRESS}, timeout=10
    )

    assert proxied.status_code == 404
    assert "x-request-ref" not in proxied.headers  # nginx's own answer: userlink never saw it
    assert on_the_host.status_code == 200
    assert (forwarded.status_code, forwarded.json()["errorCode"]) == (403, "METRICS_NOT_ALLOWED")


def test_both_server_processes_hold_their_pools(deployment: Deployment) -> None:
    assert pool_size(deployment.direct) == WORKERS * POOL_SIZE


def test_a_code_issued_through_nginx_is_redeemed_by_the_sdk_over_https(
    deployment: Deployment, tmp_path: Path
) -> None:
    key = {"Authorization": f"Bearer {deployment.api_key}"}
    with deployment.client() as client:
        issued = client.post("/users/auth-code", json={"external_id": "alice"}, headers=key)
        code = issued.json()["authentication_code"]
        with UserLink(
            tmp_path, device=PHONE, app_version="1.0.0", verify=str(deployment.ca_file)
        ) as sdk:
            created = sdk.create_user(
                UserCreationOptions(auth_code=code, platform_url=deployment.https)
            )
        user = client.get(f"/v2/users/{created.user_info.user_id}", headers=key).json()

    assert user["external_id"] == "alice"
    assert [install["is_active"] for install in user["installs"]] == [True]


def test_a_body_over_the_limit_gets_userlinks_413_envelope(deployment: Deployment) -> None:
    key = {"Authorization": f"Bearer {deployment.api_key}", "Content-Type": "application/json"}
    body = b'{"external_id": "' + b"x" * (1024 * 1024 + 1) + b'"}'
    with deployment.client() as client:
        refused = client.post("/users/auth-code", content=body, headers=key)

    assert refused.status_code == 413
    assert refused.json()["errorCode"] == "PAYLOAD_TOO_LARGE"
    assert refused.json()["ref"] == refused.headers["x-request-ref"]
