"""The command line only parses and dispatches: commands that need nn/optim come by entry point."""

import argparse
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from autodiff import cli
from autodiff.cli import Command, main, registry

ROOT = Path(__file__).resolve().parents[2]


def declared():
    """The entry points pyproject.toml declares for the autodiff command."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["entry-points"][registry.GROUP]


def test_pyproject_registers_demo_and_minimize_from_optim_and_each_loads_to_a_command():
    assert declared() == {"demo": "optim.commands:demo", "minimize": "optim.commands:minimize"}
    for name, value in declared().items():
        assert isinstance(registry.load(EntryPoint(name, value, registry.GROUP)), Command)


def test_the_checkout_declarations_are_found_even_if_the_install_is_older():
    found = registry.registered()  # whatever the installed metadata says, the checkout's file counts
    assert {name: entry.value for name, entry in found.items() if name in declared()} == declared()


def fake_registry(monkeypatch, **entries):
    monkeypatch.setattr(registry, "registered",
                        lambda: {name: EntryPoint(name, value, registry.GROUP) for name, value in entries.items()})


def test_a_command_from_a_missing_package_says_so_and_the_others_still_work(capsys, monkeypatch):
    fake_registry(monkeypatch, demo="no_such_package.commands:demo")
    with pytest.raises(SystemExit) as info:
        main(["demo", "--epochs", "2"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "Traceback" not in err
    assert err.startswith("autodiff demo: error: the demo command is registered by no_such_package.commands:demo")
    assert "No module named 'no_such_package'" in err and 'pip install -e ".[dev]"' in err
    assert main(["graph", "x", "--at", "x=1"]) == 0  # autodiff's own commands need no other package
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "(cannot be loaded: see autodiff demo)" in capsys.readouterr().out


def test_an_entry_point_that_is_not_a_command_is_refused_by_name(capsys, monkeypatch):
    fake_registry(monkeypatch, hello="autodiff.cli.formulas:BUILTIN")
    with pytest.raises(SystemExit):
        main(["hello"])
    assert "it is a dict, not an autodiff.cli.Command" in capsys.readouterr().err


def test_another_package_can_add_a_command(capsys, monkeypatch):
    fake_registry(monkeypatch, derivative="autodiff.cli.formulas:graph")  # any Command, under a new name
    assert main(["derivative", "x**2", "--at", "x=3"]) == 0
    assert "df/dx = 6" in capsys.readouterr().out


def test_autodiff_own_commands_cannot_be_replaced(capsys, monkeypatch):
    fake_registry(monkeypatch, graph="no_such_package:graph")
    assert main(["graph", "x", "--at", "x=1"]) == 0


def test_only_the_command_asked_for_is_imported():
    code = ("import sys; from autodiff.cli import main; main(['graph', 'x', '--at', 'x=1']); "
            "print(sorted(m for m in ('nn', 'optim') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_python_m_autodiff_cli_dispatches_to_optim():
    done = subprocess.run([sys.executable, "-m", "autodiff.cli", "minimize", "x**2 - 2*x", "--from", "x=0"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "x* = x=1" in done.stdout


def test_demo_from_python_is_found_through_the_entry_point(monkeypatch, tmp_path, capsys):
    calls = []
    fake = Command("", "", lambda parser: None, lambda args: 0, function=lambda *a, **k: calls.append((a, k)) or 0.5)
    monkeypatch.setattr(registry, "load", lambda entry: fake)
    assert cli.demo("xor", 3, tmp_path, seed=1) == 0.5
    assert calls == [(("xor", 3, tmp_path), {"seed": 1})]


def test_a_command_record_runs_on_parsed_options():
    parser = argparse.ArgumentParser()
    cli.formulas.graph.add_arguments(parser)
    args = parser.parse_args(["  x * 2 ", "--at", "x=pi"])
    assert args.expression == "x * 2" and args.at == "x=pi"
