"""Taylor series (jets and nested reverse mode), Taylor polynomials, linearize, quadratic_approx."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff.jets import NoJetRule

# ----------------------------------------------------------------------------- known series


def _sin_series(a, order):
    return np.array([np.sin(a + k * np.pi / 2) / math.factorial(k) for k in range(order + 1)])


def _cos_series(a, order):
    return np.array([np.cos(a + k * np.pi / 2) / math.factorial(k) for k in range(order + 1)])


def _exp_series(a, order):
    return np.array([np.exp(a) / math.factorial(k) for k in range(order + 1)])


def _log1p_series(a, order):  # log(1+x) at a: log(1+a), then (-1)^(k+1) / (k (1+a)^k)
    return np.array([np.log1p(a)] + [(-1) ** (k + 1) / (k * (1 + a) ** k) for k in range(1, order + 1)])


SERIES = [
    ("exp", ad.exp, _exp_series),
    ("sin", ad.sin, _sin_series),
    ("cos", ad.cos, _cos_series),
    ("log1p", ad.log1p, _log1p_series),
    ("log(1+x)", lambda x: ad.log(1.0 + x), _log1p_series),
]


@pytest.mark.parametrize("name, f, series", SERIES, ids=[s[0] for s in SERIES])
@pytest.mark.parametrize("a", [0.0, 0.7, -0.4])
@pytest.mark.parametrize("method", ["jet", "nested"])
def test_known_series(name, f, series, a, method):
    order = 8 if method == "jet" else 5
    coefficients = ad.taylor(f, a, order, method=method)
    np.testing.assert_allclose(coefficients, series(a, order), rtol=1e-12, atol=1e-15)


def test_exp_of_sin_to_order_10_agrees_between_methods():
    f = lambda x: ad.exp(ad.sin(x))
    jet = ad.taylor(f, 0.0, 10)
    assert jet.shape == (11,)
    # e^{sin x} = 1 + x + x²/2 - x⁴/8 - x⁵/15 - x⁶/240 + ...
    np.testing.assert_allclose(jet[:7], [1, 1, 0.5, 0, -1 / 8, -1 / 15, -1 / 240], atol=1e-15)
    np.testing.assert_allclose(jet, ad.taylor(f, 0.0, 10, method="nested"), rtol=1e-11, atol=1e-15)


# every op with a Taylor rule, checked against nested reverse mode (an independent computation)
A = np.array([[2.0, 1.0], [0.5, 3.0]])
RULE_CASES = {
    "arith": lambda x: (x * x - 3.0 * x) / (2.0 + x) - (-x),
    "power": lambda x: x ** 3 + x ** -2.0 + x ** 0.5 + 2.0 ** x + x ** x + x ** ad.sin(x),
    "exp_log": lambda x: ad.exp(x) * ad.log(x) + ad.log1p(x) + ad.sqrt(x),
    "trig": lambda x: ad.sin(x) + ad.cos(x) + ad.tan(x) + ad.arctan(x) + ad.arcsin(x) + ad.arccos(x),
    "hyperbolic": lambda x: ad.sinh(x) + ad.cosh(x) + ad.tanh(x),
    "activations": lambda x: ad.sigmoid(3 * x) + ad.softplus(x) + ad.relu(x) * x + ad.abs(-x) * x,
    "select": lambda x: ad.maximum(x, x * x) + ad.minimum(2 * x, 1.0) + ad.clip(3 * x, 0.0, 1.0)
    + ad.clip(x, None, 0.1) + ad.where(x > 0, x ** 2, x),
    "shape": lambda x: (ad.stack([x, x * x, ad.sin(x)]).reshape((3, 1)).T[0, 1:] ** 2).sum()
    + ad.concatenate([ad.expand_dims(x, 0), ad.broadcast_to(x * 2, (2,))]).mean()
    + ad.squeeze(ad.expand_dims(x, 0) * 1.0)
    + (ad.swapaxes(ad.stack([ad.stack([x, x * x])]), 0, 1)[1, 0] * x).astype("float64"),
    "derivative graph": ad.grad(lambda x: (ad.stack([x, x * x, ad.sin(x)])[1:] ** 3).sum()),
    "reductions": lambda x: ad.logsumexp(ad.stack([x, 2 * x, x * x])) + ad.max(ad.stack([x, -x, x ** 2]))
    + ad.min(ad.stack([x, 1.0 - x])) + ad.var(ad.stack([x, x * x, 3.0])) + ad.std(ad.stack([x, x * x, 3.0]))
    + ad.norm(ad.stack([x, 1.0])) + ad.prod(ad.stack([x, x + 1.0, ad.sin(x)]))
    + ad.prod(ad.stack([ad.stack([x, 2.0]), ad.stack([x * x, x])]), axis=0, keepdims=True).sum(),
    "softmax": lambda x: (ad.softmax(ad.stack([x, 2 * x, -x]))
                          * ad.log_softmax(ad.stack([x, x * x, 1.0]))).sum(),
    "linalg": lambda x: (ad.inv(A + x * np.eye(2)) @ np.ones(2)).sum()
    + ad.solve(A * x + np.eye(2), np.array([1.0, 2.0])).sum()
    + ad.einsum("ij,j->i", A * x, ad.stack([x, x * x])).sum() + ad.einsum("ii", A * x)
    + ad.outer(ad.stack([x, x]), ad.stack([x, 1.0])).sum() + ad.dot(ad.stack([x, x]), ad.stack([x, 1.0])),
}


@pytest.mark.parametrize("name", list(RULE_CASES))
def test_every_jet_rule_agrees_with_nested_reverse_mode(name):
    f = RULE_CASES[name]
    jet = ad.taylor(f, 0.3, 5, method="jet")
    nested = ad.taylor(f, 0.3, 5, method="nested")
    np.testing.assert_allclose(jet, nested, rtol=1e-10, atol=1e-11)


def test_random_compositions_agree_between_methods():
    unary = [ad.sin, ad.cos, ad.tanh, ad.arctan, ad.sigmoid, ad.softplus,
             lambda u: ad.exp(0.3 * u), lambda u: ad.sqrt(1.0 + u * u), lambda u: ad.log(2.0 + ad.sin(u))]
    binary = [lambda u, v: u * v, lambda u, v: u + v, lambda u, v: u / (1.5 + ad.cos(v)),
              lambda u, v: u - 2 * v]
    rng = np.random.default_rng(3)
    for _ in range(12):
        plan = [(int(rng.integers(len(unary))), int(rng.integers(len(binary)))) for _ in range(3)]

        def f(x, plan=plan):
            value = x
            for i, j in plan:
                value = binary[j](unary[i](value), x)
            return value

        x0 = float(rng.uniform(-1, 1))
        np.testing.assert_allclose(ad.taylor(f, x0, 4, method="jet"), ad.taylor(f, x0, 4, method="nested"),
                                   rtol=1e-9, atol=1e-11)


def test_vector_valued_function_gives_coefficient_arrays():
    coefficients = ad.taylor(lambda x: ad.stack([ad.exp(x), ad.sin(x)]), 0.0, 4)
    assert coefficients.shape == (5, 2)
    np.testing.assert_allclose(coefficients[:, 0], _exp_series(0.0, 4))
    np.testing.assert_allclose(coefficients[:, 1], _sin_series(0.0, 4), atol=1e-16)
    nested = ad.taylor(lambda x: ad.stack([ad.exp(x), ad.sin(x)]), 0.0, 4, method="nested")
    np.testing.assert_allclose(nested, coefficients, atol=1e-15)


def test_fallback_for_ops_without_a_jet_rule():
    f = lambda x: ad.det(ad.stack([ad.stack([x, 1.0]), ad.stack([2.0, ad.sin(x)])]))
    with pytest.raises(NoJetRule, match="det"):
        ad.taylor(f, 0.5, 3, method="jet")
    reference = ad.taylor(lambda x: x * ad.sin(x) - 2.0, 0.5, 3)
    np.testing.assert_allclose(ad.taylor(f, 0.5, 3), reference, rtol=1e-12)


def test_polynomials_and_constants_are_exact():
    np.testing.assert_array_equal(ad.taylor(lambda x: 2 * x ** 3 - x + 5.0, 0.0, 5), [5, -1, 0, 2, 0, 0])
    np.testing.assert_allclose(ad.taylor(lambda x: x ** 3, 2.0, 4), [8, 12, 6, 1, 0])  # (2+h)³
    np.testing.assert_array_equal(ad.taylor(lambda x: 3.0, 1.0, 2), [3.0, 0.0, 0.0])
    np.testing.assert_array_equal(ad.taylor(lambda x: 3.0, 1.0, 2, method="nested"), [3.0, 0.0, 0.0])
    np.testing.assert_allclose(ad.taylor(ad.exp, 0, 2), [1.0, 1.0, 0.5])  # an int point is fine here


def test_taylor_errors():
    with pytest.raises(ValueError, match="one variable.*along a direction"):
        ad.taylor(ad.exp, np.zeros(2), 3)
    with pytest.raises(ValueError, match="non-negative int"):
        ad.taylor(ad.exp, 0.0, -1)
    with pytest.raises(ValueError, match="method must be"):
        ad.taylor(ad.exp, 0.0, 2, method="magic")


# ----------------------------------------------------------------------------- Taylor polynomial


def test_taylor_polynomial_error_is_of_the_next_order():
    order, x0 = 3, 0.5
    p = ad.taylor_polynomial(ad.sin, x0, order)
    assert p.order == order and p.x0 == x0
    errors = [abs(float(p(x0 + h)) - np.sin(x0 + h)) for h in (0.1, 0.05)]
    assert errors[0] / errors[1] == pytest.approx(2 ** (order + 1), rel=0.1)
    grid = np.linspace(-0.2, 0.2, 5) + x0
    np.testing.assert_allclose(p(grid), [float(p(g)) for g in grid])


def test_taylor_polynomial_is_differentiable_on_tensors():
    p = ad.taylor_polynomial(ad.exp, 0.0, 6)
    # p' is the degree-5 Taylor polynomial of exp: at 0.1 it is close to e^0.1
    assert float(ad.grad(p)(0.1)) == pytest.approx(np.exp(0.1), rel=1e-6)


# ----------------------------------------------------------------------------- linearize and quadratic_approx


def polar(p):
    return ad.stack([p[0] * ad.cos(p[1]), p[0] * ad.sin(p[1])])


def test_linearize_exposes_f0_and_jacobian():
    x0 = np.array([2.0, 0.3])
    L = ad.linearize(polar, x0)
    np.testing.assert_allclose(L.f0, [2 * np.cos(0.3), 2 * np.sin(0.3)])
    np.testing.assert_allclose(L.J, [[np.cos(0.3), -2 * np.sin(0.3)], [np.sin(0.3), 2 * np.cos(0.3)]])
    np.testing.assert_allclose(L(x0), L.f0)


def test_linearize_error_shrinks_quadratically():
    x0 = np.array([2.0, 0.3])
    L = ad.linearize(polar, x0)
    direction = np.array([0.6, -0.8])
    errors = [np.linalg.norm(L(x0 + h * direction) - polar(ad.tensor(x0 + h * direction)).data)
              for h in (0.1, 0.05, 0.025)]
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.1)
    assert errors[1] / errors[2] == pytest.approx(4.0, rel=0.05)


def test_linearize_batches_and_scalar_functions():
    L = ad.linearize(ad.sin, 0.0)
    np.testing.assert_allclose(L(np.array([0.1, -0.2])), [0.1, -0.2])  # tangent line y = x
    points = np.random.default_rng(0).normal(size=(4, 2))
    batch = ad.linearize(polar, [1.0, 0.5])(points)
    assert batch.shape == (4, 2)
    np.testing.assert_allclose(batch[2], ad.linearize(polar, [1.0, 0.5])(points[2]))
    with pytest.raises(ValueError, match="expected x0's shape"):
        ad.linearize(polar, [1.0, 0.5])(np.ones(3))


def test_quadratic_approx_is_exact_for_quadratics():
    rng = np.random.default_rng(1)
    M = rng.standard_normal((4, 4))
    b, c = rng.standard_normal(4), 1.5
    f = lambda v: v @ (M @ v) + b @ v + c
    Q = ad.quadratic_approx(f, rng.standard_normal(4))
    np.testing.assert_allclose(Q.H, M + M.T, atol=1e-14)
    points = rng.standard_normal((6, 4)) * 3
    exact = np.array([float(f(ad.tensor(p))) for p in points])
    np.testing.assert_allclose(Q(points), exact, rtol=1e-12)
    assert float(Q(points[0])) == pytest.approx(exact[0], rel=1e-12)


def test_quadratic_approx_of_rosenbrock():
    f = lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2
    x0 = np.array([-0.5, 1.0])
    Q = ad.quadratic_approx(f, x0)
    assert Q.f0 == pytest.approx(1.5 ** 2 + 100 * 0.75 ** 2)
    np.testing.assert_allclose(Q.g, [-2 * 1.5 - 400 * x0[0] * 0.75, 200 * 0.75])
    np.testing.assert_allclose(Q.H, [[2 - 400 * (1.0 - 3 * 0.25), 200.0], [200.0, 200.0]])
    d = np.array([1e-3, -2e-3])  # the model's error is third order
    assert abs(float(Q(x0 + d)) - float(f(ad.tensor(x0 + d)))) < 1e-6


def test_quadratic_approx_needs_a_scalar_function():
    with pytest.raises(ValueError, match="scalar function"):
        ad.quadratic_approx(polar, [1.0, 0.5])


def test_auto_falls_back_where_a_jet_recurrence_divides_by_zero():
    # x^2.5 at 0: the power recurrence divides by x₀ = 0, yet the first coefficients are 0
    assert np.isnan(ad.taylor(lambda x: x ** 2.5, 0.0, 2, method="jet")).any()
    np.testing.assert_array_equal(ad.taylor(lambda x: x ** 2.5, 0.0, 2), [0.0, 0.0, 0.0])


def test_taylor_of_a_derivative_is_the_differentiated_series():
    # jets also run through the recorded backward pass of an inner transform: (f')ₖ = (k+1)·cₖ₊₁
    f = lambda x: ad.exp(ad.sin(x)) * ad.tanh(x)
    c = ad.taylor(f, 0.3, 7)
    first = ad.taylor(ad.grad(f), 0.3, 6, method="jet")
    np.testing.assert_allclose(first, np.arange(1, 8) * c[1:], rtol=1e-12)
    np.testing.assert_allclose(ad.taylor(ad.grad(ad.grad(f)), 0.3, 5, method="jet"),
                               np.arange(1, 7) * np.arange(2, 8) * c[2:], rtol=1e-11)


def test_taylor_polynomial_of_a_vector_function_on_a_grid():
    p = ad.taylor_polynomial(lambda x: ad.stack([ad.exp(x), ad.sin(x)]), 0.0, 9)
    grid = np.linspace(-0.5, 0.5, 7)
    values = p(grid)
    assert values.shape == (7, 2)
    np.testing.assert_allclose(values, np.stack([np.exp(grid), np.sin(grid)], axis=-1), atol=1e-9)
    np.testing.assert_allclose(p(0.25), [np.exp(0.25), np.sin(0.25)], atol=1e-9)
