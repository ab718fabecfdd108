"""Every operation of the OpenAPI document, fuzzed by schemathesis against the live server with
valid credentials: no 5xx, only the status codes the document declares, bodies and content types
that match it. API-key routes carry a key with every scope, SDK routes the access token of a
redeemed install, the legacy init the app's id and secret. Half of the examples (drawn by
hypothesis, derandomized) also replace identifiers and codes with ones that exist (a user with a
timeline, an unlinked legacy install, an unused code, a live refresh token), so the fuzzing goes
past "not found" into the use cases."""

from __future__ import annotations

import copy
import uuid
from functools import cached_property
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from userlink.http.app import create_app
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.devices import (
    basic,
    bearer,
    issue_code,
    link,
    payload,
    redeem,
    register_install,
    upload,
)
from userlink_testing.live import test_settings as live_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]
ALL_SCOPES = ("user.link", "user.read", "user.delete", "webhooks.manage")


def openapi_document() -> dict[str, Any]:
    """The document the server serves at /openapi.json, built from the app without serving it:
    schemathesis' pytest plugin makes one test per operation at collection, before any live
    server exists (its lazy `from_fixture` loader reads `Function._nodeid`, which pytest 9
    removed). The database URL is never connected to."""
    document: dict[str, Any] = create_app(live_settings("sqlite://")).openapi()
    return document


EXAMPLE_KEYWORDS = ("example", "examples")


def for_fuzzing(document: dict[str, Any]) -> dict[str, Any]:
    """The document less its security requirements and its examples. The test sends the
    credentials itself, and schemathesis would otherwise generate examples whose Authorization
    header it removes. Its examples phase refuses to run beside `@schema.given` (an example has
    no value for `existing`) and would take an `id` of a response example for a path parameter;
    the examples are checked against their schemas by test_openapi_documentation.py."""
    stripped = copy.deepcopy(document)
    stripped.get("components", {}).pop("securitySchemes", None)
    for operations in stripped["paths"].values():
        for operation in operations.values():
            operation.pop("security", None)
    return without_examples(stripped)


def without_examples(node: Any, *, names: bool = False) -> Any:
    """`node` less every `example` and `examples` keyword; `names`: the keys of `node` are
    property names (a property may be called `example`)."""
    if isinstance(node, dict):
        return {
            key: without_examples(value, names=key == "properties" and not names)
            for key, value in node.items()
            if names or key not in EXAMPLE_KEYWORDS
        }
    if isinstance(node, list):
        return [without_examples(item) for item in node]
    return node


schema = schemathesis.openapi.from_dict(for_fuzzing(openapi_document()))


@pytest.fixture
def all_scopes_key(runtime, tenant) -> str:
    return make_key(runtime, tenant.app_id, scopes=ALL_SCOPES)


class World:
    """What exists on the platform for one example, made on first use: each example gets its
    own, so a reset, a deletion or a rotated refresh token in one never reaches the next.
    `existing` examples also get their identifiers, codes and timestamps replaced by ones the
    platform accepts, so they reach the use cases instead of stopping at "not found"."""

    def __init__(self, api: httpx.Client, tenant: Any, key: str, *, existing: bool) -> None:
        self.api = api
        self.tenant = tenant
        self.key = key
        self.existing = existing
        self.external_id = f"fuzz-{uuid.uuid4()}"

    @cached_property
    def device(self) -> dict[str, Any]:
        """A redeemed, active install whose user has a short timeline."""
        device = redeem(self.api, issue_code(self.api, self.key, self.external_id))
        token = device["credentials"]["access_token"]
        stored = upload(self.api, token, [payload(n=1), payload(at="2026-11-21T11:00:00Z")])
        assert stored.status_code == 200, stored.text
        return device

    @cached_property
    def legacy_install(self) -> dict[str, Any]:
        """An install registered with the app's credentials, not linked yet."""
        return register_install(self.api, self.tenant.app_id, self.tenant.app_secret)

    @cached_property
    def linked_legacy_install(self) -> dict[str, Any]:
        """A legacy install the customer's backend has linked, waiting for the SDK's confirm."""
        install = self.legacy_install
        linked = link(self.api, self.key, install["install_id"], f"fuzz-{uuid.uuid4()}")
        assert linked.status_code == 200, linked.text
        return install

    @cached_property
    def unused_code(self) -> str:
        return issue_code(self.api, self.key, f"fuzz-{uuid.uuid4()}")

    def credentials(self, path: str) -> dict[str, str]:
        if path == "/sdk/v1/installs":
            return basic(self.tenant.app_id, self.tenant.app_secret)
        if path == "/sdk/v1/link":
            return bearer(self.legacy_install["credentials"]["access_token"])
        if path == "/sdk/v1/link/confirm":
            install = self.linked_legacy_install if self.existing else self.legacy_install
            return bearer(install["credentials"]["access_token"])
        if path.startswith("/sdk/"):
            return bearer(self.device["credentials"]["access_token"])
        return bearer(self.key)

    def prepare(self, case: Any) -> None:
        """For an `existing` example, values that exist instead of the generated ones, where
        the case has them."""
        if not self.existing:
            return
        parameters = case.path_parameters or {}
        if "user_id" in parameters:
            parameters["user_id"] = self.device["user_id"]
        if "install_id" in parameters:
            parameters["install_id"] = self.legacy_install["install_id"]
        if case.query and "external_id" in case.query:
            case.query["external_id"] = self.external_id
        if not isinstance(case.body, dict):
            return
        body = dict(case.body)
        if "authentication_code" in body:
            body["authentication_code"] = self.unused_code
        if "refresh_token" in body:
            body["refresh_token"] = self.device["credentials"]["refresh_token"]
        if isinstance(body.get("payloads"), list):
            body["payloads"] = [
                {**item, "timestamp": "2026-11-21T10:00:00Z"} if isinstance(item, dict) else item
                for item in body["payloads"]
            ]
        case.body = body


@schema.parametrize()
@schema.given(existing=st.booleans())
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    # The live server and the tenant outlive the examples on purpose; each example makes what
    # it changes (World) afresh.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_operation_answers_as_documented_with_valid_credentials(
    case, existing, live, api, tenant, all_scopes_key
):
    world = World(api, tenant, all_scopes_key, existing=existing)
    world.prepare(case)

    case.call_and_validate(
        base_url=live.url, headers=world.credentials(case.operation.path), checks=CHECKS
    )


def test_the_fuzzed_document_is_the_one_the_live_server_serves(api):
    assert api.get("/openapi.json").json() == openapi_document()
