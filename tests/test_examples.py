"""Smoke runs: every example in --quick mode and `autodiff demo` write valid pictures."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GRAPH = "graph.svg"  # drawn by Graphviz's dot when installed, else by autodiff's own renderer
CHECKOUT = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}

OUTPUTS = {
    "01_partial_derivatives.py": ["gradient_field.png", "finite_difference_error.png"],
    "02_backprop_curve.py": ["curve.png", "loss.png", GRAPH],
    "03_taylor_series.py": ["taylor_exp_sin.png", "taylor_error_bound.png", "taylor_log1p.png",
                            "approximation_error.png"],
    "04_newton_raphson.py": ["newton_tangents.png", "newton_system.png"],
    "05_gradient_descent.py": ["paths.png", "convergence.png"],
    "06_lagrange_multipliers.py": ["lagrange.png"],
    "07_chi2_regression.py": ["fit.png", "chi2_landscape.png"],
    "08_gaussian_fit.py": ["gaussian_fit.png"],
    "09_digits_conv.py": ["training.png", "predictions.png", "filters.png", GRAPH],
    "10_evaluation_trace.py": ["baydin_reverse.md", "baydin_reverse.tex", "baydin_gradient.py"],
    "11_error_propagation.py": ["error_propagation.png"],
}

PRINTS = {  # what an example's output must contain, besides the pictures it wrote
    "07_chi2_regression.py": ["straight line y = slope·x + intercept: 12 points", "95% interval (normal",
                              "χ²/dof =", "p-value =", "chi2_fit (Levenberg-Marquardt"],
    "08_gaussian_fit.py": ["χ² fit of gaussian(x, amplitude, mean, width)", "converged after", "p-value =",
                           "correlations:", "success=False, nit=0", "the fit never moved"],
}


def check_picture(path: Path) -> None:
    assert path.is_file(), f"{path.name} was not written"
    data = path.read_bytes()
    if path.suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 2000, f"{path.name} is not a PNG picture"
    elif path.suffix == ".svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg") and len(root) > 0, f"{path.name} is an empty SVG"
    elif path.suffix == ".md":
        assert data.startswith(b"**Primal trace**") and b"| derivative |" in data, f"{path.name} has no tables"
    elif path.suffix == ".tex":
        assert data.count(b"\\begin{tabular}") == 2, f"{path.name} has no tabular"
    elif path.suffix == ".py":
        compile(data, str(path), "exec")  # the derivative program is Python
    else:
        assert data.startswith(b"digraph"), f"{path.name} is not DOT text"


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("[!_]*.py")) == sorted(OUTPUTS)


@pytest.mark.parametrize("script", sorted(OUTPUTS))
def test_example_runs_quickly_and_writes_its_pictures(script, tmp_path):
    if script == "09_digits_conv.py":
        pytest.importorskip("sklearn")
    done = subprocess.run([sys.executable, str(EXAMPLES / script), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=CHECKOUT)
    assert done.returncode == 0, done.stderr[-3000:]
    for name in OUTPUTS[script]:
        check_picture(tmp_path / name)
        assert f"wrote {tmp_path / name}" in done.stdout
    for fragment in PRINTS.get(script, []):
        assert fragment in done.stdout, fragment


def test_autodiff_demo_writes_loss_curve_decision_boundary_graph_and_page(tmp_path):
    command = [sys.executable, "-m", "autodiff.cli"]  # this checkout's (the console script may be another's)
    done = subprocess.run([*command, "demo", "--epochs", "3", "--dataset", "circles", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=CHECKOUT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "final accuracy" in done.stdout and "epoch    3/3" in done.stdout  # the text progress bar
    for name in ("loss.png", "decision_boundary.png", GRAPH):
        check_picture(tmp_path / name)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2 and "<svg" in page and "0.weight" in page
