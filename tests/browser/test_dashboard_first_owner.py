"""The first start as a new user meets it: `userlink serve --bootstrap-dev-app` (what `make run`
starts) prints the dashboard's first owner with a one-time password, and the dashboard makes them
choose their own before anything else, then set up an authenticator."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest
from playwright.sync_api import Page, expect

from userlink_testing.browser import path_of, submit_login
from userlink_testing.live import TEST_SECRET

START_DEADLINE = 60.0
NEW_PASSWORD = "my own long passphrase"


@dataclass(frozen=True)
class FirstStart:
    url: str
    email: str
    password: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def printed(log: Path, name: str) -> str | None:
    found = re.search(rf"^\s+{name}\s+(\S+)", log.read_text(), re.MULTILINE)
    return found.group(1) if found else None


@pytest.fixture
def first_start(database_url: str, live, tmp_path: Path) -> Iterator[FirstStart]:
    """`userlink serve --bootstrap-dev-app` in development, on the (empty) test database and a
    port of its own, until it answers; what it printed for the first owner."""
    port = free_port()
    log = tmp_path / "serve.log"
    environment = {
        **os.environ,
        "USERLINK_ENVIRONMENT": "development",
        "USERLINK_DATABASE_URL": database_url,
        "USERLINK_SECRET_KEY": TEST_SECRET,
        "USERLINK_PORT": str(port),
        "USERLINK_RATE_LIMIT_ENABLED": "false",
    }
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "userlink"), "serve", "--bootstrap-dev-app"],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_answering(process, url, log)
            email, password = printed(log, "email"), printed(log, "password")
            assert email is not None, log.read_text()
            assert password is not None, log.read_text()
            yield FirstStart(url=url, email=email, password=password)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


def wait_until_answering(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while True:
        if process.poll() is not None:
            raise AssertionError(f"userlink serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"userlink serve did not answer within {START_DEADLINE:.0f} s")
        time.sleep(0.05)


def choose_password(page: Page, current: str, new: str) -> None:
    page.locator("input[name=current_password]").fill(current)
    page.locator("input[name=new_password]").fill(new)
    page.locator("input[name=repeat_password]").fill(new)
    page.get_by_role("button", name="Save password").click()
    page.wait_for_load_state()


def test_the_first_owner_printed_at_first_start_must_choose_a_password(open_page, first_start):
    page = open_page(first_start.url)

    page.goto("/dashboard/")
    assert path_of(page) == "/dashboard/login"
    submit_login(page, first_start.email, first_start.password)

    assert path_of(page) == "/dashboard/account/password"
    page.goto("/dashboard/account")
    assert path_of(page) == "/dashboard/account/password"


def test_once_the_first_owner_chose_a_password_they_set_up_an_authenticator(open_page, first_start):
    page = open_page(first_start.url)
    submit_login(page, first_start.email, first_start.password)

    choose_password(page, first_start.password, NEW_PASSWORD)

    assert path_of(page) == "/dashboard/account/second-factor"
    expect(page.get_by_test_id("totp-secret")).to_be_visible()


def test_the_one_time_password_works_no_more_once_replaced(open_page, first_start):
    page = open_page(first_start.url)
    submit_login(page, first_start.email, first_start.password)
    choose_password(page, first_start.password, NEW_PASSWORD)
    later = open_page(first_start.url)

    submit_login(later, first_start.email, first_start.password)

    assert path_of(later) == "/dashboard/login"
    expect(later.get_by_role("alert")).to_be_visible()


def test_a_new_user_goes_from_the_first_start_to_a_key_that_works(open_page, first_start):
    """The README's walkthrough: log in with what was printed, choose a password, enrol an
    authenticator, make a key on the development app, and use it as the curl step does."""
    page = open_page(first_start.url)
    page.goto("/dashboard/")
    submit_login(page, first_start.email, first_start.password)
    choose_password(page, first_start.password, NEW_PASSWORD)
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())  # the server's real clock
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_role("link", name="Continue to the dashboard").click()

    page.get_by_role("link", name="Development app").click()
    page.get_by_role("link", name=re.compile("API keys")).click()
    page.locator("input[name=name]").fill("my backend")
    page.get_by_role("button", name="Create the key").click()
    key = page.get_by_test_id("api-key").inner_text().strip()
    answer = httpx.post(
        f"{first_start.url}/users/auth-code",
        json={"external_id": "alice"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["authentication_code"]
