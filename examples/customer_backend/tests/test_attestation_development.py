"""The development verifier: attestation off, loudly."""

from __future__ import annotations

import logging

from customer_backend import Settings, create_app


def test_development_mode_accepts_requests_without_a_statement(service):
    alice = service.signup("alice")

    assert alice.get("/auth/code").status_code == 200
    assert alice.get("/app-credentials").status_code == 200


def test_development_mode_accepts_any_statement(service):
    alice = service.signup("alice")

    assert alice.get("/auth/code", statement="anything at all").status_code == 200


def test_development_mode_warns_at_start_that_attestation_is_off(caplog, tmp_path):
    settings = Settings.model_validate(
        {
            "app_id": "app",
            "api_key": "key",
            "attestation": "development",
            "database_url": f"sqlite:///{tmp_path / 'cb.db'}",
        }
    )

    with caplog.at_level(logging.WARNING, logger="customer_backend"):
        create_app(settings)

    [record] = [r for r in caplog.records if r.name == "customer_backend.attestation"]
    assert record.levelno == logging.WARNING
    assert "attestation is OFF" in record.getMessage()
