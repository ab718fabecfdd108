"""Apps and their API keys: the home page (each organisation's apps), creating an app, an app's
settings and secret rotation, and the keys page (create, revoke, roll).

A secret (an app secret, an API key) is shown once, on the page answering the POST that made it:
never in a URL, never on a later page. Every change is audited with the viewer as its actor."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response

from userlink.accounts import service as accounts
from userlink.accounts.errors import OrganisationNotFound
from userlink.accounts.rules import Permission
from userlink.api_keys import service as api_keys
from userlink.api_keys.errors import (
    ApiKeyNotActive,
    ApiKeyNotFound,
    InvalidKeyLifetime,
    InvalidKeyName,
    InvalidKeyOverlap,
    InvalidScopes,
    TooManyApiKeys,
)
from userlink.api_keys.rules import Scope
from userlink.apps import rules as app_rules
from userlink.apps import service as apps
from userlink.apps.errors import (
    AppNotFound,
    InvalidAppName,
    InvalidCodeLifetime,
    InvalidExternalIdList,
    InvalidPkcePolicy,
    InvalidSecretOverlap,
    InvalidUndoWindow,
)
from userlink.apps.service import App
from userlink.errors import UserlinkError, ValidationFailed
from userlink.http.dashboard.insight import insight_context
from userlink.http.dashboard.web import (
    PREFIX,
    DashboardRoute,
    as_viewer,
    check_csrf,
    path_id,
    redirect,
    render,
)
from userlink.unit_of_work import UnitOfWork
from userlink.usecases.dashboard_access import Viewer, app_for, require

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)
Csrf = Depends(check_csrf)
FormText = Annotated[str, Form(max_length=1024)]
# A checkbox is sent when ticked and absent otherwise.
Checkbox = Annotated[str | None, Form(max_length=16)]
# One external id per line (an app's placeholder lists: at most 100 values of 256 characters).
ExternalIdLines = Annotated[str | None, Form(max_length=64 * 1024)]

# What the forms offer when a secret or a key is replaced: (hours, label).
OVERLAP_CHOICES = (
    (0, "none: the old one stops at once"),
    (1, "1 hour"),
    (24, "24 hours"),
    (168, "7 days"),
)
SCOPES = tuple(scope.value for scope in Scope)


# What a form brings, parsed; a malformed value gets the refusal a wrong one would.


MAX_OVERLAP_HOURS_PARSED = 24 * 366


def _lines(text: str | None) -> list[str] | None:
    """The values of a one-per-line field; None when the form did not have the field."""
    return text.splitlines() if text is not None else None


def _number(text: str, invalid: type[ValidationFailed]) -> int | None:
    """The whole number typed in a field; None when the field was left empty."""
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise invalid() from None


def _undo_window(hours_text: str) -> int | None:
    """The undo window typed in hours, as seconds; None when left empty (unchanged)."""
    hours = _number(hours_text, InvalidUndoWindow)
    if hours is None:
        return None
    # The domain says which windows are allowed; this only keeps an absurd number from
    # overflowing the column.
    return max(min(hours, 10**6), -1) * 3600


def _overlap(text: str, invalid: type[ValidationFailed]) -> timedelta:
    hours = _number(text, invalid) or 0
    # The domain says which overlaps are allowed; this only keeps an absurd number from
    # overflowing a timedelta.
    if not 0 <= hours <= MAX_OVERLAP_HOURS_PARSED:
        raise invalid()
    return timedelta(hours=hours)


def _error_context(error: UserlinkError | None) -> dict[str, Any]:
    return {"error": error.message if error else None}


# Home: each organisation of the viewer with its apps


@dataclass(frozen=True)
class OrganisationApps:
    organisation_id: uuid.UUID
    name: str
    role: str
    apps: list[App]
    active_keys: dict[uuid.UUID, int]
    may_create_apps: bool


def _home(work: UnitOfWork, viewer: Viewer) -> list[OrganisationApps]:
    listing = []
    for membership in viewer.memberships:
        organisation_apps = apps.list_apps(work, organisation_id=membership.organisation_id)
        listing.append(
            OrganisationApps(
                organisation_id=membership.organisation_id,
                name=membership.organisation_name,
                role=membership.role.value,
                apps=organisation_apps,
                active_keys=api_keys.active_key_counts(work, [a.id for a in organisation_apps]),
                may_create_apps=viewer.may(Permission.CREATE_APPS, membership.organisation_id),
            )
        )
    return listing


@router.get("/")
async def home(request: Request) -> Response:
    viewer, organisations = await as_viewer(
        request, lambda work, viewer: (viewer, _home(work, viewer))
    )
    return render(request, "apps/home.html", {"organisations": organisations}, viewer=viewer)


# Creating an app


def _organisation_for(
    work: UnitOfWork, viewer: Viewer, organisation_id: uuid.UUID, permission: Permission
) -> accounts.Organisation:
    """As `app_for`: an organisation the viewer is not in is not found rather than forbidden."""
    if viewer.role_in(organisation_id) is None and not viewer.is_operator:
        raise OrganisationNotFound()
    require(viewer, permission, organisation_id)
    return accounts.get_organisation(work, organisation_id)


@dataclass(frozen=True)
class NewAppForm:
    organisation: accounts.Organisation
    default_code_lifetime: int


def _new_app_form(work: UnitOfWork, viewer: Viewer, organisation_id: uuid.UUID) -> NewAppForm:
    return NewAppForm(
        organisation=_organisation_for(work, viewer, organisation_id, Permission.CREATE_APPS),
        default_code_lifetime=work.settings.default_code_lifetime_seconds,
    )


def _render_new_app_form(
    request: Request,
    viewer: Viewer,
    form: NewAppForm,
    *,
    error: UserlinkError | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    context = {
        "form": form,
        "typed": typed or {},
        "min_code_lifetime": app_rules.MIN_CODE_LIFETIME_SECONDS,
        "max_code_lifetime": app_rules.MAX_CODE_LIFETIME_SECONDS,
        "max_undo_window_hours": app_rules.MAX_UNDO_WINDOW_SECONDS // 3600,
        "default_placeholders": sorted(app_rules.PLACEHOLDER_EXTERNAL_IDS),
        **_error_context(error),
    }
    status_code = error.status_code if error else 200
    return render(request, "apps/new.html", context, status_code=status_code, viewer=viewer)


@router.get("/orgs/{org_id}/apps/new")
async def new_app_page(request: Request, org_id: str) -> Response:
    organisation_id = path_id(org_id, OrganisationNotFound)
    viewer, form = await as_viewer(
        request, lambda work, viewer: (viewer, _new_app_form(work, viewer, organisation_id))
    )
    return _render_new_app_form(request, viewer, form)


@router.post("/orgs/{org_id}/apps/new", dependencies=[Csrf])
async def create_app(
    request: Request,
    org_id: str,
    name: FormText = "",
    code_lifetime_seconds: FormText = "",
    linking_enabled: Checkbox = None,
) -> Response:
    organisation_id = path_id(org_id, OrganisationNotFound)

    def create(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, apps.CreatedApp]:
        organisation = _organisation_for(work, viewer, organisation_id, Permission.CREATE_APPS)
        created = apps.create_app(
            work,
            name=name,
            code_lifetime_seconds=_number(code_lifetime_seconds, InvalidCodeLifetime),
            linking_enabled=linking_enabled is not None,
            actor=viewer.actor,
            organisation_id=organisation.id,
        )
        return viewer, created

    try:
        viewer, created = await as_viewer(request, create)
    except (InvalidAppName, InvalidCodeLifetime) as error:
        viewer, form = await as_viewer(
            request, lambda work, viewer: (viewer, _new_app_form(work, viewer, organisation_id))
        )
        typed = {
            "name": name,
            "code_lifetime_seconds": code_lifetime_seconds,
            "linking_enabled": linking_enabled is not None,
        }
        return _render_new_app_form(request, viewer, form, error=error, typed=typed)
    return render(request, "apps/created.html", {"created": created}, viewer=viewer)


# An app: its settings and its secret


@dataclass(frozen=True)
class AppPage:
    app: App
    organisation_name: str
    active_keys: int
    # While the secret replaced by the last rotation still works.
    previous_secret_expires_at: datetime | None
    may_edit: bool
    may_manage_keys: bool


def _organisation_name(work: UnitOfWork, viewer: Viewer, app: App) -> str:
    for membership in viewer.memberships:
        if membership.organisation_id == app.organisation_id:
            return membership.organisation_name
    # An operator, looking at another organisation's app or at one of none.
    if app.organisation_id is None:
        return "no organisation"
    return accounts.get_organisation(work, app.organisation_id).name


def _app_page(work: UnitOfWork, viewer: Viewer, app_id: uuid.UUID) -> AppPage:
    app = app_for(work, viewer, app_id, Permission.READ)
    return AppPage(
        app=app,
        organisation_name=_organisation_name(work, viewer, app),
        active_keys=api_keys.active_key_counts(work, [app.id])[app.id],
        previous_secret_expires_at=apps.previous_secret_expiry(work, app.id),
        may_edit=viewer.may(Permission.EDIT_APP, app.organisation_id),
        may_manage_keys=viewer.may(Permission.MANAGE_KEYS, app.organisation_id),
    )


def _app_page_with_insight(
    work: UnitOfWork, viewer: Viewer, app_id: uuid.UUID
) -> tuple[Viewer, AppPage, dict[str, Any]]:
    page = _app_page(work, viewer, app_id)
    return viewer, page, insight_context(work, viewer, page.app.id)


async def _render_app_page(
    request: Request, app_id: uuid.UUID, *, error: UserlinkError | None = None
) -> Response:
    viewer, page, insight = await as_viewer(
        request, lambda work, viewer: _app_page_with_insight(work, viewer, app_id)
    )
    context = {
        **insight,
        "page": page,
        "app": page.app,
        "overlap_choices": OVERLAP_CHOICES,
        "pkce_choices": PKCE_CHOICES,
        "min_code_lifetime": app_rules.MIN_CODE_LIFETIME_SECONDS,
        "max_code_lifetime": app_rules.MAX_CODE_LIFETIME_SECONDS,
        "max_undo_window_hours": app_rules.MAX_UNDO_WINDOW_SECONDS // 3600,
        **_error_context(error),
    }
    status_code = error.status_code if error else 200
    return render(request, "apps/app.html", context, status_code=status_code, viewer=viewer)


@router.get("/apps/{app_id}")
async def app_page(request: Request, app_id: str) -> Response:
    return await _render_app_page(request, path_id(app_id, AppNotFound))


PKCE_CHOICES = (
    (app_rules.PkcePolicy.OFF.value, "Off: codes are never bound"),
    (app_rules.PkcePolicy.OPTIONAL.value, "Optional: bound when your backend sends a challenge"),
    (app_rules.PkcePolicy.REQUIRED.value, "Required: codes without a challenge are refused"),
)


def _pkce_policy(value: str) -> app_rules.PkcePolicy | None:
    if not value:
        return None
    try:
        return app_rules.PkcePolicy(value)
    except ValueError:
        raise InvalidPkcePolicy() from None


@router.post("/apps/{app_id}/settings", dependencies=[Csrf])
async def save_settings(
    request: Request,
    app_id: str,
    code_lifetime_seconds: FormText = "",
    linking_enabled: Checkbox = None,
    is_remote_enabled: Checkbox = None,
    blocked_external_ids: ExternalIdLines = None,
    allowed_external_ids: ExternalIdLines = None,
    pkce_policy: FormText = "",
    undo_window_hours: FormText = "",
) -> Response:
    parsed_app_id = path_id(app_id, AppNotFound)

    def save(work: UnitOfWork, viewer: Viewer) -> None:
        app = app_for(work, viewer, parsed_app_id, Permission.EDIT_APP)
        apps.update_settings(
            work,
            app.id,
            code_lifetime_seconds=_number(code_lifetime_seconds, InvalidCodeLifetime),
            linking_enabled=linking_enabled is not None,
            is_remote_enabled=is_remote_enabled is not None,
            # A form without the lists (an older page) leaves them as they are.
            blocked_external_ids=_lines(blocked_external_ids),
            allowed_external_ids=_lines(allowed_external_ids),
            # A form without the field (an older page) leaves the policy as it is.
            pkce_policy=_pkce_policy(pkce_policy),
            undo_window_seconds=_undo_window(undo_window_hours),
            actor=viewer.actor,
        )

    try:
        await as_viewer(request, save)
    except (
        InvalidCodeLifetime,
        InvalidExternalIdList,
        InvalidPkcePolicy,
        InvalidUndoWindow,
    ) as error:
        return await _render_app_page(request, parsed_app_id, error=error)
    return redirect(f"{PREFIX}/apps/{parsed_app_id}?notice=settings-saved")


@router.post("/apps/{app_id}/secret", dependencies=[Csrf])
async def rotate_secret(request: Request, app_id: str, overlap_hours: FormText = "") -> Response:
    parsed_app_id = path_id(app_id, AppNotFound)

    def rotate(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, apps.RotatedSecret]:
        app = app_for(work, viewer, parsed_app_id, Permission.EDIT_APP)
        overlap = _overlap(overlap_hours, InvalidSecretOverlap)
        return viewer, apps.rotate_secret(work, app.id, overlap=overlap, actor=viewer.actor)

    try:
        viewer, rotated = await as_viewer(request, rotate)
    except InvalidSecretOverlap as error:
        return await _render_app_page(request, parsed_app_id, error=error)
    return render(request, "apps/secret.html", {"rotated": rotated}, viewer=viewer)


# An app's API keys


@dataclass(frozen=True)
class KeysPage:
    app: App
    keys: list[api_keys.ApiKey]
    now: datetime
    active: int
    limit: int
    # Who made the keys, by the actor the key records: members' emails, and the CLI.
    creators: dict[str, str]
    default_lifetime_days: int
    may_manage: bool

    @property
    def full(self) -> bool:
        return self.active >= self.limit


def _creators(work: UnitOfWork, app: App) -> dict[str, str]:
    names = {"cli": "CLI"}
    if app.organisation_id is not None:
        for member in accounts.members_of(work, app.organisation_id):
            names[accounts.actor(member.account_id)] = member.email
    return names


def _keys_page(work: UnitOfWork, viewer: Viewer, app_id: uuid.UUID) -> KeysPage:
    app = app_for(work, viewer, app_id, Permission.READ)
    keys = api_keys.list_keys(work, app.id)
    now = work.clock.now()
    return KeysPage(
        app=app,
        keys=keys,
        now=now,
        active=sum(1 for key in keys if key.state(now) == "active"),
        limit=work.settings.max_active_api_keys_per_app,
        creators=_creators(work, app),
        default_lifetime_days=work.settings.api_key_default_lifetime_days,
        may_manage=viewer.may(Permission.MANAGE_KEYS, app.organisation_id),
    )


async def _render_keys_page(
    request: Request,
    app_id: uuid.UUID,
    *,
    error: UserlinkError | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    viewer, page = await as_viewer(
        request, lambda work, viewer: (viewer, _keys_page(work, viewer, app_id))
    )
    context = {
        "page": page,
        "app": page.app,
        "scopes": SCOPES,
        "overlap_choices": OVERLAP_CHOICES,
        "typed": typed or {},
        **_error_context(error),
    }
    status_code = error.status_code if error else 200
    return render(request, "apps/keys.html", context, status_code=status_code, viewer=viewer)


@router.get("/apps/{app_id}/keys")
async def keys_page(request: Request, app_id: str) -> Response:
    return await _render_keys_page(request, path_id(app_id, AppNotFound))


@router.post("/apps/{app_id}/keys", dependencies=[Csrf])
async def create_key(
    request: Request,
    app_id: str,
    name: FormText = "",
    scopes: Annotated[list[str] | None, Form()] = None,
    expires_in_days: FormText = "",
) -> Response:
    parsed_app_id = path_id(app_id, AppNotFound)

    def create(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, api_keys.CreatedApiKey]:
        app = app_for(work, viewer, parsed_app_id, Permission.MANAGE_KEYS)
        created = api_keys.create_key(
            work,
            app.id,
            name=name,
            scopes=scopes or [],
            lifetime_days=_number(expires_in_days, InvalidKeyLifetime),
            actor=viewer.actor,
        )
        return viewer, created

    try:
        viewer, created = await as_viewer(request, create)
    except (InvalidKeyName, InvalidScopes, InvalidKeyLifetime, TooManyApiKeys) as error:
        typed = {"name": name, "scopes": scopes or [], "expires_in_days": expires_in_days}
        return await _render_keys_page(request, parsed_app_id, error=error, typed=typed)
    context = {"app_id": parsed_app_id, "created": created, "rolled": None}
    return render(request, "apps/key_created.html", context, viewer=viewer)


@router.post("/apps/{app_id}/keys/{key_id}/revoke", dependencies=[Csrf])
async def revoke_key(request: Request, app_id: str, key_id: str) -> Response:
    parsed_app_id = path_id(app_id, AppNotFound)
    parsed_key_id = path_id(key_id, ApiKeyNotFound)

    def revoke(work: UnitOfWork, viewer: Viewer) -> None:
        app = app_for(work, viewer, parsed_app_id, Permission.MANAGE_KEYS)
        api_keys.revoke_key(work, app.id, parsed_key_id, actor=viewer.actor)

    await as_viewer(request, revoke)
    return redirect(f"{PREFIX}/apps/{parsed_app_id}/keys?notice=key-revoked")


@router.post("/apps/{app_id}/keys/{key_id}/roll", dependencies=[Csrf])
async def roll_key(
    request: Request, app_id: str, key_id: str, overlap_hours: FormText = ""
) -> Response:
    parsed_app_id = path_id(app_id, AppNotFound)
    parsed_key_id = path_id(key_id, ApiKeyNotFound)

    def roll(work: UnitOfWork, viewer: Viewer) -> tuple[Viewer, api_keys.RolledApiKey]:
        app = app_for(work, viewer, parsed_app_id, Permission.MANAGE_KEYS)
        rolled = api_keys.roll_key(
            work,
            app.id,
            parsed_key_id,
            overlap=_overlap(overlap_hours, InvalidKeyOverlap),
            actor=viewer.actor,
        )
        return viewer, rolled

    try:
        viewer, rolled = await as_viewer(request, roll)
    except (InvalidKeyOverlap, ApiKeyNotActive, TooManyApiKeys) as error:
        return await _render_keys_page(request, parsed_app_id, error=error)
    context = {"app_id": parsed_app_id, "created": rolled.replacement, "rolled": rolled.rolled}
    return render(request, "apps/key_created.html", context, viewer=viewer)
