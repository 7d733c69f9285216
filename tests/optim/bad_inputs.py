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
