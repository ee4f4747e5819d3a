"""`nuvera` imports only what the invoked command needs: `--help` nothing of ours beyond the command table, the
partner-side commands (`request`, `keygen`) nothing of the server. Each case runs the real command in a fresh
interpreter and reads `sys.modules` as it exits, so an import added anywhere on the path (a module-level import
in a shared helper, in the SDK, in the command table) is caught."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from nuvera.auth.permissions import Permission
from nuvera.cli.main import COMMANDS, LazyGroup, app
from tests.harness import Factory, private_pem

# Third-party packages that only the server needs: the web framework and ASGI server, the ORM and migrations,
# screening (FollowTheMoney, nomenklatura and its name tools), Redis, settings, templates, S3, logging.
SERVER_PACKAGES = {
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "followthemoney",
    "nomenklatura",
    "rigour",
    "redis",
    "pydantic_settings",
    "jinja2",
    "boto3",
    "structlog",
    "prometheus_client",
}
PARTNER_SIDE = {"nuvera", "nuvera.cli", "nuvera.cli.main", "nuvera.cli.output", "nuvera.cli.client"}

# Runs `nuvera ARGS…` as the console script does, then writes the names of every imported module to PATH.
PROBE = """
import atexit, json, sys
path = sys.argv.pop(1)
atexit.register(lambda: open(path, "w").write(json.dumps(sorted(sys.modules))))
sys.argv[0] = "nuvera"
from nuvera.cli import main
main()
"""


def run_recording_imports(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    record = tmp_path / f"modules-{len(list(tmp_path.glob('modules-*')))}.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(record), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done, set(json.loads(record.read_text()))


def ours(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "nuvera" or m.startswith("nuvera.")}


def server_packages(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules} & SERVER_PACKAGES


def test_help_imports_no_command_module(tmp_path: Path) -> None:
    done, modules = run_recording_imports(tmp_path, "--help")
    assert done.returncode == 0, done.stderr
    for name in COMMANDS:
        assert f" {name} " in done.stdout
    assert ours(modules) == {"nuvera", "nuvera.cli", "nuvera.cli.main"}
    assert server_packages(modules) == set()
    assert "nuvera_client" not in modules


def test_request_imports_no_server_module(factory: Factory, tmp_path: Path) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    key_file = tmp_path / "private.pem"
    key_file.write_text(private_pem(partner.private_key))
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "NUVERA_API_KEY": partner.api_key,
        "NUVERA_PRIVATE_KEY_FILE": str(key_file),
        "NUVERA_BASE_URL": partner.base_url,
    }
    ok, modules = run_recording_imports(tmp_path, "request", "-v", "GET", "/api/v1/crypto/assets/BTC", env=env)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["code"] == "BTC"
    assert "nuvera_client" in modules
    assert ours(modules) <= PARTNER_SIDE
    assert server_packages(modules) == set()

    # The error path too: it looks the code up in the error guide, which must stay free of server imports.
    denied, modules = run_recording_imports(tmp_path, "request", "GET", "/api/v1/customers", env=env)
    assert denied.returncode == 1
    assert "fix:" in denied.stderr
    assert ours(modules) <= PARTNER_SIDE | {"nuvera.reference", "nuvera.reference.error_guide"}
    assert server_packages(modules) == set()


def test_keygen_imports_neither_the_server_nor_an_http_client(tmp_path: Path) -> None:
    done, modules = run_recording_imports(tmp_path, "keygen", "--out", str(tmp_path / "keys"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "keys" / "private.pem").exists()
    assert ours(modules) <= PARTNER_SIDE
    assert server_packages(modules) == set()
    assert {"httpx", "nuvera_client"}.isdisjoint(modules)


def test_an_operator_command_still_loads_its_module_when_it_runs(tmp_path: Path) -> None:
    done, modules = run_recording_imports(tmp_path, "apps", "--help")
    assert done.returncode == 0, done.stderr
    assert " keys " in done.stdout
    assert "nuvera.cli.apps" in modules


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_listed_line_is_the_first_paragraph_of_the_commands_own_help(name: str) -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    context = group.make_context("nuvera", [name, "--help"], resilient_parsing=True)
    command = group.get_command(context, name)
    assert command is not None
    assert command.name == name
    first_paragraph = inspect.cleandoc(command.help or "").split("\n\n")[0].replace("\n", " ")
    assert COMMANDS[name].help == first_paragraph


def test_an_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    done, modules = run_recording_imports(tmp_path, "teleport")
    assert done.returncode == 2
    assert "No such command 'teleport'" in done.stderr
    assert ours(modules) == {"nuvera", "nuvera.cli", "nuvera.cli.main"}
