"""RMSprop: divide the gradient by a running root-mean-square of its recent values."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsLike


class RMSprop(Optimizer):
    """RMSprop (Hinton), PyTorch's formulas step for step.

    With g the gradient (plus wd·p)::

        s = α·s + (1 - α)·g²
        a = √(s - ḡ²) + ε with ḡ = α·ḡ + (1 - α)·g (centered),  or  a = √s + ε
        b = μ·b + g/a, p = p - lr·b (momentum μ > 0),  or  p = p - lr·g/a

    >>> import autodiff as ad, optim
    >>> w = ad.tensor([1.0], requires_grad=True)
    >>> opt = optim.RMSprop([w], lr=0.01, alpha=0.75)
    >>> (w * 2.0).sum().backward()   # s = 0.25·4 = 1, step = 0.01·2/(1 + 1e-8)
    >>> opt.step()
    >>> w
    tensor([0.98], requires_grad=True)
    """

    _non_negative = ("alpha", "eps", "weight_decay", "momentum")

    def __init__(self, params: ParamsLike, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param
        square_avg = alpha * state.get("square_avg", 0.0) + (1 - alpha) * g * g
        new_state: dict[str, Any] = {"step": state.get("step", 0) + 1, "square_avg": square_avg}
        if group["centered"]:
            grad_avg = alpha * state.get("grad_avg", 0.0) + (1 - alpha) * g
            new_state["grad_avg"] = grad_avg
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = np.sqrt(square_avg) + eps
        if momentum > 0:
            buffer = momentum * state.get("momentum_buffer", 0.0) + g / avg
            new_state["momentum_buffer"] = buffer
            return group["lr"] * buffer, new_state
        return group["lr"] * g / avg, new_state
