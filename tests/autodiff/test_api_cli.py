"""DESIGN.md's contract for the ``autodiff`` command ("Command line"): every subcommand runs and prints
the right numbers; unsafe expressions are refused. (The command lives in autodiff/cli; ``demo`` trains
with nn and optim through it.)"""

from __future__ import annotations

import pytest

from tests.helpers import run_cli


def said(run) -> str:
    return run.out + run.err


def test_cli_subcommands(tmp_path):
    run = run_cli(["check", "x**2 * exp(y)", "--at", "x=1,y=0.5"])
    assert run.status == 0 and "2" in run.out and "3.29744" in run.out, said(run)  # df/dx = 2x e^y = 3.2974...
    run = run_cli(["taylor", "exp(x)", "--at", "x=0", "--order", "5"])
    assert run.status == 0 and "0.008333" in run.out, said(run)  # 1/5!
    run = run_cli(["minimize", "(1-x)**2 + 100*(y-x**2)**2", "--from", "x=-1.2,y=1", "--method", "newton"])
    assert run.status == 0 and "0.99999" in run.out, said(run)
    run = run_cli(["graph", "sin(x) * y + x**2", "--at", "x=1,y=2", "-o", str(tmp_path / "g.svg")])
    assert run.status == 0 and "3.0806" in run.out, said(run)  # df/dx = y cos x + 2x = 3.0806...
    run = run_cli(["demo", "--help"])
    assert run.status == 0 and all(option in run.out for option in ("--dataset", "--epochs", "--out")), said(run)


def test_cli_refuses_unsafe_or_unknown_expressions():
    run = run_cli(["check", "__import__('os').system('true')", "--at", "x=1"])
    assert run.status == 2 and "__import__" in said(run)
    run = run_cli(["check", "x + nosuchname(x)", "--at", "x=1"])
    assert run.status == 2 and "nosuchname" in said(run)


def test_cli_demo_writes_its_pictures_and_page(tmp_path):
    pytest.importorskip("matplotlib")
    run = run_cli(["demo", "--dataset", "xor", "--epochs", "2", "--out", str(tmp_path)])
    assert run.status in (0, None) and "accuracy" in run.out, said(run)
    for name in ("loss.png", "decision_boundary.png", "graph.svg", "index.html"):
        assert (tmp_path / name).stat().st_size > 0, name
