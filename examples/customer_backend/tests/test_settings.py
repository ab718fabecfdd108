"""Settings: `CUSTOMER_BACKEND_*` variables, secrets from files, refusals at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from customer_backend.config import AttestationMode, Settings


@pytest.fixture
def environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("APP_ID", "API_KEY", "ATTESTATION"):
        monkeypatch.delenv(f"CUSTOMER_BACKEND_{name}", raising=False)
    return monkeypatch


def test_settings_come_from_the_environment_prefix(environment):
    environment.setenv("CUSTOMER_BACKEND_APP_ID", "0b5c9a4e-0000-4000-8000-000000000001")
    environment.setenv("CUSTOMER_BACKEND_API_KEY", "ulk_example")
    environment.setenv("CUSTOMER_BACKEND_ATTESTATION", "development")
    environment.setenv("CUSTOMER_BACKEND_PLATFORM_URL", "https://userlink.example.com/")
    environment.setenv("CUSTOMER_BACKEND_PORT", "9000")
    environment.setenv("CUSTOMER_BACKEND_RATE_LIMIT_PER_USER", "5/second")

    settings = Settings()

    assert settings.app_id == "0b5c9a4e-0000-4000-8000-000000000001"
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "ulk_example"
    assert settings.attestation is AttestationMode.DEVELOPMENT
    assert settings.platform_url == "https://userlink.example.com"
    assert settings.port == 9000
    assert settings.rate_limit_per_user == "5/second"
    assert settings.database_url == "sqlite:///./var/customer_backend.db"


def test_the_secret_files_win_over_the_plain_variables(environment, tmp_path):
    (tmp_path / "key").write_text("ulk_from_file\n")
    (tmp_path / "secret").write_text("uls_from_file\n")
    environment.setenv("CUSTOMER_BACKEND_APP_ID", "app")
    environment.setenv("CUSTOMER_BACKEND_API_KEY", "ulk_from_env")
    environment.setenv("CUSTOMER_BACKEND_API_KEY_FILE", str(tmp_path / "key"))
    environment.setenv("CUSTOMER_BACKEND_APP_SECRET", "uls_from_env")
    environment.setenv("CUSTOMER_BACKEND_APP_SECRET_FILE", str(tmp_path / "secret"))
    environment.setenv("CUSTOMER_BACKEND_ATTESTATION", "development")

    settings = Settings()

    assert settings.api_key is not None
    assert settings.app_secret is not None
    assert settings.api_key.get_secret_value() == "ulk_from_file"
    assert settings.app_secret.get_secret_value() == "uls_from_file"


def test_an_unreadable_secret_file_is_refused_at_start(tmp_path):
    with pytest.raises(ValidationError, match="API_KEY_FILE: cannot read"):
        Settings.model_validate(
            {
                "app_id": "app",
                "api_key_file": str(tmp_path / "missing"),
                "attestation": "development",
            }
        )


def test_an_api_key_is_required():
    with pytest.raises(ValidationError, match="API_KEY_FILE"):
        Settings.model_validate({"app_id": "app", "attestation": "development"})


def test_attestation_defaults_to_jws_and_so_refuses_to_start_unconfigured():
    with pytest.raises(ValidationError, match="ATTESTATION=development"):
        Settings.model_validate({"app_id": "app", "api_key": "ulk_x"})


@pytest.mark.parametrize("rule", ["lots", "5/fortnight", ""])
def test_an_unreadable_rate_limit_is_refused(rule):
    with pytest.raises(ValidationError):
        Settings.model_validate(
            {
                "app_id": "app",
                "api_key": "k",
                "attestation": "development",
                "rate_limit_per_ip": rule,
            }
        )


def test_the_platform_url_must_be_http():
    with pytest.raises(ValidationError, match="http"):
        Settings.model_validate(
            {"app_id": "app", "api_key": "k", "attestation": "development", "platform_url": "x"}
        )
