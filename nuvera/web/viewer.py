"""Who is looking at a page: the signed-in viewer, CSRF checks for forms, the staff-only guard.

Pages use the sign-in sessions of `nuvera.accounts`: the same HttpOnly cookie and CSRF tokens as the management
API. A page without a session raises `SignInRequired`, which `routing.WebRoute` turns into a redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse

from nuvera.accounts import service as accounts
from nuvera.accounts.dependencies import CSRF_HEADER, SESSION_COOKIE, must_enrol_two_factor, server_secret
from nuvera.accounts.service import Identity
from nuvera.applications.policy import Operation, authorize
from nuvera.audit.actor import Actor
from nuvera.dependencies import NowDep, SessionDep
from nuvera.errors import ErrorCode, NuveraError
from nuvera.organizations.models import OrganizationKind

SIGN_IN_PATH = "/app/sign-in"


SECURITY_PATH = "/app/settings/security"
ENROL_ALLOWED = (SECURITY_PATH, "/app/sign-out")


class SignInRequired(Exception):
    """No valid session: the route answers with a redirect to the sign-in page."""


class TwoFactorEnrolmentRequired(Exception):
    """The organization requires two-factor authentication: the route answers with a redirect to enrolment."""


def allowed(actor: Actor, operation: Operation, organization_id: str) -> bool:
    """The application access policy's answer as yes/no, to decide what a page offers.

    Only a display decision: the request that performs the action is authorized again by the service. Staff must
    give a reason with every change, which that request enforces; a placeholder reason here keeps that rule from
    hiding the actions that the role and organization rules allow.
    """
    try:
        authorize(actor.because(actor.reason or "display check"), operation, organization_id, what="Organization")
    except NuveraError:
        return False
    return True


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as plain values: pages (and error pages rendered after the transaction ended) read
    these, never the ORM rows."""

    identity: Identity
    user_id: str
    email: str
    name: str
    role: str
    organization_id: str
    organization_name: str
    organization_kind: OrganizationKind
    csrf_token: str
    actor: Actor
    sees_applications: bool
    # The organization requires two-factor authentication and this user has not turned it on: every page but the
    # security page (and sign-out) sends them there.
    must_enrol: bool = False

    @property
    def is_admin(self) -> bool:
        """A member of the Nuvera admin organization (acts as staff on every partner)."""
        return self.actor.type == "admin"

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.split() if p] or [self.email]
        return "".join(p[0] for p in parts[:2]).upper()


def viewer_of(request: Request, identity: Identity, *, must_enrol: bool = False) -> Viewer:
    user, organization = identity.user, identity.organization
    actor = identity.actor()
    viewer = Viewer(
        identity=identity,
        user_id=user.id,
        email=user.email,
        name=" ".join(p for p in (user.first_name, user.last_name) if p) or user.email,
        role=user.role.value,
        organization_id=organization.id,
        organization_name=organization.name,
        organization_kind=organization.kind,
        csrf_token=accounts.csrf_token(server_secret(request), identity.token),
        actor=actor,
        # The API Applications menu exists for partner users only: the policy refuses customer-platform users.
        sees_applications=actor.type == "user" and allowed(actor, Operation.VIEW, organization.id),
        must_enrol=must_enrol,
    )
    request.state.web_viewer = viewer
    return viewer


def optional_viewer(request: Request, session: SessionDep, now: NowDep) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    identity = accounts.resolve(session, token, now) if token else None
    if identity is None:
        return None
    return viewer_of(request, identity, must_enrol=must_enrol_two_factor(session, identity))


def current_viewer(request: Request, viewer: Annotated[Viewer | None, Depends(optional_viewer)]) -> Viewer:
    if viewer is None:
        raise SignInRequired
    if viewer.must_enrol and not request.url.path.startswith(ENROL_ALLOWED):
        raise TwoFactorEnrolmentRequired
    return viewer


def form_viewer(
    request: Request,
    viewer: Annotated[Viewer, Depends(current_viewer)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Viewer:
    """For form posts: the session's CSRF token must come back in the hidden `csrf_token` field (or the header)."""
    presented = csrf_token or request.headers.get(CSRF_HEADER)
    if not accounts.csrf_matches(server_secret(request), viewer.identity.token, presented):
        raise NuveraError(
            ErrorCode.CSRF_FAILED, "This form has expired or did not come from this site. Reload and retry."
        )
    return viewer


def staff(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    """The admin hub is for Nuvera staff only; everyone else gets 403."""
    if not viewer.is_admin:
        raise NuveraError(ErrorCode.FORBIDDEN, "The organization hub is for Nuvera staff only.")
    return viewer


def staff_form(viewer: Annotated[Viewer, Depends(form_viewer)]) -> Viewer:
    return staff(viewer)


MaybeViewer = Annotated[Viewer | None, Depends(optional_viewer)]
CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
FormViewer = Annotated[Viewer, Depends(form_viewer)]
Staff = Annotated[Viewer, Depends(staff)]
StaffForm = Annotated[Viewer, Depends(staff_form)]


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    next_part = f"?next={quote(target, safe='')}" if request.method == "GET" and target != "/app" else ""
    return RedirectResponse(SIGN_IN_PATH + next_part, status_code=303)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path of this web app, so the parameter cannot redirect elsewhere."""
    if not target or not (target == "/app" or target.startswith("/app/")) or any(c in target for c in "\\\r\n"):
        return "/app"
    if target.startswith(("/app/api/", "/app/static/")):
        return "/app"
    return target
