"""How every command speaks: one `error:` line on stderr and a non-zero exit, or its result on stdout.

Kept free of server imports, so that the partner-side commands (`keygen`, `request`) can use it and still start
at once."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def emit(payload: dict[str, Any], as_json: bool, human: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload, default=str) + "\n")
    else:
        typer.echo(human)
