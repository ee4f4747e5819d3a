"""Settings → Team (members, invitations, roles, removal, unlocking, reset links, the two-factor requirement) and
the admin hub's per-organization team page, where Nuvera staff unlock accounts.

Every action is decided by `nuvera.accounts.team` (the same rules as `nuvera users`); the page only hides what the
viewer may not do. Without SMTP the one-time link is shown once, to the admin who issued it, on the answer page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from starlette.background import BackgroundTask

from nuvera.accounts import team, two_factor
from nuvera.accounts.links import IssuedLink
from nuvera.config import Settings
from nuvera.dependencies import NowDep, SessionDep
from nuvera.errors import ErrorCode, NotFound, NuveraError
from nuvera.mail import mail_configured
from nuvera.organizations.models import UserRole
from nuvera.organizations.service import get_organization
from nuvera.web.rendering import page
from nuvera.web.routing import WebRoute
from nuvera.web.security import deliver, link_mail
from nuvera.web.viewer import CurrentViewer, FormViewer, Staff, StaffForm, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)

TEAM_PATH = "/app/settings/team"
ROLES = [role.value for role in UserRole]


def _not_for_staff(viewer: Viewer) -> None:
    if viewer.is_admin:
        raise NotFound("Page")


def _team_page(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    now: NowDep,
    *,
    issued: tuple[str, IssuedLink] | None = None,
    mailed_to: str | None = None,
    status: int = 200,
) -> Response:
    settings: Settings = request.app.state.settings
    return page(
        request,
        "team.html",
        viewer,
        status=status,
        members=team.list_members(session, viewer.organization_id, secret=settings.hmac_secret, now=now),
        can_manage=team.can_manage(viewer.actor, viewer.organization_id),
        is_owner=viewer.role == UserRole.OWNER.value,
        roles=ROLES,
        required=two_factor.organization_requires(session, viewer.organization_id),
        issued=issued,
        mailed_to=mailed_to,
    )


def _answer_with_link(
    request: Request, viewer: Viewer, session: SessionDep, now: NowDep, email: str, link: IssuedLink, purpose: str
) -> Response:
    settings: Settings = request.app.state.settings
    if mail_configured(settings):
        subject, text = link_mail(purpose, viewer.organization_name, link.url)
        response = _team_page(request, viewer, session, now, mailed_to=email)
        response.background = BackgroundTask(deliver, settings, email, subject, text)
        return response
    return _team_page(request, viewer, session, now, issued=(email, link))


@router.get(TEAM_PATH)
def team_page(request: Request, viewer: CurrentViewer, session: SessionDep, now: NowDep) -> Response:
    _not_for_staff(viewer)
    return _team_page(request, viewer, session, now)


@router.post(TEAM_PATH + "/invite")
def invite(
    request: Request,
    viewer: FormViewer,
    session: SessionDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[UserRole, Form()] = UserRole.MEMBER,
) -> Response:
    settings: Settings = request.app.state.settings
    user, link = team.invite(
        session,
        actor=viewer.actor,
        organization_id=viewer.organization_id,
        email=email,
        role=role,
        secret=settings.hmac_secret,
        base_url=settings.resolved_public_url,
        now=now,
    )
    return _answer_with_link(request, viewer, session, now, user.email, link, "invite")


@router.post(TEAM_PATH + "/{user_id}/role")
def change_role(
    viewer: FormViewer, session: SessionDep, now: NowDep, user_id: str, role: Annotated[UserRole, Form()]
) -> Response:
    team.set_role(
        session, actor=viewer.actor, organization_id=viewer.organization_id, user_id=user_id, role=role, now=now
    )
    return RedirectResponse(TEAM_PATH + "?notice=role-changed", status_code=303)


@router.post(TEAM_PATH + "/{user_id}/remove")
def remove(viewer: FormViewer, session: SessionDep, now: NowDep, user_id: str) -> Response:
    team.remove(session, actor=viewer.actor, organization_id=viewer.organization_id, user_id=user_id, now=now)
    return RedirectResponse(TEAM_PATH + "?notice=member-removed", status_code=303)


@router.post(TEAM_PATH + "/{user_id}/unlock")
def unlock(request: Request, viewer: FormViewer, session: SessionDep, now: NowDep, user_id: str) -> Response:
    team.unlock(
        session,
        actor=viewer.actor,
        organization_id=viewer.organization_id,
        user_id=user_id,
        secret=request.app.state.settings.hmac_secret,
        now=now,
    )
    return RedirectResponse(TEAM_PATH + "?notice=member-unlocked", status_code=303)


@router.post(TEAM_PATH + "/{user_id}/reset-link")
def reset_link(request: Request, viewer: FormViewer, session: SessionDep, now: NowDep, user_id: str) -> Response:
    settings: Settings = request.app.state.settings
    user, link = team.issue_reset_link(
        session,
        actor=viewer.actor,
        organization_id=viewer.organization_id,
        user_id=user_id,
        secret=settings.hmac_secret,
        base_url=settings.resolved_public_url,
        now=now,
    )
    purpose = "invite" if user.password_hash == team.INVITED_PASSWORD_HASH else "reset"
    return _answer_with_link(request, viewer, session, now, user.email, link, purpose)


@router.post(TEAM_PATH + "/two-factor")
def two_factor_requirement(
    viewer: FormViewer, session: SessionDep, now: NowDep, required: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    team.require_two_factor(
        session, actor=viewer.actor, organization_id=viewer.organization_id, required=required == "on", now=now
    )
    return RedirectResponse(TEAM_PATH + "?notice=requirement-saved", status_code=303)


# --- admin hub ---------------------------------------------------------------------------------------------------


@router.get("/app/admin/organizations/{organization_id}/team")
def hub_team_page(request: Request, viewer: Staff, session: SessionDep, now: NowDep, organization_id: str) -> Response:
    organization = get_organization(session, organization_id)
    settings: Settings = request.app.state.settings
    return page(
        request,
        "hub/team.html",
        viewer,
        organization=organization,
        members=team.list_members(session, organization.id, secret=settings.hmac_secret, now=now),
    )


@router.post("/app/admin/organizations/{organization_id}/team/{user_id}/unlock")
def hub_unlock(
    request: Request,
    viewer: StaffForm,
    session: SessionDep,
    now: NowDep,
    organization_id: str,
    user_id: str,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    if not reason.strip():
        raise NuveraError(ErrorCode.VALIDATION_ERROR, "Give a reason: the partner sees it in the audit history.")
    team.unlock(
        session,
        actor=viewer.actor.because(reason.strip()),
        organization_id=organization_id,
        user_id=user_id,
        secret=request.app.state.settings.hmac_secret,
        now=now,
    )
    return RedirectResponse(f"/app/admin/organizations/{organization_id}/team?notice=member-unlocked", status_code=303)
