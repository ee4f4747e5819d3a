"""`nuvera orgs …` and `nuvera users …`: operator commands for organizations and users."""

from __future__ import annotations

import sys

import typer

from nuvera.cli.common import run
from nuvera.cli.output import emit, fail
from nuvera.clock import utcnow
from nuvera.organizations import service
from nuvera.organizations.models import OrganizationKind, UserRole

orgs_app = typer.Typer(help="Organizations.", no_args_is_help=True)
users_app = typer.Typer(help="Users.", no_args_is_help=True)


@orgs_app.command("create")
def create_org(
    name: str = typer.Option(..., help="Display name."),
    kind: OrganizationKind = typer.Option(..., help="partner, customer_platform or admin."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Create an organization."""
    organization = run(lambda session, _s: service.create_organization(session, name=name, kind=kind, now=utcnow()))
    emit(
        {"id": organization.id, "name": organization.name, "kind": organization.kind.value},
        as_json,
        organization.id,
    )


@users_app.command("create")
def create_user(
    org: str = typer.Option(..., "--org", help="Organization id."),
    email: str = typer.Option(..., help="Sign-in email."),
    role: UserRole = typer.Option(..., help="owner, admin or member."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (never from the command line)."
    ),
    first_name: str = typer.Option("", help="First name."),
    last_name: str = typer.Option("", help="Last name."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Create a user with an Argon2-hashed password."""
    if not password_stdin:
        fail("pass --password-stdin and send the password on standard input")
    password = sys.stdin.readline().rstrip("\r\n")
    user = run(
        lambda session, _s: service.create_user(
            session,
            organization_id=org,
            email=email,
            password=password,
            role=role,
            first_name=first_name,
            last_name=last_name,
            now=utcnow(),
        )
    )
    emit({"id": user.id, "email": user.email, "role": user.role.value}, as_json, user.id)
