"""Every functional solver returns a SolverResult: the same field names, the documented aliases,
and an honest ``success`` (what optim.chi2_fit will build on)."""

import dataclasses

import numpy as np
import pytest

import autodiff as ad
import optim
from optim.least_squares import MU_MAX, levenberg_marquardt_step, solve_least_squares

BASE = ("x", "fun", "nit", "success", "message", "path")


def rosen(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def results():
    x = np.linspace(0, 4, 20)
    _, _, fit = optim.curve_fit(lambda x, a, k: a * ad.exp(-k * x), x, 3.0 * np.exp(-0.7 * x), [1.0, 1.0],
                                full_output=True)
    return {
        "minimize": optim.minimize(rosen, [-1.2, 1.0], method="newton"),
        "newton_raphson": optim.newton_raphson(lambda x: ad.cos(x) - x, 1.0),
        "lagrange": optim.lagrange(lambda v: v[0] * v[1], lambda v: v[0] + v[1] - 10, x0=[1.0, 2.0]),
        "curve_fit": fit,
    }


@pytest.mark.parametrize("name", ["minimize", "newton_raphson", "lagrange", "curve_fit"])
def test_every_solver_result_has_the_base_fields(name):
    result = results()[name]
    assert isinstance(result, optim.SolverResult)
    names = [f.name for f in dataclasses.fields(result)]
    assert names[:len(BASE)] == list(BASE)
    assert result.success is True and isinstance(result.message, str) and result.nit > 0
    path = np.asarray(result.path)
    assert path.shape[0] == result.nit + 1
    np.testing.assert_allclose(path[-1], np.ravel(result.x))
    assert repr(result).startswith(f"{type(result).__name__}(success=True, message=")


def test_the_fields_each_result_had_before_are_still_there():
    found = results()
    for name, fields in {"minimize": ["grad", "nfev"], "newton_raphson": ["root", "converged"],
                         "lagrange": ["multipliers", "classification", "bordered_hessian"],
                         "curve_fit": ["jac", "cost", "nfev"]}.items():
        for field in fields:
            assert hasattr(found[name], field), (name, field)
    root = found["newton_raphson"]
    assert root.root == root.x and root.converged is root.success  # aliases, in the course's words


def test_least_squares_result_carries_what_a_fit_report_needs():
    A = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    b = np.array([1.0, 2.0, 4.0, 4.5])
    evaluated = []

    def residuals_and_jacobian(p):
        evaluated.append(p)
        return A @ p - b, A

    result = solve_least_squares(residuals_and_jacobian, np.zeros(2))
    assert result.success
    np.testing.assert_allclose(result.x, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-10)
    np.testing.assert_allclose(result.fun, A @ result.x - b, atol=1e-12)  # residuals at x
    np.testing.assert_array_equal(result.jac, A)  # the Jacobian at x (for cov = (JᵀJ)⁻¹)
    assert result.cost == pytest.approx(0.5 * float(result.fun @ result.fun))
    assert result.nfev == len(evaluated)


def test_least_squares_success_is_honest():
    def root_of_two(p):
        return np.array([p[0] ** 2 - 2, p[1] - 1.0]), np.array([[2 * p[0], 0.0], [0.0, 1.0]])

    result = solve_least_squares(root_of_two, np.array([10.0, 0.0]), maxiter=2)  # too few iterations
    assert not result.success and "maximum number of iterations" in result.message
    # not finite at the start
    result = solve_least_squares(lambda p: (np.array([np.nan]), np.array([[1.0]])), np.array([0.0]))
    assert not result.success and "not finite" in result.message and result.nit == 0
    # a minimum with a non-zero residual: converged (the gradient vanishes), and says how
    result = solve_least_squares(lambda p: (np.array([p[0] - 1, p[0] + 1]), np.array([[1.0], [1.0]])),
                                 np.array([5.0]))
    assert result.success and result.cost == pytest.approx(1.0) and abs(result.x[0]) < 1e-12


def test_one_levenberg_marquardt_damping_loop_with_bounded_mu():
    # a trial that never lowers the cost: μ grows by 10 until the ceiling, and the step is refused
    r, J = np.array([1.0]), np.array([[1.0]])
    x, payload, mu, tries = levenberg_marquardt_step(lambda z: (np.inf, None), np.zeros(1), r, J, 1e-3)
    assert x is None and payload is None and mu == MU_MAX and tries == 24
    # the optimizer uses the same loop: at a solution it keeps stepping without μ overflowing
    p = ad.tensor([0.0, 0.0], requires_grad=True)
    opt = optim.LevenbergMarquardt([p])
    M, y = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 2.0, 4.0])
    for _ in range(60):
        opt.step(lambda: ad.tensor(M) @ p - y)
    assert 1e-20 <= opt.state[p]["mu"] <= MU_MAX


def test_a_flat_start_is_no_success():
    """A Gaussian peak started far from the data: its derivatives there are ~e⁻²⁰⁰, the gradient test passes
    at x0, and the solver used to report success after 0 iterations. It is a failure, and says why."""
    x = np.linspace(-1.0, 4.0, 40)
    y = 5.0 * np.exp(-(x - 1.5) ** 2 / 0.72)

    def residuals_and_jacobian(p):
        a, mu, s = p
        g = np.exp(-(x - mu) ** 2 / (2 * s ** 2))
        return a * g - y, np.column_stack([g, a * g * (x - mu) / s ** 2, a * g * (x - mu) ** 2 / s ** 3])

    for method in ("lm", "gauss-newton", "gd"):
        result = solve_least_squares(residuals_and_jacobian, np.array([1.0, -3.0, 0.1]), method=method)
        assert not result.success and result.nit == 0, method
        assert result.message.startswith("flat start") and "x[0], x[1], x[2]" in result.message
    # a start that is already the solution, with the model responding to every parameter, is a success
    result = solve_least_squares(residuals_and_jacobian, np.array([5.0, 1.5, 0.6]))
    assert result.success and result.nit == 0
