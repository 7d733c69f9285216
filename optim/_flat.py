"""All of an optimizer's parameters seen as one flat vector (second-order methods need that view)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff as ad
from autodiff import Tensor
from autodiff.errors import GraphFreedError

from .optimizer import Optimizer


def all_params(param_groups: list[dict[str, Any]]) -> list[Tensor]:
    return [p for group in param_groups for p in group["params"]]


def get_flat(params: list[Tensor]) -> np.ndarray:
    return np.concatenate([np.asarray(p.data, dtype=float).reshape(-1) for p in params])


def set_flat(params: list[Tensor], x: np.ndarray) -> None:
    """Write x into the parameters in place (``copy_`` under no_grad: the version counters move)."""
    offset = 0
    with ad.no_grad():
        for p in params:
            p.copy_(x[offset: offset + p.size].reshape(p.shape))
            offset += p.size


def set_flat_grad(params: list[Tensor], grad: np.ndarray) -> None:
    offset = 0
    for p in params:
        p.grad = Tensor(grad[offset: offset + p.size].reshape(p.shape).astype(p.dtype))
        offset += p.size


def call_closure(closure: Callable[[], Any] | None, who: str, record: bool) -> Tensor:
    """Run the closure (recording when ``record``) and check it returned a Tensor."""
    if closure is None:
        raise ValueError(f"{who}.step needs a closure that re-evaluates the model and returns the "
                         f"{'residuals' if who in ('GaussNewton', 'LevenbergMarquardt') else 'loss'}")
    with ad.enable_grad() if record else ad.no_grad():
        out = closure()
    if not isinstance(out, Tensor):
        raise TypeError(f"{who}: the closure must return a Tensor, got {type(out).__name__}")
    return out


def freed_graph_hint(who: str) -> GraphFreedError:
    return GraphFreedError(f"{who} differentiates the closure's result itself: the closure must return "
                           "it without calling backward() (which freed the graph)")


class FlatOptimizer(Optimizer):
    """An optimizer working on all parameters at once; ``step`` restores them if anything fails."""

    _state_like_params = False  # its state holds flat vectors

    def add_param_group(self, group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError(f"{type(self).__name__} takes one parameter group (it sees all parameters "
                             "as one vector)")
        super().add_param_group(group)

    @property
    def _params(self) -> list[Tensor]:
        return all_params(self.param_groups)

    @property
    def _state(self) -> dict[str, Any]:
        return self.state.setdefault(self._params[0], {"n_iter": 0, "func_evals": 0})

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        params = self._params
        start = get_flat(params)
        try:
            return self._iterate(closure, params, start)
        except BaseException:
            set_flat(params, start)
            raise

    def _iterate(self, closure, params, start) -> Any:
        raise NotImplementedError

    def _backtrack(self, params: list[Tensor], start: np.ndarray, direction: np.ndarray, value: float,
                   slope: float, value_at: Callable[[], float]) -> bool:
        """Armijo: halve α from ``lr`` until value_at(start + αd) ≤ value + c₁α·slope; else restore."""
        group, state = self.param_groups[0], self._state
        alpha = group["lr"]
        for _ in range(group["max_backtracks"]):
            set_flat(params, start + alpha * direction)
            trial = value_at()
            state["func_evals"] += 1
            if math.isfinite(trial) and trial <= value + group["c1"] * alpha * slope:
                state.update(n_iter=state["n_iter"] + 1, message="step taken", alpha=alpha)
                return True
            alpha *= 0.5
        set_flat(params, start)
        state["message"] = "no step length gave sufficient decrease (at a minimum to rounding?)"
        return False
