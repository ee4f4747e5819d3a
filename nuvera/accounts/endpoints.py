"""Web sign-in for the management API and the web app: `/app/api/session` and `/app/api/me`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from nuvera.accounts import service
from nuvera.accounts.dependencies import (
    MaybeSignedInForChange,
    SignedIn,
    clear_session_cookie,
    require_json,
    server_secret,
    set_session_cookie,
)
from nuvera.accounts.routing import BoundedBodyRoute
from nuvera.accounts.schemas import MeOrganizationOut, MeOut, MeUserOut, SignInIn
from nuvera.accounts.service import Identity
from nuvera.dependencies import NowDep, SessionDep
from nuvera.errors import PROBLEM_JSON, ErrorCode, NuveraError, problem
from nuvera.schemas import problem_responses

router = APIRouter(prefix="/app/api", tags=["Management: Session"], route_class=BoundedBodyRoute)
_NO_STORE = {"Cache-Control": "no-store"}


def _me(request: Request, identity: Identity) -> MeOut:
    user, organization = identity.user, identity.organization
    return MeOut(
        user=MeUserOut(
            id=user.id, email=user.email, first_name=user.first_name, last_name=user.last_name, role=user.role.value
        ),
        organization=MeOrganizationOut(id=organization.id, name=organization.name, kind=organization.kind.value),
        csrf_token=service.csrf_token(server_secret(request), identity.token),
        session_expires_at=identity.web_session.expires_at,
    )


@router.post(
    "/session",
    operation_id="ManagementSessionController_signIn",
    response_model=MeOut,
    dependencies=[Depends(require_json)],
    responses=problem_responses(
        ErrorCode.UNAUTHENTICATED,
        415,
        ErrorCode.RATE_LIMITED,
        s401="Wrong email or password (`unauthenticated`)",
        s415="The body is not application/json",
        s429="Too many failed attempts (`rate_limited`, with Retry-After)",
    ),
)
def sign_in(body: SignInIn, request: Request, response: Response, session: SessionDep, now: NowDep) -> Response | MeOut:
    """Sign in with email and password. Sets the HttpOnly session cookie and returns the CSRF token.

    An account with two-factor authentication also needs `oneTimeCode` (a TOTP or an unused recovery code);
    without it the answer is 401 `unauthenticated` saying so. Wrong codes count as failed attempts.

    After 5 failed attempts for one email (or 30 from one IP address) within 15 minutes, further attempts are
    refused with 429 until the window passes, even with the right password.
    """
    started = service.sign_in(
        session,
        email=body.email,
        password=body.password,
        ip=request.client.host if request.client else None,
        now=now,
        secret=server_secret(request),
        one_time_code=body.one_time_code,
        secrets_=request.app.state.settings.hmac_secrets,
    )
    if started is None or isinstance(started, service.SecondFactorRequired):
        # Returned, not raised: the request's transaction must commit so the failure counts towards the throttle.
        detail = "The email or password is not correct."
        if started is not None:
            detail = "This account uses two-factor authentication: send oneTimeCode (a TOTP or recovery code)."
        elif body.one_time_code is not None:
            detail = "The email, password or one-time code is not correct."
        error = NuveraError(ErrorCode.UNAUTHENTICATED, detail)
        request_id = str(getattr(request.state, "request_id", "req_unknown"))
        return JSONResponse(
            problem(error.code, error.detail, request_id), status_code=error.status, media_type=PROBLEM_JSON
        )
    response.headers.update(_NO_STORE)
    set_session_cookie(request, response, started.token)
    return _me(request, started.identity)


@router.delete(
    "/session",
    operation_id="ManagementSessionController_signOut",
    status_code=204,
    responses=problem_responses(ErrorCode.CSRF_FAILED, s403="Missing or wrong x-csrf-token (`csrf_failed`)"),
)
def sign_out(identity: MaybeSignedInForChange, request: Request, session: SessionDep) -> Response:
    """Sign out: ends the session on the server and clears the cookie. Requires the x-csrf-token header."""
    if identity is not None:
        service.sign_out(session, identity.token)
    response = Response(status_code=204)
    clear_session_cookie(request, response)
    return response


@router.get(
    "/me",
    operation_id="ManagementSessionController_me",
    response_model=MeOut,
    responses=problem_responses(ErrorCode.UNAUTHENTICATED, s401="No valid session (`unauthenticated`)"),
)
def me(identity: SignedIn, request: Request, response: Response) -> MeOut:
    """The signed-in user, their organization, and the CSRF token for state-changing requests."""
    response.headers.update(_NO_STORE)
    return _me(request, identity)
