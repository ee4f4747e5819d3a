"""The import contract (pyproject.toml, `[tool.importlinter]`) holds on the tree, and catches what it is for.

`make lint` runs `lint-imports` on the real tree; these tests run the same command on a copy of `nuvera` with one
planted import each, so the contract is shown to fail on exactly the two things it exists to forbid: a cycle between
packages and an import from a lower layer into a higher one. They run the command in a subprocess (grimp finds the
package to analyse by importing its name, and this process has already imported the real one).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(source_root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=source_root,
        env={"PYTHONPATH": str(source_root), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy_with(tmp_path: Path, plants: dict[str, str]) -> Path:
    """A copy of the package's Python files with `line` appended to each named module."""

    def not_python(directory: str, names: list[str]) -> list[str]:
        skipped = [n for n in names if not n.endswith(".py") and not (Path(directory) / n).is_dir()]
        return [*skipped, "__pycache__"]

    shutil.copytree(ROOT / "nuvera", tmp_path / "nuvera", ignore=not_python)
    for module, line in plants.items():
        path = tmp_path / "nuvera" / module
        path.write_text(path.read_text() + f"\n{line}  # planted\n")
    return tmp_path


def test_the_tree_keeps_the_contract() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_a_planted_cycle_between_packages_is_reported(tmp_path: Path) -> None:
    # jobs and audit share a layer whose members may import each other (`:`), so only the cycle is wrong here.
    root = _copy_with(
        tmp_path, {"audit/service.py": "import nuvera.jobs.service", "jobs/service.py": "import nuvera.audit.service"}
    )
    result = _lint_imports(root)
    assert result.returncode == 1
    assert "No import cycles between packages BROKEN" in result.stdout
    assert "Layers: " in result.stdout
    assert "foundation KEPT" in result.stdout.replace("\n", " ")
    assert ".audit -> .jobs" in result.stdout or ".jobs -> .audit" in result.stdout


def test_a_planted_upward_import_is_reported(tmp_path: Path) -> None:
    # http_protocol (platform plumbing) importing demo (an entry-point helper): upward, but closes no cycle (demo
    # reaches the foundation modules through the areas, so one of those would plant a cycle as well).
    root = _copy_with(tmp_path, {"http_protocol.py": "import nuvera.demo"})
    result = _lint_imports(root)
    assert result.returncode == 1
    assert "No import cycles between packages KEPT" in result.stdout
    assert "nuvera.http_protocol is not allowed to import nuvera.demo" in result.stdout
