"""`nuvera serve` and `nuvera db upgrade`."""

from __future__ import annotations

import logging

import typer
import uvicorn

from nuvera import migrate
from nuvera.cli.common import fail, load_settings, run
from nuvera.demo import DEMO_PASSWORD, ensure_demo_data

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all pending migrations (safe to run before starting new workers)."""
    settings = load_settings()
    migrate.upgrade(settings.resolved_database_url)
    typer.echo("schema is up to date", err=True)


def serve(
    host: str = typer.Option(None, help="Interface to bind (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to listen on (default 45000)."),
    demo: bool = typer.Option(False, "--demo", help="Create demo organizations and users if absent."),
) -> None:
    """Upgrade the schema, then serve the API, web app and reference."""
    settings = load_settings()
    if demo and settings.env == "production":
        fail("--demo is refused when NUVERA_ENV=production")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    migrate.upgrade(settings.resolved_database_url)
    if demo:
        created = run(lambda session, _settings: ensure_demo_data(session))
        typer.echo(
            f"demo data {'created' if created else 'present'}: sign in as demo@nuvera.example or "
            f"admin@nuvera.example with password {DEMO_PASSWORD}",
            err=True,
        )
    uvicorn.run(
        "nuvera.app:app_from_environment",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        proxy_headers=False,
    )
