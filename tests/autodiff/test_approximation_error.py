"""How good the approximations are: TaylorPolynomial.error/.remainder_bound against the exact remainder
(mpmath), and Linearization/QuadraticApproximation.error/.trust_radius against a brute-force search."""

import math

import mpmath
import numpy as np
import pytest

import autodiff as ad

mpmath.mp.dps = 60  # the exact remainder below 1e-40 is not resolved (f ≈ 1 to 60 digits): not compared
EPS = np.finfo(np.float64).eps

FUNCTIONS = {  # name: (autodiff, mpmath, numpy, the test interval)
    "exp": (ad.exp, mpmath.exp, np.exp, (-3.0, 3.0)),
    "sin": (ad.sin, mpmath.sin, np.sin, (-3.0, 3.0)),
    "log(1+x)": (lambda x: ad.log(1.0 + x), lambda x: mpmath.log(1 + x), np.log1p, (-0.9, 2.0)),
    "1/(1-x)": (lambda x: 1.0 / (1.0 - x), lambda x: 1 / (1 - x), lambda x: 1.0 / (1.0 - x), (-2.0, 0.9)),
    "exp(sin x)": (lambda x: ad.exp(ad.sin(x)), lambda x: mpmath.exp(mpmath.sin(x)), lambda x: np.exp(np.sin(x)),
                   (-3.0, 3.0)),
}


def _exact_remainder(f_mp, x0: float, order: int, x: np.ndarray) -> np.ndarray:
    """f(x) - (its exact degree-n Taylor polynomial at x0)(x), in 50 digits, at the float64 points x."""
    coefficients = mpmath.taylor(f_mp, mpmath.mpf(x0), order)
    return np.array([float(f_mp(mpmath.mpf(xi)) - mpmath.polyval(coefficients[::-1], mpmath.mpf(xi) - x0))
                     for xi in x])


# ----------------------------------------------------------------------------- Taylor polynomials
@pytest.mark.parametrize("x0", [0.0, 0.3])
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_remainder_bound_is_never_below_the_true_error(name, x0):
    f, f_mp, f_np, (lo, hi) = FUNCTIONS[name]
    x = np.concatenate([np.linspace(lo, hi, 61), x0 + np.geomspace(1e-4, 0.5, 8), x0 - np.geomspace(1e-4, 0.5, 8)])
    for order in range(1, 9):
        p = ad.taylor_polynomial(f, x0, order)
        bound = p.remainder_bound(x)
        assert bound.shape == x.shape and np.all(bound >= 0)
        truth = np.abs(_exact_remainder(f_mp, x0, order, x))
        resolved = truth > 1e-40
        assert resolved.sum() > 60
        assert np.all(bound[resolved] * (1 + 1e-12) >= truth[resolved]), (order, x[np.argmin(bound - truth)])
        # the computed error also carries the rounding of f(x) and p(x): the bound plus that level covers it
        computed = np.abs(p.error(x))
        slope = ad.grad(lambda t: ad.sum(f(t)))(x).data  # rounding x's neighbours (1 + x) costs |x f'(x)|·ε
        rounding = 8 * EPS * (np.abs(f_np(x)) + np.polyval(np.abs(p.coefficients[::-1]), np.abs(x - x0))
                              + (1 + np.abs(x)) * np.abs(slope))
        assert np.all(computed <= bound + rounding), (order, x[np.argmax(computed - bound - rounding)])


@pytest.mark.parametrize("order", [1, 4, 7])
def test_remainder_bound_estimates_the_lagrange_bound_closely(order):
    """Not a loose constant: within 1% above the bound with the exact maximum of |f⁽ⁿ⁺¹⁾|."""
    x = np.linspace(-3.0, 3.0, 41)
    x = x[x != 0.3]
    fine = [np.linspace(0.3, xi, 100_001) for xi in x]
    shift = (order + 1) * np.pi / 2  # sin⁽ᵏ⁾(ξ) = sin(ξ + kπ/2)
    for f, peak in ((ad.exp, [np.exp(max(0.3, xi)) for xi in x]),
                    (ad.sin, [np.abs(np.sin(grid + shift)).max() for grid in fine])):
        exact = np.array(peak) * np.abs(x - 0.3) ** (order + 1) / math.factorial(order + 1)
        bound = ad.taylor_polynomial(f, 0.3, order).remainder_bound(x)
        assert np.all(bound >= exact * (1 - 1e-12)) and np.all(bound <= 1.01 * exact), order


def test_error_is_f_minus_p_on_any_shape_and_for_vector_functions():
    p = ad.taylor_polynomial(ad.exp, 0.5, 3)
    x = np.linspace(-1.0, 2.0, 12).reshape(3, 4)
    np.testing.assert_allclose(p.error(x), np.exp(x) - p(x), rtol=1e-14, atol=1e-15)
    assert isinstance(p.error(0.7), float | np.floating)
    vector = ad.taylor_polynomial(lambda t: ad.stack([ad.exp(t), ad.sin(t)]), 0.0, 4)
    x = np.array([0.5, 1.0, 1.5])
    error = vector.error(x)
    assert error.shape == (3, 2)
    np.testing.assert_allclose(error, np.stack([np.exp(x), np.sin(x)], axis=1) - vector(x), rtol=1e-14)
    assert vector.remainder_bound(x).shape == (3, 2)
    assert np.all(vector.remainder_bound(x) >= np.abs(error))


def test_a_function_that_is_not_entrywise_is_evaluated_point_by_point():
    f = lambda t: t * ad.sum(t)  # t² for one number, but t·Σt on an array
    p = ad.taylor_polynomial(f, 1.0, 1)  # 1 + 2(x - 1)
    x = np.array([0.0, 0.5, 2.0, 3.0])
    np.testing.assert_allclose(p.error(x), (x - 1.0) ** 2, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(p.remainder_bound(x), (x - 1.0) ** 2, rtol=1e-12)  # f'' = 2 exactly


def test_a_singularity_in_the_interval_gives_an_infinite_bound():
    p = ad.taylor_polynomial(lambda x: 1.0 / (1.0 - x), 0.0, 3)
    bound = p.remainder_bound([0.5, 1.0, 1.5, -0.5])
    assert np.isfinite(bound[[0, 3]]).all() and np.isinf(bound[[1, 2]]).all()


def test_error_needs_the_function():
    p = ad.calculus.TaylorPolynomial(0.0, np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="needs f"):
        p.error(0.5)


# ----------------------------------------------------------------------------- trust radius
def _first_crossing(error_of_s, tol: float, stop: float) -> float:
    """Brute force: the error on 400,001 points of [0, stop]; the first one above tol, refined by
    linear interpolation between it and the point before."""
    s = np.linspace(0.0, stop, 400_001)
    error = error_of_s(s)
    above = np.flatnonzero(~(error <= tol))
    assert above.size and above[0] > 0, "brute force: no crossing in [0, stop]"
    i = above[0]
    return s[i - 1] + (tol - error[i - 1]) * (s[i] - s[i - 1]) / (error[i] - error[i - 1])


def _bump(v, exp=ad.exp, cos=ad.cos):
    return exp(-v[0] ** 2 - 0.5 * v[1] ** 2) * cos(v[0] + 2 * v[1])


def test_trust_radius_of_a_linearisation_within_1_percent_of_brute_force():
    L = ad.linearize(ad.exp, 0.2)
    radii = L.trust_radius(0.01, per_direction=True)
    for u, radius in zip([1.0, -1.0], radii, strict=True):
        brute = _first_crossing(lambda s, u=u: np.abs(np.exp(0.2 + u * s) - L.f0 - L.J * u * s), 0.01, 1.0)
        assert abs(radius - brute) <= 0.01 * brute
    assert L.trust_radius(0.01) == radii.min()


@pytest.mark.parametrize("tol", [1e-4, 1e-3, 1e-2])
def test_trust_radius_of_a_quadratic_model_within_1_percent_of_brute_force(tol):
    x0 = np.array([0.3, -0.2])
    Q = ad.quadratic_approx(_bump, x0)
    directions = np.array([[1.0, 0.0], [0.0, -1.0], [1.0, 1.0], [-2.0, 1.0], [0.3, -1.0]])
    radii = Q.trust_radius(tol, directions, per_direction=True)
    H = Q.H
    for u, radius in zip(directions / np.linalg.norm(directions, axis=1, keepdims=True), radii, strict=True):
        def error(s, u=u):
            points = x0[:, None] + u[:, None] * s  # (2, len(s))
            model = Q.f0 + s * (Q.g @ u) + 0.5 * s ** 2 * (u @ H @ u)
            return np.abs(_bump(points, np.exp, np.cos) - model)
        brute = _first_crossing(error, tol, 3.0)
        assert abs(radius - brute) <= 0.01 * brute, (u, radius, brute)


def test_trust_radius_of_a_vector_function_uses_the_largest_entry_error():
    L = ad.linearize(lambda v: ad.stack([v[0] * v[1], ad.sin(v[0])]), [1.0, 2.0])
    # along (1, 1)/√2 the product's error is d₀d₁ = s²/2 and the sine's is smaller
    np.testing.assert_allclose(L.trust_radius(1e-2, [[1.0, 1.0]]), math.sqrt(2e-2), rtol=1e-6)
    errors = L.error(np.array([[1.1, 2.1], [1.0, 2.0]]))
    np.testing.assert_allclose(errors, [[0.01, np.sin(1.1) - np.sin(1.0) - 0.1 * np.cos(1.0)], [0.0, 0.0]],
                               atol=1e-15)


def test_trust_radius_is_infinite_for_an_exact_model_and_stops_at_the_domain():
    assert ad.linearize(lambda v: 2.0 * v + 1.0, [1.0, 2.0]).trust_radius(1e-3) == math.inf
    assert ad.quadratic_approx(lambda v: (v ** 2).sum(), [1.0, 2.0]).trust_radius(1e-9) == math.inf
    # log is nan beyond 0: the radius toward 0 can be no larger than the distance to it
    L = ad.linearize(ad.log, 1.0)
    assert L.trust_radius(10.0, [-1.0]) <= 1.0


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"tol": 0.0}, "tol must be positive"),
    ({"tol": 0.1, "directions": [[0.0, 0.0]]}, "nonzero finite"),
    ({"tol": 0.1, "directions": [[1.0, 0.0, 0.0]]}, r"shape \(k,\)"),
])
def test_trust_radius_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ad.quadratic_approx(_bump, [0.3, -0.2]).trust_radius(**kwargs)


def test_model_error_checks_the_point_shape_and_works_on_batches():
    Q = ad.quadratic_approx(_bump, [0.3, -0.2])
    batch = np.array([[[0.3, -0.2], [0.5, 0.0]], [[0.1, 0.1], [0.0, 0.0]]])
    error = Q.error(batch)
    assert error.shape == (2, 2) and error[0, 0] == 0.0
    np.testing.assert_allclose(error[1, 1], float(_bump(np.zeros(2), np.exp, np.cos)) - float(Q([0.0, 0.0])),
                               rtol=1e-14)
    with pytest.raises(ValueError, match="expected x0's shape"):
        Q.error([1.0, 2.0, 3.0])
