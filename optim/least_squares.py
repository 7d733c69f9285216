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
from typing import Any

import numpy as np

from .directions import gauss_newton_direction, levenberg_marquardt_direction
from .linesearch import armijo
from .results import LeastSquaresResult

Residual = Callable[[np.ndarray], np.ndarray]
ResidualJacobian = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
TrialCost = Callable[[np.ndarray], tuple[float, Any]]

# Levenberg-Marquardt's damping, for the solver and the optimizer alike (they had 1e10 and 1e20 as
# ceilings and < and <= as the test). Marquardt's μ₀ = 10⁻³ and factor 10 (Press et al., Numerical
# Recipes §15.5): one success or failure moves μ a decade. The floor 10⁻²⁰ keeps μD a regulariser;
# the ceiling 10²⁰ is far past 1/ε, where JᵀJ is lost in rounding next to μD and a larger μ only
# shrinks the same step below x's last bit, so a search that gets there has really failed. A
# trial that leaves the cost equal to the last bit is taken: at the solution the solver then
# stops through its step or cost test at once instead of after ~25 rising-μ failures.
MU0, MU_FACTOR, MU_MIN, MU_MAX = 1e-3, 10.0, 1e-20, 1e20
FLAT_RTOL = math.sqrt(np.finfo(float).eps)  # a change below √ε of r's size: what finite differences cannot see


def levenberg_marquardt_step(cost_at: TrialCost, x: np.ndarray, r: np.ndarray, J: np.ndarray, mu: float,
                             max_tries: int = 60, free: np.ndarray | None = None,
                             bounds: tuple[np.ndarray, np.ndarray] | None = None
                             ) -> tuple[np.ndarray | None, Any, float, int]:
    """One Levenberg-Marquardt iteration, the damping loop: ``(x_new or None, payload, μ, evaluations)``.

    Tries d from (JᵀJ + μD) d = -Jᵀr; ``cost_at(trial)`` returns ½‖r(trial)‖² and a payload (the
    caller's residuals and Jacobian there, say). A trial that does not raise the cost is taken
    and μ shrinks ×10 (towards Gauss-Newton); otherwise μ grows ×10 (towards short gradient
    steps) and the step is tried again. ``free`` (a mask) moves only some variables; trial points
    are projected onto ``bounds``. The returned μ is the one to start the next iteration from.

    >>> import numpy as np
    >>> A, b = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 2.0, 4.0])
    >>> cost = lambda p: (0.5 * float((A @ p - b) @ (A @ p - b)), None)
    >>> x = np.zeros(2)
    >>> new_x, _, mu, tries = levenberg_marquardt_step(cost, x, A @ x - b, A, mu=1e-3)
    >>> np.round(new_x, 3), mu, tries       # nearly the Gauss-Newton step, μ shrunk
    (array([0.835, 1.498]), 0.0001, 1)
    """
    cost = 0.5 * float(r @ r)
    columns = J if free is None else J[:, free]
    tries = 0
    while tries < max_tries:
        tries += 1
        trial = project(x + _on(free, levenberg_marquardt_direction(r, columns, mu)), bounds)
        trial_cost, payload = cost_at(trial)
        if math.isfinite(trial_cost) and trial_cost <= cost:
            return trial, payload, max(mu / MU_FACTOR, MU_MIN), tries
        mu *= MU_FACTOR
        if mu > MU_MAX:
            break
    return None, None, min(mu, MU_MAX), tries


def project(x: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    return x if bounds is None else np.clip(x, bounds[0], bounds[1])


def free_variables(x: np.ndarray, grad: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """The variables a descent step may move: all but those on a bound that -∇ pushes outwards."""
    if bounds is None:
        return np.ones(x.size, dtype=bool)
    lower, upper = bounds
    return ~(((x <= lower) & (grad > 0)) | ((x >= upper) & (grad < 0)))


def _on(free: np.ndarray | None, step: np.ndarray) -> np.ndarray:
    """A step of the free variables, as a full-length step (zero on the others)."""
    if free is None:
        return step
    full = np.zeros(free.size)
    full[free] = step
    return full


def flat_columns(J: np.ndarray, x: np.ndarray, scale: float) -> np.ndarray:
    """Which variables the residuals do not depend on at x, to working precision: a boolean mask.

    Variable j is flat when changing it by max(1, |xⱼ|) moves r by at most √ε·``scale``
    (‖J[:, j]‖·max(1, |xⱼ|) ≤ √ε·scale, with ``scale`` the size of r or of the data): a
    finite-difference step of √ε·max(1, |xⱼ|), what scipy takes, would then change r by less
    than its rounding, and the data cannot tell xⱼ from 2xⱼ. A Gaussian peak started far from the
    data is flat in all its parameters (its derivatives there are ~e⁻²⁰⁰).

    >>> import numpy as np
    >>> flat_columns(np.array([[1.0, 1e-90], [2.0, 0.0]]), np.array([3.0, 1.0]), scale=10.0)
    array([False,  True])
    """
    effect = np.linalg.norm(J, axis=0) * np.maximum(1.0, np.abs(x))
    return effect <= FLAT_RTOL * scale


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
                        mu: float = MU0) -> LeastSquaresResult:
    """Minimise ½‖r(x)‖² from x0 with ``method`` "lm", "gauss-newton" or "gd"; ``residual_and_jacobian(x)``
    returns r(x) and J(x) = ∂r/∂x as arrays (m and m×n).

    Stops with success when ‖Jᵀr‖∞ ≤ gtol·(1 + cost) (the projected gradient, with bounds), when a
    step changes x by less than xtol·(‖x‖ + xtol), when the cost falls by less than ftol relative,
    or when no step lowers the cost and ‖Jᵀr‖∞ ≤ 10⁻⁸·(1 + cost) (converged to rounding);
    without success after ``maxiter`` iterations, when no step lowers the cost with a larger
    gradient, when r or J is not finite at x0, or at a flat start: the gradient vanishes at x0
    only because r does not change with some variable there (see ``flat_columns``; a peak far
    from the data), which is no minimum to report. The result's ``jac`` is J at the returned x.

    >>> import numpy as np
    >>> A, b = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 2.0, 4.0])
    >>> result = solve_least_squares(lambda p: (A @ p - b, A), np.zeros(2))
    >>> result.success, np.round(result.x, 6), result.jac.shape
    (True, array([0.833333, 1.5     ]), (3, 2))
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

    def cost_at(trial: np.ndarray) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
        r_trial, J_trial = residual_and_jacobian(trial)
        finite = np.all(np.isfinite(J_trial))  # a step to where J is not finite would strand the next one
        return (0.5 * float(r_trial @ r_trial) if finite else math.inf), (r_trial, J_trial)

    def flat_start(r: np.ndarray, J: np.ndarray, x: np.ndarray) -> LeastSquaresResult:
        flat = np.flatnonzero(flat_columns(J, x, float(np.linalg.norm(r))))
        which = ", ".join(f"x[{i}]" for i in flat)
        return done(False, f"flat start: the residuals do not change with {which} at x0 (numerically zero "
                           "Jacobian columns), so the vanishing gradient marks no minimum; start elsewhere", 0)

    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(J))):
        return done(False, "the residuals or their Jacobian are not finite at x0", 0)
    for nit in range(1, maxiter + 1):
        cost = 0.5 * float(r @ r)
        full_grad = J.T @ r
        free = free_variables(x, full_grad, bounds)
        grad = np.where(free, full_grad, 0.0)  # the projected gradient: zero where a bound holds x
        if float(np.max(np.abs(grad), initial=0.0)) <= gtol * (1 + cost):
            return flat_start(r, J, x) if nit == 1 and np.any(flat_columns(J, x, float(np.linalg.norm(r)))) \
                else done(True, "gradient of the cost below gtol", nit - 1)
        if method == "lm":
            trial, evaluated, mu, tries = levenberg_marquardt_step(cost_at, x, r, J, mu, free=free, bounds=bounds)
            nfev += tries
        else:
            d = _on(free, gauss_newton_direction(r, J[:, free])) if method == "gauss-newton" else -grad
            if not float(grad @ d) < 0:
                return done(False, "the Gauss-Newton step is not a descent direction", nit - 1)
            search = armijo(cost_at, x, d, cost, grad, maxiter=60, project=lambda z: project(z, bounds))
            nfev += search.nfev
            trial, evaluated = (project(x + search.alpha * d, bounds), search.grad) if search.success else (None, None)
        if trial is None:
            # no step lowers the cost: at a minimum to rounding, or stuck
            small = float(np.max(np.abs(grad), initial=0.0)) <= 1e-8 * (1 + cost)
            if small and nit == 1 and np.any(flat_columns(J, x, float(np.linalg.norm(r)))):
                return flat_start(r, J, x)
            return done(small, "no step lowers the cost any more (converged to rounding)" if small
                        else "could not find a step that lowers the cost", nit - 1)
        step = trial - x
        x, (r, J) = trial, evaluated
        path.append(x.copy())
        if np.linalg.norm(step) <= xtol * (np.linalg.norm(x) + xtol):
            return done(True, "the step is below xtol", nit)
        if cost - 0.5 * float(r @ r) <= ftol * cost:
            return done(True, "the cost stopped decreasing (relative change below ftol)", nit)
    return done(False, f"maximum number of iterations ({maxiter}) reached", maxiter)
