"""An organisation's members (owners): invitations by one-time link, roles, removal; and the
operators' page: every organisation and app, and the audit log of everything."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response

from userlink.accounts.rules import Role
from userlink.http.dashboard.web import (
    PREFIX,
    DashboardRoute,
    as_viewer,
    check_csrf,
    path_id,
    redirect,
    render,
)
from userlink.usecases import organisation_admin

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)
Csrf = Depends(check_csrf)


def members_path(org_id: str, notice: str | None = None) -> str:
    path = f"{PREFIX}/orgs/{org_id}/members"
    return f"{path}?notice={notice}" if notice else path


@router.get("/orgs/{org_id}/members")
async def members_page(request: Request, org_id: str) -> Response:
    organisation_id = path_id(org_id)
    viewer, page = await as_viewer(
        request,
        lambda work, viewer: (
            viewer,
            organisation_admin.members_page(work, viewer, organisation_id),
        ),
    )
    return render(
        request, "members/members.html", {"page": page, "roles": list(Role)}, viewer=viewer
    )


@router.post("/orgs/{org_id}/invitations", dependencies=[Csrf])
async def invite(
    request: Request,
    org_id: str,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[Role, Form()],
) -> Response:
    organisation_id = path_id(org_id)
    viewer, created = await as_viewer(
        request,
        lambda work, viewer: (
            viewer,
            organisation_admin.invite(work, viewer, organisation_id, email, role),
        ),
    )
    link = f"{request.url.scheme}://{request.url.netloc}{PREFIX}/invitations/{created.token}"
    return render(
        request,
        "members/invited.html",
        {"link": link, "email": email, "role": role, "org_id": org_id},
        viewer=viewer,
    )


@router.post("/orgs/{org_id}/invitations/{invitation_id}/revoke", dependencies=[Csrf])
async def revoke_invitation(request: Request, org_id: str, invitation_id: str) -> Response:
    organisation_id, parsed = path_id(org_id), path_id(invitation_id)
    await as_viewer(
        request,
        lambda work, viewer: organisation_admin.revoke_invitation(
            work, viewer, organisation_id, parsed
        ),
    )
    return redirect(members_path(org_id, "invitation-revoked"))


@router.post("/orgs/{org_id}/members/{account_id}/role", dependencies=[Csrf])
async def change_role(
    request: Request, org_id: str, account_id: str, role: Annotated[Role, Form()]
) -> Response:
    organisation_id, member = path_id(org_id), path_id(account_id)
    await as_viewer(
        request,
        lambda work, viewer: organisation_admin.change_role(
            work, viewer, organisation_id, member, role
        ),
    )
    return redirect(members_path(org_id, "member-updated"))


@router.post("/orgs/{org_id}/members/{account_id}/remove", dependencies=[Csrf])
async def remove_member(request: Request, org_id: str, account_id: str) -> Response:
    organisation_id, member = path_id(org_id), path_id(account_id)
    await as_viewer(
        request,
        lambda work, viewer: organisation_admin.remove_member(
            work, viewer, organisation_id, member
        ),
    )
    return redirect(members_path(org_id, "member-removed"))


@router.get("/admin")
async def operator_page(
    request: Request, before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None
) -> Response:
    viewer, overview = await as_viewer(
        request,
        lambda work, viewer: (
            viewer,
            organisation_admin.operator_overview(work, viewer, before_id=before),
        ),
    )
    return render(request, "admin/overview.html", {"overview": overview}, viewer=viewer)
