"""DESIGN.md's contract for optim ("optim"): optimizers against the textbook update, schedulers, the
functional solvers and regression, checked against closed forms and numpy; and ``nn.fit``, which needs
an optimizer (tests that use nn and optim together live here, the higher package)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad
import nn
import optim
from tests.helpers import assert_signature, params_of


def one_param(value) -> ad.Tensor:
    return ad.tensor(np.array(value, dtype=float), requires_grad=True)


def step_once(opt_cls, start, grad, **kwargs) -> np.ndarray:
    """One step of ``opt_cls`` from ``start`` with the gradient of ``grad·w`` (i.e. ``grad``)."""
    w = one_param(start)
    opt = opt_cls([w], **kwargs)
    opt.zero_grad()
    (w * np.asarray(grad)).sum().backward()
    opt.step()
    return w.numpy()


def test_optimizer_interface():
    w = one_param([1.0, 2.0])
    opt = optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    assert isinstance(opt, optim.Optimizer) and len(opt.param_groups) == 1
    assert opt.param_groups[0]["params"] == [w] or opt.param_groups[0]["params"][0] is w
    assert {"lr", "momentum", "nesterov", "weight_decay"} <= set(opt.param_groups[0])
    assert isinstance(opt.state, dict)
    assert_signature(optim.Optimizer.step, "closure", closure=None)
    (w * w).sum().backward()
    opt.zero_grad()
    assert w.grad is None or not np.any(w.grad.numpy())
    state = opt.state_dict()
    assert {"state", "param_groups"} <= set(state)
    opt.load_state_dict(state)
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert calls and float(loss) == pytest.approx(5.0)


def test_first_order_optimizers_one_step_against_the_textbook_update():
    start, g, lr = np.array([1.0, -2.0]), np.array([0.5, -4.0]), 0.1
    np.testing.assert_allclose(step_once(optim.SGD, start, g, lr=lr), start - lr * g)
    np.testing.assert_allclose(step_once(optim.SGD, start, g, lr=lr, weight_decay=0.1),
                               start - lr * (g + 0.1 * start))
    # Adam's first step: m̂ = g, v̂ = g², so the update is lr·g/(|g| + eps)
    np.testing.assert_allclose(step_once(optim.Adam, start, g, lr=lr), start - lr * np.sign(g), rtol=1e-7)
    np.testing.assert_allclose(step_once(optim.AdamW, start, g, lr=lr, weight_decay=0.1),
                               start * (1 - lr * 0.1) - lr * np.sign(g), rtol=1e-7)
    v = (1 - 0.99) * g ** 2
    np.testing.assert_allclose(step_once(optim.RMSprop, start, g, lr=lr), start - lr * g / (np.sqrt(v) + 1e-8))
    np.testing.assert_allclose(step_once(optim.Adagrad, start, g, lr=lr), start - lr * g / (np.abs(g) + 1e-10))


def test_sgd_momentum_and_nesterov_two_steps():
    g, lr, mu = np.array([1.0, -2.0]), 0.1, 0.9
    for nesterov in (False, True):
        w = one_param([0.0, 0.0])
        opt = optim.SGD([w], lr=lr, momentum=mu, nesterov=nesterov)
        for _ in range(2):
            opt.zero_grad()
            (w * g).sum().backward()
            opt.step()
        # buffers b1 = g, b2 = μg + g; nesterov uses g + μ·b
        steps = [g + mu * g, g + mu * (mu * g + g)] if nesterov else [g, mu * g + g]
        np.testing.assert_allclose(w.numpy(), -lr * (steps[0] + steps[1]), err_msg=f"nesterov={nesterov}")


def test_lbfgs_and_newton_family_reach_the_minimum():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    x_star = np.linalg.solve(A, b)
    w = one_param([0.0, 0.0])
    opt = optim.LBFGS([w])

    def closure():
        opt.zero_grad()
        loss = 0.5 * (w @ (ad.tensor(A) @ w)) - (w * b).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.numpy(), x_star, atol=1e-6)
    w = one_param([5.0, -3.0])
    newton = optim.Newton([w])
    newton.step(lambda: 0.5 * (w @ (ad.tensor(A) @ w)) - (w * b).sum())  # a quadratic: one Newton step
    np.testing.assert_allclose(w.numpy(), x_star, atol=1e-10)
    assert {"damping"} <= set(params_of(optim.Newton))
    M, y = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 2.0, 4.0])
    lsq = np.linalg.lstsq(M, y, rcond=None)[0]
    for cls, steps in ((optim.GaussNewton, 1), (optim.LevenbergMarquardt, 20)):
        p = one_param([0.0, 0.0])
        opt = cls([p])
        for _ in range(steps):
            opt.step(lambda p=p: ad.tensor(M) @ p - y)
        np.testing.assert_allclose(p.numpy(), lsq, atol=1e-6, err_msg=cls.__name__)


def test_lr_schedulers():
    sched = optim.lr_scheduler

    def lrs(make, n=5):
        opt = optim.SGD([one_param([1.0])], lr=1.0)
        s = make(opt)
        out = []
        for _ in range(n):
            opt.step()
            s.step()
            out.append(opt.param_groups[0]["lr"])
        return out

    np.testing.assert_allclose(lrs(lambda o: sched.StepLR(o, step_size=2, gamma=0.5)), [1, 0.5, 0.5, 0.25, 0.25])
    np.testing.assert_allclose(lrs(lambda o: sched.ExponentialLR(o, gamma=0.5)), 0.5 ** np.arange(1, 6))
    np.testing.assert_allclose(lrs(lambda o: sched.CosineAnnealingLR(o, T_max=4)),
                               (1 + np.cos(np.pi * np.array([1, 2, 3, 4, 5]) / 4)) / 2, atol=1e-12)


def test_minimize_signature_and_result():
    assert_signature(optim.minimize, "f", "x0", "method", "tol", "maxiter", "callback")
    rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    for method in ["newton", "bfgs", "lbfgs"]:
        r = optim.minimize(rosen, [-1.2, 1.0], method=method)
        assert r.success, (method, r.message)
        np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-6)
        assert r.fun < 1e-10 and np.linalg.norm(r.grad) < 1e-6 and isinstance(r.message, str)
        assert np.shape(r.path) == (r.nit + 1, 2)
        np.testing.assert_array_equal(r.path[0], [-1.2, 1.0])
    quadratic = lambda x: ((x - np.array([1.0, -2.0])) ** 2).sum()
    for method in ["gd", "momentum"]:
        seen = []
        r = optim.minimize(quadratic, [0.0, 0.0], method=method, tol=1e-8, maxiter=5000, callback=seen.append)
        assert r.success, (method, r.message)
        np.testing.assert_allclose(r.x, [1.0, -2.0], atol=1e-6)
        assert len(seen) == r.nit
    r = optim.minimize(rosen, [-1.2, 1.0], method="gd", maxiter=3)
    assert not r.success and r.nit == 3


def test_line_search_newton_raphson_lagrange():
    r = optim.line_search(lambda x: (x ** 2).sum(), np.array([1.0, 1.0]), np.array([-1.0, -1.0]))
    assert r.success and 0 < r.alpha <= 1 and r.fun < 2.0
    root = optim.newton_raphson(lambda x: x ** 2 - 2, 1.0)
    assert root.success and float(root.root) == pytest.approx(math.sqrt(2), rel=1e-10)
    root = optim.newton_raphson(lambda v: ad.stack([v[0] ** 2 + v[1] ** 2 - 4, v[0] - v[1]]), [1.0, 0.5])
    np.testing.assert_allclose(root.root, [math.sqrt(2), math.sqrt(2)], rtol=1e-10)
    assert not optim.newton_raphson(lambda x: x ** 2 + 1, 1.0).success  # no real root
    res = optim.lagrange(lambda v: v[0] * v[1], lambda v: v[0] + v[1] - 10, x0=[1.0, 2.0])
    np.testing.assert_allclose(res.x, [5.0, 5.0])
    np.testing.assert_allclose(np.ravel(res.multipliers), [5.0])


def test_regression():
    assert_signature(optim.curve_fit, "model", "xdata", "ydata", "p0", sigma=None, method="lm")
    assert_signature(optim.linear_regression, "x", "y", "sigma", sigma=None)
    assert_signature(optim.chi2_fit, "model", "x", "y", "p0", "sigma", "absolute_sigma", "method", "bounds",
                     sigma=None, absolute_sigma=True, method="lm", bounds=None)
    result = optim.chi2_fit(lambda x, a, b: a * x + b, [0.0, 1.0, 2.0], [1.0, 3.1, 4.9], [1.0, 0.0], sigma=0.1)
    assert isinstance(result, optim.FitResult)
    assert isinstance(optim.linear_regression([0, 1, 2], [1, 2, 4]), optim.FitResult)
    for name in ("params", "errors", "cov", "corr", "chi2", "dof", "chi2_red", "p_value", "residuals", "pulls",
                 "cond", "nit", "success", "message"):
        assert hasattr(result, name), name
    assert result.ci(0.95).shape == (2, 2) and result.predict([3.0]).shape == (1,)
    assert [band.shape for band in result.predict_band([3.0, 4.0], 0.9)] == [(2,), (2,)]
    assert "p-value" in str(result)
    y, model_y, sigma = np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 2.0]), np.array([0.5, 1.0, 2.0])
    assert optim.chi_squared(y, model_y, sigma) == pytest.approx(1.0 + 0.0 + 0.25)
    x = np.array([0.0, 1.0, 2.0, 3.0])
    yy = np.array([1.0, 3.0, 5.0, 7.1])
    fit = optim.linear_regression(x, yy)
    slope, intercept = np.polyfit(x, yy, 1)
    assert fit.slope == pytest.approx(slope) and fit.intercept == pytest.approx(intercept)
    xs = np.linspace(0, 4, 20)
    ys = 3 * np.exp(-0.7 * xs) + 0.01 * np.cos(5 * xs)
    popt, pcov = optim.curve_fit(lambda x, a, k: a * ad.exp(-k * x), xs, ys, p0=[1.0, 1.0])
    assert popt.shape == (2,) and pcov.shape == (2, 2)
    np.testing.assert_allclose(popt, [3.0, 0.7], atol=0.02)
    np.testing.assert_allclose(pcov, pcov.T)
    assert np.all(np.linalg.eigvalsh(pcov) > 0)


def test_levenberg_marquardt_keeps_stepping_safely_after_convergence():
    M, y = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 2.0, 4.0])
    p = one_param([0.0, 0.0])
    opt = optim.LevenbergMarquardt([p])
    for _ in range(100):  # μ grew ×10³⁰ at each failed step until it overflowed and lstsq raised
        opt.step(lambda: ad.tensor(M) @ p - y)
    np.testing.assert_allclose(p.numpy(), np.linalg.lstsq(M, y, rcond=None)[0], atol=1e-10)


@pytest.mark.parametrize("method", ["gd", "momentum", "newton", "bfgs", "lbfgs"])
def test_minimize_callback_sees_every_iterate_including_the_last(method):
    seen = []
    r = optim.minimize(lambda x: ((x - 1.0) ** 2).sum(), [0.0, 3.0], method=method, callback=seen.append)
    assert r.success and len(seen) == r.nit
    np.testing.assert_array_equal(seen[-1], r.x)


def test_minimize_accepts_scipy_spelling_of_methods():
    r = optim.minimize(lambda x: ((x - 2.0) ** 2).sum(), [0.0], method="BFGS")
    assert r.success and r.x.tolist() == pytest.approx([2.0])


# =============================================================================== nn.fit: nn and optim together
def test_fit_signature_and_training(capsys):
    assert_signature(nn.fit, "model", "loss_fn", "optimizer", "X", "y", "epochs", "batch_size")
    assert params_of(nn.fit)["progress"].default is True
    X, y = nn.datasets.make_moons(200, noise=0.1, rng=0)
    model = nn.Sequential(nn.Linear(2, 16, rng=0), nn.Tanh(), nn.Linear(16, 2, rng=1))
    history = nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), X, y, epochs=30,
                     batch_size=32, progress=False, rng=0)
    assert len(history["loss"]) == 30 and history["loss"][-1] < history["loss"][0]
    predictions = model(X).numpy().argmax(axis=1)
    assert np.mean(predictions == y) > 0.9
