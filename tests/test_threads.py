"""Threads: grad mode is per thread, and threads working on separate graphs do not disturb each other.

The interpreter is made to switch threads very often (``sys.setswitchinterval``) so that any shared
state the engine mutates during a forward or backward pass would show up as a wrong number here.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import autodiff as ad


@pytest.fixture(autouse=True)
def switch_often() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def run_in_threads(*workers: Callable[[], Any]) -> list[Any]:
    """Start every worker at once (a barrier), join them, re-raise the first error; return their results."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)
    errors: list[BaseException] = []

    def wrap(k: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[k] = work()
        except BaseException as error:  # re-raised in the main thread
            errors.append(error)

    threads = [threading.Thread(target=wrap, args=(k, w)) for k, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    if errors:
        raise errors[0]
    return results


# ----------------------------------------------------------------------------- grad mode is per thread
def test_no_grad_in_one_thread_leaves_grad_mode_on_in_another() -> None:
    inside = threading.Event()
    checked = threading.Event()
    seen: dict[str, Any] = {}
    w = ad.tensor([1.0, 2.0], requires_grad=True)

    def quiet() -> None:
        with ad.no_grad():
            inside.set()
            assert checked.wait(30)
            seen["quiet mode"] = ad.is_grad_enabled()
            seen["quiet records"] = (w * 2).requires_grad

    def busy() -> None:
        assert inside.wait(30)  # the other thread is inside no_grad now
        seen["busy mode"] = ad.is_grad_enabled()
        y = (w * w).sum()
        seen["busy records"] = y.requires_grad
        (seen["busy grad"],) = ad.gradients(y, w)
        checked.set()

    run_in_threads(quiet, busy)
    assert seen["busy mode"] is True and seen["busy records"] is True
    np.testing.assert_array_equal(seen["busy grad"].data, [2.0, 4.0])
    assert seen["quiet mode"] is False and seen["quiet records"] is False
    assert ad.is_grad_enabled()


def test_a_new_thread_starts_with_grad_mode_on_whatever_its_parent_does() -> None:
    w = ad.tensor(1.0, requires_grad=True)
    with ad.no_grad():
        (mode, records) = run_in_threads(lambda: (ad.is_grad_enabled(), (w * 3).requires_grad))[0]
        assert not ad.is_grad_enabled()
    assert mode is True and records is True


def test_nested_modes_unwind_per_thread() -> None:
    def nest(first: Callable, second: Callable) -> list[bool]:
        trail = []
        for _ in range(200):
            with first():
                trail.append(ad.is_grad_enabled())
                with second():
                    trail.append(ad.is_grad_enabled())
                trail.append(ad.is_grad_enabled())
            trail.append(ad.is_grad_enabled())
        return trail

    off_on, on_off, switched = run_in_threads(
        lambda: nest(ad.no_grad, ad.enable_grad),
        lambda: nest(ad.enable_grad, ad.no_grad),
        lambda: nest(lambda: ad.set_grad_enabled(False), lambda: ad.set_grad_enabled(True)),
    )
    assert off_on == [False, True, False, True] * 200
    assert on_off == [True, False, True, True] * 200
    assert switched == off_on


# ----------------------------------------------------------------------------- training in parallel
def _bare_training(seed: int, steps: int = 150) -> tuple[list[float], list[np.ndarray]]:
    """A two-layer tanh net on bare Tensors, full-batch gradient descent; returns losses and weights."""
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    params = [ad.tensor(rng.standard_normal(s) * 0.5, requires_grad=True) for s in [(3, 6), (6,), (6, 1), (1,)]]
    losses = []
    for _ in range(steps):
        hidden = ad.tanh(X @ params[0] + params[1])
        loss = ((hidden @ params[2] + params[3] - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with ad.no_grad():
            for p in params:
                p -= 0.1 * p.grad
        losses.append(loss.item())
    return losses, [p.data.copy() for p in params]


def _nn_training(seed: int, steps: int = 150) -> tuple[list[float], dict[str, np.ndarray]]:
    nn = pytest.importorskip("nn")
    optim = pytest.importorskip("optim")
    rng = np.random.default_rng(seed)
    X, y = ad.tensor(rng.standard_normal((16, 4))), ad.tensor(rng.standard_normal((16, 2)))
    model = nn.Sequential(nn.Linear(4, 8, rng=seed), nn.Tanh(), nn.Linear(8, 2, rng=seed + 1))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.MSELoss()
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, model.state_dict()


def _assert_same_run(a: tuple, b: tuple) -> None:
    losses_a, weights_a = a
    losses_b, weights_b = b
    assert losses_a == losses_b  # bit for bit
    items_a = weights_a.items() if isinstance(weights_a, dict) else enumerate(weights_a)
    items_b = weights_b.items() if isinstance(weights_b, dict) else enumerate(weights_b)
    for (ka, wa), (kb, wb) in zip(items_a, items_b, strict=True):
        assert ka == kb
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize("train", [_bare_training, _nn_training], ids=["bare tensors", "nn + optim"])
def test_threads_training_separate_models_match_sequential_runs(train: Callable) -> None:
    seeds = [0, 1, 2]
    sequential = [train(seed) for seed in seeds]
    parallel = run_in_threads(*[(lambda s=seed: train(s)) for seed in seeds])
    for one, other in zip(sequential, parallel):
        _assert_same_run(one, other)
    assert sequential[0][0] != sequential[1][0]  # the runs really differ, so a mix-up would show


def test_inference_under_no_grad_in_one_thread_does_not_disturb_training_in_another() -> None:
    expected = _bare_training(5)
    w = ad.tensor(np.ones((3, 3)), requires_grad=True)

    def infer() -> int:
        recorded = 0
        with ad.no_grad():
            for _ in range(2000):
                recorded += (ad.tanh(w) @ w).requires_grad
        return recorded

    trained, recorded = run_in_threads(lambda: _bare_training(5), infer)
    _assert_same_run(expected, trained)
    assert recorded == 0


def test_threads_differentiating_through_a_shared_input_get_their_own_gradients() -> None:
    """One weight tensor shared by four threads, each with its own graph and loss: ad.gradients per thread."""
    w = ad.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    data = [np.random.default_rng(k).standard_normal((5, 3)) for k in range(4)]

    def grads(x: np.ndarray) -> list[np.ndarray]:
        found = []
        for _ in range(60):
            loss = ad.logsumexp(ad.tanh(x @ w), axis=1).sum()
            found.append(ad.gradients(loss, w)[0].data)
        return found

    expected = [grads(x) for x in data]
    got = run_in_threads(*[(lambda x=x: grads(x)) for x in data])
    for e, g in zip(expected, got):
        for a, b in zip(e, g):
            np.testing.assert_array_equal(a, b)


def test_concurrent_backward_calls_accumulate_into_a_shared_leaf() -> None:
    """Four threads call backward() on their own graphs over one shared leaf: no update is lost."""
    w = ad.tensor(np.ones(4), requires_grad=True)

    def accumulate() -> None:
        for _ in range(300):
            (w * ad.arange(1.0, 5.0)).sum().backward()

    run_in_threads(*[accumulate] * 4)
    np.testing.assert_array_equal(w.grad.data, 4 * 300 * np.arange(1.0, 5.0))


def test_concurrent_backward_through_one_retained_graph() -> None:
    """Threads backpropagating through the same recorded graph (retain_graph=True) all get its gradient."""
    x = ad.tensor(np.linspace(-1, 1, 20), requires_grad=True)
    h = x
    for _ in range(20):
        h = ad.tanh(h) * 1.1 + h * 0.1
    out = (h * h).sum()
    (expected,) = ad.gradients(out, x, retain_graph=True)

    def backprop() -> list[np.ndarray]:
        return [ad.gradients(out, x, retain_graph=True)[0].data for _ in range(100)]

    for results in run_in_threads(*[backprop] * 4):
        for g in results:
            np.testing.assert_array_equal(g, expected.data)
