"""optim's bad inputs (the table in tests/optim/bad_inputs.py) each raise a clear error; a failed step
or ``load_state_dict`` leaves parameters, state and options as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autodiff as ad
import optim
from tests.helpers import Case

from .bad_inputs import CASES


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_a_clear_error(bad: Case, tmp_path: Path) -> None:
    with pytest.raises(bad.error, match=bad.match):
        bad.call(tmp_path)


def test_optimizer_load_state_dict_checks_the_options() -> None:
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    state = opt.state_dict()
    state["param_groups"][0]["lr"] = -5.0
    with pytest.raises(ValueError, match="learning rate"):
        opt.load_state_dict(state)


# ----------------------------------------------------------------------------- nothing half-changed
def _two_param_problem():
    w = ad.tensor([1.0, -2.0, 0.5], requires_grad=True)
    b = ad.tensor([[0.3, 0.1]], requires_grad=True)
    return w, b


def _loss(w, b):
    return (w * w).sum() + (ad.tanh(b) * w[:2]).sum()


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.05),
    lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5),
    lambda ps: optim.Adagrad(ps, lr=0.1),
], ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_failed_optimizer_step_leaves_parameters_and_state_as_they_were(make) -> None:
    w, b = _two_param_problem()
    w_ref, b_ref = _two_param_problem()
    opt, ref = make([w, b]), make([w_ref, b_ref])
    for o, params in ((opt, (w, b)), (ref, (w_ref, b_ref))):  # one good step, so there is state
        o.zero_grad()
        _loss(*params).backward()
        o.step()
    before = [w.data.copy(), b.data.copy()]
    state_before = opt.state_dict()
    opt.zero_grad()
    _loss(w, b).backward()
    good_grad = b.grad
    b.grad = ad.tensor(np.ones(5))  # the second parameter's gradient is broken: the step must fail
    with pytest.raises(ValueError, match="a gradient of shape"):
        opt.step()
    np.testing.assert_array_equal(w.data, before[0])  # the first parameter was not updated either
    np.testing.assert_array_equal(b.data, before[1])
    _assert_same_state(opt.state_dict(), state_before)
    b.grad = good_grad  # and after the failure, the next step is the one a clean optimizer takes
    opt.step()
    ref.zero_grad()
    _loss(w_ref, b_ref).backward()
    ref.step()
    np.testing.assert_array_equal(w.data, w_ref.data)
    np.testing.assert_array_equal(b.data, b_ref.data)


def _assert_same_state(a: Any, b: Any) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same_state(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_state(x, y)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["LBFGS", "Newton", "GaussNewton", "LevenbergMarquardt"])
def test_failed_step_of_a_whole_vector_optimizer_restores_the_parameters(name: str) -> None:
    """The closure blows up on its third call (inside the step's line search or iterations)."""
    w = ad.tensor([1.5, -0.5], requires_grad=True)
    target = np.array([0.2, 0.3])
    if name in ("GaussNewton", "LevenbergMarquardt"):
        opt = getattr(optim, name)([w])
    else:
        opt = getattr(optim, name)([w], lr=1.0)
    calls = []

    def closure():
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the model blew up")
        residuals = ad.exp(w) - target
        if name in ("GaussNewton", "LevenbergMarquardt"):
            return residuals  # these closures return residuals
        loss = (residuals ** 2).sum()
        if name == "LBFGS":  # PyTorch's convention: the closure computes the gradient
            opt.zero_grad()
            loss.backward()
        return loss

    before = w.data.copy()
    with pytest.raises(RuntimeError, match="blew up"):
        for _ in range(5):
            opt.step(closure)
            before = w.data.copy()  # a step that finished may move the parameters
    np.testing.assert_array_equal(w.data, before)


def test_failed_optimizer_load_state_dict_leaves_it_as_it_was() -> None:
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    before = opt.state_dict()
    bad = opt.state_dict()
    bad["param_groups"][0]["lr"] = 5.0
    bad["state"] = {0: {"momentum_buffer": np.ones(7)}}  # wrong shape, found after the options were read
    with pytest.raises(ValueError):
        opt.load_state_dict(bad)
    _assert_same_state(opt.state_dict(), before)
    assert opt.param_groups[0]["lr"] == 0.1
