"""What is measured: each scenario's wrk script, the server it runs against, the data it reads,
the reference it is divided by and the target it is held to; and the one-request checks that the
data the bench made is what the platform accepts."""

from __future__ import annotations

import json
import math
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.fixtures import Device, Fixtures, Tenant, Timeline, payload_body

PLATFORM, HELLO, ONE_INSERT, DIRECT = "platform", "hello", "one-insert", "direct"
BATCH = 100  # payloads per upload
TIMELINE_LIMIT = 100
TIMELINE_TARGET_MS = 10.0


@dataclass(frozen=True)
class Target:
    ratio_min: float | None = None  # req/s ÷ the reference's
    p99_max_ms: float | None = None  # at half the saturated rate

    def describe(self) -> str:
        parts = []
        if self.ratio_min is not None:
            parts.append(f"ratio ≥ {self.ratio_min:.2f}")
        if self.p99_max_ms is not None:
            parts.append(f"p99 ≤ {self.p99_max_ms:g} ms")
        return ", ".join(parts)


@dataclass(frozen=True)
class Scenario:
    key: str  # --scenario name
    label: str  # the row's name
    server: str  # PLATFORM, HELLO, ONE_INSERT, or DIRECT (no HTTP)
    script: str = ""  # bench/lua/<script>
    reference: str | None = None  # key of the row its ratio divides by
    consumes: bool = False  # each data line is used once (codes, refresh tokens, installs)
    cycle: bool = False  # read-only data, used in turn again and again
    target: Target | None = None
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def is_reference(self) -> bool:
        return self.server != PLATFORM


HELLO_ROW = Scenario(
    "hello", "hello: POST /hello (FastAPI, model in and out, no database)", HELLO,
    "reference.lua", environment={"BENCH_PATH": "/hello"},
)  # fmt: skip
ONE_INSERT_ROW = Scenario(
    "one-insert", "one-insert: the same + 1 INSERT in 1 transaction", ONE_INSERT,
    "reference.lua", environment={"BENCH_PATH": "/one-insert"},
)  # fmt: skip
DIRECT_ROW = Scenario(
    "direct-batch", f"direct batch insert: {BATCH} payload rows per transaction, no HTTP", DIRECT
)
PLATFORM_ROWS = (
    Scenario("health", "GET /health", PLATFORM, "health.lua", HELLO, target=Target(0.8)),
    Scenario(
        "auth-code", "POST /users/auth-code", PLATFORM, "auth_code.lua", ONE_INSERT,
        target=Target(0.6, 20.0),
    ),
    Scenario(
        "redemption", "POST /sdk/v1/users (redeem a code)", PLATFORM, "redemption.lua",
        ONE_INSERT, consumes=True, target=Target(0.35, 30.0),
    ),
    Scenario(
        "refresh", "POST /sdk/v1/token (refresh)", PLATFORM, "refresh.lua", ONE_INSERT,
        consumes=True,
    ),
    Scenario(
        "link", "POST /v2/users/{install_id}/link (legacy)", PLATFORM, "link.lua", ONE_INSERT,
        consumes=True,
    ),
    Scenario("lookup", "GET /v2/users/{id}", PLATFORM, "lookup.lua", ONE_INSERT, cycle=True),
    Scenario(
        "payloads", f"POST /sdk/v1/payloads ({BATCH} per batch)", PLATFORM, "payloads.lua",
        DIRECT_ROW.key, cycle=True, target=Target(0.5), environment={"BENCH_BATCH": str(BATCH)},
    ),
    Scenario(
        "timeline", f"GET /v2/users/{{id}}/timeline?limit={TIMELINE_LIMIT} (random cursors)",
        PLATFORM, "timeline.lua", None, cycle=True, target=Target(p99_max_ms=TIMELINE_TARGET_MS),
    ),
)  # fmt: skip
GROWTH = "growth"  # auth-code and redemption again, with many users and codes stored
GROWTH_ROWS = ("auth-code", "redemption")
CHOICES = (*(s.key for s in PLATFORM_ROWS), GROWTH)
BY_KEY = {s.key: s for s in (HELLO_ROW, ONE_INSERT_ROW, DIRECT_ROW, *PLATFORM_ROWS)}


def rows_for(chosen: list[str]) -> list[Scenario]:
    """The platform rows chosen, each preceded by the reference it needs (in a round, a
    reference is measured before the rows that divide by it: A/B, then A/B again next round)."""
    keys = set(chosen)
    if GROWTH in keys:
        keys.update(GROWTH_ROWS)
    platform = [s for s in PLATFORM_ROWS if s.key in keys]
    needed = {s.reference for s in platform if s.reference}
    ordered: list[Scenario] = []
    for scenario in platform:
        reference = scenario.reference
        if reference and reference in needed and BY_KEY[reference] not in ordered:
            ordered.append(BY_KEY[reference])
        ordered.append(scenario)
    return ordered


@dataclass
class Data:
    """What the scenarios read, made once per backend, and what they consume, made on demand."""

    fixtures: Fixtures
    tenant: Tenant
    lookup: list[Device]
    uploaders: list[Device]
    timeline: Timeline | None
    cursors: int
    minted: dict[str, int] = field(default_factory=dict)

    def environment(self, scenario: Scenario) -> dict[str, str]:
        keys = {
            "auth-code": self.tenant.link_key,
            "link": self.tenant.link_key,
            "lookup": self.tenant.read_key,
            "timeline": self.tenant.read_key,
        }
        extra = {"BENCH_API_KEY": keys[scenario.key]} if scenario.key in keys else {}
        return {**scenario.environment, **extra}

    def lines(self, scenario: Scenario, count: int) -> list[str] | None:
        """Data for `count` requests (the read-only kinds: all of it, used in turn)."""
        key = scenario.key
        tag = secrets.token_hex(3)
        if key in ("redemption", "refresh", "link"):
            self.minted[key] = self.minted.get(key, 0) + count
        if key == "redemption":
            return self.fixtures.mint_codes(self.tenant, count, f"redeem-{tag}")
        if key == "refresh":
            devices = self.fixtures.mint_devices(self.tenant, count, f"refresh-{tag}")
            return [str(d.refresh_token) for d in devices]
        if key == "link":
            devices = self.fixtures.mint_devices(
                self.tenant, count, f"legacy-{tag}", linked=False, tokens=False
            )
            return [str(d.install_id) for d in devices]
        if key == "lookup":
            return [str(d.user_id) for d in self.lookup]
        if key == "payloads":
            return [str(d.access_token) for d in self.uploaders]
        if key == "timeline":
            return self.timeline_paths()
        return None

    def timeline_paths(self) -> list[str]:
        assert self.timeline is not None
        timeline = self.timeline
        chosen = random.Random(1)
        base = f"/v2/users/{timeline.user_id}/timeline?limit={TIMELINE_LIMIT}&cursor="
        return [
            base + timeline.cursor_after(chosen.randrange(timeline.rows))
            for _ in range(self.cursors)
        ]


def prepare_data(
    fixtures: Fixtures,
    tenant: Tenant,
    chosen: list[Scenario],
    *,
    lookup_users: int,
    uploaders: int,
    timeline_rows: int,
    cursors: int,
    progress: Any,
) -> Data:
    keys = {s.key for s in chosen}
    lookup = fixtures.mint_devices(tenant, lookup_users, "lookup") if "lookup" in keys else []
    upload = fixtures.mint_devices(tenant, uploaders, "upload") if "payloads" in keys else []
    timeline = None
    if "timeline" in keys:
        timeline = fixtures.build_timeline(tenant, timeline_rows, progress)
    return Data(fixtures, tenant, lookup, upload, timeline, cursors)


# --- one request of each kind through the real server, before anything is measured ------------


def check(url: str, data: Data, chosen: list[Scenario]) -> None:
    """Each kind of data the bench made is accepted, and answers what the docs say."""
    keys = {s.key for s in chosen}
    tenant = data.tenant
    link = {"Authorization": f"Bearer {tenant.link_key}"}
    read = {"Authorization": f"Bearer {tenant.read_key}"}
    with httpx.Client(base_url=url, timeout=60) as api:
        _expect(api.get("/health"), "GET /health")
        if "auth-code" in keys:
            answer = _expect(
                api.post("/users/auth-code", json={"external_id": "check"}, headers=link),
                "POST /users/auth-code",
            )
            assert len(answer["authentication_code"]) == 128, answer
        if "redemption" in keys:
            code = data.fixtures.mint_codes(tenant, 1, f"check-{secrets.token_hex(3)}")[0]
            body = {
                "authentication_code": code,
                "installation_nonce": f"check-nonce-{secrets.token_hex(8)}",
                "device": {
                    "platform": "android",
                    "model": "Pixel 8",
                    "screen_diagonal_inches": 6.2,
                },
                "app": {"app_version": "1.0.0", "sdk_version": "0.1.0"},
            }
            answer = _expect(api.post("/sdk/v1/users", json=body), "a minted code's redemption")
            assert answer["restored"] is False, answer
            assert answer["configuration"]["is_remote_enabled"], answer
        if "refresh" in keys:
            device = data.fixtures.mint_devices(tenant, 1, f"check-{secrets.token_hex(3)}")[0]
            answer = _expect(
                api.post("/sdk/v1/token", json={"refresh_token": device.refresh_token}),
                "a minted refresh token",
            )
            assert answer["credentials"]["refresh_token"].startswith("ulr_"), answer
        if "link" in keys:
            device = data.fixtures.mint_devices(tenant, 1, "check", linked=False, tokens=False)[0]
            answer = _expect(
                api.post(
                    f"/v2/users/{device.install_id}/link",
                    json={"external_id": f"check-link-{secrets.token_hex(4)}"},
                    headers=link,
                ),
                "linking a minted legacy install",
            )
            assert answer["id"] == str(device.user_id), answer
        if "lookup" in keys:
            user = data.lookup[0]
            answer = _expect(api.get(f"/v2/users/{user.user_id}", headers=read), "a lookup")
            assert [i["is_active"] for i in answer["installs"]] == [True], answer
        if "payloads" in keys:
            device = data.uploaders[0]
            items = [
                {
                    "id": f"check-{secrets.token_hex(4)}-{k}",
                    "type": "trip",
                    "timestamp": "2026-11-21T10:00:00.000Z",
                    "body": payload_body(k),
                }
                for k in range(BATCH)
            ]
            answer = _expect(
                api.post(
                    "/sdk/v1/payloads",
                    json={"payloads": items},
                    headers={"Authorization": f"Bearer {device.access_token}"},
                ),
                "an upload with a minted access token",
            )
            assert {r["status"] for r in answer["results"]} == {"processed"}, answer
        if "timeline" in keys:
            _check_timeline(api, data, read)


def _check_timeline(api: httpx.Client, data: Data, headers: dict[str, str]) -> None:
    """The first page, the page after a cursor the bench made, the last page."""
    timeline = data.timeline
    assert timeline is not None
    path = f"/v2/users/{timeline.user_id}/timeline"
    first = _expect(api.get(path, params={"limit": TIMELINE_LIMIT}, headers=headers), "timeline")
    assert len(first["items"]) == min(TIMELINE_LIMIT, timeline.rows), len(first["items"])
    if timeline.rows > TIMELINE_LIMIT:  # the server's cursor is the one the bench makes
        assert first["next_cursor"] == timeline.cursor_after(TIMELINE_LIMIT - 1), first
    after = _expect(
        api.get(
            path,
            params={"limit": TIMELINE_LIMIT, "cursor": timeline.cursor_after(0)},
            headers=headers,
        ),
        "a timeline page after a cursor",
    )
    assert after["items"][0] == first["items"][1], (after["items"][0], first["items"][1])
    last = _expect(
        api.get(
            path,
            params={"limit": TIMELINE_LIMIT, "cursor": timeline.cursor_after(timeline.rows - 1)},
            headers=headers,
        ),
        "the last timeline page",
    )
    assert last == {"items": [], "next_cursor": None}, last


def _expect(response: httpx.Response, what: str) -> Any:
    if response.status_code != 200:
        raise AssertionError(
            f"{what}: {response.request.method} {response.request.url.path} answered "
            f"{response.status_code} {response.text[:500]}"
        )
    return response.json()


def lines_needed(rate: float, seconds: float, connections: int) -> int:
    """Data for a run of `seconds` at about `rate`, with a margin: a run that runs out is
    reported (exhausted) and measured again with twice as much."""
    return math.ceil(rate * seconds * 1.5) + 4 * connections


def payload_request_bytes() -> int:
    items = [
        {"id": f"p00000000-0-0-{k}", "type": "trip", "timestamp": "2026-11-21T10:00:00.000Z",
         "body": payload_body(k)}
        for k in range(BATCH)
    ]  # fmt: skip
    return len(json.dumps({"payloads": items}, separators=(",", ":")))
