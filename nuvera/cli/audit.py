"""`nuvera audit list`: an application's audit history, newest first."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.orm import Session

from nuvera.applications import service
from nuvera.audit.actor import Actor
from nuvera.audit.schemas import AuditEventOut
from nuvera.cli.common import JSON_OPTION, run
from nuvera.cli.output import emit
from nuvera.config import Settings
from nuvera.pagination import DEFAULT_LIMIT

audit_app = typer.Typer(help="Audit history.", no_args_is_help=True)


@audit_app.command("list")
def list_events(
    app_id: str = typer.Option(..., "--app", help="Application id."),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", help="Events per page, 1–100."),
    cursor: str = typer.Option(None, "--cursor", help="nextCursor of the previous page."),
    as_json: bool = JSON_OPTION,
) -> None:
    """One page of an application's audit history, newest first (continue with --cursor)."""

    def page(session: Session, settings: Settings) -> dict[str, Any]:
        result = service.list_audit_events(
            session,
            actor=Actor.operator(),
            application_id=app_id,
            secret=settings.hmac_secret,
            cursor=cursor,
            limit=limit,
        )
        return {
            "items": [AuditEventOut.of(e).model_dump(mode="json", by_alias=True) for e in result.items],
            "nextCursor": result.next_cursor,
            "hasMore": result.has_more,
        }

    result = run(page)
    lines = []
    for event in result["items"]:
        why = f" — {event['reason']}" if event["reason"] else ""
        lines.append(
            f"{event['createdAt']}  {event['action']:32} {event['subjectId']}  by {event['actor']['label']}{why}"
        )
    if result["nextCursor"]:
        lines.append(f"more: --cursor {result['nextCursor']}")
    emit(result, as_json, "\n".join(lines) or "(no events)")
