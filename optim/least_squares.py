"""Non-linear least squares, min ½‖r(x)‖², on flat arrays: Gauss-Newton, Levenberg-Marquardt, descent.

Near the solution ∇²(½‖r‖²) = JᵀJ + Σ rᵢ∇²rᵢ ≈ JᵀJ, so these methods need only the Jacobian J:

* **Gauss-Newton**: solve J d ≈ -r (least squares), then backtrack on ½‖r‖² (Armijo).
* **Levenberg-Marquardt**: solve (JᵀJ + μ·diag(JᵀJ)) d = -Jᵀr; shrink μ (towards Gauss-Newton)
  after a step that lowers the cost, grow it (towards short gradient steps) after one that does not.
* **gd**: steepest descent on ½‖r‖² with Armijo backtracking (slow; for comparison).

``bounds = (lower, upper)`` keeps x inside a box: variables held at a bound by the gradient are
fixed for the step (an active set), the others take the step, and trial points are projected
onto the box (projected Newton, Bertsekas 1982).
These are the engines of :func:`optim.curve_fit` and of the GaussNewton/LevenbergMarquardt optimizers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .results import LeastSquaresResult

Residual = Callable[[np.ndarray], np.ndarray]
ResidualJacobian = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def gauss_newton_direction(r: np.ndarray, J: np.ndarray) -> np.ndarray:
    """The Gauss-Newton step: the least-squares solution of J d = -r (minimum norm if J is rank deficient)."""
    return np.linalg.lstsq(J, -r, rcond=None)[0]


def levenberg_marquardt_direction(r: np.ndarray, J: np.ndarray, mu: float) -> np.ndarray:
    """(JᵀJ + μD) d = -Jᵀr with D = diag(JᵀJ), solved stably as least squares [J; √(μD)] d ≈ [-r; 0]."""
    scale = np.sum(J * J, axis=0)
    scale = np.maximum(scale, 1e-12 * max(float(scale.max(initial=0.0)), 1e-300))
    augmented = np.vstack([J, np.diag(np.sqrt(mu * scale))])
    return np.linalg.lstsq(augmented, np.concatenate([-r, np.zeros(J.shape[1])]), rcond=None)[0]


def project(x: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    return x if bounds is None else np.clip(x, bounds[0], bounds[1])


def free_variables(x: np.ndarray, grad: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """The variables a descent step may move: all but those on a bound that -∇ pushes outwards."""
    if bounds is None:
        return np.ones(x.size, dtype=bool)
    lower, upper = bounds
    return ~(((x <= lower) & (grad > 0)) | ((x >= upper) & (grad < 0)))


def _on(free: np.ndarray, step: np.ndarray) -> np.ndarray:
    """A step of the free variables, as a full-length step (zero on the others)."""
    full = np.zeros(free.size)
    full[free] = step
    return full


def check_bounds(bounds, x0: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(lower, upper)`` broadcast to x0's size; x0 must lie inside."""
    if bounds is None:
        return None
    try:
        lower, upper = bounds
    except (TypeError, ValueError):
        raise ValueError("bounds must be a pair (lower, upper) of numbers or arrays") from None
    lower = np.broadcast_to(np.asarray(lower, dtype=float), x0.shape).copy()
    upper = np.broadcast_to(np.asarray(upper, dtype=float), x0.shape).copy()
    if np.any(lower >= upper):
        raise ValueError("bounds: every lower bound must be below its upper bound")
    if np.any(x0 < lower) or np.any(x0 > upper):
        raise ValueError(f"the initial guess {x0} is outside the bounds")
    return lower, upper


def solve_least_squares(residual_and_jacobian: ResidualJacobian, x0: np.ndarray, method: str = "lm",
                        bounds: tuple[np.ndarray, np.ndarray] | None = None, xtol: float = 1e-12,
                        ftol: float = 1e-15, gtol: float = 1e-14, maxiter: int = 500,
                        mu: float = 1e-3) -> LeastSquaresResult:
    """Minimise ½‖r(x)‖² from x0 with ``method`` "lm", "gauss-newton" or "gd".

    Stops (success) when a step changes x by less than xtol·(‖x‖ + xtol), when the cost stops
    falling by more than ftol relative, or when ‖Jᵀr‖∞ ≤ gtol·(1 + cost).
    """
    if method not in ("lm", "gauss-newton", "gd"):
        raise ValueError(f"unknown least-squares method {method!r}; expected 'lm', 'gauss-newton' or 'gd'")
    nfev = 1
    x = np.array(x0, dtype=float)
    r, J = residual_and_jacobian(x)
    path = [x.copy()]

    def done(success: bool, message: str, nit: int) -> LeastSquaresResult:
        return LeastSquaresResult(x=x, fun=r, jac=J, cost=0.5 * float(r @ r), nit=nit, nfev=nfev,
                                  success=success, message=message, path=np.array(path))

    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(J))):
        return done(False, "the residuals or their Jacobian are not finite at x0", 0)
    for nit in range(1, maxiter + 1):
        cost = 0.5 * float(r @ r)
        full_grad = J.T @ r
        free = free_variables(x, full_grad, bounds)
        grad = np.where(free, full_grad, 0.0)  # the projected gradient: zero where a bound holds x
        if float(np.max(np.abs(grad), initial=0.0)) <= gtol * (1 + cost):
            return done(True, "gradient of the cost below gtol", nit - 1)
        accepted = None
        if method == "lm":
            for _ in range(60):
                trial = project(x + _on(free, levenberg_marquardt_direction(r, J[:, free], mu)), bounds)
                r_trial, J_trial = residual_and_jacobian(trial)
                nfev += 1
                cost_trial = 0.5 * float(r_trial @ r_trial)
                if math.isfinite(cost_trial) and np.all(np.isfinite(J_trial)) and cost_trial <= cost:
                    accepted = (trial, r_trial, J_trial, cost_trial)
                    mu = max(mu / 10, 1e-20)
                    break
                mu *= 10
                if mu > 1e20:
                    break
        else:
            d = _on(free, gauss_newton_direction(r, J[:, free])) if method == "gauss-newton" else -grad
            slope = float(grad @ d)
            if not slope < 0:
                return done(False, "the Gauss-Newton step is not a descent direction", nit - 1)
            alpha = 1.0
            for _ in range(60):
                trial = project(x + alpha * d, bounds)
                r_trial, J_trial = residual_and_jacobian(trial)
                nfev += 1
                cost_trial = 0.5 * float(r_trial @ r_trial)
                if math.isfinite(cost_trial) and cost_trial <= cost + 1e-4 * float(grad @ (trial - x)):
                    accepted = (trial, r_trial, J_trial, cost_trial)
                    break
                alpha *= 0.5
        if accepted is None:
            # no step lowers the cost: at a minimum to rounding, or stuck
            small = float(np.max(np.abs(grad), initial=0.0)) <= 1e-8 * (1 + cost)
            return done(small, "no step lowers the cost any more (converged to rounding)" if small
                        else "could not find a step that lowers the cost", nit - 1)
        step = accepted[0] - x
        x, r, J, cost_new = accepted
        path.append(x.copy())
        if np.linalg.norm(step) <= xtol * (np.linalg.norm(x) + xtol):
            return done(True, "the step is below xtol", nit)
        if cost - cost_new <= ftol * cost:
            return done(True, "the cost stopped decreasing (relative change below ftol)", nit)
    return done(False, f"maximum number of iterations ({maxiter}) reached", maxiter)
