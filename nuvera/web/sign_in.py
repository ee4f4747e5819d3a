"""Sign-in and sign-out pages, the web app's home redirect and the profile page.

Sign-in is a plain form, so it works without script. It goes through `accounts.service.sign_in`, the same path as
`POST /app/api/session`: login throttling, the Argon2 check and the session cookie are that module's.

Login CSRF: there is no session yet, so no session-bound token. A random token is set in a SameSite=Strict,
HttpOnly cookie scoped to the sign-in path and repeated in a hidden field (double submit); another site can make
the browser post the form but can neither read nor set that cookie, so it cannot sign the browser into an
account of its choosing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from nuvera.accounts import service as accounts
from nuvera.accounts.dependencies import clear_session_cookie, cookies_secure, server_secret, set_session_cookie
from nuvera.config import Settings
from nuvera.dependencies import NowDep, SessionDep
from nuvera.errors import NuveraError
from nuvera.organizations.models import User
from nuvera.web.rendering import page
from nuvera.web.routing import WebRoute
from nuvera.web.viewer import SIGN_IN_PATH, CurrentViewer, FormViewer, MaybeViewer, safe_next

router = APIRouter(route_class=WebRoute, include_in_schema=False)

LOGIN_CSRF_COOKIE = "nuvera_login_csrf"
# After a right password on an account with two-factor authentication: which user may enter a code, for how long.
PENDING_COOKIE = "nuvera_two_factor"
PENDING_LIFETIME = timedelta(minutes=5)
TWO_FACTOR_PATH = SIGN_IN_PATH + "/two-factor"
_LOGIN_CSRF_BYTES = 32


def _login_token(request: Request) -> str:
    # Reuse the browser's current token, so two sign-in tabs do not invalidate each other.
    current = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return current if 40 <= len(current) <= 64 else secrets.token_urlsafe(_LOGIN_CSRF_BYTES)


def login_form_page(
    request: Request, template: str, *, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> Response:
    """A page with a form posted before any session exists (sign-in, its second step, password reset, setting a
    password): the double-submit token of the docstring above, in a cookie scoped to /app/sign-in."""
    token = _login_token(request)
    response = page(request, template, None, status=status, headers=headers, login_csrf=token, **context)
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


def login_csrf_ok(request: Request, presented: str) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(cookie and presented and hmac.compare_digest(cookie.encode(), presented.encode()))


def _sign_in_page(
    request: Request, *, next_path: str, email: str = "", error: str | None = None, status: int = 200, **headers: str
) -> Response:
    return login_form_page(
        request, "sign_in.html", status=status, headers=headers, next_path=next_path, email=email, error=error
    )


def _pending_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"nuvera-two-factor-pending-v1", hashlib.sha256).digest()


def _pending_mac(secret: bytes, user_id: str, expires: int, password_hash: str) -> str:
    # The password hash is part of the MAC: a password change voids every pending second step.
    message = f"{user_id}.{expires}.{password_hash}".encode()
    return hmac.new(_pending_key(secret), message, hashlib.sha256).hexdigest()


def pending_cookie_value(secret: bytes, pending: accounts.SecondFactorRequired, now: datetime) -> str:
    expires = int((now + PENDING_LIFETIME).timestamp())
    return f"{pending.user_id}.{expires}.{_pending_mac(secret, pending.user_id, expires, pending.password_hash)}"


def pending_user(session: Session, secret: bytes, value: str, now: datetime) -> str | None:
    """The user whose password was checked moments ago in this browser, or None."""
    parts = value.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or len(value) > 200:
        return None
    user_id, expires, mac = parts[0], int(parts[1]), parts[2]
    if expires <= now.timestamp():
        return None
    user = session.get(User, user_id)
    if user is None:
        return None
    return user_id if hmac.compare_digest(_pending_mac(secret, user_id, expires, user.password_hash), mac) else None


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
    if isinstance(started, accounts.SecondFactorRequired):
        response = RedirectResponse(f"{TWO_FACTOR_PATH}?{urlencode({'next': target})}", status_code=303)
        response.set_cookie(
            PENDING_COOKIE,
            pending_cookie_value(server_secret(request), started, now),
            max_age=int(PENDING_LIFETIME.total_seconds()),
            path=SIGN_IN_PATH,
            httponly=True,
            samesite="strict",
            secure=cookies_secure(request),
        )
        return response
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, started.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=SIGN_IN_PATH)
    return response


@router.get(TWO_FACTOR_PATH)
def two_factor_page(
    request: Request,
    session: SessionDep,
    now: NowDep,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    if pending_user(session, server_secret(request), request.cookies.get(PENDING_COOKIE, ""), now) is None:
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    return login_form_page(request, "sign_in_two_factor.html", next_path=safe_next(next_path))


@router.post(TWO_FACTOR_PATH)
def two_factor_step(
    request: Request,
    session: SessionDep,
    now: NowDep,
    code: Annotated[str, Form(max_length=40)] = "",
    login_csrf: Annotated[str, Form(max_length=100)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/app",
) -> Response:
    target = safe_next(next_path)
    user_id = pending_user(session, server_secret(request), request.cookies.get(PENDING_COOKIE, ""), now)
    if user_id is None:
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    if not login_csrf_ok(request, login_csrf):
        error = "This form has expired. Please enter the code again."
        return login_form_page(request, "sign_in_two_factor.html", status=403, next_path=target, error=error)
    settings: Settings = request.app.state.settings
    ip = request.client.host if request.client else None
    try:
        started = accounts.complete_second_factor(
            session, user_id=user_id, code=code, ip=ip, now=now, secrets_=settings.hmac_secrets
        )
    except NuveraError as exc:  # rate_limited
        return login_form_page(
            request,
            "sign_in_two_factor.html",
            status=exc.status,
            headers=exc.headers,
            next_path=target,
            error=exc.detail,
        )
    if started is None:
        error = "That code is not right. Enter the current code from your app, or a recovery code."
        return login_form_page(request, "sign_in_two_factor.html", status=401, next_path=target, error=error)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, started.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=SIGN_IN_PATH)
    response.delete_cookie(PENDING_COOKIE, path=SIGN_IN_PATH)
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
