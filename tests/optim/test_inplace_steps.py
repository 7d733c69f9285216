"""Every optimizer's step changes the parameters in place: a graph recorded before it refuses a
stale backward (InPlaceError) rather than returning a gradient of values that are gone."""

import numpy as np
import pytest

import autodiff as ad
import optim

FIRST_ORDER = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "Adam": lambda ps: optim.Adam(ps, lr=0.1),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.1),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.1),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
}


@pytest.mark.parametrize("name", list(FIRST_ORDER))
def test_a_first_order_step_makes_a_stale_backward_raise(name):
    w = ad.tensor([1.0, -2.0], requires_grad=True)
    opt = FIRST_ORDER[name]([w])
    (w * w).sum().backward()
    stale = (ad.exp(w)).sum()  # recorded before the step
    opt.step()
    with pytest.raises(ad.InPlaceError):
        stale.backward()


@pytest.mark.parametrize("make", [
    lambda ps: optim.LBFGS(ps), lambda ps: optim.Newton(ps), lambda ps: optim.GaussNewton(ps),
    lambda ps: optim.LevenbergMarquardt(ps),
], ids=["LBFGS", "Newton", "GaussNewton", "LevenbergMarquardt"])
def test_a_second_order_step_makes_a_stale_backward_raise(make):
    w = ad.tensor([1.0, -2.0], requires_grad=True)
    opt = make([w])
    stale = (ad.exp(w)).sum()
    kind = type(opt).__name__
    if kind in ("GaussNewton", "LevenbergMarquardt"):
        opt.step(lambda: w - np.array([0.5, 0.5]))  # the residuals
    elif kind == "LBFGS":
        def closure():  # PyTorch's closure: it calls backward itself
            opt.zero_grad()
            loss = ((w - 0.5) ** 2).sum()
            loss.backward()
            return loss
        opt.step(closure)
    else:
        opt.step(lambda: ((w - 0.5) ** 2).sum())
    assert not np.allclose(w.data, [1.0, -2.0])  # the step moved the parameters
    with pytest.raises(ad.InPlaceError):
        stale.backward()
