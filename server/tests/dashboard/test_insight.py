"""An app's insight: codes issued, redeemed, expired and replay-refused per day, redemptions
that created or restored a user, installs now; drawn as server-side SVG."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from userlink.accounts.rules import Role
from userlink.http.dashboard.charts import Series, bar_chart, nice_ceiling
from userlink_testing.dashboard import dashboard_client, log_in
from userlink_testing.factories import accounts as account_factories
from userlink_testing.factories.accounts import make_account
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import issue_code, redeem, redeem_body, tablet

SERIES = ("issued", "redeemed", "expired", "replay-refused", "created", "restored")


@dataclass(frozen=True)
class Organisation:
    owner: account_factories.TestAccount
    app_id: uuid.UUID
    link_key: str


@pytest.fixture
def org(runtime) -> Organisation:
    owner = make_account(runtime, role=Role.OWNER)
    app = make_app(runtime, organisation_id=owner.organisation_id).app
    return Organisation(
        owner=owner, app_id=app.id, link_key=make_key(runtime, app.id, scopes=("user.link",))
    )


@pytest.fixture
def owner_client(live, runtime, org) -> Iterator[httpx.Client]:
    with dashboard_client(live.url) as client:
        log_in(client, runtime, org.owner)
        yield client


def insight_of(client: httpx.Client, org: Organisation) -> httpx.Response:
    page = client.get(f"/dashboard/apps/{org.app_id}/insight")
    assert page.status_code == 200, page.text
    return page


def totals(page: httpx.Response) -> dict[str, int]:
    return {
        name: int(value)
        for name, value in re.findall(r'data-testid="insight-total-([\w-]+)">(\d+)<', page.text)
    }


def counts_of_day(page: httpx.Response, day: str) -> dict[str, int]:
    row = re.search(rf'<tr data-day="{day}">(.*?)</tr>', page.text, re.DOTALL)
    assert row is not None, f"no row for {day}"
    return {
        name: int(value)
        for name, value in re.findall(r'data-series="([\w-]+)">(\d+)<', row.group(1))
    }


def installs_now(page: httpx.Response) -> dict[str, int]:
    return {
        state: int(value)
        for state, value in re.findall(r'data-testid="insight-installs-(\w+)">(\d+) ', page.text)
    }


def test_insight_counts_the_codes_issued_and_redeemed_today(api, org, owner_client, runtime):
    redeem(api, issue_code(api, org.link_key, "alice"))
    redeem(api, issue_code(api, org.link_key, "alice"), device=tablet())
    issue_code(api, org.link_key, "bob")

    page = insight_of(owner_client, org)

    today = runtime.clock.now().date().isoformat()
    assert counts_of_day(page, today) == {
        "issued": 3,
        "redeemed": 2,
        "expired": 0,
        "replay-refused": 0,
        "created": 1,
        "restored": 1,
    }
    assert totals(page) == {
        "issued": 3,
        "redeemed": 2,
        "expired": 0,
        "replay-refused": 0,
        "created": 1,
        "restored": 1,
    }
    assert installs_now(page) == {"active": 1, "inactive": 1, "ended": 0}


def test_insight_counts_codes_that_expired_unredeemed_and_refused_replays(
    api, org, owner_client, live
):
    code = issue_code(api, org.link_key, "alice")
    redeem(api, code)
    replay = api.post("/sdk/v1/users", json=redeem_body(code))
    issue_code(api, org.link_key, "bob")
    live.clock.advance(seconds=601)  # past the app's code lifetime

    page = insight_of(owner_client, org)

    assert replay.status_code == 409
    assert totals(page) == {
        "issued": 2,
        "redeemed": 1,
        "expired": 1,
        "replay-refused": 1,
        "created": 1,
        "restored": 0,
    }


def test_insight_counts_only_the_last_fourteen_days(api, org, live, runtime):
    redeem(api, issue_code(api, org.link_key, "alice"))
    live.clock.advance(days=15)

    with dashboard_client(live.url) as client:
        log_in(client, runtime, org.owner)  # after the move: sessions end after 12 hours
        page = insight_of(client, org)

    assert set(totals(page).values()) == {0}
    assert len(re.findall(r"<tr data-day=", page.text)) == 14
    assert installs_now(page) == {"active": 1, "inactive": 0, "ended": 0}


def test_insight_is_an_accessible_svg_chart_without_scripts_or_inline_styles(
    api, org, owner_client
):
    redeem(api, issue_code(api, org.link_key, "alice"))

    page = insight_of(owner_client, org)

    assert page.text.count("<svg") == 2
    assert '<title id="insight-codes-title">Authentication codes per day' in page.text
    assert 'aria-labelledby="insight-codes-title insight-codes-desc"' in page.text
    for legend in ("Issued", "Redeemed", "Expired unredeemed", "Replays refused"):
        assert f">{legend}</text>" in page.text
    assert "<title>Issued, " in page.text  # each bar says what it counts
    assert "style=" not in page.text
    assert "<script>" not in page.text


def test_insight_of_another_organisations_app_is_not_found(org, live, runtime):
    stranger = make_account(runtime, role=Role.OWNER)
    with dashboard_client(live.url) as client:
        log_in(client, runtime, stranger)
        page = client.get(f"/dashboard/apps/{org.app_id}/insight")

    assert page.status_code == 404


def test_a_viewer_may_read_the_insight(org, live, runtime):
    reader = make_account(
        runtime, role=Role.VIEWER, organisation_id=org.owner.organisation_id, totp=False
    )
    with dashboard_client(live.url) as client:
        log_in(client, runtime, reader)
        page = client.get(f"/dashboard/apps/{org.app_id}/insight")

    assert page.status_code == 200
    assert 'data-testid="insight"' in page.text


@pytest.mark.parametrize(
    ("highest", "axis_max", "step"),
    [(0, 1, 1), (1, 1, 1), (3, 3, 1), (7, 8, 2), (23, 25, 5), (100, 100, 20), (999, 1000, 200)],
)
def test_axis_maximum_is_a_round_number_at_or_above_the_highest_value(highest, axis_max, step):
    assert nice_ceiling(highest) == (axis_max, step)


def test_bars_are_as_tall_as_their_values_and_stack_when_asked():
    chart = bar_chart(
        key="k",
        title="t",
        description="d",
        categories=["a", "b"],
        series=[Series("x", "#000", [4, 0]), Series("y", "#fff", [1, 2])],
        stacked=True,
    )

    heights = {bar.label: bar.height for bar in chart.bars}
    plot_height = chart.bottom - chart.top
    assert set(heights) == {"x, a: 4", "y, a: 1", "y, b: 2"}  # no bar for a zero
    assert heights["x, a: 4"] == pytest.approx(plot_height * 4 / 5, abs=0.01)
    assert heights["y, a: 1"] == pytest.approx(plot_height / 5, abs=0.01)
    stacked_on = next(bar for bar in chart.bars if bar.label == "y, a: 1")
    assert stacked_on.y == pytest.approx(chart.top, abs=0.01)
