"""Second-order optimizers over parameters: Newton, Gauss-Newton, Levenberg-Marquardt.

All three see the parameters as one flat vector x and need a ``closure`` that re-evaluates the
model and returns the loss (Newton) or the vector of residuals (GaussNewton,
LevenbergMarquardt) *without* calling ``backward``: they differentiate it themselves.
Each ``step(closure)`` is one iteration; parameters change in place (version counters move).
Meant for problems up to a few thousand parameters: Newton builds the full n×n Hessian.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autodiff import Tensor
from autodiff.errors import GraphFreedError

from ._damping import damped_newton_direction
from ._derivatives import flat_gradient_and_hessian
from ._derivatives import flat_jacobian as jacobian_of
from ._flat import FlatOptimizer, call_closure, freed_graph_hint, set_flat, set_flat_grad
from .least_squares import gauss_newton_direction, levenberg_marquardt_direction
from .optimizer import ParamsLike


class Newton(FlatOptimizer):
    """Damped Newton: x ← x + α·d with (∇²f + μI) d = -∇f, the Hessian by AD.

    μ starts at ``damping`` and grows (×10) until ∇²f + μI is positive definite, so d is a descent
    direction; α starts at ``lr`` and is halved until the Armijo condition f(x + αd) ≤ f(x) +
    c₁α∇f·d holds. If no α works the parameters stay where they were and ``state["message"]``
    says why. Returns the loss before the step.

    >>> import autodiff as ad, optim
    >>> w = ad.tensor([3.0, -1.0], requires_grad=True)
    >>> opt = optim.Newton([w])
    >>> closure = lambda: ((w - 1.0) ** 2).sum() + (w[0] * w[1]) ** 2
    >>> for _ in range(12):
    ...     _ = opt.step(closure)
    >>> [round(v, 5) + 0.0 for v in w.tolist()]
    [0.68233, 0.68233]
    """

    def __init__(self, params: ParamsLike, lr: float = 1.0, damping: float = 0.0, c1: float = 1e-4,
                 max_backtracks: int = 40) -> None:
        super().__init__(params, dict(lr=lr, damping=damping, c1=c1, max_backtracks=max_backtracks))

    def _iterate(self, closure, params, start) -> Any:
        group = self.param_groups[0]
        state = self._state
        loss = call_closure(closure, "Newton", record=True)
        if loss.size != 1:
            raise ValueError(f"Newton: the closure must return a scalar loss, got shape {loss.shape}")
        try:
            grad, hessian = flat_gradient_and_hessian(loss, params)
        except GraphFreedError:
            raise freed_graph_hint("Newton") from None
        f0 = float(loss.data.reshape(()))
        state["func_evals"] += 1
        set_flat_grad(params, grad)
        found = damped_newton_direction(hessian, grad, damping=group["damping"])
        if found is None:
            state["message"] = "the Hessian is not finite or cannot be made positive definite"
            return loss
        direction, state["damping"] = found
        slope = float(grad @ direction)
        self._backtrack(params, start, direction, f0, slope,
                        lambda: float(call_closure(closure, "Newton", record=False).data.reshape(())))
        return loss


class _ResidualOptimizer(FlatOptimizer):
    def _residuals(self, closure, params, record: bool) -> Tensor:
        r = call_closure(closure, type(self).__name__, record=record)
        if not np.issubdtype(r.dtype, np.floating):
            raise TypeError(f"{type(self).__name__}: residuals must be floating point, got {r.dtype}")
        return r

    def _linearise(self, closure, params) -> tuple[Tensor, np.ndarray, np.ndarray]:
        r = self._residuals(closure, params, record=True)
        try:
            jac = jacobian_of(r, params)
        except GraphFreedError:
            raise freed_graph_hint(type(self).__name__) from None
        values = np.asarray(r.data, dtype=float).reshape(-1)
        set_flat_grad(params, jac.T @ values)  # ∇(½‖r‖²) = Jᵀr
        self._state["func_evals"] += 1
        return r, values, jac

    def _cost(self, closure, params) -> float:
        values = np.asarray(self._residuals(closure, params, record=False).data, dtype=float)
        return 0.5 * float(np.sum(values * values))


class GaussNewton(_ResidualOptimizer):
    """Gauss-Newton for least squares: the closure returns residuals r; minimises ½‖r‖².

    d solves J d ≈ -r in the least-squares sense (J = ∂r/∂x by AD), then α is halved from ``lr``
    until ½‖r‖² decreases enough (Armijo). Returns the residuals before the step.

    >>> import numpy as np, autodiff as ad, optim
    >>> t = np.linspace(0, 1, 10)
    >>> y = 2.0 * np.exp(-1.5 * t)
    >>> a = ad.tensor(1.0, requires_grad=True)
    >>> k = ad.tensor(0.0, requires_grad=True)
    >>> opt = optim.GaussNewton([a, k])
    >>> for _ in range(10):
    ...     _ = opt.step(lambda: a * ad.exp(-k * t) - y)
    >>> round(a.item(), 8), round(k.item(), 8)
    (2.0, 1.5)
    """

    def __init__(self, params: ParamsLike, lr: float = 1.0, c1: float = 1e-4,
                 max_backtracks: int = 40) -> None:
        super().__init__(params, dict(lr=lr, c1=c1, max_backtracks=max_backtracks))

    def _iterate(self, closure, params, start) -> Any:
        state = self._state
        r, values, jac = self._linearise(closure, params)
        cost = 0.5 * float(values @ values)
        direction = gauss_newton_direction(values, jac)
        slope = float((jac.T @ values) @ direction)
        if not slope < 0:
            state["message"] = "zero gradient: nothing to do"
            return r
        self._backtrack(params, start, direction, cost, slope, lambda: self._cost(closure, params))
        return r


class LevenbergMarquardt(_ResidualOptimizer):
    """Levenberg-Marquardt: the closure returns residuals r; minimises ½‖r‖².

    d solves (JᵀJ + μ·diag(JᵀJ)) d = -Jᵀr. A step that lowers the cost is taken and μ shrinks
    (÷10, towards Gauss-Newton); otherwise μ grows (×10, towards short gradient steps) and the
    step is retried, up to ``max_tries`` times. μ (``state["mu"]``) starts at ``damping``.

    >>> import numpy as np, autodiff as ad, optim
    >>> t = np.linspace(0, 1, 10)
    >>> y = 2.0 * np.exp(-1.5 * t)
    >>> p = ad.tensor([1.0, 0.0], requires_grad=True)
    >>> opt = optim.LevenbergMarquardt([p])
    >>> for _ in range(15):
    ...     _ = opt.step(lambda: p[0] * ad.exp(-p[1] * t) - y)
    >>> np.round(p.data, 8)
    array([2. , 1.5])
    """

    def __init__(self, params: ParamsLike, damping: float = 1e-3, max_tries: int = 30) -> None:
        super().__init__(params, dict(damping=damping, max_tries=max_tries))

    def _iterate(self, closure, params, start) -> Any:
        group = self.param_groups[0]
        state = self._state
        mu = state.get("mu", group["damping"])
        r, values, jac = self._linearise(closure, params)
        cost = 0.5 * float(values @ values)
        for _ in range(group["max_tries"]):
            set_flat(params, start + levenberg_marquardt_direction(values, jac, mu))
            trial = self._cost(closure, params)
            state["func_evals"] += 1
            if math.isfinite(trial) and trial < cost:
                state["mu"] = max(mu / 10, 1e-20)
                state["n_iter"] += 1
                state["message"] = "step taken"
                return r
            mu *= 10
        set_flat(params, start)
        state["mu"] = min(mu, 1e10)  # at a minimum every step fails: μ must not ratchet up to overflow
        state["message"] = "no damping gave a lower cost (at a minimum to rounding?)"
        return r
