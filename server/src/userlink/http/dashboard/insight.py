"""The insight panel of an app: what `templates/apps/_insight.html` needs, built in the page's
unit of work. The app page calls `insight_context` (see INSIGHT.md); `/apps/{id}/insight`
shows the panel alone."""

from __future__ import annotations

import uuid
from typing import Any

from userlink.http.dashboard.charts import (
    BLUE,
    GREEN,
    ORANGE,
    PURPLE,
    SKY,
    VERMILLION,
    Series,
    bar_chart,
)
from userlink.unit_of_work import UnitOfWork
from userlink.usecases.app_insight import AppInsight, app_insight
from userlink.usecases.dashboard_access import Viewer

INSIGHT_TEMPLATE = "apps/_insight.html"


def insight_context(work: UnitOfWork, viewer: Viewer, app_id: uuid.UUID) -> dict[str, Any]:
    """The template context of the insight panel, {"insight": …}, for the app the viewer may
    read (AppNotFound or NotAllowed otherwise). Run it inside the page's `as_viewer` hop."""
    return {"insight": insight_view(app_insight(work, viewer, app_id))}


def insight_view(insight: AppInsight) -> dict[str, Any]:
    categories = [day.isoformat() for day in insight.days]
    short = [day.strftime("%d %b") for day in insight.days]
    codes = [
        Series("Issued", BLUE, insight.codes_issued),
        Series("Redeemed", GREEN, insight.codes_redeemed),
        Series("Expired unredeemed", ORANGE, insight.codes_expired),
        Series("Replays refused", VERMILLION, insight.replays_refused),
    ]
    outcomes = [
        Series("Created a user", SKY, insight.users_created),
        Series("Restored a user", PURPLE, insight.users_restored),
    ]
    span = f"{categories[0]} to {categories[-1]} (UTC)"
    codes_chart = bar_chart(
        key="insight-codes",
        title=f"Authentication codes per day, {span}",
        description=_totals("Totals", codes),
        categories=short,
        series=codes,
        label_every=2,
    )
    outcomes_chart = bar_chart(
        key="insight-redemptions",
        title=f"Redemptions per day: new users and restored users, {span}",
        description=_totals("Totals", outcomes),
        categories=short,
        series=outcomes,
        stacked=True,
        label_every=2,
    )
    return {
        "app": insight.app,
        "charts": [codes_chart, outcomes_chart],
        "rows": [
            {"day": day, "values": [one.values[index] for one in [*codes, *outcomes]]}
            for index, day in enumerate(categories)
        ],
        "columns": [one.name for one in [*codes, *outcomes]],
        "column_keys": [
            "issued",
            "redeemed",
            "expired",
            "replay-refused",
            "created",
            "restored",
        ],
        "totals": {
            "issued": sum(insight.codes_issued),
            "redeemed": sum(insight.codes_redeemed),
            "expired": sum(insight.codes_expired),
            "replay_refused": sum(insight.replays_refused),
            "created": sum(insight.users_created),
            "restored": sum(insight.users_restored),
        },
        "installs": insight.installs,
        "days": len(categories),
    }


def _totals(lead: str, series: list[Series]) -> str:
    parts = ", ".join(f"{one.name.lower()} {sum(one.values)}" for one in series)
    return f"{lead} over the period: {parts}."
