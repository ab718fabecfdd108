"""Codes bound to the device that redeems them (PKCE, RFC 7636, S256 only): a code minted with a
challenge redeems only with its verifier; a wrong or missing verifier burns the code and is
audited like a replay; each app's policy (off, optional, required) decides what minting takes."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from userlink.apps.rules import PkcePolicy
from userlink.auth_codes import rules
from userlink.models import auth_codes, users
from userlink_testing.factories.apps import update_app
from userlink_testing.factories.devices import bearer, new_nonce, redeem_body
from userlink_testing.factories.records import audit_rows, count_rows, rows


def new_verifier() -> str:
    return secrets.token_urlsafe(48)


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def mint(api: httpx.Client, key: str, **body: Any) -> httpx.Response:
    return api.post("/users/auth-code", json={"external_id": "alice", **body}, headers=bearer(key))


def bound_code(api: httpx.Client, key: str, verifier: str) -> str:
    response = mint(api, key, code_challenge=challenge_of(verifier), code_challenge_method="S256")
    assert response.status_code == 200, response.text
    code: str = response.json()["authentication_code"]
    return code


def redeem_with(api: httpx.Client, code: str, **extra: Any) -> httpx.Response:
    return api.post("/sdk/v1/users", json=redeem_body(code, **extra))


def test_rfc_7636_appendix_b_example():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    assert rules.s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@given(st.text(alphabet="".join(sorted(rules.VERIFIER_CHARACTERS)), min_size=43, max_size=128))
def test_only_the_verifier_of_a_challenge_proves_it(verifier):
    challenge = rules.s256_challenge(verifier)

    assert rules.verifier_outcome(challenge, verifier) is rules.VerifierOutcome.PROVEN
    assert rules.verifier_outcome(challenge, verifier + "x") is not rules.VerifierOutcome.PROVEN
    assert rules.verifier_outcome(challenge, None) is rules.VerifierOutcome.MISMATCH
    assert rules.verifier_outcome(None, verifier) is rules.VerifierOutcome.DOWNGRADE
    assert rules.verifier_outcome(None, None) is rules.VerifierOutcome.UNBOUND


def test_a_bound_code_redeems_with_its_verifier(api, tenant, runtime):
    verifier = new_verifier()
    code = bound_code(api, tenant.link_key, verifier)

    response = redeem_with(api, code, code_verifier=verifier)

    assert response.status_code == 200, response.text
    assert response.json()["restored"] is False
    [stored] = rows(runtime, auth_codes)
    assert stored["code_challenge"] == challenge_of(verifier)


@pytest.mark.parametrize("presented", ["wrong", "missing"])
def test_a_bound_code_without_its_verifier_is_refused_burned_and_audited(
    api, tenant, runtime, presented
):
    verifier = new_verifier()
    code = bound_code(api, tenant.link_key, verifier)
    extra = {"code_verifier": new_verifier()} if presented == "wrong" else {}

    stolen = redeem_with(api, code, **extra)
    rightful = redeem_with(api, code, code_verifier=verifier)

    assert stolen.status_code == 403
    assert stolen.json()["errorCode"] == "AUTH_CODE_VERIFIER_MISMATCH"
    assert rightful.status_code == 409
    assert rightful.json()["errorCode"] == "AUTH_CODE_ALREADY_USED"
    assert count_rows(runtime, users) == 0
    refusals = audit_rows(runtime, "auth_code.replay_refused")
    assert refusals[0]["details"]["reason"] == "verifier_mismatch"


def test_a_verifier_for_a_code_minted_without_a_challenge_is_refused_as_a_downgrade(
    api, tenant, runtime
):
    code = mint(api, tenant.link_key).json()["authentication_code"]

    response = redeem_with(api, code, code_verifier=new_verifier())

    assert response.status_code == 403
    assert response.json()["errorCode"] == "AUTH_CODE_VERIFIER_MISMATCH"
    assert count_rows(runtime, users) == 0
    [refusal] = audit_rows(runtime, "auth_code.replay_refused")
    assert refusal["details"]["reason"] == "verifier_downgrade"


def test_a_code_without_a_challenge_redeems_without_a_verifier(api, tenant):
    code = mint(api, tenant.link_key).json()["authentication_code"]

    assert redeem_with(api, code).status_code == 200


def test_a_retry_of_a_lost_answer_needs_the_verifier_too(api, tenant):
    verifier = new_verifier()
    code = bound_code(api, tenant.link_key, verifier)
    nonce = new_nonce()
    first = redeem_with(api, code, nonce=nonce, code_verifier=verifier)

    retried = redeem_with(api, code, nonce=nonce, code_verifier=verifier)
    unproven = redeem_with(api, code, nonce=nonce)

    assert retried.status_code == 200
    assert retried.json()["install_id"] == first.json()["install_id"]
    assert unproven.json()["errorCode"] == "AUTH_CODE_VERIFIER_MISMATCH"


@pytest.mark.parametrize(
    ("body", "status", "error_code"),
    [
        (
            {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
            422,
            "CODE_CHALLENGE_METHOD_UNSUPPORTED",
        ),
        ({"code_challenge": "x" * 43}, 422, "CODE_CHALLENGE_METHOD_UNSUPPORTED"),
        (
            {"code_challenge": "x" * 43, "code_challenge_method": "s256"},
            422,
            "CODE_CHALLENGE_METHOD_UNSUPPORTED",
        ),
        ({"code_challenge_method": "S256"}, 422, "INVALID_CODE_CHALLENGE"),
        (
            {"code_challenge": "short", "code_challenge_method": "S256"},
            422,
            "INVALID_CODE_CHALLENGE",
        ),
        (
            {"code_challenge": "+" * 43, "code_challenge_method": "S256"},
            422,
            "INVALID_CODE_CHALLENGE",
        ),
        ({"code_challenge": 42, "code_challenge_method": "S256"}, 422, "VALIDATION_ERROR"),
    ],
    ids=["plain", "no-method", "lowercase", "no-challenge", "short", "bad-alphabet", "number"],
)
def test_a_bad_challenge_is_refused_and_mints_nothing(
    api, tenant, runtime, body, status, error_code
):
    response = mint(api, tenant.link_key, **body)

    assert response.status_code == status
    assert response.json()["errorCode"] == error_code
    assert count_rows(runtime, auth_codes) == 0


@pytest.mark.parametrize("verifier", ["short", "x" * 129, "has space" * 6])
def test_a_malformed_verifier_is_a_validation_error_and_leaves_the_code_usable(
    api, tenant, verifier
):
    good = new_verifier()
    code = bound_code(api, tenant.link_key, good)

    refused = redeem_with(api, code, code_verifier=verifier)

    assert refused.status_code == 422
    assert refused.json()["errorCode"] == "VALIDATION_ERROR"
    assert redeem_with(api, code, code_verifier=good).status_code == 200


def test_required_policy_refuses_a_code_without_a_challenge(api, tenant, runtime):
    update_app(runtime, tenant.app_id, pkce_policy=PkcePolicy.REQUIRED)

    refused = mint(api, tenant.link_key)
    bound = bound_code(api, tenant.link_key, new_verifier())

    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "CODE_CHALLENGE_REQUIRED"
    assert "challenge" in refused.json()["message"]
    assert bound
    assert count_rows(runtime, auth_codes) == 1


def test_off_policy_refuses_a_challenge_rather_than_ignore_it(api, tenant, runtime):
    update_app(runtime, tenant.app_id, pkce_policy=PkcePolicy.OFF)

    refused = mint(
        api,
        tenant.link_key,
        code_challenge=challenge_of(new_verifier()),
        code_challenge_method="S256",
    )

    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "PKCE_DISABLED"
    assert mint(api, tenant.link_key).status_code == 200


def test_cli_sets_the_pkce_policy(run, tenant, api):
    result = run("apps", "set", str(tenant.app_id), "--pkce", "required")

    assert result.exit_code == 0, result.output
    assert "pkce policy           required" in result.output
    assert mint(api, tenant.link_key).json()["errorCode"] == "CODE_CHALLENGE_REQUIRED"


def test_cli_refuses_an_unknown_pkce_policy(run, tenant):
    result = run("apps", "set", str(tenant.app_id), "--pkce", "plain")

    assert result.exit_code != 0
    assert "plain" in result.output


def test_link_user_with_a_bound_code_needs_the_verifier(api, tenant):
    from userlink_testing.factories.devices import confirm, register_install

    install = register_install(api, tenant.app_id, tenant.app_secret)
    token = install["credentials"]["access_token"]
    confirm(api, token, established=True)
    verifier = new_verifier()
    code = bound_code(api, tenant.link_key, verifier)

    refused = api.post("/sdk/v1/link", json={"authentication_code": code}, headers=bearer(token))

    assert refused.json()["errorCode"] == "AUTH_CODE_VERIFIER_MISMATCH"
