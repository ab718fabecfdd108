from __future__ import annotations

import uuid

from userlink.apps import service as apps
from userlink.apps.service import CreatedApp
from userlink.runtime import Runtime


def make_app(
    runtime: Runtime,
    *,
    name: str = "Test app",
    code_lifetime_seconds: int = 600,
    linking_enabled: bool = True,
    organisation_id: uuid.UUID | None = None,
) -> CreatedApp:
    with runtime.unit_of_work() as work:
        return apps.create_app(
            work,
            name=name,
            code_lifetime_seconds=code_lifetime_seconds,
            linking_enabled=linking_enabled,
            organisation_id=organisation_id,
        )


def update_app(runtime: Runtime, app_id: object, **changes: object) -> None:
    with runtime.unit_of_work() as work:
        apps.update_settings(work, app_id, **changes)  # type: ignore[arg-type]
