"""Both closure styles for the whole-vector optimizers (issue 11, bug 2).

A closure may only return the loss (or residuals), or be written as for ``torch.optim.LBFGS``:
``opt.zero_grad(); loss = ...; loss.backward(); return loss``. Newton, GaussNewton and
LevenbergMarquardt raised GraphFreedError for the second style (they differentiate the result
again, and the closure's backward had freed its graph); LBFGS ignored the first style (it read
``.grad``, which such a closure never sets, so it stopped at once).
"""

import threading

import numpy as np
import pytest

import autodiff as ad
import nn
import optim

T = np.linspace(0, 3, 30)
DATA = 2.0 * np.exp(-1.3 * T) + 0.4 + 0.01 * np.sin(17 * T)


def rosenbrock(w):
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


def trajectory(make, loss_of, pytorch_style, steps):
    """The parameters after each step, with a closure of the given style."""
    w = ad.tensor([-1.2, 1.0], requires_grad=True)
    opt = make([w])

    def closure():
        if not pytorch_style:
            return loss_of(w)
        opt.zero_grad()
        loss = loss_of(w)
        loss.backward()
        return loss

    points = []
    for _ in range(steps):
        opt.step(closure)
        points.append(w.data.copy())
    return np.array(points), opt.state[w], w


def test_newton_takes_a_pytorch_style_closure_and_goes_where_the_other_style_goes():
    ours, state, w = trajectory(optim.Newton, rosenbrock, pytorch_style=True, steps=25)
    plain, plain_state, _ = trajectory(optim.Newton, rosenbrock, pytorch_style=False, steps=25)
    np.testing.assert_array_equal(ours, plain)  # backtracking steps included (Rosenbrock needs some)
    np.testing.assert_allclose(ours[-1], [1.0, 1.0], atol=1e-10)
    assert state["n_iter"] == plain_state["n_iter"] and state["func_evals"] == plain_state["func_evals"]


def test_residual_optimizers_take_a_pytorch_style_closure():
    for cls in (optim.GaussNewton, optim.LevenbergMarquardt):
        results = []
        for pytorch_style in (False, True):
            p = ad.tensor([1.0, 1.0, 0.0], requires_grad=True)
            opt = cls([p])

            def closure(p=p, opt=opt, pytorch_style=pytorch_style):
                r = p[0] * ad.exp(-p[1] * T) + p[2] - DATA
                if pytorch_style:
                    opt.zero_grad()
                    (0.5 * (r * r).sum()).backward()
                return r

            for _ in range(20):
                opt.step(closure)
            results.append(p.data.copy())
        np.testing.assert_array_equal(results[0], results[1], err_msg=cls.__name__)
        assert abs(results[1][1] - 1.3) < 0.05


def test_lbfgs_takes_a_closure_that_only_returns_the_loss():
    for line_search_fn in (None, "strong_wolfe"):
        def make(ps, line_search_fn=line_search_fn):
            return optim.LBFGS(ps, lr=0.5 if line_search_fn is None else 1.0, max_iter=30,
                               line_search_fn=line_search_fn)

        plain, plain_state, w = trajectory(make, rosenbrock, pytorch_style=False, steps=3)
        ours, state, _ = trajectory(make, rosenbrock, pytorch_style=True, steps=3)
        np.testing.assert_allclose(plain, ours, rtol=1e-12, atol=1e-14)
        assert plain_state["func_evals"] == state["func_evals"] > 3
        # .grad is the gradient at the last evaluation, as the PyTorch-style closure leaves it
        expected = ad.grad(rosenbrock)(ad.tensor(w.data)).data
        np.testing.assert_allclose(w.grad.data, expected, rtol=1e-12)


def test_lbfgs_takes_a_number_from_a_pytorch_style_closure_as_torch_does():
    w = ad.tensor([-1.2, 1.0], requires_grad=True)
    opt = optim.LBFGS([w], line_search_fn="strong_wolfe", max_iter=100, tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(w)
        loss.backward()
        return loss.item()  # torch's LBFGS calls float() on what the closure returns

    assert float(opt.step(closure)) == pytest.approx(24.2)
    np.testing.assert_allclose(w.data, [1.0, 1.0], atol=1e-5)


def test_grad_after_a_step_is_what_pytorch_would_leave():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    quadratic = lambda w: 0.5 * (w @ (ad.tensor(A) @ w)) - (w * b).sum()  # one Newton step lands

    _, _, w = trajectory(optim.Newton, quadratic, pytorch_style=True, steps=1)
    np.testing.assert_allclose(w.data, np.linalg.solve(A, b), atol=1e-12)
    np.testing.assert_allclose(w.grad.data, [0.0, 0.0], atol=1e-12)  # from the closure's last call, at w
    _, _, w = trajectory(optim.Newton, quadratic, pytorch_style=False, steps=1)
    np.testing.assert_allclose(w.grad.data, A @ [-1.2, 1.0] - b)  # set by Newton, where it started


def test_a_pytorch_style_closure_without_zero_grad_accumulates_as_in_pytorch():
    w = ad.tensor([2.0, -1.0], requires_grad=True)
    w.grad = ad.tensor([100.0, 100.0])
    opt = optim.Newton([w])

    def closure():  # no zero_grad: backward adds to whatever .grad holds
        loss = ((w - 1.0) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.data, [1.0, 1.0])
    # 100 + ∇ at the start (2, -4) + ∇ at the trial point, the minimum (0, 0)
    np.testing.assert_allclose(w.grad.data, [102.0, 96.0])


def test_newton_trains_a_module_with_the_closure_a_pytorch_user_writes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    model = nn.Linear(3, 1)
    opt = optim.Newton(model.parameters())
    loss_fn = nn.MSELoss()

    def closure():
        opt.zero_grad()
        loss = loss_fn(model(ad.tensor(X)), ad.tensor(y))
        loss.backward()
        return loss

    first = opt.step(closure).item()
    last = opt.step(closure).item()
    assert first > 0.1 and last < 1e-20  # least squares is a quadratic: one Newton step solves it
    np.testing.assert_allclose(model.weight.data, [[1.0, -2.0, 0.5]], atol=1e-10)
    assert all(np.abs(p.grad.data).max() < 1e-10 for p in model.parameters())


def test_a_failing_pytorch_style_closure_restores_the_parameters():
    w = ad.tensor([1.5, -0.5], requires_grad=True)
    opt = optim.Newton([w])
    calls = []

    def closure():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the model blew up")
        opt.zero_grad()
        loss = (ad.exp(w) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="blew up"):
        opt.step(closure)
    np.testing.assert_array_equal(w.data, [1.5, -0.5])


def test_keep_graphs_keeps_the_graph_of_backward_and_only_inside():
    from autodiff.engine import keep_graphs

    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with keep_graphs():
        y = (x ** 3).sum()
        y.backward()
    np.testing.assert_allclose(ad.gradients(y, x)[0].data, [3.0, 12.0])  # the graph is still there
    z = (x ** 3).sum()
    z.backward()  # outside: freed as before
    with pytest.raises(ad.GraphFreedError):
        ad.gradients(z, x)


def test_keep_graphs_is_per_thread():
    from autodiff.engine import keep_graphs

    x = ad.tensor(2.0, requires_grad=True)
    freed = []

    def other_thread():
        y = x ** 2
        y.backward()
        try:
            ad.gradients(y, x)
        except ad.GraphFreedError:
            freed.append(True)

    with keep_graphs():
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert freed == [True]


def test_bad_closures_are_named_in_the_error():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="Newton.step needs a closure that .* returns the loss"):
        optim.Newton([w]).step()
    with pytest.raises(ValueError, match="LevenbergMarquardt.step needs a closure that .* returns the residuals"):
        optim.LevenbergMarquardt([w]).step()
    with pytest.raises(TypeError, match="Newton: the closure returned a float, expected a Tensor"):
        optim.Newton([w]).step(lambda: 1.0)  # a number has no graph to take a Hessian from
    with pytest.raises(ValueError, match="Newton: the closure must return a scalar"):
        optim.Newton([w]).step(lambda: w * 2)
    with pytest.raises(TypeError, match="GaussNewton: the closure must return floating-point values"):
        optim.GaussNewton([w]).step(lambda: ad.tensor([1, 2]))
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
