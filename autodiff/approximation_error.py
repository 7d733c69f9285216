"""How far the approximations of ``calculus.py`` can be trusted: their actual error, an estimate of the
Lagrange bound on a Taylor polynomial's remainder, and the trust radius of a linear or quadratic model.

The methods that use these are ``TaylorPolynomial.error/.remainder_bound`` and ``Linearization`` /
``QuadraticApproximation.error/.trust_radius``; this module holds the machinery they share: f on
many points, f's derivatives on a grid by Taylor mode, the running maximum behind the bound, and the
bracketing search along rays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import jets
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


# ----------------------------------------------------------------------------- f on many points
def _call(f: Callable[..., Any], point: np.ndarray) -> np.ndarray:
    with no_grad(), np.errstate(all="ignore"):
        out = f(Tensor(point))
    return np.asarray(out.data if isinstance(out, Tensor) else out, dtype=np.float64)


def values_at(f: Callable[..., Any], points: np.ndarray, in_ndim: int, value_shape: tuple[int, ...]) -> np.ndarray:
    """f at each point of ``points`` (batch axes, then f's input axes), shaped batch + value_shape.

    A function of one variable with one output is first tried on the whole array at once (most are
    written entrywise: exp(sin x)); the result is kept only if it has the batch's shape and agrees
    with one-point calls at three places, so a function that is not entrywise (t / sum(t)) is
    called point by point instead, never silently misread.
    """
    batch = points.shape[: points.ndim - in_ndim]
    flat = points.reshape((-1,) + points.shape[points.ndim - in_ndim:])
    if in_ndim == 0 and value_shape == () and flat.size > 3:
        whole = _call(f, flat)
        if whole.shape == flat.shape:
            probes = np.unique([0, flat.size // 2, flat.size - 1])
            if all(np.allclose(whole[i], _call(f, flat[i]), rtol=1e-12, atol=0, equal_nan=True) for i in probes):
                return whole.reshape(batch)
    values = np.array([_call(f, p) for p in flat], dtype=np.float64).reshape((len(flat),) + value_shape)
    return values.reshape(batch + value_shape)


# ----------------------------------------------------------------------------- Taylor polynomials
def derivatives_on_grid(f: Callable[..., Any], grid: np.ndarray, order: int,
                        taylor: Callable[..., np.ndarray]) -> np.ndarray:
    """f⁽ᵏ⁾(ξ)/k! for k = 0..order at each ξ of a 1-D grid: shape (order + 1, len(grid)) + f's shape.

    One Taylor-mode pass over the whole grid when f works entrywise (checked against one-point
    ``taylor`` calls at three places), else one ``taylor`` call per point (also where the one pass
    gave nan, e.g. a rule that divides by a zero value).
    """
    try:
        x = Tensor(grid.copy(), requires_grad=True)
        with enable_grad(), np.errstate(all="ignore"):
            out = f(x)
            jet = jets.propagate(out, x, order) if isinstance(out, Tensor) and out.shape == grid.shape else None
    except jets.NoJetRule:
        jet = None
    with np.errstate(all="ignore"):  # singular points give inf or nan, which the bound reads as such
        if jet is not None:
            probes = np.unique([0, len(grid) // 2, len(grid) - 1])
            if all(np.allclose(jet[:, i], taylor(f, grid[i], order), rtol=1e-9, atol=1e-300, equal_nan=True)
                   for i in probes):
                for i in np.flatnonzero(np.isnan(jet).any(axis=0)):
                    jet[:, i] = taylor(f, grid[i], order)
                return jet
        return np.stack([taylor(f, xi, order) for xi in grid], axis=1)


def lagrange_bound(f: Callable[..., Any], x0: float, order: int, x: np.ndarray, points: int,
                   taylor: Callable[..., np.ndarray]) -> np.ndarray:
    """max over ξ in [x0, x] of |f⁽ⁿ⁺¹⁾(ξ)|·|x - x0|ⁿ⁺¹/(n + 1)!, the maximum estimated on a grid.

    The grid holds x0, every query point and ``points`` evenly spaced points across their span. On
    each cell between neighbours ξᵢ < ξᵢ₊₁ the maximum of |f⁽ⁿ⁺¹⁾| is taken as the larger end value,
    plus, where f⁽ⁿ⁺²⁾ changes sign across the cell (so f⁽ⁿ⁺¹⁾ may peak inside it), half the cell
    width times the larger |f⁽ⁿ⁺²⁾| at the ends; running maxima outward from x0 then give every
    query point its maximum over [x0, x]. nan or inf anywhere in that interval (a singularity)
    makes the bound inf.
    """
    n = order
    lo, hi = min(x0, float(np.min(x))), max(x0, float(np.max(x)))
    grid = np.unique(np.concatenate([np.linspace(lo, hi, points), x.ravel(), [x0]]))
    coefficients = derivatives_on_grid(f, grid, n + 2, taylor)
    derivative = coefficients[n + 1] * math.factorial(n + 1)  # f⁽ⁿ⁺¹⁾ on the grid
    slope = coefficients[n + 2] * math.factorial(n + 2)  # and f⁽ⁿ⁺²⁾
    size = np.abs(derivative)
    width = np.diff(grid).reshape((-1,) + (1,) * (size.ndim - 1))
    with np.errstate(invalid="ignore", over="ignore"):
        turning = ~(slope[:-1] * slope[1:] > 0)  # f⁽ⁿ⁺²⁾ changes sign (or is 0, nan): a peak may be inside
        allowance = np.where(turning, 0.5 * width * np.maximum(np.abs(slope[:-1]), np.abs(slope[1:])), 0.0)
        cells = np.maximum(size[:-1], size[1:]) + allowance
    cells = np.where(np.isnan(cells), np.inf, cells)
    start = int(np.searchsorted(grid, x0))
    peak = np.zeros_like(size)  # peak[j]: the maximum over the cells between x0 and grid[j]
    if start + 1 < len(grid):
        peak[start + 1:] = np.maximum.accumulate(cells[start:], axis=0)
    if start > 0:
        peak[:start] = np.maximum.accumulate(cells[:start][::-1], axis=0)[::-1]
    index = np.searchsorted(grid, x)
    distance = np.abs(x - x0).reshape(x.shape + (1,) * (size.ndim - 1))
    with np.errstate(invalid="ignore", over="ignore"):
        bound = peak[index] * distance ** (n + 1) / math.factorial(n + 1)
    return np.where(distance == 0, 0.0, bound)


# ----------------------------------------------------------------------------- trust radius
def unit_directions(directions: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """The search directions as unit vectors, shape (k,) + shape; by default ±eᵢ for every axis."""
    n = int(np.prod(shape, dtype=int))
    if directions is None:
        basis = np.eye(n, dtype=dtype).reshape((n,) + shape)
        return np.concatenate([basis, -basis])
    array = np.asarray(directions, dtype=dtype)
    if array.shape == shape:
        array = array[None]
    if array.shape[1:] != shape:
        raise ValueError(f"trust_radius: directions must have shape (k,) + {shape} (one per row), "
                         f"got {array.shape}")
    norms = np.sqrt(np.sum(array.reshape(len(array), -1) ** 2, axis=1))
    if np.any(norms == 0) or not np.all(np.isfinite(norms)):
        raise ValueError("trust_radius: every direction must be a nonzero finite vector")
    return array / norms.reshape((-1,) + (1,) * len(shape))


def radius_along(error: Callable[[float], float], tol: float, start: float, max_radius: float,
                 samples: int = 8, rtol: float = 1e-7) -> float:
    """The first s > 0 where error(s) > tol, or inf if there is none up to max_radius.

    Brackets by doubling s from ``start``, checking ``samples`` evenly spaced points in each new
    interval (so a crossing is missed only if the error rises above tol and falls back within
    one of those steps), then bisects to a relative ``rtol``. nan counts as above tol.
    """
    def above(s: float) -> bool:
        value = error(s)
        return not value <= tol  # nan too

    low, high = 0.0, start
    while True:
        crossing = None
        for s in np.linspace(low, high, samples + 1)[1:]:
            if above(s):
                crossing = s
                break
            low = s
        if crossing is not None:
            high = crossing
            break
        if high >= max_radius:
            return math.inf
        high = min(2.0 * high, max_radius)
    while high - low > rtol * high:
        middle = 0.5 * (low + high)
        if above(middle):
            high = middle
        else:
            low = middle
    return low
