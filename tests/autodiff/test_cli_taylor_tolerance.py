"""`autodiff taylor ... --plot --tol`: each polynomial shaded where it is within tol of f (issue 14).

The intervals come from ``_tolerance_interval`` (autodiff/cli/formulas.py), checked against the
roots of |f - T_k| = tol found by scipy's brentq on the closed-form error; the picture's shaded
spans are those intervals, and the command prints them.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import autodiff as ad
from autodiff.cli.formulas import _tolerance_interval
from tests.helpers import run_cli

PNG = b"\x89PNG\r\n\x1a\n"
optimize = pytest.importorskip("scipy.optimize")


def exp_error(order: int):
    """e^x minus its Taylor polynomial of this order at 0, in closed form."""
    return lambda x: math.exp(x) - sum(x ** k / math.factorial(k) for k in range(order + 1))


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("tol", [1e-1, 1e-3])
def test_the_interval_ends_where_the_error_reaches_tol(order, tol):
    a, b = _tolerance_interval(ad.taylor_polynomial(ad.exp, 0.0, order), tol, -3.0, 3.0)
    error = exp_error(order)
    left = optimize.brentq(lambda x: abs(error(x)) - tol, -3.0, -1e-9, xtol=1e-14)
    right = optimize.brentq(lambda x: abs(error(x)) - tol, 1e-9, 3.0, xtol=1e-14)
    assert a == pytest.approx(left, abs=1e-9) and b == pytest.approx(right, abs=1e-9)


def test_the_interval_stops_at_the_edge_of_the_domain_and_of_the_plot():
    # log(1 + x) is nan below -1: the interval cannot reach past the singularity
    a, b = _tolerance_interval(ad.taylor_polynomial(ad.log1p, 0.0, 1), 10.0, -3.0, 3.0)
    assert -1.0 <= a < -0.99 and b == 3.0
    # a polynomial's own series is exact: within tol on the whole window
    assert _tolerance_interval(ad.taylor_polynomial(lambda x: x ** 2 + 1, 1.0, 2), 1e-9, -2.0, 4.0) == (-2.0, 4.0)


def test_an_error_that_comes_back_within_tol_further_out_is_not_counted():
    # T1 of cos at 0 (= 1) is within tol near 0 and again near x = ±2π: other intervals, not the one around x0
    a, b = _tolerance_interval(ad.taylor_polynomial(ad.cos, 0.0, 1), 0.01, -7.0, 7.0)
    assert b == pytest.approx(math.acos(0.99), abs=1e-9) and a == pytest.approx(-b, abs=1e-9)


def span_of(patch) -> tuple[float, float]:
    """The x range of an axvspan (a Rectangle in recent matplotlib, a Polygon in older ones), in data units."""
    if hasattr(patch, "get_width"):
        return float(patch.get_x()), float(patch.get_x() + patch.get_width())
    xs = np.asarray(patch.get_xy())[:, 0]
    return float(xs.min()), float(xs.max())


def test_the_picture_shades_the_intervals():
    pytest.importorskip("matplotlib")
    from autodiff import plot

    polynomials = {k: ad.taylor_polynomial(ad.exp, 0.0, k) for k in (1, 3)}
    within = {k: _tolerance_interval(p, 1e-2, -3.0, 3.0) for k, p in polynomials.items()}
    fig = plot.taylor_plot(lambda xs: ad.exp(xs), 0.0, polynomials, xlim=(-3.0, 3.0), within=within, tol=1e-2)
    spans = sorted(span_of(p) for p in fig.axes[0].patches)
    np.testing.assert_allclose(spans, sorted(within.values()), atol=1e-12)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(text.startswith("order 3: |error| ≤ 0.01 on [") for text in legend)


def test_the_command_prints_the_intervals_and_writes_the_picture(tmp_path):
    pytest.importorskip("matplotlib")
    run = run_cli(["taylor", "exp(x)", "--at", "x=0", "--order", "3", "--plot", "t.png", "--tol", "1e-3"], tmp_path)
    assert run.status == 0, run.err
    assert (tmp_path / "t.png").read_bytes().startswith(PNG)
    assert "where |f - T_k| <= 0.001 (around x = 0, searched in [-3, 3]):" in run.out
    printed = dict(re.findall(r"T(\d): \[([-0-9.e]+, [-0-9.e]+)\]", run.out))
    for order in (1, 2, 3):
        expected = _tolerance_interval(ad.taylor_polynomial(ad.exp, 0.0, order), 1e-3, -3.0, 3.0)
        low, high = (float(v) for v in printed[str(order)].split(", "))
        assert (low, high) == (pytest.approx(expected[0], rel=1e-5), pytest.approx(expected[1], rel=1e-5))


def test_tol_must_be_positive(tmp_path):
    run = run_cli(["taylor", "exp(x)", "--at", "x=0", "--tol", "0"], tmp_path)
    assert run.status == 2 and "expected a positive number" in run.err
