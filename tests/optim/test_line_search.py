"""optim.line_search: the accepted steps satisfy the conditions they promise."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import autodiff as ad
import optim


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _value_grad(f, x):
    xt = ad.tensor(x, requires_grad=True)
    y = f(xt)
    return y.item(), ad.gradients(y, xt)[0].data


@given(st.integers(0, 10_000), st.floats(1e-3, 1e3), st.sampled_from([0.1, 0.9]))
@example(1263, 566.0, 0.9)  # once accepted a mere decrease as "sufficient" (the noise rule was too loose)
def test_strong_wolfe_conditions_hold(seed, alpha0, c2):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=2)
    f0, g0 = _value_grad(rosenbrock, x)
    d = -g0 * rng.uniform(0.01, 2.0)  # a descent direction of arbitrary length
    result = optim.line_search(rosenbrock, x, d, alpha0=alpha0, c2=c2, maxiter=60)
    assert result.success, result.message
    f1, g1 = _value_grad(rosenbrock, x + result.alpha * d)
    assert f1 == pytest.approx(result.fun) and np.allclose(g1, result.grad)
    assert f1 <= f0 + 1e-4 * result.alpha * (g0 @ d) + 1e-12 * abs(f0)  # sufficient decrease
    assert abs(g1 @ d) <= c2 * abs(g0 @ d) + 1e-12  # strong curvature condition


@given(st.integers(0, 10_000))
def test_armijo_accepts_the_first_sufficient_halving(seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=2)
    f0, g0 = _value_grad(rosenbrock, x)
    d = -g0
    result = optim.line_search(rosenbrock, x, d, method="armijo", fun=f0, grad=g0)
    assert result.success
    assert result.fun <= f0 + 1e-4 * result.alpha * (g0 @ d)
    if result.alpha < 1.0:  # twice the step was not good enough
        f_double, _ = _value_grad(rosenbrock, x + 2 * result.alpha * d)
        assert f_double > f0 + 1e-4 * 2 * result.alpha * (g0 @ d)
    assert result.nfev == round(np.log2(1 / result.alpha)) + 1


def test_exact_step_on_a_quadratic():
    # f = ½ xᵀ diag(1, 10) x along -∇f from (1, 1): the exact minimiser is α = 101/1001
    f = lambda x: 0.5 * (x[0] ** 2 + 10 * x[1] ** 2)
    result = optim.line_search(f, [1.0, 1.0], [-1.0, -10.0], c2=0.01)
    assert result.success and result.alpha == pytest.approx(101 / 1001, rel=1e-3)


def test_not_a_descent_direction_and_bad_arguments():
    f = lambda x: (x ** 2).sum()
    for method in ("armijo", "strong_wolfe"):
        result = optim.line_search(f, [1.0], [1.0], method=method)
        assert not result.success and "descent" in result.message and result.alpha == 0.0
    with pytest.raises(ValueError, match="unknown method"):
        optim.line_search(f, [1.0], [-1.0], method="exact")
    with pytest.raises(ValueError, match="entries"):
        optim.line_search(f, [1.0, 2.0], [-1.0])


def test_domain_edge_is_treated_as_too_long():
    # log is -inf/nan beyond x = 0: the search must step back inside rather than return nan
    f = lambda x: -ad.log(x).sum() + 2 * x.sum()  # minimum at x = 0.5
    result = optim.line_search(f, [1.0], [-5.0])  # α = 1 lands on x = -4
    assert result.success and 1.0 - 5.0 * result.alpha > 0
    assert np.isfinite(result.fun) and result.fun < f(ad.tensor([1.0])).item()
