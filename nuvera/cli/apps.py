"""`nuvera apps …`: operator commands for API applications. CLI actions are recorded as operator actions."""

from __future__ import annotations

from pathlib import Path

import typer

from nuvera.applications import service
from nuvera.audit.actor import Actor
from nuvera.cli.common import emit, fail, run
from nuvera.clock import utcnow

apps_app = typer.Typer(help="API applications.", no_args_is_help=True)


def read_public_key_file(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    except UnicodeDecodeError:
        fail(f"{path} is not a text PEM file")


@apps_app.command("create")
def create(
    org: str = typer.Option(..., "--org", help="Partner organization id."),
    name: str = typer.Option(..., help="Application name (1–100 characters)."),
    public_key_file: Path = typer.Option(..., help="RSA public key, PEM 'BEGIN PUBLIC KEY' (SPKI), ≥ 2048 bits."),
    permission: list[str] = typer.Option(..., "--permission", help="A permission to grant; repeat the flag."),
    reason: str = typer.Option(None, help="Why an operator creates it (recorded in the audit history)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Create an application and print its API key — the only time the key is ever shown."""
    pem = read_public_key_file(public_key_file)
    created = run(
        lambda session, settings: service.create_application(
            session,
            actor=Actor.operator(reason),
            organization_id=org,
            name=name,
            public_key_pem=pem,
            permissions=permission,
            hmac_secret=settings.hmac_secret,
            now=utcnow(),
        )
    )
    application = created.application
    emit(
        {
            "id": application.id,
            "apiKey": created.issued.raw,
            "apiKeyId": created.issued.api_key.id,
            "signingKeyFingerprint": created.signing_key.fingerprint,
            "permissions": application.permissions,
        },
        as_json,
        f"application {application.id}\nAPI key (shown only once, store it now): {created.issued.raw}",
    )
