"""The API key never leaves the customer backend. (Every test's answers are also checked for it
by the `make_backend` fixture; this one walks every route, success and failure.)"""

from __future__ import annotations

from customer_backend import Settings
from userlink_testing.factories.api_keys import revoke_key_by_token
from userlink_testing.factories.devices import register_install


def test_no_answer_of_any_route_contains_the_api_key(make_backend, api, tenant, runtime):
    running = make_backend()
    alice = running.signup("alice", "correct horse")
    install = register_install(api, tenant.app_id, tenant.app_secret)
    calls = [
        lambda: running.client.post("/signup", json={"username": "alice", "password": "x" * 8}),
        lambda: running.client.post("/login", json={"username": "alice", "password": "nope!!!!"}),
        lambda: alice.get("/attestation/nonce"),
        lambda: alice.get("/auth/code"),
        lambda: alice.get("/auth/code", params={"external_id": "bob"}),
        lambda: alice.post(f"/users/{install['install_id']}/link"),
        lambda: alice.post("/users/d12339a8-6320-4308-abc8-7a5940389da0/link"),
        lambda: alice.get("/app-credentials"),
        lambda: running.client.get("/openapi.json"),
        lambda: running.client.get("/docs"),
        lambda: running.client.get("/no/such/route"),
        lambda: revoke_key_by_token(runtime, tenant.app_id, tenant.link_key),
        lambda: alice.get("/auth/code"),
        lambda: alice.post(f"/users/{install['install_id']}/link"),
        lambda: alice.post("/logout"),
    ]

    for call in calls:
        call()

    # Every call but the key's revocation, plus alice's sign-up.
    assert len(running.answers) == len(calls)
    for answer in running.answers:
        assert tenant.link_key not in answer.text
        assert tenant.link_key[4:20] not in answer.text
        assert all(tenant.link_key not in value for value in answer.headers.values())


def test_the_api_key_from_a_file_wins_and_stays_out_of_the_settings_repr(tmp_path):
    api_key = "ulk_rPlXVnkuhw2wohkNaCgkwvfCO4Wfn9w2nK7WMT9X4M624k"
    key_file = tmp_path / "api_key"
    key_file.write_text(api_key + "\n")

    settings = Settings.model_validate(
        {
            "app_id": "app",
            "api_key": "ulk_from_the_environment",
            "api_key_file": str(key_file),
            "attestation": "development",
        }
    )

    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == api_key
    assert api_key not in repr(settings)
    assert api_key not in str(settings.model_dump())
