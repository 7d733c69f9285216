"""The `autodiff` command: graph, check, taylor, minimize (in-process), usage errors, demo without dot."""

import math
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from autodiff.cli import main

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
PNG = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_graph_prints_value_gradients_and_dot(capsys):
    status, out, _ = run(capsys, "graph", "sin(x) * y + x**2", "--at", "x=1,y=2")
    assert status == 0
    printed = {line.split("=")[-2].split()[-1]: float(line.split("=")[-1]) for line in out.splitlines()[:3]}
    assert printed["x**2"] == pytest.approx(math.sin(1) * 2 + 1, rel=1e-9)  # the line "f = ... = value"
    assert printed["df/dx"] == pytest.approx(2 * math.cos(1) + 2, rel=1e-9)  # y cos x + 2x
    assert printed["df/dy"] == pytest.approx(math.sin(1), rel=1e-9)
    dot = out[out.index("digraph"):]
    assert "<b>x</b>" in dot and "<b>y</b>" in dot and "<b>f</b>" in dot
    assert dot.count("grad ") == 6  # every tensor: x, y, sin x, y sin x, x**2, f
    assert "label=sin" in dot and "label=power" in dot


@needs_dot
def test_graph_writes_an_svg(capsys, tmp_path):
    status, out, _ = run(capsys, "graph", "x * y", "--at", "x=3,y=4", "-o", str(tmp_path / "g.svg"))
    assert status == 0 and "wrote" in out
    assert ET.parse(tmp_path / "g.svg").getroot().tag.endswith("svg")


def test_graph_without_dot_writes_the_dot_file_and_says_how(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    status, out, err = run(capsys, "graph", "x * y", "--at", "x=3,y=4", "-o", str(tmp_path / "g.svg"))
    assert status == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert "apt-get install graphviz" in err and "dot -Tsvg" in err


def test_check_table_and_hessian(capsys):
    status, out, _ = run(capsys, "check", "x**2 * exp(y)", "--at", "x=1,y=0", "--hessian")
    assert status == 0
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith(("df/", "d2f/"))}
    assert float(lines["df/dx"][1]) == pytest.approx(2.0)  # 2x e^y
    assert float(lines["df/dy"][1]) == pytest.approx(1.0)  # x² e^y
    assert float(lines["d2f/dxdy"][1]) == pytest.approx(2.0)
    assert float(lines["d2f/dydy"][1]) == pytest.approx(1.0)
    assert float(lines["d2f/dxdx"][2]) == pytest.approx(2.0, rel=1e-6)  # the finite-difference column
    assert "OK" in out


def test_check_plots_the_error_against_the_step(capsys, tmp_path):
    status, _, _ = run(capsys, "check", "exp(x) * y", "--at", "x=0.5,y=2", "--plot", str(tmp_path / "s.png"))
    assert status == 0 and (tmp_path / "s.png").read_bytes().startswith(PNG)


def test_check_exits_1_when_finite_differences_disagree(capsys):
    # central differences straddle the kink of |x| at a point closer to it than the step
    status, out, _ = run(capsys, "check", "abs(x)", "--at", "x=1e-9")
    assert status == 1 and "MISMATCH" in out


def test_taylor_coefficients_of_exp_and_sin(capsys):
    status, out, _ = run(capsys, "taylor", "exp(x)", "--at", "x=0", "--order", "5")
    rows = [line.split() for line in out.splitlines() if line[:1].isdigit()]
    assert [float(r[2]) for r in rows] == pytest.approx([1 / math.factorial(k) for k in range(6)])
    assert status == 0
    _, out, _ = run(capsys, "taylor", "sin(x)", "--at", "x=0", "--order", "5")
    assert "T5(x) = x - 0.166667*x**3 + 0.00833333*x**5" in out
    _, out, _ = run(capsys, "taylor", "x**2", "--at", "x=1", "--order", "4")
    assert "T4(x) = 1 + 2*(x - 1) + (x - 1)**2" in out  # the series of a polynomial ends


def test_taylor_plot(capsys, tmp_path):
    status, out, _ = run(capsys, "taylor", "cos(x)", "--at", "x=0.5", "--order", "6", "--plot",
                         str(tmp_path / "t.png"))
    assert status == 0 and (tmp_path / "t.png").read_bytes().startswith(PNG)


def test_minimize_rosenbrock_with_newton_and_plot(capsys, tmp_path):
    status, out, _ = run(capsys, "minimize", "(1-x)**2 + 100*(y-x**2)**2", "--from", "x=-1.2,y=1",
                         "--method", "newton", "--plot", str(tmp_path / "p.png"))
    assert status == 0 and "converged" in out
    x_star = out[out.index("x* = "):].split()
    assert float(x_star[2].split("=")[1].rstrip(",")) == pytest.approx(1.0, abs=1e-6)
    assert float(x_star[3].split("=")[1]) == pytest.approx(1.0, abs=1e-6)
    assert (tmp_path / "p.png").read_bytes().startswith(PNG)


def test_minimize_one_variable_plot(capsys, tmp_path):
    status, out, _ = run(capsys, "minimize", "x**4 - 3*x", "--from", "x=2", "--method", "bfgs", "--plot",
                         str(tmp_path / "p.png"))
    assert status == 0
    assert float(out.split("x* = x=")[1].split()[0]) == pytest.approx((3 / 4) ** (1 / 3), abs=1e-6)
    assert (tmp_path / "p.png").read_bytes().startswith(PNG)


@pytest.mark.parametrize("argv, fragment", [
    (["graph", "x.real", "--at", "x=1"], "attribute access"),
    (["graph", "__import__('os')", "--at", "x=1"], "unknown function '__import__'"),
    (["graph", "x + y", "--at", "x=1"], "needs a value for y"),
    (["graph", "x + y", "--at", "x=1,y=2,z=3"], "z not in the expression"),
    (["graph", "x", "--at", "x=one"], "'one' is not a number"),
    (["graph", "2 + 3", "--at", "x=1"], "no variables"),
    (["check", "x*y", "--at", "1,2,3"], "more values than variables"),
    (["taylor", "x*y", "--at", "x=0"], "one variable"),
    (["taylor", "exp(x)", "--at", "x=0", "--order", "99"], "--order"),
    (["minimize", "x+y+z", "--from", "x=1,y=1,z=1", "--plot", "p.png"], "one or two variables"),
    (["minimize", "x**2", "--from", "x=1", "--method", "sgd"], "invalid choice"),
    (["demo", "--epochs", "0"], "positive integer"),
    (["demo", "--dataset", "mnist"], "invalid choice"),
    (["graph"], "required"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
    (["minimize", "x**2", "--from", "x=1", "--method", "newton", "--lr", "0.1"], "--lr sets the step"),
])
def test_bad_usage_exits_2_with_a_message(capsys, argv, fragment):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert fragment in capsys.readouterr().err


@pytest.mark.parametrize("command, option", [(None, "COMMAND"), ("demo", "--dataset"), ("graph", "--at"),
                                             ("check", "--hessian"), ("taylor", "--order"),
                                             ("minimize", "--method")])
def test_every_command_has_help(capsys, command, option):
    with pytest.raises(SystemExit) as info:
        main(([command] if command else []) + ["--help"])
    assert info.value.code == 0
    assert option in capsys.readouterr().out


def test_the_installed_console_script_runs():
    script = shutil.which("autodiff")
    if script is None:
        pytest.skip("the autodiff console script is not installed (pip install -e .)")
    done = subprocess.run([script, "graph", "x", "--at", "x=1", "--rankdir", "diagonal"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_demo_finishes_without_dot_writing_the_dot_file(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    status, out, err = run(capsys, "demo", "--epochs", "2", "--dataset", "xor", "--out", str(tmp_path))
    assert status == 0 and "final accuracy" in out
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    assert not (tmp_path / "graph.svg").exists()
    assert "apt-get install graphviz" in err and f"dot -Tsvg {tmp_path / 'graph.dot'}" in err
    assert (tmp_path / "loss.png").read_bytes().startswith(PNG)
    assert (tmp_path / "decision_boundary.png").read_bytes().startswith(PNG)


def test_graph_of_a_lone_variable_keeps_its_name(capsys):
    status, out, _ = run(capsys, "graph", "x", "--at", "x=1")
    assert status == 0 and "df/dx = 1" in out and "<b>x</b>" in out


def test_without_matplotlib_plots_are_refused_with_how_to_install(capsys, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes `import matplotlib.figure` fail
    with pytest.raises(SystemExit) as info:
        main(["taylor", "exp(x)", "--at", "x=0", "--plot", str(tmp_path / "t.png")])
    assert info.value.code == 2
    assert "pip install" in capsys.readouterr().err and not (tmp_path / "t.png").exists()
