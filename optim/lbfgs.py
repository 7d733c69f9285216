"""L-BFGS over parameters: quasi-Newton steps from the last ``history_size`` gradient differences.

PyTorch's ``torch.optim.LBFGS`` algorithm and options, step for step: one ``step(closure)`` runs
up to ``max_iter`` iterations; the closure re-evaluates the model, calls ``backward`` and returns
the loss (or only returns the loss: then the optimizer differentiates it and sets ``.grad``).
Without a line search the step is ``lr`` (the first one scaled by 1/‖g‖₁); with
``line_search_fn="strong_wolfe"`` it satisfies the strong Wolfe conditions. The two-loop
recursion and the line search are the ones ``minimize(method="lbfgs")`` uses; the outer loop
stays PyTorch's (its step sizes, history rules and stopping tests), so results match torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._flat import ClosureProblem, FlatOptimizer
from .directions import two_loop
from .linesearch import strong_wolfe
from .optimizer import ParamsLike


class LBFGS(FlatOptimizer):
    """Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4), PyTorch's interface.

    The closure calls ``backward()`` and returns the loss, as for ``torch.optim.LBFGS``; a closure
    that only returns the loss works too (the optimizer then differentiates it and sets ``.grad``).

    >>> import autodiff as ad, optim
    >>> w = ad.tensor([-1.2, 1.0], requires_grad=True)
    >>> opt = optim.LBFGS([w], line_search_fn="strong_wolfe", max_iter=100, tolerance_change=1e-14)
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure)
    >>> [round(v, 6) for v in w.tolist()]
    [1.0, 1.0]
    """

    def __init__(self, params: ParamsLike, lr: float = 1.0, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        max_eval = max_iter * 5 // 4 if max_eval is None else max_eval
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))

    def _iterate(self, problem: ClosureProblem, start: np.ndarray) -> Any:
        group = self.param_groups[0]
        lr, history_size = group["lr"], group["history_size"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self._state
        orig_loss, loss, flat_grad = problem.value_and_grad(start)
        current_evals = 1
        state["func_evals"] += 1
        if np.max(np.abs(flat_grad)) <= tolerance_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_steps, ro = state.get("old_dirs", []), state.get("old_stps", []), state.get("ro", [])
        h_diag = state.get("H_diag", 1.0)
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        x = start.copy()
        n_iter = 0
        while n_iter < group["max_iter"]:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_steps, ro, h_diag = -flat_grad, [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only if the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_steps.pop(0), ro.pop(0)
                    old_dirs.append(y), old_steps.append(s), ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)  # PyTorch's state entry; two_loop takes γ from the newest pair
                d = two_loop(flat_grad, list(zip(old_steps, old_dirs, ro, strict=True)))
            prev_flat_grad, prev_loss = flat_grad.copy(), loss
            t = min(1.0, 1.0 / np.sum(np.abs(flat_grad))) * lr if state["n_iter"] == 1 else lr
            gtd = float(flat_grad @ d)
            if gtd > -tolerance_change:  # not a descent direction any more
                break
            if group["line_search_fn"] == "strong_wolfe":
                search = strong_wolfe(lambda z: problem.value_and_grad(z)[1:], x, d, loss, flat_grad, alpha0=t,
                                      maxiter=25)
                evals = search.nfev
                t = search.alpha
                x = x + t * d
                problem.move_to(x)
                if search.success:  # the last evaluation was at x: .grad describes the parameters
                    loss, flat_grad = search.fun, search.grad
                else:  # it was elsewhere: evaluate at x again so .grad matches
                    _, loss, flat_grad = problem.value_and_grad(x)
                    evals += 1
                    if t == 0.0:
                        state["func_evals"] += evals
                        break
            else:
                x = x + t * d
                problem.move_to(x)
                evals = 0
                if n_iter != group["max_iter"]:
                    _, loss, flat_grad = problem.value_and_grad(x)
                    evals = 1
            current_evals += evals
            state["func_evals"] += evals
            if n_iter == group["max_iter"] or current_evals >= group["max_eval"]:
                break
            if np.max(np.abs(flat_grad)) <= tolerance_grad:
                break
            if np.max(np.abs(d * t)) <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_steps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
