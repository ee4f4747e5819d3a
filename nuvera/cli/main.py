"""The top of the `nuvera` command: a table of commands whose modules are imported only when one of them runs.

Why lazy: the operator commands import the whole server (SQLAlchemy models, FastAPI, FollowTheMoney for
screening), which took seconds before `--help` printed a line. Now `nuvera --help` imports typer and this file,
and `nuvera request` imports the SDK and `nuvera.cli.client`, nothing of the server
(tests/cli/test_lazy_commands.py holds both to that).

To add a command, add a row to COMMANDS: the module and attribute (a function for a single command, a
`typer.Typer` for a group) and the one-line help shown by `nuvera --help`, which must be the first paragraph of the
command's own help (a test compares them).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
import typer.main
from typer import _click  # typer carries its own copy of click; its Context and Command types live here
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo


@dataclass(frozen=True)
class LazyCommand:
    target: str  # "module:attribute"
    help: str


COMMANDS: dict[str, LazyCommand] = {
    "serve": LazyCommand(
        "nuvera.cli.server:serve", "Serve the API, web app and reference. Outside production, upgrade the schema first."
    ),
    "keygen": LazyCommand(
        "nuvera.cli.client:keygen",
        "Generate an RSA signing key pair: private.pem (PKCS#8) stays with you, public.pem goes to Nuvera.",
    ),
    "request": LazyCommand(
        "nuvera.cli.client:request",
        "Sign and send one request, then print the response body (exit 1 on an HTTP error status).",
    ),
    "worker": LazyCommand(
        "nuvera.cli.worker:worker",
        "Run background jobs (sanctions screening) until stopped; start one or more beside the API processes.",
    ),
    "jobs": LazyCommand("nuvera.cli.worker:jobs_app", "Background jobs."),
    "db": LazyCommand("nuvera.cli.server:db_app", "Database schema."),
    "orgs": LazyCommand("nuvera.cli.directory:orgs_app", "Organizations."),
    "users": LazyCommand("nuvera.cli.directory:users_app", "Users: create, invite, roles, removal, unlock, reset."),
    "apps": LazyCommand("nuvera.cli.apps:apps_app", "API applications."),
    "audit": LazyCommand("nuvera.cli.audit:audit_app", "Audit history."),
    "review": LazyCommand("nuvera.cli.review:review_app", "Review decisions on customers (and beneficiaries)."),
    "payments": LazyCommand("nuvera.cli.payments:payments_app", "Payments."),
    "screening": LazyCommand(
        "nuvera.cli.screening:screening_app", "Sanctions screening: dispositions, re-screening, the dataset."
    ),
    "support": LazyCommand("nuvera.cli.support:support_app", "Support tickets (Nuvera side)."),
    "crypto": LazyCommand("nuvera.cli.crypto:crypto_app", "Crypto reference data (assets and networks)."),
}


class LazyGroup(TyperGroup):
    """Lists COMMANDS from the table; imports a command's module when it is resolved to run (or for its help)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._loaded: dict[str, _click.Command] = {}
        self._listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in COMMANDS if name not in eager)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in COMMANDS:
            return command
        if cmd_name in self._loaded:
            return self._loaded[cmd_name]
        if self._listing:
            # A row of this group's own help needs only the name and the line; loading every module for it is
            # exactly the cost this class exists to avoid.
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name].help, rich_markup_mode=self.rich_markup_mode)
        self._loaded[cmd_name] = self._load(cmd_name)
        return self._loaded[cmd_name]

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def _load(self, name: str) -> _click.Command:
        module_name, _, attribute = COMMANDS[name].target.partition(":")
        target = getattr(importlib.import_module(module_name), attribute)
        if isinstance(target, typer.Typer):
            command: _click.Command = typer.main.get_group(target)
        else:
            command = typer.main.get_command_from_info(
                CommandInfo(name=name, callback=target),
                pretty_exceptions_short=True,
                rich_markup_mode=self.rich_markup_mode,
            )
        command.name = name
        return command


app = typer.Typer(
    name="nuvera",
    help="Nuvera payment platform.",
    cls=LazyGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    # A Typer with no registered command needs a callback to become a group; the commands come from COMMANDS.
    pass


def main() -> None:
    app()
