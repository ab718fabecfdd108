"""`make screenshots`: the dashboard's main pages, photographed by Debian's Chromium into
docs/screenshots/.

A server starts on a throwaway SQLite database with sample data made through the real API (an
owner with an authenticator, an app with keys, two weeks of codes issued and redeemed, a user
who moved to a new phone, with payloads from both), then a browser logs in as a person would and
saves a PNG of each page: login, home, the app with its insight, a key just created (shown
once), the keys page, and the user's page."""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Page, ViewportSize, sync_playwright

from userlink import migrate
from userlink.accounts.rules import Role
from userlink_testing.browser import (
    MISSING,
    chromium_available,
    launch_chromium,
    log_in,
)
from userlink_testing.factories.accounts import TestAccount, make_account, make_organisation
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import issue_code, payload, phone, redeem, upload
from userlink_testing.live import LiveServer, start_live_server, test_settings

DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1280, "height": 860}
SHOWCASE_USER = "customer-1042"
HISTORY_DAYS = 13  # the insight chart shows two weeks, today included


@dataclass(frozen=True)
class Sample:
    owner: TestAccount
    app_id: str
    user_id: str


def _day_of_traffic(api: httpx.Client, key: str, day: int) -> None:
    """A day's codes: most redeemed by new users, some left to expire, now and then a replay."""
    issued = 3 + (day * 5) % 7
    for n in range(issued):
        code = issue_code(api, key, f"user-{day}-{n}")
        if n % 4 == 3:
            continue  # never redeemed: it expires
        redeem(api, code, device=phone(model="Pixel 7"))
        if n == 0 and day % 3 == 0:
            # The same code again, from another install: refused and counted as a replay.
            api.post(
                "/sdk/v1/users",
                json={
                    "authentication_code": code,
                    "installation_nonce": f"replay-{day}-{n}-nonce-long-enough",
                    "device": phone(),
                    "app": {"app_version": "1.0.0", "sdk_version": "0.1.0"},
                },
            )


def _trips(count: int, day: str) -> list[dict[str, object]]:
    return [
        payload(at=f"{day}T{8 + n:02d}:15:00Z", distance_km=3.2 + n, mode="walk")
        for n in range(count)
    ]


def seed(live: LiveServer) -> Sample:
    runtime = live.runtime
    organisation = make_organisation(runtime, "Acme Fitness")
    owner = make_account(
        runtime, email="owner@example.com", role=Role.OWNER, organisation_id=organisation
    )
    created = make_app(runtime, name="Acme Fitness (Android, iOS)", organisation_id=organisation)
    app_id = created.app.id
    make_app(runtime, name="Acme Coach (beta)", organisation_id=organisation, linking_enabled=False)
    link_key = make_key(runtime, app_id, name="backend: sign-in", scopes=("user.link",))
    make_key(runtime, app_id, name="support tools", scopes=("user.read", "user.delete"))
    with httpx.Client(base_url=live.url, timeout=30) as api:
        for day in range(HISTORY_DAYS, -1, -1):
            live.clock.reset()
            live.clock.advance(days=-day)
            _day_of_traffic(api, link_key, day)
        # The showcase user: a phone three days ago, a new phone today that restores them.
        live.clock.reset()
        live.clock.advance(days=-3)
        first = redeem(api, issue_code(api, link_key, SHOWCASE_USER), device=phone("Pixel 8"))
        then = live.clock.now().date().isoformat()
        upload(api, first["credentials"]["access_token"], _trips(4, then))
        live.clock.reset()
        second = redeem(
            api, issue_code(api, link_key, SHOWCASE_USER), device=phone("Pixel 9 Pro", 6.7)
        )
        today = live.clock.now().date().isoformat()
        upload(api, second["credentials"]["access_token"], _trips(2, today))
    live.clock.reset()
    return Sample(owner=owner, app_id=str(app_id), user_id=str(second["user_id"]))


def _shoot(page: Page, output: Path, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(output / f"{name}.png"), full_page=True)
    print(f"  {output / f'{name}.png'}")


def photograph(live: LiveServer, sample: Sample, output: Path) -> None:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(base_url=live.url, viewport=VIEWPORT)
        page = context.new_page()

        page.goto("/dashboard/login")
        page.locator("input[name=email]").fill(sample.owner.email)
        _shoot(page, output, "login")

        log_in(page, sample.owner, live.clock)
        page.goto("/dashboard/")
        _shoot(page, output, "home")

        page.goto(f"/dashboard/apps/{sample.app_id}")
        _shoot(page, output, "app")

        page.goto(f"/dashboard/apps/{sample.app_id}/keys")
        page.locator("input[name=name]").fill("mobile backend (staging)")
        page.locator("input[name=scopes][value='user.link']").check()
        page.get_by_role("button", name="Create the key").click()
        page.wait_for_load_state()
        _shoot(page, output, "key-created")

        page.goto(f"/dashboard/apps/{sample.app_id}/keys")
        _shoot(page, output, "keys")

        page.goto(f"/dashboard/apps/{sample.app_id}/users/{sample.user_id}")
        _shoot(page, output, "user")

        context.close()
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    arguments = parser.parse_args(argv)
    if not chromium_available():
        print(MISSING, file=sys.stderr)
        return 1
    output: Path = arguments.output
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="userlink-screenshots-") as workdir:
        url = f"sqlite:///{Path(workdir) / 'screenshots.db'}"
        migrate.upgrade(url)
        live = start_live_server(test_settings(url))
        try:
            sample = seed(live)
            print(f"Screenshots of {live.url}/dashboard/ into {output}:")
            photograph(live, sample, output)
        finally:
            live.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
