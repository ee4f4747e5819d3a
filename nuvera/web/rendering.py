"""Rendering pages: the Jinja2 environment, display filters, security headers, notices and error pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from nuvera.auth.permissions import Permission
from nuvera.errors import ERROR_CODES, NuveraError
from nuvera.web.viewer import Viewer

STATIC = "/app/static"

# Everything comes from this origin; no inline script or style, so an injected tag cannot run or restyle the page.
# `form-action 'self'` keeps a form from posting elsewhere; `frame-ancestors 'none'` stops clickjacking.
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Pages show a person's data and carry the session's CSRF token: never kept by a shared or browser cache.
    "Cache-Control": "no-store",
}

# `?notice=…` selects one of these fixed messages: a link cannot put text of its own choosing on a page.
NOTICES: Final = {
    "created": "Application created. Its first API key was shown once; it cannot be displayed again.",
    "rotated": "Replacement key created. Check that traffic moved to it (last used) before revoking old keys.",
    "revoked": "The key is revoked. It is never accepted again.",
    "grace-ended": "The grace window ended: the key is no longer accepted.",
    "grace-shortened": "The grace window was shortened.",
    "signing-key-replaced": "Signing key replaced. Requests signed with the previous private key are now rejected.",
    "permissions-saved": "Permissions saved.",
    "disabled": "The application is disabled: every request made with it is rejected.",
    "enabled": "The application is enabled again.",
    "rate-limit-saved": "Rate limit saved. It applies from the application's next request.",
    "signed-out": "You are signed out.",
    "password-set": "Your password is set. Sign in with it now.",
    "two-factor-required": "Your organization requires two-factor authentication. Turn it on to continue.",
    "two-factor-on": "Two-factor authentication is on.",
    "two-factor-off": "Two-factor authentication is off.",
    "session-revoked": "The session was ended.",
    "role-changed": "Role changed.",
    "member-removed": "The member was removed and their sessions ended.",
    "member-unlocked": "The account is unlocked: it can sign in again now.",
    "requirement-saved": "Two-factor requirement saved.",
    "decision-recorded": "Decision recorded. The partner sees it in the activity timeline.",
    "disposition-recorded": "Disposition recorded in the audit history.",
    "reply-sent": "Reply sent. The ticket now waits for the partner.",
    "ticket-resolved": "Ticket marked as resolved.",
    "ticket-opened": "Ticket opened. Nuvera support answers here; you can add to it at any time.",
    "reply-posted": "Reply posted. The ticket now waits for Nuvera support.",
    "webhook-saved": "Webhook endpoint saved.",
    "webhook-disabled": "The webhook endpoint is disabled: no new events are delivered to it.",
    "webhook-enabled": "The webhook endpoint is enabled again. Use \u201creplay since\u201d to receive what it missed.",
    "webhook-resent": "The event is queued for delivery again.",
    "webhook-replayed": "The events are being queued for delivery again.",
    "webhook-deleted": "Webhook endpoint deleted.",
}

AREA_LABELS: Final = {
    "CUSTOMERS": ("Customers", "KYB customers and their review status"),
    "BENEFICIARIES": ("Beneficiaries", "Payout bank accounts of your customers"),
    "DOCUMENTS": ("Documents", "Uploaded KYB documents"),
    "CRYPTO": ("Crypto reference data", "Assets and networks"),
    "PAYMENTS": ("Payments", "Quotes and payments"),
    "SCREENING": ("Screening", "Sanctions screening results"),
    "SUPPORT": ("Support", "Support tickets with Nuvera"),
    "WEBHOOKS": ("Webhooks", "Webhook endpoints, their signing secrets and delivery attempts"),
}


def permission_areas() -> list[dict[str, Any]]:
    """Permissions grouped by area, in the vocabulary's order: one row per area, read and (maybe) write."""
    rows: dict[str, dict[str, Any]] = {}
    for permission in Permission:
        label, help_text = AREA_LABELS.get(permission.area, (permission.area.title(), ""))
        row = rows.setdefault(
            permission.area, {"area": permission.area, "label": label, "help": help_text, "read": None, "write": None}
        )
        row["write" if permission.required_read else "read"] = permission.value
    return list(rows.values())


def permission_label(name: str) -> str:
    area, _, access = name.rpartition("_")
    return f"{AREA_LABELS.get(area, (area.title(), ''))[0]}: {access.lower()}"


def format_time(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        moment = value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso_time(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else ""


def humanize(value: str) -> str:
    """PENDING_REVIEW → Pending review (acronyms such as API stay as they are)."""
    if len(value) <= 3:
        return value
    return value.replace("_", " ").capitalize()


def revenue_band(value: str) -> str:
    """R_1000000_9999999 → 1,000,000–9,999,999; R_250000000_PLUS → 250,000,000 or more."""
    parts = value.removeprefix("R_").split("_")
    if len(parts) == 2 and parts[0].isdigit() and parts[1] == "PLUS":
        return f"{int(parts[0]):,} or more"
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return f"{int(parts[0]):,}–{int(parts[1]):,}"
    return value


_templates = Environment(
    loader=PackageLoader("nuvera.web", "templates"),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters.update(
    {
        "time": format_time,
        "iso": iso_time,
        "humanize": humanize,
        "permission_label": permission_label,
        "revenue_band": revenue_band,
    }
)
_templates.globals.update({"static": STATIC, "permission_areas": permission_areas})


def page(
    request: Request,
    template: str,
    viewer: Viewer | None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    html = _templates.get_template(template).render(
        viewer=viewer, path=request.url.path, notice=notice, error=context.pop("error", None), **context
    )
    return HTMLResponse(html, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def error_page(request: Request, error: NuveraError) -> HTMLResponse:
    """An expected failure as a page: its title, what to do, and the field messages (never the submitted values)."""
    viewer: Viewer | None = getattr(request.state, "web_viewer", None)
    return page(
        request,
        "error.html",
        viewer,
        status=error.status,
        headers=error.headers,
        title=ERROR_CODES[error.code].title,
        failure=error,
    )


def see_other(url: str) -> RedirectResponse:
    """The answer to a form post that succeeded: the browser loads `url` with a GET (post/redirect/get)."""
    return RedirectResponse(url, status_code=303)


def post_redirect_get(
    session: Session, change: Callable[[], object], retry: Callable[[NuveraError], Response], done: str
) -> Response:
    """Run a form post's change, then redirect to `done`; on refusal roll it back and show the same page again
    with the message (`retry`)."""
    try:
        change()
    except NuveraError as exc:
        session.rollback()
        return retry(exc)
    return see_other(done)
