from __future__ import annotations

import typer

from nuvera.cli import apps, client, directory, server

app = typer.Typer(name="nuvera", help="Nuvera payment platform.", no_args_is_help=True, pretty_exceptions_enable=False)
app.command("serve")(server.serve)
app.command("keygen")(client.keygen)
app.command("request")(client.request)
app.add_typer(server.db_app, name="db")
app.add_typer(directory.orgs_app, name="orgs")
app.add_typer(directory.users_app, name="users")
app.add_typer(apps.apps_app, name="apps")


def main() -> None:
    app()
