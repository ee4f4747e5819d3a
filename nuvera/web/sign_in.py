"""Sign-in and sign-out pages, the web app's home redirect and the profile page.

Sign-in is a plain form, so it works without script. It goes through `accounts.service.sign_in`, the same path as
`POST /app/api/session`: login throttling, the Argon2 check and the session cookie are that module's.

Login CSRF: there is no session yet, so no session-bound token. A random token is set in a SameSite=Strict,
HttpOnly cookie scoped to the sign-in path and repeated in a hidden field (double submit); another site can make
the browser post the form but can neither read nor set that cookie, so it cannot sign the browser into an
account of its choosing.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from nuvera.accounts import service as accounts
from nuvera.accounts.dependencies import clear_session_cookie, cookies_secure, server_secret, set_session_cookie
from nuvera.dependencies import NowDep, SessionDep
from nuvera.errors import NuveraError
from nuvera.web.rendering import page
from nuvera.web.routing import WebRoute
from nuvera.web.viewer import SIGN_IN_PATH, CurrentViewer, FormViewer, MaybeViewer, safe_next

router = APIRouter(route_class=WebRoute, include_in_schema=False)

LOGIN_CSRF_COOKIE = "nuvera_login_csrf"
_LOGIN_CSRF_BYTES = 32


def _login_token(request: Request) -> str:
    # Reuse the browser's current token, so two sign-in tabs do not invalidate each other.
    current = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return current if 40 <= len(current) <= 64 else secrets.token_urlsafe(_LOGIN_CSRF_BYTES)


def _sign_in_page(
    request: Request, *, next_path: str, email: str = "", error: str | None = None, status: int = 200, **headers: str
) -> Response:
    token = _login_token(request)
    response = page(
        request,
        "sign_in.html",
        None,
        status=status,
        headers=headers,
        login_csrf=token,
        next_path=next_path,
        email=email,
        error=error,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path=SIGN_IN_PATH,
        httponly=True,
        samesite="strict",
        secure=cookies_secure(request),
    )
    return response


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/app", status_code=303)


@router.get("/app")
def home(viewer: MaybeViewer) -> RedirectResponse:
    """Each kind of user lands where their work is."""
    if viewer is None:
        target = SIGN_IN_PATH
    elif viewer.is_admin:
        target = "/app/admin"
    elif viewer.sees_applications:
        target = "/app/settings/platform/api-applications"
    else:
        target = "/app/settings/profile"
    return RedirectResponse(target, status_code=303)


@router.get(SIGN_IN_PATH)
def sign_in_page(
    request: Request, viewer: MaybeViewer, next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None
) -> Response:
    if viewer is not None:
        return RedirectResponse(safe_next(next_path), status_code=303)
    return _sign_in_page(request, next_path=safe_next(next_path))


@router.post(SIGN_IN_PATH)
def sign_in(
    request: Request,
    session: SessionDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=accounts.MAX_EMAIL_LENGTH)] = "",
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
    login_csrf: Annotated[str, Form(max_length=100)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/app",
) -> Response:
    target = safe_next(next_path)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not login_csrf or not hmac.compare_digest(cookie.encode(), login_csrf.encode()):
        error = "This sign-in form has expired. Please sign in again."
        return _sign_in_page(request, next_path=target, email=email, error=error, status=403)
    if not email.strip() or not password:
        return _sign_in_page(request, next_path=target, email=email, error="Enter your email and password.", status=422)
    try:
        started = accounts.sign_in(
            session,
            email=email,
            password=password,
            ip=request.client.host if request.client else None,
            now=now,
            secret=server_secret(request),
        )
    except NuveraError as exc:  # rate_limited: too many failures for this email or address
        return _sign_in_page(request, next_path=target, email=email, error=exc.detail, status=exc.status, **exc.headers)
    if started is None:
        # Returned, not raised: the failure must be committed to count towards the throttle.
        error = "The email or password is not correct."
        return _sign_in_page(request, next_path=target, email=email, error=error, status=401)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, started.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=SIGN_IN_PATH)
    return response


@router.post("/app/sign-out")
def sign_out(request: Request, viewer: FormViewer, session: SessionDep) -> Response:
    accounts.sign_out(session, viewer.identity.token)
    response = RedirectResponse(SIGN_IN_PATH + "?notice=signed-out", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.get("/app/settings/profile")
def profile_page(request: Request, viewer: CurrentViewer) -> Response:
    return page(request, "profile.html", viewer)
