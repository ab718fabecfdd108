"""GET /app-credentials: the app secret, handed to an authenticated app at runtime."""

from __future__ import annotations

from userlink_testing.factories.devices import register_install


def test_app_credentials_answers_the_app_id_secret_and_platform_url(service, tenant, live):
    alice = service.signup("alice")

    response = alice.get("/app-credentials")

    assert response.status_code == 200
    assert response.json() == {
        "app_id": str(tenant.app_id),
        "app_secret": tenant.app_secret,
        "platform_url": live.url,
    }


def test_the_handed_out_credentials_register_an_install(service, api):
    alice = service.signup("alice")
    credentials = alice.get("/app-credentials").json()

    install = register_install(api, credentials["app_id"], credentials["app_secret"])

    assert install["install_id"]


def test_app_credentials_needs_a_session(service, tenant):
    response = service.client.get("/app-credentials")

    assert response.status_code == 401
    assert tenant.app_secret not in response.text


def test_app_credentials_refuses_a_logged_out_session(service, tenant):
    alice = service.signup("alice")
    alice.post("/logout")

    response = alice.get("/app-credentials")

    assert response.status_code == 401
    assert tenant.app_secret not in response.text


def test_app_credentials_without_a_configured_secret_is_503(make_backend):
    running = make_backend(app_secret=None)
    alice = running.signup("alice")

    response = alice.get("/app-credentials")

    assert response.status_code == 503
    assert response.json()["errorCode"] == "APP_SECRET_NOT_CONFIGURED"


def test_the_platform_url_handed_to_the_app_can_differ_from_the_one_the_backend_uses(
    make_backend,
):
    running = make_backend(platform_public_url="https://userlink.example.com/")
    alice = running.signup("alice")

    assert alice.get("/app-credentials").json()["platform_url"] == "https://userlink.example.com"
    assert alice.get("/auth/code").json()["platform_url"] == "https://userlink.example.com"
