"""Line searches: how far to go along a descent direction d from x.

With φ(α) = f(x + α·d) and φ'(α) = ∇f(x + α·d)·d:

* **Armijo backtracking** accepts the first α = α₀, ρα₀, ρ²α₀, ... with sufficient decrease
  φ(α) ≤ φ(0) + c₁·α·φ'(0).
* **Strong Wolfe** (Nocedal & Wright, Algorithms 3.5 and 3.6) also asks for a flatter slope,
  |φ'(α)| ≤ c₂·|φ'(0)|, by bracketing and then zooming with cubic interpolation. Quasi-Newton
  methods need it: it guarantees sᵀy > 0, so their Hessian approximations stay positive definite.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._derivatives import value_and_grad

ValueGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass
class LineSearchResult:
    """The accepted step ``alpha``, f and ∇f there (flat), evaluations used, and whether it worked.

    A step along a line, not a solution, so not a ``SolverResult``. ``grad`` is whatever the
    evaluation gave beside the value (∇f for ``line_search``; None where only f was evaluated)."""

    alpha: float
    fun: float
    grad: Any
    nfev: int
    success: bool
    message: str


def line_search(f: Callable[[Any], Any], x: Any, direction: Any, fun: float | None = None,
                grad: Any = None, method: str = "strong_wolfe", alpha0: float = 1.0, c1: float = 1e-4,
                c2: float = 0.9, maxiter: int = 30) -> LineSearchResult:
    """Find a step α along ``direction`` from ``x`` for the scalar function ``f`` (a function of a Tensor).

    ``method`` is ``"armijo"`` (backtracking, halving α) or ``"strong_wolfe"``. ``fun`` and
    ``grad`` are f(x) and ∇f(x) if already known. The result's ``grad`` has the shape of ``x``.

    >>> import numpy as np, optim
    >>> f = lambda x: (x ** 2).sum()
    >>> x = np.array([1.0, 1.0])
    >>> optim.line_search(f, x, -x, method="armijo").alpha     # the full step lands on the minimum
    1.0
    >>> round(optim.line_search(f, x, -4 * x).alpha, 6)        # overshooting steps are cut back
    0.25
    """
    x = np.asarray(x, dtype=float)
    shape = x.shape
    d = np.asarray(direction, dtype=float).reshape(-1)
    if d.size != x.size:
        raise ValueError(f"line_search: direction has {d.size} entries, x has {x.size}")
    def fg(z: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):  # trial points outside f's domain give nan/inf: a step too long
            return value_and_grad(f, z, shape)

    x = x.reshape(-1)
    nfev = 0
    if fun is None or grad is None:
        fun, g0 = fg(x)
        nfev = 1
    else:
        g0 = np.asarray(grad, dtype=float).reshape(-1)
    if method == "armijo":
        result = armijo(fg, x, d, float(fun), g0, alpha0=alpha0, c1=c1, maxiter=maxiter)
    elif method == "strong_wolfe":
        result = strong_wolfe(fg, x, d, float(fun), g0, alpha0=alpha0, c1=c1, c2=c2, maxiter=maxiter)
    else:
        raise ValueError(f"line_search: unknown method {method!r}; expected 'armijo' or 'strong_wolfe'")
    result.nfev += nfev
    if result.grad is not None:
        result.grad = result.grad.reshape(shape)
    return result


def armijo(fg: ValueGrad, x: np.ndarray, d: np.ndarray, f0: float, g0: np.ndarray, alpha0: float = 1.0,
           c1: float = 1e-4, shrink: float = 0.5, maxiter: int = 50,
           project: Callable[[np.ndarray], np.ndarray] | None = None) -> LineSearchResult:
    """Backtracking: the first α = α₀·shrinkᵏ with φ(α) ≤ φ(0) + c₁·α·φ'(0) (flat arrays in).

    The one Armijo search of the package: ``line_search``, ``minimize`` (gd, newton), the
    least-squares solvers and the Newton and Gauss-Newton optimizers all use it. ``fg(z)``
    returns ``(f(z), anything)``, the second kept as the result's ``grad`` (∇f when fg gives it).
    With ``project`` (onto a box, say) the trial points are ``project(x + αd)`` and the test is
    f ≤ f₀ + c₁·∇f·(trial - x), the projected Armijo rule (Bertsekas 1982).

    >>> import numpy as np
    >>> fg = lambda z: (float(z @ z), 2 * z)
    >>> x = np.array([1.0])
    >>> armijo(fg, x, np.array([-4.0]), *fg(x)).alpha     # 1 and 0.5 overshoot, 0.25 lands on 0
    0.25
    """
    slope = float(g0 @ d)
    if not slope < 0:
        return LineSearchResult(0.0, f0, g0, 0, False, "not a descent direction (∇f·d >= 0)")
    alpha = alpha0
    for k in range(1, maxiter + 1):
        if project is None:
            value, grad = fg(x + alpha * d)
            decrease = alpha * slope
        else:
            trial = project(x + alpha * d)
            value, grad = fg(trial)
            decrease = float(g0 @ (trial - x))
        if math.isfinite(value) and value <= f0 + c1 * decrease:
            return LineSearchResult(alpha, value, grad, k, True, "sufficient decrease")
        alpha *= shrink
    return LineSearchResult(0.0, f0, g0, maxiter, False,
                            f"no sufficient decrease after {maxiter} backtracking steps")


def strong_wolfe(fg: ValueGrad, x: np.ndarray, d: np.ndarray, f0: float, g0: np.ndarray,
                 alpha0: float = 1.0, c1: float = 1e-4, c2: float = 0.9, maxiter: int = 30,
                 alpha_max: float = 1e10) -> LineSearchResult:
    """A step satisfying the strong Wolfe conditions (Nocedal & Wright 3.5/3.6; flat arrays in)."""
    slope0 = float(g0 @ d)
    if not slope0 < 0:
        return LineSearchResult(0.0, f0, g0, 0, False, "not a descent direction (∇f·d >= 0)")
    nfev = 0

    def phi(alpha: float) -> tuple[float, float, np.ndarray]:
        nonlocal nfev
        nfev += 1
        value, grad = fg(x + alpha * d)
        if not (math.isfinite(value) and np.all(np.isfinite(grad))):
            return math.inf, math.nan, grad
        return value, float(grad @ d), grad

    # f itself is only known to rounding: near a minimum, changes below ~1e-12·|f| cannot be seen,
    # so where f is flat to within that noise the slope alone decides (as in Hager & Zhang's
    # approximate Wolfe conditions)
    noise = 1e-12 * abs(f0)

    def sufficient(alpha: float, value: float) -> bool:
        return value <= f0 + c1 * alpha * slope0 or abs(value - f0) <= noise

    def curvature(slope: float) -> bool:
        return abs(slope) <= -c2 * slope0

    # bracketing phase: grow α until an interval [lo, hi] must contain a Wolfe point
    previous = (0.0, f0, slope0, g0)
    alpha = alpha0
    while nfev < maxiter:
        value, slope, grad = phi(alpha)
        if not math.isfinite(value):  # stepped out of the domain: treat as too long
            return _zoom(phi, previous, (alpha, value, slope, grad), f0, slope0, sufficient, curvature,
                         maxiter, lambda: nfev)
        current = (alpha, value, slope, grad)
        if not sufficient(alpha, value) or (previous[0] > 0 and value >= previous[1]):
            return _zoom(phi, previous, current, f0, slope0, sufficient, curvature, maxiter, lambda: nfev)
        if curvature(slope):
            return LineSearchResult(alpha, value, grad, nfev, True, "strong Wolfe conditions hold")
        if slope >= 0:
            return _zoom(phi, current, previous, f0, slope0, sufficient, curvature, maxiter, lambda: nfev)
        previous = current
        alpha = min(2.0 * alpha, alpha_max)
    return _best_effort(previous, f0, g0, nfev, f"no strong Wolfe point in {maxiter} evaluations")


def _zoom(phi, lo, hi, f0, slope0, sufficient, curvature, maxiter, count) -> LineSearchResult:
    """Shrink the bracket [lo, hi] (lo: the best sufficient-decrease point) to a strong Wolfe point."""
    while count() < maxiter:
        a_lo, f_lo, s_lo, _ = lo
        a_hi, f_hi, s_hi, _ = hi
        width = a_hi - a_lo
        if abs(width) <= 1e-14 * max(1.0, abs(a_lo)):
            break
        alpha = _cubic_minimizer(a_lo, f_lo, s_lo, a_hi, f_hi, s_hi)
        if alpha is None or not (min(a_lo, a_hi) + 0.1 * abs(width) <= alpha
                                 <= max(a_lo, a_hi) - 0.1 * abs(width)):
            alpha = a_lo + 0.5 * width  # bisection when interpolation is unsafe
        value, slope, grad = phi(alpha)
        current = (alpha, value, slope, grad)
        if not math.isfinite(value) or not sufficient(alpha, value) or value >= f_lo:
            hi = current
            continue
        if curvature(slope):
            return LineSearchResult(alpha, value, grad, count(), True, "strong Wolfe conditions hold")
        if slope * (a_hi - a_lo) >= 0:
            hi = lo
        lo = current
    return _best_effort(lo, f0, None, count(),
                        "the line search bracket collapsed without a strong Wolfe point")


def _best_effort(point, f0, g0, nfev, message) -> LineSearchResult:
    """Give up: return the best sufficient-decrease point found (success=False), or no step at all."""
    alpha, value, _, grad = point
    if alpha > 0 and value < f0:
        return LineSearchResult(alpha, value, grad, nfev, False, message)
    return LineSearchResult(0.0, f0, g0, nfev, False, message)


def _cubic_minimizer(a, fa, sa, b, fb, sb) -> float | None:
    """The minimiser of the cubic through (a, fa, fa') and (b, fb, fb') (N&W eq. 3.59), if it exists."""
    if not all(math.isfinite(v) for v in (fa, sa, fb, sb)):
        return None
    d1 = sa + sb - 3 * (fa - fb) / (a - b)
    radicand = d1 * d1 - sa * sb
    if radicand < 0:
        return None
    d2 = math.copysign(math.sqrt(radicand), b - a)
    denominator = sb - sa + 2 * d2
    if denominator == 0:
        return None
    return b - (b - a) * (sb + d2 - d1) / denominator
