"""The `autodiff` command: graph, check, taylor, minimize (in-process), usage errors, demo without dot."""

import math
import re
import shutil
import subprocess
import warnings
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


def test_graph_without_dot_draws_the_svg_itself_and_says_so(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    status, out, err = run(capsys, "graph", "x * y", "--at", "x=3,y=4", "-o", str(tmp_path / "g.svg"))
    assert status == 0 and "wrote" in out
    assert ET.parse(tmp_path / "g.svg").getroot().tag.endswith("svg")
    assert "built-in layout" in err


def test_graph_without_dot_or_matplotlib_writes_the_dot_file_and_says_how(capsys, tmp_path, monkeypatch):
    import autodiff.plot

    def no_matplotlib(*args, **kwargs):
        raise ImportError("no matplotlib")

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(autodiff.plot, "layout_picture", no_matplotlib)
    status, out, err = run(capsys, "graph", "x * y", "--at", "x=3,y=4", "-o", str(tmp_path / "g.png"))
    assert status == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert "apt-get install graphviz" in err and "dot -Tpng" in err and "matplotlib" in err


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


def test_demo_finishes_without_dot_with_all_its_pictures(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    status, out, err = run(capsys, "demo", "--epochs", "2", "--dataset", "xor", "--out", str(tmp_path))
    assert status == 0 and "final accuracy" in out
    assert ET.parse(tmp_path / "graph.svg").getroot().tag.endswith("svg")
    assert not (tmp_path / "graph.dot").exists()
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


# ----------------------------------------------------------------------------- rough edges (issue 11, bug 5)
def usage_error(capsys, *argv):
    """(stdout, stderr) of a command that must exit with status 2 and no traceback."""
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    assert info.value.code == 2, err
    assert "Traceback" not in err
    return out, err


@pytest.mark.parametrize("argv, formats", [
    (["graph", "x*y", "--at", "x=1,y=2", "-o", "graph.jpeg2"], ".svg, .png, .pdf, .jpg, .jpeg, .dot or .gv"),
    (["graph", "x*y", "--at", "x=1,y=2", "-o", "graph"], ".dot or .gv"),
    (["check", "x*y", "--at", "x=1,y=2", "--plot", "steps.jpeg2"], ".png, .svg, .pdf, .jpg or .jpeg"),
    (["taylor", "exp(x)", "--at", "x=0", "--plot", "taylor.gif"], ".png, .svg, .pdf, .jpg or .jpeg"),
    (["minimize", "x**2", "--at", "x=1", "--plot", "path"], ".png, .svg, .pdf, .jpg or .jpeg"),
])
def test_a_bad_picture_suffix_is_one_line_naming_the_formats_before_any_work(capsys, tmp_path, monkeypatch, argv,
                                                                             formats):
    monkeypatch.chdir(tmp_path)
    out, err = usage_error(capsys, *argv)
    assert out == "" and err.count("\n") == 1 and formats in err  # one line; nothing computed or written
    assert err.startswith(f"autodiff {argv[0]}: error: '{argv[-1]}' has ")
    assert list(tmp_path.iterdir()) == []


def test_check_summary_is_a_number_of_the_table_and_says_which(capsys):
    status, out, _ = run(capsys, "check", "x**2 * exp(y) + sin(x*y)", "--at", "x=1,y=0.5", "--hessian")
    assert status == 0
    summary = next(line for line in out.splitlines() if line.startswith("OK: "))
    name, column, error = re.match(r"OK: worst entry (\S+), (abs|rel) error (\S+) \(tolerance", summary).groups()
    row = next(line.split() for line in out.splitlines() if line.startswith(name + " "))
    assert row[3 if column == "abs" else 4] == error  # the very number, in the column it names
    assert "second derivatives are allowed 100 times --tolerance" in out  # the Hessian's slack is announced


def test_check_mismatch_names_the_entry_and_its_tolerance(capsys):
    status, out, _ = run(capsys, "check", "abs(x)", "--at", "x=1e-9", "--tolerance", "1e-3")
    assert status == 1 and "MISMATCH: worst entry df/dx, " in out and "(tolerance 0.001)" in out


@pytest.mark.parametrize("argv, expected", [
    (["graph", "sin(theta)", "--at", "theta=pi/6"], "f = sin(theta) = 0.5"),
    (["graph", "x*y", "--at", "x=max(1, 2),y=-sqrt(4)"], "f = x*y = -4"),  # commas inside a call
    (["graph", "x*y", "--at", "-1,2"], "f = x*y = -2"),  # a negative first value is not an option
    (["taylor", "sin(x)", "--at", "x=pi/2", "--order", "2"], "Taylor series of sin(x) about x = 1.5708"),
    (["minimize", "(x - 1)**2", "--at", "x=2*pi"], "x* = x=1"),
])
def test_points_accept_constant_expressions(capsys, argv, expected):
    status, out, _ = run(capsys, *argv)
    assert status == 0 and expected in out


@pytest.mark.parametrize("value, fragment", [
    ("__import__('os').system('touch owned')", "attribute access"),
    ("inf", "'inf' is not a number: inf is not a known constant (the constants are pi, e, tau)"),
    ("1/0", "'1/0' is not a finite number"),
    ("1e999", "'1e999' is not a finite number"),
    ("2x", "write * between factors"),
])
def test_points_are_read_by_the_safe_parser_and_must_be_finite(capsys, tmp_path, monkeypatch, value, fragment):
    monkeypatch.chdir(tmp_path)
    _, err = usage_error(capsys, "check", "x", "--at", f"x={value}")
    assert fragment in err and not (tmp_path / "owned").exists()


def test_the_caret_for_x_hat_2_is_under_the_hat_and_suggests_stars(capsys):
    _, err = usage_error(capsys, "graph", "sin(x)^2 + y", "--at", "x=1,y=2")
    formula, caret = err.splitlines()[-2:]
    assert caret.strip() == "^" and formula[caret.index("^")] == "^"
    assert "write ** for powers, as in sin(x)**2 + y" in err


@pytest.mark.parametrize("command", ["graph", "check", "taylor", "minimize"])
@pytest.mark.parametrize("formula, point, message", [
    ("log(x)", "x=-1", "undefined at x=-1: log(-1) = nan (outside the domain of log)"),
    ("1/x + 2", "x=0", "infinite at x=0: 1/0 = inf"),
    ("sqrt(x - 3)", "x=pi", None),  # defined: no error
])
def test_a_point_outside_the_domain_names_the_function_and_value(capsys, command, formula, point, message):
    argv = [command, formula, "--at", point]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a raw numpy RuntimeWarning fails the test
        if message is None:
            assert main(argv) in (0, 1)
            return
        _, err = usage_error(capsys, *argv)
    assert err.startswith(f"autodiff {command}: error: the expression is {message}\n")
    assert err.splitlines()[-1].strip().startswith("^")


def test_taylor_refuses_a_point_where_a_derivative_is_infinite(capsys):
    _, err = usage_error(capsys, "taylor", "sqrt(x)", "--at", "x=0")
    assert "sqrt(x) has no Taylor series about x = 0: its derivative of order 1 is inf" in err


def test_check_says_which_entry_is_not_finite(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        status, out, _ = run(capsys, "check", "sqrt(x)", "--at", "x=0")
    assert status == 1 and "MISMATCH: df/dx is not finite (automatic inf, finite differences nan)" in out


def test_minimize_takes_at_like_every_command_and_keeps_from(capsys):
    by_at = run(capsys, "minimize", "(x - 3)**2 + y**2", "--at", "x=0,y=1", "--method", "newton")
    by_from = run(capsys, "minimize", "(x - 3)**2 + y**2", "--from", "x=0,y=1", "--method", "newton")
    assert by_at == by_from and by_at[0] == 0 and "x* = x=3, y=" in by_at[1]


def test_minimize_says_where_the_iterates_left_the_domain(capsys):
    status, out, _ = run(capsys, "minimize", "x*log(x)", "--at", "x=2", "--method", "gd", "--lr", "10")
    assert status == 1
    assert "the last iterate left the domain: undefined at x=-14.9315: log(-14.9315) = nan" in out


@pytest.mark.parametrize("argv, fragment", [
    (["minimize", "x**2", "--at", "x=1", "--tol", "-1"], "expected a positive number, got -1"),
    (["minimize", "x**2", "--at", "x=1", "--method", "gd", "--lr", "0"], "expected a positive number"),
    (["check", "x", "--at", "x=1", "--tolerance", "nan"], "expected a positive number"),
    (["taylor", "exp(x)", "--at", "x=0", "--width", "-3"], "expected a positive number"),
])
def test_numeric_options_must_be_positive(capsys, argv, fragment):
    assert fragment in usage_error(capsys, *argv)[1]


def test_a_formula_starting_with_minus_needs_no_double_dash(capsys):
    status, out, _ = run(capsys, "minimize", "-log(x) + x", "--at", "x=2")
    assert status == 0 and out.startswith("minimize -log(x) + x from x=2")


def test_files_that_cannot_be_written_give_a_message(capsys, tmp_path):
    (tmp_path / "file").write_text("")
    _, err = usage_error(capsys, "graph", "x", "--at", "x=1", "-o", str(tmp_path / "file" / "g.dot"))
    assert f"cannot write {tmp_path / 'file' / 'g.dot'}" in err
    _, err = usage_error(capsys, "demo", "--epochs", "1", "--out", str(tmp_path / "file"))
    assert "is a file; expected a folder" in err


def test_graph_writes_into_a_new_folder(capsys, tmp_path):
    status, out, _ = run(capsys, "graph", "x", "--at", "x=1", "-o", str(tmp_path / "new" / "g.dot"))
    assert status == 0 and (tmp_path / "new" / "g.dot").read_text().startswith("digraph")
