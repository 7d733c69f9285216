"""Adagrad: per-coordinate learning rates shrinking with the sum of squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsLike


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), PyTorch's formulas step for step.

    At step t, with g the gradient (plus wd·p)::

        η = lr / (1 + (t - 1)·lr_decay)
        s = s + g²                     (s starts at initial_accumulator_value)
        p = p - η·g/(√s + ε)

    >>> import autodiff as ad, optim
    >>> w = ad.tensor([1.0], requires_grad=True)
    >>> opt = optim.Adagrad([w], lr=0.5)
    >>> (w * 4.0).sum().backward()   # s = 16, step = 0.5·4/4
    >>> opt.step()
    >>> w
    tensor([0.5], requires_grad=True)
    """

    _non_negative = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(self, params: ParamsLike, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param
        step = state.get("step", 0) + 1
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        total = state.get("sum", np.full_like(param, group["initial_accumulator_value"])) + g * g
        return clr * g / (np.sqrt(total) + group["eps"]), {"step": step, "sum": total}
