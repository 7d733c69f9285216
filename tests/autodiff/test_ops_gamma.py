"""The gamma family (gammaln, digamma, polygamma, gammainc, gammaincc): values to a few ulp against
mpmath, edge values, dtypes, derivatives in x (and none in a), Taylor mode.

The registry (op_registry.py) already checks values against scipy, first and second derivatives
against finite differences and torch. The ulp bounds here sit a little above the full tables of
``python -m tests.autodiff.gamma_accuracy`` (3,000 points per band), on smaller grids.
"""

import math

import mpmath
import numpy as np
import pytest
import scipy.special
import scipy.stats

import autodiff as ad

from .gamma_accuracy import (
    exact_digamma,
    exact_gammaln,
    exact_lower,
    exact_polygamma,
    exact_upper,
    incomplete_gamma_errors,
    incomplete_gamma_points,
    ulp_error,
)

BOUNDS = {(0.1, 1.0): 16, (1.0, 10.0): 10, (10.0, 100.0): 24, (100.0, 1000.0): 64}  # measured 12, 8, 20, 58


# ----------------------------------------------------------------------------- values against mpmath
@pytest.mark.parametrize("upper", [False, True], ids=["P", "Q"])
@pytest.mark.parametrize("band", list(BOUNDS), ids=lambda b: f"a{b[0]:g}-{b[1]:g}")
def test_incomplete_gamma_within_a_few_ulp_of_mpmath(band, upper):
    a, x = incomplete_gamma_points(*band, 400, np.random.default_rng(int(band[0] * 10) + upper))
    errors = incomplete_gamma_errors(a, x, upper)
    assert errors["ours"].size > 150
    assert errors["ours"].max() <= BOUNDS[band], (errors["a"][errors["ours"].argmax()],
                                                  errors["x"][errors["ours"].argmax()])
    assert np.median(errors["ours"]) <= 1.0


def test_chi2_survival_function_keeps_its_relative_accuracy_far_into_the_tail():
    """p = Q(k/2, χ²/2): computed directly, not as 1 - P (which is 0 below 1e-16)."""
    k = np.repeat([1.0, 2.0, 5.0, 10.0, 30.0, 100.0], 12)
    chi2 = k + np.tile(np.geomspace(1.0, 1200.0, 12), 6)
    p = ad.gammaincc(k / 2, chi2 / 2)
    assert p.min() < 1e-200
    assert ulp_error(p, exact_upper(k / 2, chi2 / 2)).max() <= 16
    np.testing.assert_allclose(p, scipy.stats.chi2.sf(chi2, k), rtol=2e-12)


def test_large_a_converges_and_stays_accurate():
    a = np.repeat([1e4, 1e5, 1e6], 4)
    x = a + np.sqrt(a) * np.tile([-4.0, -1.0, 0.0, 3.0], 3)
    for function, exact in ((ad.gammainc, exact_lower), (ad.gammaincc, exact_upper)):
        np.testing.assert_allclose(function(a, x), exact(a, x), rtol=1e-13)


def test_gammaln_within_a_few_ulp_and_exact_at_its_zeros(rng):
    x = np.concatenate([np.exp(rng.uniform(np.log(1e-300), np.log(1e300), 600)), rng.uniform(0.0, 3.0, 600),
                        1.0 + rng.uniform(-1e-3, 1e-3, 100), 2.0 + rng.uniform(-1e-3, 1e-3, 100)])
    x = x[(x != 1.0) & (x != 2.0)]
    assert ulp_error(ad.gammaln(x), exact_gammaln(x)).max() <= 4  # measured 4 (on [0.5, 1.5])
    np.testing.assert_array_equal(ad.gammaln([1.0, 2.0]), [0.0, 0.0])
    negative = rng.uniform(-50.0, 0.0, 300)
    np.testing.assert_allclose(ad.gammaln(negative), exact_gammaln(negative), rtol=1e-13)


def test_digamma_within_a_few_ulp_including_at_its_positive_zero(rng):
    x = np.concatenate([np.exp(rng.uniform(np.log(1e-300), np.log(1e300), 600)), rng.uniform(0.0, 12.0, 600),
                        1.4616321449683622 + rng.uniform(-1e-6, 1e-6, 100)])
    assert ulp_error(ad.digamma(x), exact_digamma(x)).max() <= 5  # measured 4
    negative = rng.uniform(-50.0, 0.0, 300)
    np.testing.assert_allclose(ad.digamma(negative), exact_digamma(negative), rtol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_polygamma_within_a_few_ulp(n, rng):
    x = np.concatenate([np.exp(rng.uniform(np.log(1e-3), np.log(1e6), 200)), rng.uniform(-8.0, 0.0, 100)])
    assert ulp_error(ad.polygamma(n, x), exact_polygamma(n, x)).max() <= 12  # measured 7 (n = 3, x < 0)


def test_polygamma_zero_is_digamma():
    x = np.array([0.3, 1.5, 7.0, -2.5])
    np.testing.assert_array_equal(ad.polygamma(0, x), ad.digamma(x))


# ----------------------------------------------------------------------------- edge values and dtypes
def test_incomplete_gamma_edges_are_scipy_s():
    a = np.array([2.0, 2.0, 0.0, 0.0, np.inf, np.inf, -1.0, 1.0, np.nan, 2.0])
    x = np.array([0.0, np.inf, 1.0, 0.0, 3.0, np.inf, 1.0, -1.0, 1.0, np.nan])
    np.testing.assert_array_equal(ad.gammainc(a, x), scipy.special.gammainc(a, x))
    np.testing.assert_array_equal(ad.gammaincc(a, x), scipy.special.gammaincc(a, x))


def test_incomplete_gamma_at_extreme_arguments():
    """Subnormal x, tiny a: the small-x formulas keep full relative accuracy (P(½, x) ≈ 2√(x/π))."""
    a = np.array([0.5, 3.0, 1e-300, 1e-300])
    x = np.array([1e-320, 1e-320, 5.0, 1e-300])
    np.testing.assert_allclose(ad.gammainc(a[:2], x[:2]), exact_lower(a[:2], x[:2]), rtol=2e-16)
    np.testing.assert_allclose(ad.gammaincc(a[2:], x[2:]), exact_upper(a[2:], x[2:]), rtol=4e-16)


def test_gamma_function_edges():
    np.testing.assert_array_equal(ad.gammaln([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, -1e20]),
                                  [np.inf, np.inf, np.inf, np.inf, np.inf, -np.inf, np.inf])
    assert np.isnan(ad.gammaln(np.nan))
    np.testing.assert_array_equal(ad.digamma([0.0, -0.0, np.inf]), [-np.inf, np.inf, np.inf])
    assert np.isnan(ad.digamma([-1.0, -2.0, -np.inf, np.nan])).all()
    np.testing.assert_array_equal(ad.polygamma(1, [0.0, -3.0, np.inf]), [np.inf, np.inf, 0.0])
    np.testing.assert_array_equal(ad.polygamma(2, [0.0, -3.0]), [-np.inf, -np.inf])


def test_dtypes_shapes_and_scalars():
    x32 = np.array([0.5, 2.0], dtype=np.float32)
    for result in (ad.gammaln(x32), ad.digamma(x32), ad.polygamma(1, x32), ad.gammainc(2.0, x32),
                   ad.gammaincc(np.float32(2.0), x32)):
        assert result.dtype == np.float32
    assert ad.gammaln(np.array([1, 3])).dtype == np.float64  # integers: float64
    assert ad.gammainc(2, 3).dtype == np.float64 and np.ndim(ad.gammainc(2, 3)) == 0
    assert ad.gammainc(np.ones((2, 1)), np.ones(3)).shape == (2, 3)
    assert ad.gammaln(np.zeros((0, 3))).shape == (0, 3)


def test_bad_orders_and_types_are_refused():
    with pytest.raises(ValueError, match="polygamma: the order n must be a whole number"):
        ad.polygamma(-1, 1.0)
    with pytest.raises(ValueError, match="whole number"):
        ad.polygamma(1.5, 1.0)
    with pytest.raises(TypeError, match="real numbers"):
        ad.gammaln(np.array(["a"]))


# ----------------------------------------------------------------------------- derivatives
def test_derivative_of_p_in_x_is_the_gamma_density_even_for_large_a():
    a = np.array([0.3, 1.0, 4.5, 50.0, 800.0])
    x = np.array([0.7, 2.0, 3.0, 55.0, 780.0])
    t = ad.tensor(x, requires_grad=True)
    (grad,) = ad.gradients(ad.gammainc(a, t).sum(), t)
    density = [float(mpmath.exp((ai - 1) * mpmath.log(xi) - xi - mpmath.loggamma(ai))) for ai, xi in zip(a, x)]
    assert ulp_error(grad.data, np.array(density)).max() <= 64
    (grad_q,) = ad.gradients(ad.gammaincc(a, t).sum(), t)
    np.testing.assert_array_equal(grad_q.data, -grad.data)


def test_derivative_at_x_zero_and_infinity_is_the_documented_choice():
    t = ad.tensor([0.0, 0.0, 0.0, np.inf], requires_grad=True)
    ad.gammainc(np.array([0.5, 1.0, 2.0, 2.0]), t).sum().backward()
    np.testing.assert_array_equal(t.grad.data, [np.inf, 1.0, 0.0, 0.0])


def test_a_is_not_differentiable():
    a = ad.tensor(2.0, requires_grad=True)
    x = ad.tensor(1.5, requires_grad=True)
    with pytest.raises(RuntimeError, match="'gammainc' is not differentiable with respect to its input 0"):
        ad.gammainc(a, x).backward()
    (grad,) = ad.gradients(ad.gammaincc(a.detach(), x), x)  # a constant a is fine
    np.testing.assert_allclose(grad.data, -1.5 * math.exp(-1.5), rtol=1e-15)


def test_gammaln_derivatives_are_the_polygammas_to_any_order():
    x = ad.tensor([0.4, 2.5, 9.0], requires_grad=True)
    derivative = ad.gammaln(x)
    for order in range(4):
        (derivative,) = ad.gradients(derivative.sum(), x, create_graph=True)
        np.testing.assert_allclose(derivative.data, scipy.special.polygamma(order, x.data), rtol=1e-14)


def test_taylor_mode_agrees_with_nested_reverse_mode():
    functions = [lambda t: ad.gammainc(2.5, t), lambda t: ad.gammaincc(0.7, t), ad.gammaln, ad.digamma,
                 lambda t: ad.polygamma(2, t), lambda t: ad.gammainc(3.0, ad.exp(t)) * ad.gammaln(t + 2.0)]
    for f in functions:
        np.testing.assert_allclose(ad.taylor(f, 1.3, 6, method="jet"), ad.taylor(f, 1.3, 6, method="nested"),
                                   rtol=1e-11, atol=1e-14)


def test_taylor_mode_refuses_a_that_depends_on_x():
    with pytest.raises(RuntimeError, match="'gammainc' is not differentiable"):
        ad.taylor(lambda t: ad.gammainc(t, 2.0), 1.0, 3)
