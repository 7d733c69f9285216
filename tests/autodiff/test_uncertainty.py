"""propagate_uncertainty: order 1 against the ``uncertainties`` package (linear propagation with its own
derivatives), order 2 against a seeded 10⁶-sample Monte Carlo, and the errors users get."""

import numpy as np
import pytest
from uncertainties import correlated_values, covariance_matrix, ufloat, umath

import autodiff as ad

X = np.array([1.3, 0.7, 2.1])
COV = np.array([[0.04, 0.01, -0.006], [0.01, 0.09, 0.02], [-0.006, 0.02, 0.0625]])


def f_ad(v):
    return ad.stack([v[0] * ad.sin(v[1]), ad.exp(v[0] / v[2]), ad.log(v[1]) * v[2] + v[0] ** 2,
                     ad.sqrt(v[0] * v[1]) / v[2], ad.arctan(v[1] - v[2])])


def f_uncertainties(v):
    return [v[0] * umath.sin(v[1]), umath.exp(v[0] / v[2]), umath.log(v[1]) * v[2] + v[0] ** 2,
            umath.sqrt(v[0] * v[1]) / v[2], umath.atan(v[1] - v[2])]


# ----------------------------------------------------------------------------- order 1: the linear rule
def test_order_1_matches_the_uncertainties_package_with_correlated_inputs():
    theirs = f_uncertainties(correlated_values(X, COV))
    mean, cov = ad.propagate_uncertainty(f_ad, X, COV)
    np.testing.assert_allclose(mean, [y.nominal_value for y in theirs], rtol=1e-14)
    np.testing.assert_allclose(cov, np.array(covariance_matrix(theirs)), rtol=1e-12, atol=1e-16)
    assert cov.shape == (5, 5) and np.array_equal(cov, cov.T)


def test_scalar_in_scalar_out_and_the_mixed_shapes():
    x = ufloat(0.8, 0.05)
    theirs = umath.exp(x) * umath.cos(x)  # x twice: uncertainties tracks the correlation
    mean, variance = ad.propagate_uncertainty(lambda t: ad.exp(t) * ad.cos(t), 0.8, std=0.05)
    assert np.ndim(mean) == 0 and np.ndim(variance) == 0
    np.testing.assert_allclose([mean, np.sqrt(variance)], [theirs.nominal_value, theirs.std_dev], rtol=1e-14)
    mean, variance = ad.propagate_uncertainty(lambda v: ad.sum(v ** 2), X, COV)  # vector in, scalar out
    theirs = sum(v ** 2 for v in correlated_values(X, COV))
    np.testing.assert_allclose(variance, theirs.std_dev ** 2, rtol=1e-13)
    mean, cov = ad.propagate_uncertainty(lambda t: ad.stack([t, t ** 2]), 2.0, 0.01)  # scalar in, vector out
    np.testing.assert_allclose(cov, [[0.01, 0.04], [0.04, 0.16]], rtol=1e-14)


def test_std_is_the_diagonal_covariance_of_independent_inputs():
    std = np.array([0.2, 0.3, 0.25])
    by_std = ad.propagate_uncertainty(f_ad, X, std=std)
    by_cov = ad.propagate_uncertainty(f_ad, X, np.diag(std ** 2))
    for a, b in zip(by_std, by_cov, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_linear_function_is_exact_at_both_orders():
    A = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]])
    for order in (1, 2):
        mean, cov = ad.propagate_uncertainty(lambda v: ad.matmul(A, v) + 1.0, X, COV, order=order)
        np.testing.assert_allclose(mean, A @ X + 1.0, rtol=1e-15)
        np.testing.assert_allclose(cov, A @ COV @ A.T, rtol=1e-14, atol=1e-17)


# ----------------------------------------------------------------------------- order 2: Monte Carlo
N = 1_000_000
X2 = np.array([1.0, 2.0])
COV2 = np.array([[0.09, 0.03], [0.03, 0.16]])


def _monte_carlo(f_numpy, x, cov, seed):
    """Sample mean and covariance of f(x) over N Gaussian draws, with their standard errors."""
    samples = np.random.default_rng(seed).multivariate_normal(x, cov, size=N)
    y = np.atleast_2d(f_numpy(samples.T)).T  # (N, m)
    centred = y - y.mean(axis=0)
    products = centred[:, :, None] * centred[:, None, :]
    return (y.mean(axis=0), y.std(axis=0) / np.sqrt(N), products.mean(axis=0) * N / (N - 1),
            products.std(axis=0) / np.sqrt(N))


def test_order_2_is_exact_for_quadratics_within_the_monte_carlo_error():
    def quadratic(v):
        return [v[0] * v[1], v[1] ** 2 - v[0], 0.5 * v[0] ** 2 + v[0] * v[1] - 3.0 * v[1] + 1.0]

    mc_mean, mean_error, mc_cov, cov_error = _monte_carlo(lambda v: np.array(quadratic(v)), X2, COV2, seed=1)
    mean, cov = ad.propagate_uncertainty(lambda v: ad.stack(quadratic(v)), X2, COV2, order=2)
    assert np.all(np.abs(mean - mc_mean) <= 4 * mean_error)
    assert np.all(np.abs(cov - mc_cov) <= 4 * cov_error)
    linear_mean, linear_cov = ad.propagate_uncertainty(lambda v: ad.stack(quadratic(v)), X2, COV2)
    assert np.max(np.abs(linear_mean - mc_mean) / mean_error) > 10  # the correction is far above the noise
    assert np.max(np.abs(linear_cov - mc_cov) / cov_error) > 10


def test_order_2_corrects_the_mean_of_smooth_functions():
    """For non-quadratic f the mean's next terms are O(σ⁴): below the noise at these spreads."""
    cov = COV2 / 4.0

    def smooth(v, exp, sin):
        return [exp(0.5 * v[0]), v[0] * sin(v[1]), 1.0 / (1.0 + v[0] * v[1])]

    mc_mean, mean_error, _, _ = _monte_carlo(lambda v: np.array(smooth(v, np.exp, np.sin)), X2, cov, seed=2)
    mean, _ = ad.propagate_uncertainty(lambda v: ad.stack(smooth(v, ad.exp, ad.sin)), X2, cov, order=2)
    assert np.all(np.abs(mean - mc_mean) <= 4 * mean_error)
    linear_mean, _ = ad.propagate_uncertainty(lambda v: ad.stack(smooth(v, ad.exp, ad.sin)), X2, cov)
    assert np.max(np.abs(linear_mean - mc_mean) / mean_error) > 10


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"cov": np.array([0.04, 0.09, 0.0625])}, ad.ShapeError, r"cov has shape \(3,\).*std="),
    ({"cov": np.eye(2)}, ad.ShapeError, r"\(3, 3\) covariance matrix"),
    ({}, TypeError, "exactly one of the two"),
    ({"cov": COV, "std": [0.1, 0.1, 0.1]}, TypeError, "exactly one"),
    ({"cov": COV + np.triu(np.full((3, 3), 0.01), 1)}, ValueError, "not symmetric"),
    ({"cov": np.diag([0.04, -0.01, 0.02])}, ValueError, "positive semidefinite"),
    ({"std": [0.1, 0.1]}, ad.ShapeError, "std has shape"),
    ({"std": [0.1, -0.1, 0.1]}, ValueError, ">= 0"),
    ({"cov": COV, "order": 3}, ValueError, "order must be 1 or 2"),
    ({"cov": np.full((3, 3), np.nan)}, ValueError, "nan or inf"),
])
def test_bad_covariances_and_orders_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        ad.propagate_uncertainty(f_ad, X, **kwargs)


def test_bad_shapes_of_x_and_f_are_named():
    with pytest.raises(ad.ShapeError, match="x must be a scalar or a vector"):
        ad.propagate_uncertainty(lambda m: m.sum(), np.ones((2, 2)), np.eye(4))
    with pytest.raises(ad.ShapeError, match="f must return a scalar or a vector"):
        ad.propagate_uncertainty(lambda v: ad.outer(v, v), X, COV)
