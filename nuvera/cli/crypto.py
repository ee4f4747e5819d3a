"""`nuvera crypto …`: the crypto reference data behind `/api/v1/crypto` (assets and networks)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from nuvera.cli.common import JSON_OPTION, run
from nuvera.cli.output import emit, fail
from nuvera.crypto import service

crypto_app = typer.Typer(help="Crypto reference data (assets and networks).", no_args_is_help=True)


@crypto_app.command("load")
def load(
    path: Path = typer.Argument(..., help='A JSON file {"networks": […], "assets": […]} as in the bundled one.'),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add or update assets and networks from a file. The whole file is checked first; a refused file changes
    nothing. Entries the file does not name stay as they are."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
    if not isinstance(data, dict):
        fail(f"{path} must hold a JSON object with 'networks' and 'assets' lists")
    networks, assets = run(lambda session, _settings: service.load_reference_data(session, data))
    emit({"networks": networks, "assets": assets}, as_json, f"loaded {networks} network(s) and {assets} asset(s)")
