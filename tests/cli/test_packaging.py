"""`pip install .` of the repository alone gives a working `nuvera` command: the one wheel carries the platform and
the SDK (`nuvera_client`) that `nuvera request` signs with.

The wheel is built from a copy of the sources (a stale `build/` directory in the checkout cannot leak into it) and
installed with `--no-deps` into a fresh virtual environment. For speed and to work offline, that environment
reaches the third-party dependencies through a .pth line naming this environment's site-packages: a plain path
line, so the development install's own .pth files (its editable `nuvera` and `nuvera_client`) are not run, and
every module of ours must come from the wheel — which the test checks module by module."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from nuvera.auth.permissions import Permission
from tests.harness import Factory, private_pem

ROOT = Path(__file__).resolve().parents[2]

# Imports every module of both packages in the fresh environment and fails unless each comes from its
# site-packages, i.e. from the wheel.
IMPORT_EVERYTHING = """
import importlib, pkgutil, sys, sysconfig
site = sysconfig.get_path("purelib")
count = 0
for package in ("nuvera", "nuvera_client"):
    root = importlib.import_module(package)
    assert root.__file__.startswith(site), root.__file__
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        # Alembic's env.py migrates when imported (`nuvera db upgrade` runs it below); __main__ runs the command.
        if info.name.startswith("nuvera.migrations.") or info.name.endswith(".__main__"):
            continue
        module = importlib.import_module(info.name)
        assert module.__file__.startswith(site), module.__file__
        count += 1
print(count)
"""


def _copy_sources(destination: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info", "dist")
    destination.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, destination / name)
    shutil.copytree(ROOT / "nuvera", destination / "nuvera", ignore=ignore)
    shutil.copytree(ROOT / "sdk" / "python", destination / "sdk" / "python", ignore=ignore)
    return destination


def _fresh_environment(directory: Path, wheel: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(directory)], check=True, timeout=120)
    python = directory / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         str(wheel)],
        check=True,
        timeout=300,
    )  # fmt: skip
    return directory / "bin"


@pytest.mark.slow
def test_the_repository_wheel_alone_gives_a_working_nuvera_command(factory: Factory, tmp_path: Path) -> None:
    sources = _copy_sources(tmp_path / "src")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path / "dist"),
         str(sources)],
        check=True,
        timeout=300,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("nuvera-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert "nuvera = nuvera.cli:main" in archive.read(entry_points).decode()
    assert {"nuvera/cli/main.py", "nuvera_client/signing.py", "nuvera_client/py.typed"} <= names
    assert "nuvera/migrations/env.py" in names

    bin_dir = _fresh_environment(tmp_path / "venv", wheel)
    # No PYTHONPATH and a working directory outside the checkout: only the wheel can provide our code.
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "NUVERA_VAR_DIR": str(tmp_path / "var")}

    def run(*command: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(command), env={**env, **(extra or {})}, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )

    imported = run(str(bin_dir / "python"), "-c", IMPORT_EVERYTHING)
    assert imported.returncode == 0, imported.stderr
    assert int(imported.stdout) > 50

    helped = run("nuvera", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "request" in helped.stdout
    assert "keygen" in helped.stdout

    upgraded = run("nuvera", "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr

    partner = factory.partner([Permission.CRYPTO_READ])
    key_file = tmp_path / "private.pem"
    key_file.write_text(private_pem(partner.private_key))
    signed = run(
        "nuvera", "request", "GET", "/api/v1/crypto/assets/BTC",
        extra={"NUVERA_API_KEY": partner.api_key, "NUVERA_PRIVATE_KEY_FILE": str(key_file),
               "NUVERA_BASE_URL": partner.base_url},
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["decimals"] == 8


def test_the_platform_pins_satisfy_the_sdk_it_ships() -> None:
    """The wheel carries nuvera_client but not its pyproject: the platform's exact pins must meet every range the
    SDK declares (an extra's packages included, e.g. pyjwt[crypto] needs cryptography)."""
    platform = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    sdk = tomllib.loads((ROOT / "sdk" / "python" / "pyproject.toml").read_text())["project"]["dependencies"]
    pins: dict[str, str] = {}
    for line in platform:
        requirement = Requirement(line)
        (pin,) = requirement.specifier
        assert pin.operator == "==", line
        pins[canonicalize_name(requirement.name)] = pin.version
    extra_packages = {"pyjwt": {"crypto": ["cryptography"]}}
    for line in sdk:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"the SDK needs {requirement.name}, which the platform does not pin"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside the SDK's {line!r}"
        for extra in requirement.extras:
            for package in extra_packages[name][extra]:
                assert package in pins, f"{line} needs {package}, which the platform does not pin"
