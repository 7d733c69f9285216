"""`autodiff explain EXPR --at ...`: the trace and the chain rule on the command line."""

import math

import numpy as np

from autodiff.cli import main


def run(capsys, *argv):
    try:
        status = main(list(argv))
    except SystemExit as exit:  # usage errors leave through argparse with status 2
        status = exit.code
    out, err = capsys.readouterr()
    return status, out, err


BAYDIN = ("log(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5")


def test_text_tables_and_gradient(capsys):
    status, out, _ = run(capsys, "explain", *BAYDIN)
    assert status == 0
    assert "v₂   = v₋₁ · v₀" in out and "Adjoint trace (reverse mode)" in out
    assert "Gradient: ∂y/∂x₁ = 5.5, ∂y/∂x₂ = 1.71634" in out


def test_forward_mode_along_a_variable(capsys):
    status, out, _ = run(capsys, "explain", *BAYDIN, "--mode", "forward", "--wrt", "x2")
    assert status == 0 and "Tangent trace (forward mode)" in out
    assert f"ẏ = {2 - math.cos(5):.6g}" in out


def test_formats(capsys):
    assert run(capsys, "explain", *BAYDIN, "--format", "markdown")[1].startswith("**Primal trace**")
    assert "\\begin{tabular}" in run(capsys, "explain", *BAYDIN, "--format", "latex")[1]
    status, source, _ = run(capsys, "explain", *BAYDIN, "--format", "source")
    namespace: dict = {}
    exec(source, namespace)  # the program we generated
    value, grads = namespace["f_and_gradient"](2.0, 5.0)
    assert math.isclose(value, math.log(2) + 10 - math.sin(5))
    np.testing.assert_allclose(grads, [5.5, 2 - math.cos(5)])


def test_bad_input_gets_the_usual_messages(capsys):
    status, _, err = run(capsys, "explain", "x^2", "--at", "x=1")
    assert status == 2 and "write ** for powers" in err and "^" in err
    status, _, err = run(capsys, "explain", *BAYDIN, "--wrt", "x1")
    assert status == 2 and "--mode forward" in err
    status, _, err = run(capsys, "explain", *BAYDIN, "--mode", "forward", "--wrt", "z")
    assert status == 2 and "x1, x2" in err
    status, _, err = run(capsys, "explain", "log(x)", "--at", "x=-1")
    assert status == 2 and "domain" in err
