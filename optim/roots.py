"""Newton-Raphson root finding for f(x) = 0, scalar or vector, the derivative by AD.

x ← x - f(x)/f'(x) (scalar) or x ← x - J(x)⁻¹ f(x) (vector). Near a simple root the number of
correct digits doubles each step; from a bad start Newton can cycle, diverge or hit a flat spot.
Each of those ends the iteration with ``success=False`` and a message saying which; the solver
never raises from inside numpy and never loops forever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._derivatives import value_and_jacobian
from .results import RootResult


def newton_raphson(f: Callable[[Any], Any], x0: Any, tol: float = 1e-10, maxiter: int = 50,
                   max_abs: float = 1e12) -> RootResult:
    """Find x with f(x) = 0 by Newton's method from ``x0``; f maps a Tensor to a Tensor of the same size.

    Converged when ‖f(x)‖∞ ≤ ``tol``. The result's ``x`` is also ``root``, its ``success`` also
    ``converged`` (the course's words). Stops with ``converged=False`` on a zero derivative or
    singular Jacobian, on divergence (non-finite values or ‖x‖ > ``max_abs``), on a cycle (an
    iterate repeats an earlier one), or after ``maxiter`` steps.

    >>> import autodiff as ad, optim
    >>> result = optim.newton_raphson(lambda x: ad.cos(x) - x, 1.0)
    >>> round(result.root, 12), result.converged
    (0.739085133215, True)
    >>> result = optim.newton_raphson(lambda x: x ** 3 - 2 * x + 2, 0.0)   # 0 → 1 → 0 → ...
    >>> result.converged, result.message
    (False, 'Newton is cycling: the iterate 0 repeats the one from 2 steps earlier')
    """
    x = np.array(x0, dtype=float)
    scalar = x.ndim == 0
    shape = x.shape
    x = x.reshape(-1)
    path = [x.copy()]
    values = np.full(x.size, np.nan)

    def finish(converged: bool, message: str, nit: int) -> RootResult:
        root = float(x[0]) if scalar else x.reshape(shape)
        fun = float(values[0]) if scalar and values.size == 1 else values
        return RootResult(x=root, fun=fun, nit=nit, success=converged, message=message,
                          path=np.array(path).reshape((len(path),) + shape))

    for nit in range(maxiter + 1):
        with np.errstate(all="ignore"):
            values, jac = value_and_jacobian(f, x, shape)
        if values.size != x.size:
            raise ValueError(f"newton_raphson needs as many equations as unknowns: f returned {values.size} "
                             f"values for {x.size} unknowns")
        if not np.all(np.isfinite(values)):
            return finish(False, f"diverged: f is not finite at x = {_show(x, scalar)}", nit)
        if float(np.max(np.abs(values))) <= tol:
            return finish(True, f"converged: |f(x)| <= {tol:g}", nit)
        if nit == maxiter:
            break
        step = _newton_step(values, jac)
        if isinstance(step, str):
            return finish(False, f"{step} at x = {_show(x, scalar)}", nit)
        new_x = x + step
        if not np.all(np.isfinite(new_x)) or float(np.max(np.abs(new_x))) > max_abs:
            return finish(False, f"diverged: |x| exceeded {max_abs:g} (or became non-finite)", nit + 1)
        for back, earlier in enumerate(reversed(path[:-1]), start=2):
            if np.allclose(new_x, earlier, rtol=1e-9, atol=1e-12):
                x = new_x
                path.append(x.copy())
                return finish(False, f"Newton is cycling: the iterate {_show(x, scalar)} repeats the one "
                                     f"from {back} steps earlier", nit + 1)
        x = new_x
        path.append(x.copy())
    return finish(False, f"did not converge in {maxiter} iterations (|f(x)| = {np.max(np.abs(values)):.3g})",
                  maxiter)


def _newton_step(values: np.ndarray, jac: np.ndarray) -> np.ndarray | str:
    """-J⁻¹f, or the reason it does not exist."""
    if not np.all(np.isfinite(jac)):
        return "the derivative is not finite"
    scale = max(float(np.max(np.abs(jac))), 1e-300)
    if values.size == 1:
        with np.errstate(all="ignore"):
            step = -values / jac[0, 0]
        # a tiny but non-zero derivative gives a huge step, which the caller reports as divergence
        return "zero derivative" if jac[0, 0] == 0 or not np.all(np.isfinite(step)) else step
    singular = np.linalg.svd(jac, compute_uv=False)
    if singular[-1] <= 1e-13 * scale * values.size:
        return "singular Jacobian"
    try:
        return np.linalg.solve(jac, -values)
    except np.linalg.LinAlgError:
        return "singular Jacobian"


def _show(x: np.ndarray, scalar: bool) -> str:
    if scalar:
        return f"{x[0]:.10g}"
    return np.array2string(x, precision=6)
