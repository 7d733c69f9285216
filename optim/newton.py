"""Second-order optimizers over parameters: Newton, Gauss-Newton, Levenberg-Marquardt.

Each is a thin adapter: it sees the parameters as one flat vector x (``_flat.ClosureProblem``)
and takes one iteration of the functional solver's step (``minimize``'s damped Newton step, the
least-squares solver's Gauss-Newton and Levenberg-Marquardt steps), so each algorithm and its
constants live in one place. The ``closure`` re-evaluates the model and returns the loss (Newton)
or the vector of residuals (GaussNewton, LevenbergMarquardt). It may call ``backward()`` itself,
PyTorch-style (``opt.zero_grad(); loss = ...; loss.backward(); return loss``), or not: the
optimizer differentiates the result either way (the closure's graph is kept for it). With a
PyTorch-style closure ``.grad`` is what its last backward left; otherwise the optimizer sets
``.grad`` to the gradient at the start of the step. Each ``step(closure)`` is one iteration;
parameters change in place (version counters move). Meant for problems up to a few thousand
parameters: Newton builds the full n×n Hessian.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._flat import ClosureProblem, FlatOptimizer
from .directions import gauss_newton_direction
from .least_squares import MU0, levenberg_marquardt_step
from .linesearch import armijo
from .optimizer import ParamsLike
from .unconstrained import damped_newton_step


class Newton(FlatOptimizer):
    """Damped Newton: x ← x + α·d with (∇²f + μI) d = -∇f, the Hessian by AD.

    μ starts at ``damping`` and grows (×10) until ∇²f + μI is positive definite, so d is a descent
    direction; α starts at ``lr`` and is halved until the Armijo condition f(x + αd) ≤ f(x) +
    c₁α∇f·d holds. If no α works the parameters stay where they were and ``state["message"]``
    says why. Returns the loss before the step. The closure returns the loss, and may call
    ``loss.backward()`` first as in PyTorch.

    >>> import autodiff as ad, optim
    >>> w = ad.tensor([3.0, -1.0], requires_grad=True)
    >>> opt = optim.Newton([w])
    >>> closure = lambda: ((w - 1.0) ** 2).sum() + (w[0] * w[1]) ** 2
    >>> for _ in range(12):
    ...     _ = opt.step(closure)
    >>> [round(v, 5) + 0.0 for v in w.tolist()]
    [0.68233, 0.68233]
    >>> def pytorch_closure():                  # the same, written for torch.optim.LBFGS
    ...     opt.zero_grad()
    ...     loss = ((w - 1.0) ** 2).sum() + (w[0] * w[1]) ** 2
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(pytorch_closure)
    >>> [round(v, 5) + 0.0 for v in w.tolist()], [round(g, 8) + 0.0 for g in w.grad.tolist()]
    ([0.68233, 0.68233], [0.0, 0.0])
    """

    def __init__(self, params: ParamsLike, lr: float = 1.0, damping: float = 0.0, c1: float = 1e-4,
                 max_backtracks: int = 40) -> None:
        super().__init__(params, dict(lr=lr, damping=damping, c1=c1, max_backtracks=max_backtracks))

    def _iterate(self, problem: ClosureProblem, start: np.ndarray) -> Any:
        group = self.param_groups[0]
        loss, fun, grad, hessian = problem.value_grad_hessian(start)
        step = damped_newton_step(problem.value, start, fun, grad, hessian, damping=group["damping"],
                                  alpha0=group["lr"], c1=group["c1"], max_backtracks=group["max_backtracks"])
        if step is None:
            self._finish(problem, start, None, "the Hessian is not finite or cannot be made positive definite")
            return loss
        search, direction, self._state["damping"] = step
        self._state["alpha"] = search.alpha
        self._finish(problem, start, start + search.alpha * direction if search.success else None,
                     f"no step taken: {search.message} (at a minimum to rounding?)")
        return loss


class GaussNewton(FlatOptimizer):
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

    def _iterate(self, problem: ClosureProblem, start: np.ndarray) -> Any:
        group = self.param_groups[0]
        r, values, jac = problem.linearize(start)
        direction = gauss_newton_direction(values, jac)
        search = armijo(problem.cost, start, direction, 0.5 * float(values @ values), jac.T @ values,
                        alpha0=group["lr"],
                        c1=group["c1"], maxiter=group["max_backtracks"])
        self._finish(problem, start, start + search.alpha * direction if search.success else None,
                     f"no step taken: {search.message} (at a minimum to rounding?)")
        return r


class LevenbergMarquardt(FlatOptimizer):
    """Levenberg-Marquardt: the closure returns residuals r; minimises ½‖r‖².

    d solves (JᵀJ + μ·diag(JᵀJ)) d = -Jᵀr. A step that does not raise the cost is taken and μ
    shrinks (÷10, towards Gauss-Newton); otherwise μ grows (×10, towards short gradient steps)
    and the step is retried, up to ``max_tries`` times (the damping loop and its constants are
    those of ``curve_fit``'s solver). μ (``state["mu"]``) starts at ``damping``.

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

    def __init__(self, params: ParamsLike, damping: float = MU0, max_tries: int = 30) -> None:
        super().__init__(params, dict(damping=damping, max_tries=max_tries))

    def _iterate(self, problem: ClosureProblem, start: np.ndarray) -> Any:
        group, state = self.param_groups[0], self._state
        r, values, jac = problem.linearize(start)
        x, _, state["mu"], _ = levenberg_marquardt_step(problem.cost, start, values, jac,
                                                        state.get("mu", group["damping"]), group["max_tries"])
        self._finish(problem, start, x, "no damping gave a lower cost (at a minimum to rounding?)")
        return r
