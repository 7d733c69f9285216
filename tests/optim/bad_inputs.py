"""optim's bad inputs: each row is a call, the exception it must raise and a fragment of its message.

tests/optim/test_bad_input.py runs them; ``python docs/make_errors.py`` lists them in docs/errors.md.
"""

from __future__ import annotations

import numpy as np

import autodiff as ad
import optim
from tests.helpers import BadInputs

TABLE = BadInputs()
CASES = TABLE.cases
add = TABLE.add

_W = ad.tensor([1.0, 2.0], requires_grad=True)
for _id, _call, _error, _match in [
    ("optimizer-empty-list", lambda: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    ("optimizer-empty-generator", lambda: optim.Adam(iter([])), ValueError, "empty parameter list"),
    ("optimizer-array", lambda: optim.SGD([np.ones(3)], lr=0.1), TypeError,
     "can only optimize Tensors .*got ndarray"),
    ("optimizer-string", lambda: optim.SGD("abc", lr=0.1), TypeError, "can only optimize Tensors .*got str"),
    ("optimizer-single-tensor", lambda: optim.SGD(_W, lr=0.1), TypeError, "got a single Tensor; wrap it in a list"),
    ("optimizer-non-leaf", lambda: optim.Adam([_W * 2]), ValueError,
     "cannot optimize a non-leaf tensor .*'multiply'"),
    ("optimizer-integer-tensor", lambda: optim.SGD([ad.tensor([1, 2])], lr=0.1), TypeError,
     "parameters must be floating-point tensors, got dtype=int64"),
    ("optimizer-duplicate", lambda: optim.SGD([_W, _W], lr=0.1), ValueError, "appear more than once"),
    ("optimizer-unknown-option", lambda: optim.SGD([{"params": [_W], "lrr": 1.0}], lr=0.1), TypeError,
     r"unknown option\(s\) \['lrr'\]"),
    ("optimizer-negative-lr", lambda: optim.SGD([_W], lr=-1.0), ValueError, "invalid learning rate: -1"),
    ("optimizer-adam-betas", lambda: optim.Adam([_W], betas=(1.5, 0.9)), ValueError, r"invalid betas \(1.5, 0.9\)"),
    ("optimizer-none", lambda: optim.SGD(None, lr=0.1), TypeError, "iterable of Tensors"),
    ("optimizer-state-dict-keys", lambda: optim.SGD([_W], lr=0.1).load_state_dict({"state": {}}), ValueError,
     "exactly the keys 'state' and 'param_groups'"),
    ("optimizer-state-dict-groups", lambda: optim.SGD([_W], lr=0.1).load_state_dict(
        {"state": {}, "param_groups": []}), ValueError, "0 parameter groups, this optimizer has 1"),
    ("optimizer-state-dict-state-shape", lambda: _load_momentum(np.ones(5)), ValueError,
     r"state 'momentum_buffer' has shape \(5,\), the parameter has shape \(2,\)"),
    ("optimizer-step-gradient-shape", lambda: _step_with_grad(np.ones(3)), ValueError,
     r"SGD: a gradient of shape \(3,\) for a parameter of shape \(2,\)"),
]:
    add(_id, "optim", _call, _error, _match)


def _load_momentum(buffer: np.ndarray) -> None:
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    state = opt.state_dict()
    state["state"] = {0: {"momentum_buffer": buffer}}
    opt.load_state_dict(state)


def _step_with_grad(grad: np.ndarray) -> None:
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    w.grad = ad.tensor(grad)
    optim.SGD([w], lr=0.1).step()


# ----------------------------------------------------------------------------- fitting (chi2_fit, linear_regression)
_X = np.linspace(0.0, 4.0, 5)
_Y = 2.0 * _X + 1.0


def _line(x, a, b):
    return a * x + b


def _chi2_fit(**changes):
    arguments = {"model": _line, "x": _X, "y": _Y, "p0": [1.0, 0.0], "sigma": 0.1, **changes}
    return optim.chi2_fit(**arguments)


for _id, _call, _error, _match in [
    ("chi2-fit-x-y-lengths", lambda: _chi2_fit(x=np.arange(6.0)), ValueError, "x has 6 points, y has 5"),
    ("chi2-fit-p0-length", lambda: _chi2_fit(p0=[1.0]), ValueError,
     r"chi2_fit: p0 has 1 values, but the model takes 2 parameter\(s\) after x \(a, b\)"),
    ("chi2-fit-p0-empty", lambda: _chi2_fit(p0=[]), ValueError, "at least one starting value"),
    ("chi2-fit-too-few-points", lambda: _chi2_fit(x=_X[:1], y=_Y[:1]), ValueError,
     "1 data points cannot determine 2 parameters"),
    ("chi2-fit-sigma-zero", lambda: _chi2_fit(sigma=[0.1, 0.1, 0.0, 0.1, 0.1]), ValueError,
     r"every sigma must be positive: 1 are not \(the first: sigma\[2\] = 0.0\)"),
    ("chi2-fit-sigma-negative", lambda: _chi2_fit(sigma=-0.1), ValueError, "every sigma must be positive"),
    ("chi2-fit-sigma-shape", lambda: _chi2_fit(sigma=np.ones(3)), ValueError,
     r"sigma has shape \(3,\), expected the data's shape \(5,\)"),
    ("chi2-fit-sigma-matrix", lambda: _chi2_fit(sigma=-np.eye(5)), ValueError, "not positive definite"),
    ("chi2-fit-y-nan", lambda: _chi2_fit(y=np.array([1.0, np.nan, 5.0, 7.0, 9.0])), ValueError,
     "y has 1 value.*NaN or infinite.*index 1"),
    ("chi2-fit-x-inf", lambda: _chi2_fit(x=np.array([0.0, 1.0, np.inf, 3.0, 4.0])), ValueError,
     "x has 1 value.*NaN or infinite.*index 2"),
    ("chi2-fit-sigma-nan", lambda: _chi2_fit(sigma=np.array([0.1, np.nan, 0.1, 0.1, 0.1])), ValueError,
     "sigma has 1 value.*NaN"),
    ("chi2-fit-model-size", lambda: _chi2_fit(model=lambda x, a, b: a * x[:3] + b), ValueError,
     "the model returned 3 values for 5 data points"),
    ("chi2-fit-model-numpy", lambda: _chi2_fit(model=lambda x, a, b: np.asarray(a) * np.asarray(x)), TypeError,
     "expected a Tensor built from autodiff ops"),
    ("chi2-fit-model-not-finite", lambda: _chi2_fit(model=lambda x, a, b: a * ad.log(x) + b), ValueError,
     r"the model is not finite at p0: f\(x\[0\]\) = -inf"),
    ("chi2-fit-absolute-sigma", lambda: _chi2_fit(absolute_sigma="yes"), TypeError,
     "absolute_sigma must be True or False"),
    ("chi2-fit-method", lambda: _chi2_fit(method="newton"), ValueError, "unknown least-squares method 'newton'"),
    ("chi2-fit-bounds", lambda: _chi2_fit(bounds=([2.0, 0.0], [3.0, 1.0])), ValueError, "outside the bounds"),
    ("fit-result-ci-level", lambda: _chi2_fit().ci(95), ValueError, "a confidence level must be between 0 and 1"),
    ("linear-regression-nan", lambda: optim.linear_regression([0.0, 1.0, 2.0], [1.0, np.nan, 3.0]), ValueError,
     "y has NaN or infinite values"),
]:
    add(_id, "optim", _call, _error, _match)
