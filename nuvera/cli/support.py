"""`nuvera support …`: Nuvera's side of support tickets (reply, resolve). Every action is audited."""

from __future__ import annotations

import typer

from nuvera.cli.common import JSON_OPTION, run
from nuvera.cli.output import emit
from nuvera.clock import utcnow
from nuvera.support import service
from nuvera.support.models import SupportTicket

support_app = typer.Typer(help="Support tickets (Nuvera side).", no_args_is_help=True)

ADMIN_OPTION = typer.Option(
    None, "--admin", help="Email of the Nuvera admin answering (default: the anonymous operator)."
)


def _show(ticket: SupportTicket, as_json: bool) -> None:
    emit(
        {"id": ticket.id, "status": ticket.status.value, "messages": len(ticket.messages)},
        as_json,
        f"{ticket.id} is now {ticket.status.value}",
    )


@support_app.command("reply")
def reply(
    ticket_id: str = typer.Argument(..., help="The ticket id (tkt_…)."),
    body: str = typer.Option(..., "--body", help="The answer shown to the partner."),
    admin: str = ADMIN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Answer a ticket as Nuvera support; it then waits for the partner (PENDING_PARTNER)."""
    ticket = run(
        lambda session, _settings: service.nuvera_reply(
            session, service.nuvera_actor(session, admin), ticket_id, body=body, now=utcnow()
        )
    )
    _show(ticket, as_json)


@support_app.command("resolve")
def resolve(
    ticket_id: str = typer.Argument(..., help="The ticket id (tkt_…)."),
    admin: str = ADMIN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Mark a ticket RESOLVED; a later partner reply reopens it."""
    ticket = run(
        lambda session, _settings: service.nuvera_resolve(
            session, service.nuvera_actor(session, admin), ticket_id, now=utcnow()
        )
    )
    _show(ticket, as_json)
