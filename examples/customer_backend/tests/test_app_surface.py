"""The service's shape: create_app, the error envelope, OpenAPI, the layering, no import work."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import customer_backend
from customer_backend import Settings, create_app

SOURCE = Path(customer_backend.__file__).parent
# The only modules allowed to import the web framework: the HTTP edge.
WEB_EDGE = {"app.py", "web.py", "dependencies.py", "endpoints.py", "cli.py"}


def settings(tmp_path) -> Settings:
    return Settings.model_validate(
        {
            "app_id": "app",
            "api_key": "ulk_x",
            "attestation": "development",
            "database_url": f"sqlite:///{tmp_path / 'var' / 'cb.db'}",
        }
    )


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_services_repositories_and_rules_never_import_the_web_framework():
    offenders = {
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if path.name not in WEB_EDGE
        and any(name.split(".")[0] in {"fastapi", "starlette"} for name in imported_modules(path))
    }

    assert offenders == set()


def test_importing_the_package_does_no_work(tmp_path):
    script = (
        "import customer_backend, customer_backend.app, customer_backend.cli, "
        "customer_backend.backend, customer_backend.linking.endpoints"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env={}, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_create_app_touches_no_database_until_it_starts(tmp_path):
    create_app(settings(tmp_path))

    assert not (tmp_path / "var").exists()


def test_the_openapi_document_lists_every_route_and_the_attestation_header(tmp_path):
    document = create_app(settings(tmp_path)).openapi()

    assert set(document["paths"]) == {
        "/signup",
        "/login",
        "/logout",
        "/attestation/nonce",
        "/auth/code",
        "/auth/code/preview",
        "/users/{install_id}/link",
        "/app-credentials",
        "/webhooks/userlink",
        "/health",
    }
    for path in ("/auth/code", "/auth/code/preview"):
        parameters = document["paths"][path]["get"]["parameters"]
        assert "X-Device-Attestation" in {p["name"] for p in parameters}
        assert "403" in document["paths"][path]["get"]["responses"]


def test_the_cli_names_the_missing_variables(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "customer_backend"],
        cwd=tmp_path,
        env={},
        capture_output=True,
        text=True,
    )

    assert result.returncode == 2
    assert "CUSTOMER_BACKEND_APP_ID" in result.stderr


def test_an_unknown_route_answers_the_error_envelope(service):
    response = service.client.get("/no/such/route")

    assert response.status_code == 404
    assert response.json()["errorCode"] == "ROUTE_NOT_FOUND"
    assert response.json()["ref"] == response.headers["X-Request-Ref"]


def test_a_wrong_method_answers_the_error_envelope(service):
    response = service.client.delete("/signup")

    assert response.status_code == 405
    assert response.json()["errorCode"] == "METHOD_NOT_ALLOWED"


def test_answers_are_not_cacheable(service):
    alice = service.signup("alice")

    response = alice.get("/app-credentials")

    assert response.headers["Cache-Control"] == "no-store"


def test_concurrent_signups_of_one_username_make_one_account(service):
    import threading
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    barrier = threading.Barrier(6)

    def sign_up(_: int) -> int:
        with httpx.Client(base_url=service.url, timeout=60) as client:
            barrier.wait(timeout=30)
            body = {"username": "alice", "password": "correct horse"}
            return client.post("/signup", json=body).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = Counter(pool.map(sign_up, range(6)))

    assert statuses == {201: 1, 409: 5}


def test_a_body_over_64_kib_is_refused_before_it_is_read(service):
    response = service.client.post("/signup", json={"username": "alice", "password": "x" * 70_000})

    assert response.status_code == 413
    assert response.json()["errorCode"] == "PAYLOAD_TOO_LARGE"


def test_a_large_body_on_a_guarded_route_is_refused_too(service):
    alice = service.signup("alice")

    response = alice.post("/users/d12339a8-6320-4308-abc8-7a5940389da0/link", content=b"x" * 70_000)

    assert response.status_code == 413
