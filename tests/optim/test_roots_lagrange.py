"""newton_raphson and lagrange: known roots and extrema, failure modes, scipy's SLSQP."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autodiff as ad
import optim


def test_cos_x_minus_x():
    result = optim.newton_raphson(lambda x: ad.cos(x) - x, 1.0)
    assert result.converged and result.success
    assert result.root == pytest.approx(0.7390851332151607, abs=1e-12)
    assert isinstance(result.root, float) and result.path.shape == (result.nit + 1,)
    errors = np.abs(result.path - 0.7390851332151607)[:-1]
    assert np.all(errors[1:] <= 0.5 * errors[:-1] ** 2 + 1e-15)  # quadratic: e_{k+1} ≤ C e_k²


def test_cubic_cycle_is_reported_not_converged():
    result = optim.newton_raphson(lambda x: x ** 3 - 2 * x + 2, 0.0)
    assert not result.converged
    assert "cycling" in result.message
    np.testing.assert_array_equal(result.path, [0.0, 1.0, 0.0])
    # from a better start the real root is found: x ≈ -1.7693
    good = optim.newton_raphson(lambda x: x ** 3 - 2 * x + 2, -2.0)
    assert good.converged and good.root == pytest.approx(-1.7692923542386314, abs=1e-12)


def test_multiple_roots_from_different_starts():
    # (x - 1)(x + 2)(x - 3) = x³ - 2x² - 5x + 6
    f = lambda x: x ** 3 - 2 * x ** 2 - 5 * x + 6
    roots = sorted(round(optim.newton_raphson(f, x0).root, 10) for x0 in (-3.0, 0.5, 4.0))
    assert roots == [-2.0, 1.0, 3.0]


def test_two_dimensional_system():
    # x² + y² = 4, eˣ + y = 1  (scipy.optimize.fsolve agrees)
    def f(v):
        return ad.stack([v[0] ** 2 + v[1] ** 2 - 4, ad.exp(v[0]) + v[1] - 1])

    result = optim.newton_raphson(f, [1.0, -1.0])
    assert result.converged and result.root.shape == (2,)
    x, y = result.root
    assert x * x + y * y == pytest.approx(4, abs=1e-10) and math.exp(x) + y == pytest.approx(1, abs=1e-10)
    so = pytest.importorskip("scipy.optimize")
    reference = so.fsolve(lambda v: [v[0] ** 2 + v[1] ** 2 - 4, np.exp(v[0]) + v[1] - 1], [1.0, -1.0],
                          xtol=1e-13)
    np.testing.assert_allclose(result.root, reference, atol=1e-10)
    other = optim.newton_raphson(f, [-2.0, 1.0])
    assert other.converged and other.root[0] < 0  # the second root of the system


def test_zero_derivative_singular_jacobian_and_divergence():
    flat = optim.newton_raphson(lambda x: x ** 2 + 1, 0.0)
    assert not flat.converged and "zero derivative" in flat.message
    parallel_lines = lambda v: ad.stack([v[0] + v[1] - 1, 2 * v[0] + 2 * v[1] - 3])
    singular = optim.newton_raphson(parallel_lines, [0.0, 0.0])
    assert not singular.converged and "singular Jacobian" in singular.message
    diverging = optim.newton_raphson(lambda x: ad.arctan(x), 2.0)  # steps grow without bound
    assert not diverging.converged and "diverged" in diverging.message
    cube_root = optim.newton_raphson(lambda x: ad.sign(x) * ad.abs(x) ** (1 / 3), 1.0)  # x ← -2x
    assert not cube_root.converged
    assert cube_root.nit <= 50


def test_no_root_stops_at_maxiter():
    result = optim.newton_raphson(lambda x: x ** 2 + 1, 0.5, maxiter=20)
    assert not result.converged and result.nit <= 20


def test_wrong_number_of_equations():
    with pytest.raises(ValueError, match="as many equations as unknowns"):
        optim.newton_raphson(lambda v: v.sum(), [1.0, 2.0])


# ---------------------------------------------------------------------------- Lagrange multipliers
def slsqp(f, constraints, x0, sign=1.0):
    so = pytest.importorskip("scipy.optimize")
    cons = [{"type": "eq", "fun": c} for c in constraints]
    result = so.minimize(lambda x: sign * f(x), x0, method="SLSQP", constraints=cons,
                         options=dict(ftol=1e-14, maxiter=500))
    assert result.success
    return result.x


def test_maximise_xy_on_a_line():
    result = optim.lagrange(lambda v: v[0] * v[1], lambda v: v[0] + v[1] - 10, x0=[1.0, 2.0])
    assert result.success
    np.testing.assert_allclose(result.x, [5.0, 5.0], atol=1e-12)
    np.testing.assert_allclose(result.multipliers, [5.0], atol=1e-12)
    assert result.classification == "maximum" and result.fun == pytest.approx(25.0)
    np.testing.assert_allclose(slsqp(lambda v: v[0] * v[1], [lambda v: v[0] + v[1] - 10], [1.0, 2.0],
                                     sign=-1.0), result.x, atol=1e-6)
    # bordered Hessian [[0, 1, 1], [1, 0, 1], [1, 1, 0]]: det = 2 > 0 means a maximum for n=2, k=1
    np.testing.assert_allclose(result.bordered_hessian, [[0, 1, 1], [1, 0, 1], [1, 1, 0]], atol=1e-12)
    assert np.linalg.det(result.bordered_hessian) > 0


def test_minimise_distance_to_a_line():
    f = lambda v: v[0] ** 2 + v[1] ** 2
    result = optim.lagrange(f, [lambda v: v[0] + v[1] - 1], x0=[3.0, -1.0])
    np.testing.assert_allclose(result.x, [0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(result.multipliers, [1.0], atol=1e-12)
    assert result.classification == "minimum"
    np.testing.assert_allclose(slsqp(f, [lambda v: v[0] + v[1] - 1], [3.0, -1.0]), result.x, atol=1e-6)


def test_two_constraints_in_three_dimensions():
    # extremes of x + y + z on the ellipse {x² + y² = 2, x + z = 1}: f = y + 1, so y = ±√2, x = 0, z = 1
    f = lambda v: v[0] + v[1] + v[2]
    constraints = lambda v: ad.stack([v[0] ** 2 + v[1] ** 2 - 2, v[0] + v[2] - 1])
    top = optim.lagrange(f, constraints, x0=[0.3, 1.0, 0.5])
    np.testing.assert_allclose(top.x, [0.0, math.sqrt(2), 1.0], atol=1e-12)
    np.testing.assert_allclose(top.multipliers, [1 / (2 * math.sqrt(2)), 1.0], atol=1e-12)
    assert top.classification == "maximum"
    bottom = optim.lagrange(f, constraints, x0=[0.3, -1.0, 0.5])
    np.testing.assert_allclose(bottom.x, [0.0, -math.sqrt(2), 1.0], atol=1e-12)
    assert bottom.classification == "minimum"
    np_constraints = [lambda v: v[0] ** 2 + v[1] ** 2 - 2, lambda v: v[0] + v[2] - 1]
    np.testing.assert_allclose(slsqp(lambda v: v[0] + v[1] + v[2], np_constraints, [0.3, -1.0, 0.5]),
                               bottom.x, atol=1e-6)
    np.testing.assert_allclose(slsqp(lambda v: v[0] + v[1] + v[2], np_constraints, [0.3, 1.0, 0.5], sign=-1),
                               top.x, atol=1e-6)


def test_saddle_and_explicit_multipliers():
    result = optim.lagrange(lambda v: v[0] ** 2 - v[1] ** 2 + v[2], lambda v: v[2], x0=[0.5, 0.5, 0.5],
                            multipliers0=[0.0])
    np.testing.assert_allclose(result.x, [0.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(result.multipliers, [1.0], atol=1e-12)
    assert result.classification == "saddle"
    assert result.path.shape == (result.nit + 1, 3)


def test_lagrange_bad_inputs():
    with pytest.raises(ValueError, match="initial multipliers"):
        optim.lagrange(lambda v: v.sum(), lambda v: v[0], [1.0, 2.0], multipliers0=[1.0, 2.0])
    with pytest.raises(ValueError, match="no freedom"):
        optim.lagrange(lambda v: v.sum(), lambda v: ad.stack([v[0], v[1], v[0] - v[1]]), [1.0, 2.0])
    with pytest.raises(TypeError, match="constraints"):
        optim.lagrange(lambda v: v.sum(), [1.0], [1.0, 2.0])


@given(st.lists(st.floats(-10, 10), min_size=2, max_size=6), st.floats(-20, 20))
def test_newton_raphson_never_raises_on_polynomials(coefficients, x0):
    def poly(x):
        total = 0.0 * x
        for c in coefficients:
            total = total * x + c
        return total

    result = optim.newton_raphson(poly, x0, maxiter=40)
    assert result.nit <= 40 and len(result.path) <= 41
    if result.converged:
        assert abs(np.polyval(coefficients, result.root)) <= 1e-10 + 1e-12 * abs(result.root) ** len(coefficients)
    else:
        assert result.message


@given(st.lists(st.integers(-3, 3), min_size=4, max_size=4), st.lists(st.integers(-3, 3), min_size=2, max_size=2))
def test_linear_systems_solved_or_reported_singular(entries, rhs):
    a = np.array(entries, dtype=float).reshape(2, 2)
    b = np.array(rhs, dtype=float)
    result = optim.newton_raphson(lambda v: ad.tensor(a) @ v - b, [0.5, -0.5])
    if abs(np.linalg.det(a)) > 1e-9:
        assert result.converged and result.nit <= 2
        np.testing.assert_allclose(result.root, np.linalg.solve(a, b), atol=1e-9)
    else:
        assert result.converged == bool(np.allclose(a @ [0.5, -0.5], b)) or "singular" in result.message
