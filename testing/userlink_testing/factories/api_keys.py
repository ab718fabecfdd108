from __future__ import annotations

import uuid

from userlink.api_keys import rules as key_rules
from userlink.api_keys import service as api_keys
from userlink.runtime import Runtime


def make_key(
    runtime: Runtime,
    app_id: uuid.UUID,
    *,
    scopes: tuple[str, ...] = ("user.link",),
    name: str = "test key",
    lifetime_days: int | None = None,
) -> str:
    with runtime.unit_of_work() as work:
        created = api_keys.create_key(
            work,
            app_id,
            name=name,
            scopes=list(scopes),
            lifetime_days=lifetime_days,
        )
    return created.token


def revoke_key_by_token(runtime: Runtime, app_id: uuid.UUID, token: str) -> None:
    with runtime.unit_of_work() as work:
        key = next(k for k in api_keys.list_keys(work, app_id) if k.hint == key_rules.hint(token))
        api_keys.revoke_key(work, app_id, key.id)


def key_by_token(runtime: Runtime, app_id: uuid.UUID, token: str) -> api_keys.ApiKey:
    """The stored key a token belongs to, found the way people find it: by its hint."""
    with runtime.unit_of_work() as work:
        keys = api_keys.list_keys(work, app_id)
    return next(k for k in keys if k.hint == key_rules.hint(token))
