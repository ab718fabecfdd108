from __future__ import annotations

from pydantic import BaseModel, Field

from userlink.http.schemas.common import UtcDatetime


class SdkVersionLineOut(BaseModel):
    sdk_version: str | None = Field(description="As the SDK reported it; null when it did not.")
    installs: int = Field(description="Live legacy installs reporting this SDK version.")
    seen_recently: int = Field(description="Of them, seen within the window.")
    last_seen: UtcDatetime = Field(description="When one of them was last seen (ISO-8601 UTC).")


class MigrationReportOut(BaseModel):
    generated_at: UtcDatetime = Field(description="When the report was made (ISO-8601 UTC).")
    window_days: int = Field(description="'Recently' and 'active' mean seen within this many days.")
    users: int = Field(description="The app's users.")
    users_by_link: dict[str, int] = Field(
        description="code | legacy (install id) | both | unlinked",
        examples=[{"code": 812, "legacy": 130, "both": 57, "unlinked": 3}],
    )
    live_installs_by_flow: dict[str, int] = Field(description="code | legacy")
    legacy_installs_by_sdk_version: list[SdkVersionLineOut] = Field(
        description="Live installs still initialising with the legacy flow, most first."
    )
    legacy_registrations_recent: int = Field(
        description="Installs registered with the legacy flow within the window."
    )
    active_users: int = Field(description="Users whose active install was seen recently.")
    active_users_on_code_flow: int = Field(
        description="Of the active users, those whose active install is on the code flow."
    )
    share_on_code_flow: float | None = Field(
        description="active_users_on_code_flow / active_users; null without active users."
    )
    legacy_registration_enabled: bool = Field(
        description="Whether the app still accepts legacy SDK inits (`userlink apps set "
        "--no-legacy-registration` turns them off)."
    )
