"""`nuvera orgs …` and `nuvera users …`: operator commands for organizations and users.

The team commands go through `nuvera.accounts.team`, the rules of the web app's Team page (the last owner stays,
every change is audited), acting as the operator. One-time links are printed on stdout, once, for the operator to
pass on; the log only says that a link was issued."""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer
from sqlalchemy.orm import Session

from nuvera.accounts import team
from nuvera.audit.actor import Actor
from nuvera.cli.common import JSON_OPTION, REASON_OPTION, run
from nuvera.cli.output import emit, fail
from nuvera.clock import utcnow
from nuvera.config import Settings
from nuvera.organizations import service
from nuvera.organizations.models import OrganizationKind, UserRole

orgs_app = typer.Typer(help="Organizations.", no_args_is_help=True)
users_app = typer.Typer(help="Users: create, invite, roles, removal, unlock, reset.", no_args_is_help=True)


@orgs_app.command("create")
def create_org(
    name: str = typer.Option(..., help="Display name."),
    kind: OrganizationKind = typer.Option(..., help="partner, customer_platform or admin."),
    as_json: bool = JSON_OPTION,
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
    as_json: bool = JSON_OPTION,
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


@users_app.command("list")
def list_users(
    org: str = typer.Option(..., "--org", help="Organization id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List an organization's users: role, invited or active, locked out, two-factor."""

    def action(session: Session, settings: Settings) -> list[dict[str, object]]:
        service.get_organization(session, org)
        members = team.list_members(session, org, secret=settings.hmac_secret, now=utcnow())
        return [
            {
                "id": m.id,
                "email": m.email,
                "role": m.role,
                "status": "invited" if m.invited else "active",
                "locked": m.locked,
                "twoFactor": m.two_factor,
            }
            for m in members
        ]

    rows = run(action)
    if as_json:
        emit({"items": rows}, True, "")
        return
    for row in rows:
        flags = " ".join(f for f, on in (("locked", row["locked"]), ("2fa", row["twoFactor"])) if on)
        typer.echo(f"{row['email']}\t{row['role']}\t{row['status']}\t{flags}".rstrip())


@users_app.command("invite")
def invite_user(
    org: str = typer.Option(..., "--org", help="Organization id."),
    email: str = typer.Option(..., help="The invitee's email."),
    role: UserRole = typer.Option(UserRole.MEMBER, help="owner, admin or member."),
    reason: str | None = REASON_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Invite a user: prints the one-time link (valid 7 days) with which they set their password."""

    def action(session: Session, settings: Settings) -> dict[str, object]:
        user, link = team.invite(
            session,
            actor=Actor.operator(reason),
            organization_id=org,
            email=email,
            role=role,
            secret=settings.hmac_secret,
            base_url=settings.resolved_public_url,
            now=utcnow(),
        )
        return {
            "id": user.id,
            "email": user.email,
            "role": user.role.value,
            "link": link.url,
            "expiresAt": link.expires_at,
        }

    result = run(action)
    emit(result, as_json, str(result["link"]))


EMAIL_OPTION = typer.Option(..., help="The user's email.")


def _run_on_user(email: str, action: Callable[[Session, Settings, str, str], dict[str, object]]) -> dict[str, object]:
    """Run `action(session, settings, organization_id, user_id)` on the user with this email, in one transaction."""

    def on_user(session: Session, settings: Settings) -> dict[str, object]:
        user = team.find_by_email(session, email)
        return action(session, settings, user.organization_id, user.id)

    return run(on_user)


@users_app.command("set-role")
def set_role(
    email: str = EMAIL_OPTION,
    role: UserRole = typer.Option(..., help="owner, admin or member."),
    reason: str | None = REASON_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a user's role (the organization's last owner stays an owner)."""

    def action(session: Session, _settings: Settings, org: str, user_id: str) -> dict[str, object]:
        user = team.set_role(
            session, actor=Actor.operator(reason), organization_id=org, user_id=user_id, role=role, now=utcnow()
        )
        return {"id": user.id, "email": user.email, "role": user.role.value}

    result = _run_on_user(email, action)
    emit(result, as_json, f"{result['email']} is now {result['role']}")


@users_app.command("remove")
def remove_user(email: str = EMAIL_OPTION, reason: str | None = REASON_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Remove a user and end their sessions at once (not the organization's last owner)."""

    def action(session: Session, _settings: Settings, org: str, user_id: str) -> dict[str, object]:
        removed = team.remove(session, actor=Actor.operator(reason), organization_id=org, user_id=user_id, now=utcnow())
        return {"id": user_id, "email": removed, "removed": True}

    result = _run_on_user(email, action)
    emit(result, as_json, f"removed {result['email']}")


@users_app.command("unlock")
def unlock_user(email: str = EMAIL_OPTION, reason: str | None = REASON_OPTION, as_json: bool = JSON_OPTION) -> None:
    """End a sign-in lockout (too many failed attempts) now."""

    def action(session: Session, settings: Settings, org: str, user_id: str) -> dict[str, object]:
        user = team.unlock(
            session, actor=Actor.operator(reason), organization_id=org, user_id=user_id, secret=settings.hmac_secret,
            now=utcnow(),
        )  # fmt: skip
        return {"id": user.id, "email": user.email, "unlocked": True}

    result = _run_on_user(email, action)
    emit(result, as_json, f"unlocked {result['email']}")


@users_app.command("reset-password")
def reset_password(email: str = EMAIL_OPTION, reason: str | None = REASON_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Print a one-time link (valid 1 hour) with which the user sets a new password; earlier links stop working."""

    def action(session: Session, settings: Settings, org: str, user_id: str) -> dict[str, object]:
        user, link = team.issue_reset_link(
            session,
            actor=Actor.operator(reason),
            organization_id=org,
            user_id=user_id,
            secret=settings.hmac_secret,
            base_url=settings.resolved_public_url,
            now=utcnow(),
        )
        return {"id": user.id, "email": user.email, "link": link.url, "expiresAt": link.expires_at}

    result = _run_on_user(email, action)
    emit(result, as_json, str(result["link"]))
