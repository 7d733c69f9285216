"""Dependencies flow one way, optim -> nn -> autodiff: the import-linter contracts of pyproject.toml hold.

``.ci/run`` runs ``lint-imports`` as well; this test makes the README's ``pytest`` check it too.
"""

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a file imports, anywhere in it (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package, forbidden", [("autodiff", {"nn", "optim"}), ("nn", {"optim"})])
def test_no_file_imports_a_package_above_its_own(package, forbidden):
    offenders = {str(path.relative_to(ROOT)): sorted(imported_packages(path) & forbidden)
                 for path in sorted((ROOT / package).rglob("*.py")) if imported_packages(path) & forbidden}
    assert offenders == {}


def test_import_linter_contracts_are_kept():
    if shutil.which("lint-imports") is None:
        pytest.skip('import-linter is not installed (pip install -e ".[dev]")')
    done = subprocess.run(["lint-imports", "--no-cache"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
