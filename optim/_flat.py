"""All of an optimizer's parameters seen as one flat vector, and its closure as a function of it.

The optimizers over parameters that need the whole vector (``LBFGS``, ``Newton``, ``GaussNewton``,
``LevenbergMarquardt``) are adapters: :class:`ClosureProblem` turns the closure into the functions
of a flat array x that the functional solvers' steps take (value, gradient, Hessian, residuals and
their Jacobian), writing x into the parameters before each call.

Two closure styles work, told apart by whether the closure called ``backward()``:

* **returns the loss (or residuals)** and nothing else: the optimizer differentiates it, and sets
  ``.grad`` to the gradient where it did so (trial points of a line search run under ``no_grad``);
* **PyTorch's** ``opt.zero_grad(); loss = ...; loss.backward(); return loss``: where derivatives
  are needed the closure runs with its graph kept (``autodiff.engine.keep_graphs``), so the
  optimizer can differentiate its result again; ``.grad`` is what the closure's last backward
  left, as after ``torch.optim.LBFGS.step(closure)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff as ad
from autodiff import Tensor
from autodiff.engine import KEPT_GRAPHS, keep_graphs

from ._derivatives import checked, flat_gradient, flat_gradient_and_hessian, flat_jacobian, scalar
from .optimizer import Optimizer

RESIDUAL_OPTIMIZERS = ("GaussNewton", "LevenbergMarquardt")


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


def read_flat_grad(params: list[Tensor]) -> np.ndarray:
    return np.concatenate([np.zeros(p.size) if p.grad is None else np.asarray(p.grad.data, dtype=float).reshape(-1)
                           for p in params])


class ClosureProblem:
    """The closure as a function of the flat parameter vector x, counting evaluations (``nfev``).

    ``at`` is the point the parameters hold; each method first moves them to its x.
    """

    def __init__(self, params: list[Tensor], closure: Callable[[], Any] | None, who: str) -> None:
        if closure is None:
            what = "residuals" if who in RESIDUAL_OPTIMIZERS else "loss"
            raise ValueError(f"{who}.step needs a closure that re-evaluates the model and returns the {what}")
        self.params, self.closure, self.who = params, closure, who
        self.at = get_flat(params)
        self.nfev = 0
        self.calls_backward: bool | None = None  # learnt from the first call

    def move_to(self, x: np.ndarray) -> None:
        if not np.array_equal(x, self.at):
            set_flat(self.params, x)
            self.at = x.copy()

    def _call(self, x: np.ndarray, differentiate: bool) -> Tensor:
        """closure() at x: recorded when we differentiate it (its graph kept even if it calls
        backward) or when it calls backward itself (which needs a graph); otherwise under no_grad."""
        self.move_to(x)
        self.nfev += 1
        record = differentiate or self.calls_backward is not False
        calls = KEPT_GRAPHS.backward_calls
        with ad.enable_grad() if record else ad.no_grad(), \
                keep_graphs() if differentiate else contextlib.nullcontext():
            out = self.closure()
        if self.calls_backward is None and record:
            self.calls_backward = KEPT_GRAPHS.backward_calls > calls
        if self.calls_backward and not differentiate and isinstance(out, (float, int, np.floating, np.ndarray)):
            out = Tensor(np.asarray(out, dtype=float))  # torch's LBFGS takes float(closure()) too
        return checked(out, f"{self.who}: the closure")

    def _gradient_to_params(self, grad: np.ndarray) -> None:
        if not self.calls_backward:  # a PyTorch-style closure has set .grad itself
            set_flat_grad(self.params, grad)

    # ------------------------------------------------------------------ scalar objective
    def value(self, x: np.ndarray) -> tuple[float, None]:
        """f(x) only (a line search's trial point): ``(f, None)``."""
        return scalar(self._call(x, differentiate=False), f"{self.who}: the closure"), None

    def value_and_grad(self, x: np.ndarray) -> tuple[Tensor, float, np.ndarray]:
        """The closure's loss Tensor, f(x) and ∇f(x); ``.grad`` holds ∇f(x) afterwards."""
        loss = self._call(x, differentiate=self.calls_backward is False)
        fun = scalar(loss, f"{self.who}: the closure")
        if self.calls_backward:
            return loss, fun, read_flat_grad(self.params)
        grad = flat_gradient(loss, self.params)
        grad = np.zeros(x.size) if grad is None else np.array(grad.data, dtype=float)
        self._gradient_to_params(grad)
        return loss, fun, grad

    def value_grad_hessian(self, x: np.ndarray) -> tuple[Tensor, float, np.ndarray, np.ndarray]:
        """The closure's loss Tensor, f(x), ∇f(x) and ∇²f(x) (n×n)."""
        loss = self._call(x, differentiate=True)
        fun = scalar(loss, f"{self.who}: the closure")
        grad, hessian = flat_gradient_and_hessian(loss, self.params)
        self._gradient_to_params(grad)
        return loss, fun, grad, hessian

    # ------------------------------------------------------------------ residuals
    def cost(self, x: np.ndarray) -> tuple[float, None]:
        """½‖r(x)‖² only (a trial point): ``(cost, None)``."""
        values = np.asarray(self._call(x, differentiate=False).data, dtype=float)
        return 0.5 * float(np.sum(values * values)), None

    def linearize(self, x: np.ndarray) -> tuple[Tensor, np.ndarray, np.ndarray]:
        """The closure's residual Tensor, r(x) flat and J(x) = ∂r/∂x (m×n); ``.grad`` = Jᵀr = ∇(½‖r‖²)."""
        r = self._call(x, differentiate=True)
        values = np.asarray(r.data, dtype=float).reshape(-1)
        jac = flat_jacobian(r, self.params)
        self._gradient_to_params(jac.T @ values)
        return r, values, jac


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
        problem = ClosureProblem(params, closure, type(self).__name__)
        start = problem.at.copy()
        try:
            return self._iterate(problem, start)
        except BaseException:
            set_flat(params, start)
            raise

    def _iterate(self, problem: ClosureProblem, start: np.ndarray) -> Any:
        raise NotImplementedError

    def _finish(self, problem: ClosureProblem, start: np.ndarray, x: np.ndarray | None, failure: str) -> None:
        """Leave the parameters at x (a step taken) or at start (``failure`` says why not); count evaluations."""
        state = self._state
        state["func_evals"] += problem.nfev
        if x is None:
            problem.move_to(start)
            state["message"] = failure
        else:
            problem.move_to(x)
            state.update(n_iter=state["n_iter"] + 1, message="step taken")
