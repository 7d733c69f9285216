"""docs/errors.md is what ``python docs/make_errors.py`` writes from the bad-input tables today.

The tables are tests/autodiff/bad_inputs.py (with the command line's ``CLI_CASES``), tests/nn/bad_inputs.py
and tests/optim/bad_inputs.py; the page lists their rows together, so their ids must be unique across all.
Nothing here writes into the source tree: the page is compared, and the script is tried on a copy.
"""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "make_errors.py"


@pytest.fixture(scope="module")
def make_errors():
    spec = importlib.util.spec_from_file_location("make_errors", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(make_errors) -> str:
    return make_errors.render()


def test_case_ids_are_unique_across_the_tables(make_errors):
    ids = [bad.id for _, cases in make_errors.TABLES for bad in cases] + [c[0] for c in make_errors.CLI_CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_errors_md_is_up_to_date(make_errors, rendered):
    current = make_errors.ERRORS_MD.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(current.splitlines(keepends=True), rendered.splitlines(keepends=True),
                                        "docs/errors.md", "python docs/make_errors.py", n=0))
    assert current == rendered, f"docs/errors.md is out of date: run python docs/make_errors.py\n{diff[:3000]}"


def test_the_script_checks_and_writes_a_page(make_errors, rendered, tmp_path, capsys):
    page = tmp_path / "errors.md"
    page.write_text(rendered.replace("| `add-shapes` |", "| `add-shapes-renamed` |"), encoding="utf-8")
    assert make_errors.main([str(page), "--check"]) == 1  # a stale page is found, and left alone
    assert "add-shapes-renamed" in capsys.readouterr().out and "add-shapes-renamed" in page.read_text()
    assert make_errors.main([str(page)]) == 0
    assert page.read_text(encoding="utf-8") == rendered
    assert make_errors.main([str(page), "--check"]) == 0
