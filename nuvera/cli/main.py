from __future__ import annotations

import typer

from nuvera.cli import apps, audit, client, directory, review, server
from nuvera.cli.crypto import crypto_app
from nuvera.cli.payments import payments_app
from nuvera.cli.screening import screening_app
from nuvera.cli.support import support_app

app = typer.Typer(name="nuvera", help="Nuvera payment platform.", no_args_is_help=True, pretty_exceptions_enable=False)
app.command("serve")(server.serve)
app.command("keygen")(client.keygen)
app.command("request")(client.request)
app.add_typer(server.db_app, name="db")
app.add_typer(directory.orgs_app, name="orgs")
app.add_typer(directory.users_app, name="users")
app.add_typer(apps.apps_app, name="apps")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(review.review_app, name="review")
app.add_typer(payments_app, name="payments")
app.add_typer(screening_app, name="screening")
app.add_typer(support_app, name="support")
app.add_typer(crypto_app, name="crypto")


def main() -> None:
    app()
