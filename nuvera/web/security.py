"""Account security pages: password reset by one-time link, setting a password from a link (invitations too),
two-factor enrolment and recovery codes, and the user's own sessions.

The forms before sign-in (reset request, set password) use the sign-in page's double-submit token; the settings
forms use the session's CSRF token (`FormViewer`). A reset request answers the same whether or not the address
has an account, and the mail leaves after the response (a background task), so its timing says nothing either.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.background import BackgroundTask

from nuvera.accounts import links, team, two_factor
from nuvera.accounts import service as accounts
from nuvera.accounts.dependencies import clear_session_cookie
from nuvera.audit import service as audit
from nuvera.audit.actions import AuditAction
from nuvera.config import Settings
from nuvera.dependencies import NowDep, SessionDep
from nuvera.errors import ErrorCode, NuveraError
from nuvera.mail import mail_configured, send_mail
from nuvera.web.rendering import page
from nuvera.web.routing import WebRoute
from nuvera.web.sign_in import login_csrf_ok, login_form_page
from nuvera.web.viewer import SECURITY_PATH, SIGN_IN_PATH, CurrentViewer, FormViewer, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
log = logging.getLogger("nuvera.accounts")

RESET_PATH = SIGN_IN_PATH + "/reset"
SET_PASSWORD_PATH = SIGN_IN_PATH + "/set-password"
Code = Annotated[str, Form(max_length=40)]  # a code from the authenticator app, or a recovery code
RESET_ANSWER = (
    "If an account exists for that address, a link to set a new password is on its way. It works for one hour."
)


def deliver(settings: Settings, to: str, subject: str, text: str) -> None:
    """Send after the response; a failure is logged (never the body, which holds the link)."""
    try:
        send_mail(settings, to, subject, text)
    except Exception as exc:  # any SMTP or socket failure: logged, the page has already answered
        log.warning("mail to %s failed: %s", to, type(exc).__name__)


def link_mail(purpose: str, organization: str, url: str) -> tuple[str, str]:
    if purpose == "invite":
        subject = f"You are invited to {organization} on Nuvera"
        text = f"You were invited to {organization} on Nuvera.\n\nSet your password (valid 7 days, once):\n{url}\n"
    else:
        subject = "Reset your Nuvera password"
        text = (
            f"Someone asked to reset the password of this Nuvera account.\n\nSet a new password (valid 1 hour, "
            f"once):\n{url}\n\nIf it was not you, ignore this mail: your password stays as it is.\n"
        )
    return subject, text


# --- before sign-in ---------------------------------------------------------------------------------------------


@router.get(RESET_PATH)
def reset_request_page(request: Request) -> Response:
    return login_form_page(request, "password_reset.html", sent=False)


@router.post(RESET_PATH)
def reset_request(
    request: Request,
    session: SessionDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=accounts.MAX_EMAIL_LENGTH)] = "",
    login_csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if not login_csrf_ok(request, login_csrf):
        error = "This form has expired. Please try again."
        return login_form_page(request, "password_reset.html", status=403, sent=False, error=error)
    settings: Settings = request.app.state.settings
    response = login_form_page(request, "password_reset.html", sent=True, answer=RESET_ANSWER)
    if not mail_configured(settings):
        # Nobody could receive a link: none is issued. The operator can issue one with `nuvera users`.
        log.warning("password reset requested, but no SMTP server is configured (nuvera users reset-password)")
        return response
    issued = team.request_reset(
        session, email=email, secret=settings.hmac_secret, base_url=settings.resolved_public_url, now=now
    )
    if issued is not None:
        user, link = issued
        subject, text = link_mail("reset", "", link.url)
        response.background = BackgroundTask(deliver, settings, user.email, subject, text)
    return response


@router.get(SET_PASSWORD_PATH)
def set_password_page(
    request: Request, session: SessionDep, now: NowDep, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    link, user = links.usable(session, token=token, secret=request.app.state.settings.hmac_secret, now=now)
    return login_form_page(request, "set_password.html", token=token, email=user.email, purpose=link.purpose)


@router.post(SET_PASSWORD_PATH)
def set_password(
    request: Request,
    session: SessionDep,
    now: NowDep,
    token: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
    confirm: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
    login_csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    secret = request.app.state.settings.hmac_secret
    link, user = links.usable(session, token=token, secret=secret, now=now)
    context: dict[str, Any] = {"token": token, "email": user.email, "purpose": link.purpose}
    if not login_csrf_ok(request, login_csrf):
        error = "This form has expired. Please try again."
        return login_form_page(request, "set_password.html", status=403, error=error, **context)
    if password != confirm:
        return login_form_page(request, "set_password.html", status=422, error="The two passwords differ.", **context)
    try:
        team.set_password(session, token=token, password=password, secret=secret, now=now)
    except NuveraError as exc:
        if exc.code != "validation_error":
            raise
        message = "; ".join(f"{e.field} {e.message}" for e in exc.errors) or exc.detail
        return login_form_page(
            request,
            "set_password.html",
            status=422,
            error=f"The password {message.removeprefix('password ')}.",
            **context,
        )
    return RedirectResponse(SIGN_IN_PATH + "?notice=password-set", status_code=303)


# --- signed in: Settings → Security -----------------------------------------------------------------------------


def _security_page(
    request: Request, viewer: Viewer, session: SessionDep, now: NowDep, *, status: int = 200, **extra: Any
) -> Response:
    settings: Settings = request.app.state.settings
    enrolment = two_factor.pending(session, user_id=viewer.user_id, email=viewer.email, secrets_=settings.hmac_secrets)
    return page(
        request,
        "security.html",
        viewer,
        status=status,
        enabled=two_factor.is_enabled(session, viewer.user_id),
        required=two_factor.organization_requires(session, viewer.organization_id),
        enrolment=enrolment,
        remaining_codes=two_factor.remaining_recovery_codes(session, viewer.user_id),
        sessions=accounts.active_sessions(session, viewer.user_id, now),
        current_session=viewer.identity.web_session.id,
        **extra,
    )


def _require_current_code(request: Request, session: SessionDep, viewer: Viewer, code: str, now: NowDep) -> None:
    """Changing an enabled two-factor setup takes a current code from the authenticator app (or a recovery code)."""
    secrets_ = request.app.state.settings.hmac_secrets
    if two_factor.verify(session, user_id=viewer.user_id, code=code, secrets_=secrets_, now=now) is None:
        raise NuveraError(ErrorCode.VALIDATION_ERROR, "That code is not right. Enter the current code from your app.")


def _audit(session: SessionDep, viewer: Viewer, action: AuditAction, now: NowDep) -> None:
    audit.record(
        session,
        actor=viewer.actor,
        organization_id=viewer.organization_id,
        action=action,
        subject_type="user",
        subject_id=viewer.user_id,
        now=now,
    )


@router.get(SECURITY_PATH)
def security_page(request: Request, viewer: CurrentViewer, session: SessionDep, now: NowDep) -> Response:
    return _security_page(request, viewer, session, now)


@router.post(SECURITY_PATH + "/two-factor/start")
def two_factor_start(request: Request, viewer: FormViewer, session: SessionDep, now: NowDep) -> Response:
    two_factor.begin(
        session, user_id=viewer.user_id, email=viewer.email, secret=request.app.state.settings.hmac_secret, now=now
    )
    return RedirectResponse(SECURITY_PATH + "#two-factor", status_code=303)


@router.post(SECURITY_PATH + "/two-factor/confirm")
def two_factor_confirm(
    request: Request, viewer: FormViewer, session: SessionDep, now: NowDep, code: Code = ""
) -> Response:
    try:
        codes = two_factor.confirm(
            session, user_id=viewer.user_id, code=code, secrets_=request.app.state.settings.hmac_secrets, now=now
        )
    except NuveraError as exc:
        if exc.code != "validation_error":
            raise
        return _security_page(request, viewer, session, now, status=422, error=exc)
    _audit(session, viewer, AuditAction.USER_TWO_FACTOR_ENABLED, now)
    return page(request, "recovery_codes.html", viewer, codes=codes)


@router.post(SECURITY_PATH + "/two-factor/recovery-codes")
def recovery_codes(request: Request, viewer: FormViewer, session: SessionDep, now: NowDep, code: Code = "") -> Response:
    _require_current_code(request, session, viewer, code, now)
    secret = request.app.state.settings.hmac_secret
    codes = two_factor.new_recovery_codes(session, user_id=viewer.user_id, secret=secret, now=now)
    _audit(session, viewer, AuditAction.USER_RECOVERY_CODES_REPLACED, now)
    return page(request, "recovery_codes.html", viewer, codes=codes)


@router.post(SECURITY_PATH + "/two-factor/disable")
def two_factor_disable(
    request: Request, viewer: FormViewer, session: SessionDep, now: NowDep, code: Code = ""
) -> Response:
    if two_factor.organization_requires(session, viewer.organization_id):
        raise NuveraError(ErrorCode.INVALID_STATE, "Your organization requires two-factor authentication: it stays on.")
    _require_current_code(request, session, viewer, code, now)
    two_factor.disable(session, viewer.user_id)
    _audit(session, viewer, AuditAction.USER_TWO_FACTOR_DISABLED, now)
    return RedirectResponse(SECURITY_PATH + "?notice=two-factor-off", status_code=303)


@router.post(SECURITY_PATH + "/sessions/{session_id}/revoke")
def revoke_session(request: Request, viewer: FormViewer, session: SessionDep, now: NowDep, session_id: str) -> Response:
    if not accounts.revoke_session(session, user_id=viewer.user_id, session_id=session_id[:40]):
        raise NuveraError(ErrorCode.NOT_FOUND, "Session not found (it may have ended already).")
    _audit(session, viewer, AuditAction.USER_SESSION_REVOKED, now)
    if session_id == viewer.identity.web_session.id:
        response = RedirectResponse(SIGN_IN_PATH + "?notice=signed-out", status_code=303)
        clear_session_cookie(request, response)
        return response
    return RedirectResponse(SECURITY_PATH + "?notice=session-revoked", status_code=303)
