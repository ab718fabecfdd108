from __future__ import annotations

from userlink.apps import service as apps
from userlink.apps.service import CreatedApp
from userlink.platform import Platform


def make_app(
    platform: Platform,
    *,
    name: str = "Test app",
    code_lifetime_seconds: int = 600,
    linking_enabled: bool = True,
) -> CreatedApp:
    with platform.database.transaction() as connection:
        return apps.create_app(
            platform.work(connection),
            name=name,
            code_lifetime_seconds=code_lifetime_seconds,
            linking_enabled=linking_enabled,
        )


def update_app(platform: Platform, app_id: object, **changes: object) -> None:
    with platform.database.transaction() as connection:
        apps.update_settings(platform.work(connection), app_id, **changes)  # type: ignore[arg-type]
