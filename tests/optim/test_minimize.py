"""optim.minimize against scipy.optimize.minimize on the classic test functions."""

import numpy as np
import pytest

import autodiff as ad
import optim


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def himmelblau(x):
    return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2


def beale(x):
    return ((1.5 - x[0] + x[0] * x[1]) ** 2 + (2.25 - x[0] + x[0] * x[1] ** 2) ** 2
            + (2.625 - x[0] + x[0] * x[1] ** 3) ** 2)


def booth(x):
    return (x[0] + 2 * x[1] - 7) ** 2 + (2 * x[0] + x[1] - 5) ** 2


_Q_RNG = np.random.default_rng(3)
_Q_BASIS = np.linalg.qr(_Q_RNG.normal(size=(50, 50)))[0]
A50 = _Q_BASIS @ np.diag(np.logspace(0, 4, 50)) @ _Q_BASIS.T  # condition number 1e4
B50 = _Q_RNG.normal(size=50)


def quadratic50(x):
    return 0.5 * (x @ (ad.tensor(A50) @ x)) - ad.tensor(B50) @ x


def _numpy(f):
    """The same function on plain arrays, for scipy (our ops accept arrays too)."""
    return lambda x: float(f(ad.tensor(x)).item())


def _scipy_grad(f):
    def grad(x):
        xt = ad.tensor(x, requires_grad=True)
        return ad.gradients(f(xt), xt)[0].data
    return grad


PROBLEMS = [
    ("rosenbrock", rosenbrock, [-1.2, 1.0]),
    ("himmelblau-a", himmelblau, [1.0, 1.0]),
    ("himmelblau-b", himmelblau, [-2.0, 2.0]),
    ("himmelblau-c", himmelblau, [-2.0, -2.0]),
    ("himmelblau-d", himmelblau, [2.0, -1.0]),
    ("beale", beale, [1.0, 1.0]),
    ("booth", booth, [0.0, 0.0]),
    ("quadratic50", quadratic50, np.zeros(50)),
]


def scipy_reference(f, x0):
    so = pytest.importorskip("scipy.optimize")
    result = so.minimize(_numpy(f), np.array(x0, float), jac=_scipy_grad(f), method="BFGS",
                         options=dict(gtol=1e-10, maxiter=10000))
    return result


@pytest.mark.parametrize("method", ["newton", "bfgs", "lbfgs"])
@pytest.mark.parametrize("name, f, x0", PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_same_minimiser_as_scipy(name, f, x0, method):
    reference = scipy_reference(f, x0)
    result = optim.minimize(f, x0, method=method, tol=1e-9, maxiter=2000)
    assert result.success, result.message
    np.testing.assert_allclose(result.x, reference.x, atol=1e-6, rtol=0)
    assert result.path.shape == (result.nit + 1, len(x0))
    np.testing.assert_array_equal(result.path[0], x0)
    np.testing.assert_array_equal(result.path[-1], result.x)


HIMMELBLAU_MINIMA = {(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)}


def test_himmelblau_all_four_minima():
    found = np.array([optim.minimize(f, x0, method="newton").x for _, f, x0 in PROBLEMS[1:5]])
    known = np.array(sorted(HIMMELBLAU_MINIMA))
    distances = np.abs(found[:, None, :] - known[None, :, :]).max(axis=2)
    assert sorted(distances.argmin(axis=1)) == [0, 1, 2, 3]  # each start finds a different minimum
    assert distances.min(axis=1).max() < 1e-5


@pytest.mark.parametrize("method, options", [("gd", {}), ("gd", {"lr": 0.05}),
                                             ("momentum", {"lr": 0.02, "beta": 0.5})])
def test_first_order_methods_on_booth(method, options):
    result = optim.minimize(booth, [0.0, 0.0], method=method, tol=1e-9, maxiter=5000, **options)
    assert result.success, result.message
    np.testing.assert_allclose(result.x, [1.0, 3.0], atol=1e-8)
    assert result.nfev >= result.nit


def test_gd_fixed_step_hand_checked():
    # f = x², ∇f = 2x: x₁ = 1 - 0.1·2 = 0.8, x₂ = 0.64
    result = optim.minimize(lambda x: (x * x).sum(), [1.0], method="gd", lr=0.1, maxiter=2)
    np.testing.assert_allclose(result.path.ravel(), [1.0, 0.8, 0.64])
    assert not result.success and "maximum" in result.message


def test_newton_quadratic_convergence_and_accuracy_on_rosenbrock():
    result = optim.minimize(rosenbrock, [-1.2, 1.0], method="newton", tol=1e-10)
    assert result.success and result.nit <= 30
    assert np.max(np.abs(result.x - 1.0)) <= 1e-10
    errors = np.max(np.abs(result.path - 1.0), axis=1)
    tail = errors[-5:-1]  # the last steps before the error hits 0: e_{k+1} ≤ C e_k²
    ratios = tail[1:] / tail[:-1] ** 2
    assert np.all(ratios < 30), ratios
    assert errors[-2] < 1e-8 and errors[-3] > 1e-6  # the digits double: 1e-6 → 1e-10 in one step


def test_newton_solves_a_quadratic_in_one_step():
    result = optim.minimize(quadratic50, np.zeros(50), method="newton")
    assert result.nit == 1
    np.testing.assert_allclose(result.x, np.linalg.solve(A50, B50), rtol=1e-9)


@pytest.mark.parametrize("name, f, x0", PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_quasi_newton_iterations_within_twice_scipy(name, f, x0):
    so = pytest.importorskip("scipy.optimize")
    # at scipy's default gradient tolerance (L-BFGS-B cannot reach 1e-8 on the 50-d quadratic)
    bfgs = so.minimize(_numpy(f), np.array(x0, float), jac=_scipy_grad(f), method="BFGS",
                       options=dict(gtol=1e-5))
    lbfgs = so.minimize(_numpy(f), np.array(x0, float), jac=_scipy_grad(f), method="L-BFGS-B",
                        options=dict(gtol=1e-5, ftol=1e-16, maxiter=10000))
    assert bfgs.success and lbfgs.success
    ours_bfgs = optim.minimize(f, x0, method="bfgs", tol=1e-5)
    ours_lbfgs = optim.minimize(f, x0, method="lbfgs", tol=1e-5)
    assert ours_bfgs.success and ours_lbfgs.success
    assert ours_bfgs.nit <= 2 * bfgs.nit, (ours_bfgs.nit, bfgs.nit)
    assert ours_lbfgs.nit <= 2 * lbfgs.nit, (ours_lbfgs.nit, lbfgs.nit)


def test_callback_path_and_stop():
    seen = []
    result = optim.minimize(rosenbrock, [-1.2, 1.0], method="bfgs",
                            callback=lambda x: seen.append(x) or len(seen) == 3)
    assert result.nit == 3 and not result.success and "callback" in result.message
    np.testing.assert_array_equal(np.array(seen), result.path[1:])


def test_matrix_shaped_x0():
    target = np.arange(6.0).reshape(2, 3)
    result = optim.minimize(lambda w: ((w - target) ** 2).sum(), np.zeros((2, 3)), method="lbfgs")
    assert result.x.shape == (2, 3) and result.grad.shape == (2, 3)
    np.testing.assert_allclose(result.x, target, atol=1e-9)


def test_non_finite_start_and_bad_arguments():
    result = optim.minimize(lambda x: ad.log(x).sum(), [-1.0], method="newton")
    assert not result.success and "not finite" in result.message
    with pytest.raises(ValueError, match="unknown method"):
        optim.minimize(booth, [0.0, 0.0], method="simplex")
    with pytest.raises(TypeError, match="unknown option"):
        optim.minimize(booth, [0.0, 0.0], method="newton", lr=0.1)
    with pytest.raises(ValueError, match="scalar"):
        optim.minimize(lambda x: x * 2, [0.0, 0.0])


def test_unbounded_below_is_reported():
    result = optim.minimize(lambda x: -(x ** 2).sum(), [1.0], method="newton", maxiter=50)
    assert not result.success


def test_objective_that_cuts_the_graph_is_refused():
    with pytest.raises(TypeError, match="expected a Tensor"):
        optim.minimize(lambda x: float(np.sum(np.asarray(x) ** 2)), [1.0, 2.0])
    constant = optim.minimize(lambda x: ad.tensor(3.0), [1.0, 2.0])
    assert constant.success and constant.nit == 0  # a constant is minimal everywhere


@pytest.mark.parametrize("method", ["gd", "momentum", "newton", "bfgs", "lbfgs"])
def test_nfev_counts_every_call_of_f(method):
    calls = []

    def counted(x):
        calls.append(1)
        return booth(x)

    options = {"lr": 0.02} if method == "momentum" else {}
    result = optim.minimize(counted, [0.0, 0.0], method=method, maxiter=50, **options)
    assert result.nfev == len(calls)


def test_newton_at_rounding_level_reports_honestly():
    # f ≈ 1e8: a gradient of 1e-12 is far below what its rounding allows; the solver must stop
    # (never loop) and say why
    f = lambda x: 1e8 + 1e6 * ((x - 1.0) ** 2).sum() + 1e3 * (x ** 4).sum()
    result = optim.minimize(f, [3.0, -2.0], method="newton", tol=1e-12, maxiter=100)
    assert result.nit < 100 and result.message
    reachable = optim.minimize(f, [3.0, -2.0], method="newton", tol=1e-4)
    assert reachable.success
    np.testing.assert_allclose(result.x, reachable.x, rtol=1e-9)


def test_minimize_with_jit_takes_the_same_steps():
    """jit=True compiles f and its derivatives (ad.jit): the same iterates, replayed programs."""
    import optim as _optim

    rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2  # noqa: E731
    for method in ("gd", "newton", "bfgs", "lbfgs", "momentum"):
        eager = _optim.minimize(rosen, [-1.2, 1.0], method=method, maxiter=300)
        jitted = _optim.minimize(rosen, [-1.2, 1.0], method=method, maxiter=300, jit=True)
        assert eager.nit == jitted.nit, method
        np.testing.assert_array_equal(eager.path, jitted.path)
