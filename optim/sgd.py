"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsLike


class SGD(Optimizer):
    """Gradient descent, PyTorch's formulas step for step.

    With gradient g, weight decay wd, momentum μ, dampening τ and learning rate lr::

        d = g + wd·p
        b = d (first step),  b = μ·b + (1 - τ)·d (later steps)      # only when μ ≠ 0
        d = d + μ·b (nesterov)  or  d = b
        p = p - lr·d                                                 # p + lr·d when maximize

    >>> import autodiff as ad, optim
    >>> w = ad.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()     # gradient 2w
    >>> opt.step()
    >>> w
    tensor([ 0.8, -1.6], requires_grad=True)
    """

    def __init__(self, params: ParamsLike, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        if group["momentum"] < 0.0:
            raise ValueError(f"invalid momentum: {group['momentum']} (expected momentum >= 0)")
        if group["weight_decay"] < 0.0:
            raise ValueError(f"invalid weight_decay: {group['weight_decay']} (expected >= 0)")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov momentum needs momentum > 0 and dampening = 0")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        d = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            d = d + group["weight_decay"] * param
        momentum = group["momentum"]
        new_state = dict(state)
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            buffer = d.copy() if buffer is None else momentum * buffer + (1 - group["dampening"]) * d
            new_state["momentum_buffer"] = buffer
            d = d + momentum * buffer if group["nesterov"] else buffer
        return group["lr"] * d, new_state
