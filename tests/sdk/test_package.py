"""The SDK is a package of its own: it builds as a wheel alone, imports nothing from the platform, and its types
are the ones the served OpenAPI document describes."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from nuvera.app import create_app
from nuvera.config import Settings

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk" / "python"
PACKAGE = SDK / "src" / "nuvera_client"
RUFF = Path(sys.executable).with_name("ruff")


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_no_sdk_module_imports_the_platform() -> None:
    sources = sorted(PACKAGE.glob("*.py"))
    assert len(sources) >= 6
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in _imported_modules(path) if m.split(".")[0] == "nuvera")
        for path in sources
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.slow
def test_the_wheel_builds_alone_and_imports_without_the_platform(tmp_path: Path) -> None:
    # An isolated build from sdk/python only (its own pyproject and build backend), as a partner would run it.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path), str(SDK)],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("nuvera_client-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "unpacked")
    assert "nuvera_client/py.typed" in names
    assert "nuvera_client/types.py" in names
    assert not [n for n in names if n.startswith("nuvera/")]
    # Import every module of the built wheel with the platform made unimportable: any `import nuvera` would fail.
    probe = (
        "import sys, pkgutil, importlib\n"
        "sys.modules['nuvera'] = None\n"
        "import nuvera_client\n"
        f"assert nuvera_client.__file__.startswith({str(tmp_path / 'unpacked')!r}), nuvera_client.__file__\n"
        "for m in pkgutil.iter_modules(nuvera_client.__path__): importlib.import_module('nuvera_client.' + m.name)\n"
        "assert not [m for m, v in sys.modules.items() if v is not None and m.split('.')[0] == 'nuvera']\n"
        "print(nuvera_client.__version__, len(nuvera_client.OPERATIONS))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(tmp_path / "unpacked"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "0.2.0"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_types", SDK / "tools" / "generate_types.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sdk_types_match_the_served_openapi_document(settings: Settings) -> None:
    generated = _generator().render(create_app(settings).openapi())
    formatted = subprocess.run(
        [str(RUFF), "format", "--stdin-filename", str(PACKAGE / "types.py"), "-"],
        input=generated,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    committed = (PACKAGE / "types.py").read_text()
    assert formatted == committed, (
        "sdk/python/src/nuvera_client/types.py is stale: run `.venv/bin/python sdk/python/tools/generate_types.py "
        "--from-app > sdk/python/src/nuvera_client/types.py && .venv/bin/ruff format sdk/python`"
    )
