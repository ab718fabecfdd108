"""The answers of the previews (`POST /users/auth-code/preview` and
`POST /v2/users/{install_id}/link/preview`); their routes sit beside the routes they preview."""

from __future__ import annotations

from userlink.http.schemas.previews import (
    ArrivalOut,
    CodePreviewOut,
    LinkPreviewOut,
    OnRedemptionOut,
)
from userlink.http.schemas.users import InstallOut
from userlink.installs.rules import Arrival
from userlink.installs.service import Install
from userlink.usecases.previews import CodePreview, LinkPreview


def _install_out(install: Install) -> InstallOut:
    return InstallOut(
        id=str(install.id),
        platform=install.platform,
        device_class=install.device_class.value,
        model=install.model,
        created_at=install.created_at,
        status=install.status,
        is_active=install.is_active,
        inactive_reason=install.inactive_reason,
    )


def _arrival_out(arrival: Arrival) -> ArrivalOut:
    return ArrivalOut(
        is_active=arrival.is_active,
        inactive_reason=arrival.inactive_reason.value if arrival.inactive_reason else None,
        takes_over_from=str(arrival.takes_over_from) if arrival.takes_over_from else None,
    )


def _active_id(installs: list[Install]) -> str | None:
    return next((str(i.id) for i in installs if i.is_active), None)


def code_preview_out(preview: CodePreview) -> CodePreviewOut:
    return CodePreviewOut(
        outcome=preview.outcome.value,
        user_id=str(preview.user.id) if preview.user else None,
        installs=[_install_out(i) for i in preview.installs],
        active_install_id=_active_id(preview.installs),
        on_redemption=OnRedemptionOut(
            phone=_arrival_out(preview.on_phone), tablet=_arrival_out(preview.on_tablet)
        ),
    )


def link_preview_out(preview: LinkPreview) -> LinkPreviewOut:
    return LinkPreviewOut(
        outcome=preview.outcome.value,
        user_id=str(preview.user_id),
        installs=[_install_out(i) for i in preview.installs],
        active_install_id=_active_id(preview.installs),
        install=_arrival_out(preview.install),
    )
