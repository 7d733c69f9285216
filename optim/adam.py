"""Adam (with AMSGrad) and AdamW: moment estimates of the gradient, bias-corrected."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsLike


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's formulas step for step.

    At step t, with g the gradient (plus wd·p when weight_decay is set)::

        m = β₁·m + (1 - β₁)·g           v = β₂·v + (1 - β₂)·g²
        v̂ = max(v̂, v) (amsgrad)  or  v̂ = v
        p = p - lr/(1 - β₁ᵗ) · m / (√v̂ / √(1 - β₂ᵗ) + ε)

    >>> import autodiff as ad, optim
    >>> w = ad.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                   # the first Adam step moves each entry by about lr
    >>> w
    tensor([ 0.9, -1.9], requires_grad=True)
    """

    _decoupled = False  # AdamW: weight decay shrinks p directly instead of adding wd·p to g

    def __init__(self, params: ParamsLike, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        beta1, beta2 = group["betas"]
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ValueError(f"invalid betas {group['betas']}: expected 0 <= beta < 1")
        if group["eps"] < 0.0 or group["weight_decay"] < 0.0:
            raise ValueError("eps and weight_decay must be >= 0")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        g = -grad if group["maximize"] else grad
        decay = 0.0
        if self._decoupled:
            decay = lr * wd * param  # p·(1 - lr·wd) = p - lr·wd·p
        elif wd != 0:
            g = g + wd * param
        step = state.get("step", 0) + 1
        exp_avg = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * g
        exp_avg_sq = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * g * g
        new_state = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
        second = exp_avg_sq
        if group["amsgrad"]:
            second = np.maximum(state.get("max_exp_avg_sq", 0.0), exp_avg_sq)
            new_state["max_exp_avg_sq"] = second
        step_size = lr / (1 - beta1 ** step)
        denom = np.sqrt(second) / math.sqrt(1 - beta2 ** step) + eps
        return step_size * exp_avg / denom + decay, new_state


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p ← p·(1 - lr·wd), then the Adam step.

    >>> import autodiff as ad, optim
    >>> w = ad.tensor([1.0], requires_grad=True)
    >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()                   # 1·(1 - 0.05) - 0.1
    >>> w
    tensor([0.85], requires_grad=True)
    """

    _decoupled = True

    def __init__(self, params: ParamsLike, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize)
