"""How a browser-facing route gets the signed-in person: `SignedIn` for reads, `SignedInForChange` for changes.

Both enforce CSRF on every method that is not GET/HEAD/OPTIONS, so a route that picks the wrong one is still
protected; `SignedInForChange` additionally documents the `x-csrf-token` header in the OpenAPI reference.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response, Security
from fastapi.security import APIKeyCookie, APIKeyHeader
from sqlalchemy.orm import Session

from nuvera.accounts import service, two_factor
from nuvera.accounts.service import Identity
from nuvera.dependencies import NowDep, SessionDep
from nuvera.errors import ErrorCode, NuveraError

SESSION_COOKIE = "nuvera_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Browsers refuse Secure cookies over plain http except on these hosts, where local development runs.
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def cookies_secure(request: Request) -> bool:
    """Cookies carry `Secure` everywhere but on a local development host served over plain http."""
    return request.url.hostname not in _LOCAL_HOSTS


session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="sessionCookie",
    description="Web session cookie set by `POST /app/api/session` (HttpOnly, SameSite=Lax).",
    auto_error=False,
)
csrf_header = APIKeyHeader(
    name=CSRF_HEADER,
    scheme_name="csrfToken",
    description="The `csrfToken` returned by `GET /app/api/me`; required on every state-changing request.",
    auto_error=False,
)
# What the two schemes read, as route parameters (documented in the OpenAPI security schemes).
SessionToken = Annotated[str | None, Security(session_cookie)]
CsrfToken = Annotated[str | None, Security(csrf_header)]


def server_secret(request: Request) -> bytes:
    secret: bytes = request.app.state.settings.hmac_secret
    return secret


def _checked(request: Request, session: SessionDep, now: NowDep, token: str | None) -> Identity | None:
    identity = service.resolve(session, token, now) if token else None
    if identity is None:
        return None
    if request.method not in SAFE_METHODS and not service.csrf_matches(
        server_secret(request), identity.token, request.headers.get(CSRF_HEADER)
    ):
        raise NuveraError(
            ErrorCode.CSRF_FAILED,
            f"Send this session's CSRF token (csrfToken from GET /app/api/me) in the {CSRF_HEADER} header.",
        )
    return identity


def _identity(request: Request, session: SessionDep, now: NowDep, token: str | None) -> Identity:
    identity = _checked(request, session, now, token)
    if identity is None:
        raise NuveraError(
            ErrorCode.UNAUTHENTICATED, "Sign in first: POST /app/api/session with your email and password."
        )
    if request.url.path != "/app/api/me" and must_enrol_two_factor(session, identity):
        raise NuveraError(
            ErrorCode.FORBIDDEN,
            "Your organization requires two-factor authentication: turn it on in the web app (Settings → Security).",
        )
    return identity


def must_enrol_two_factor(session: Session, identity: Identity) -> bool:
    """The organization's owner requires two-factor authentication and this user has not turned it on yet."""
    return two_factor.organization_requires(session, identity.organization.id) and not two_factor.is_enabled(
        session, identity.user.id
    )


def signed_in(request: Request, session: SessionDep, now: NowDep, token: SessionToken) -> Identity:
    return _identity(request, session, now, token)


def signed_in_for_change(
    request: Request, session: SessionDep, now: NowDep, token: SessionToken, _csrf: CsrfToken
) -> Identity:
    return _identity(request, session, now, token)


def maybe_signed_in_for_change(
    request: Request, session: SessionDep, now: NowDep, token: SessionToken, _csrf: CsrfToken
) -> Identity | None:
    """For sign-out: no session is not an error, but a session without its CSRF token is."""
    return _checked(request, session, now, token)


SignedIn = Annotated[Identity, Depends(signed_in)]
SignedInForChange = Annotated[Identity, Depends(signed_in_for_change)]
MaybeSignedInForChange = Annotated[Identity | None, Depends(maybe_signed_in_for_change)]


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(service.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,  # unreadable by script: an XSS bug cannot carry the session away
        samesite="lax",  # not sent on cross-site subrequests and form POSTs; CSRF tokens cover the rest
        secure=cookies_secure(request),
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookies_secure(request))


def require_json(request: Request) -> None:
    """Sign-in has no session (hence no CSRF token) yet. Requiring a JSON content type makes a cross-site request
    need a CORS preflight, which we never grant, so another site cannot sign a browser into an account (login CSRF).
    """
    media_type = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise NuveraError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send the request body as application/json.")
