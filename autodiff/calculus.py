"""Taylor series and linearisation made executable: taylor, taylor_polynomial, linearize, quadratic_approx.

``taylor`` gives the coefficients f⁽ᵏ⁾(x₀)/k! by Taylor-mode propagation over the recorded graph
(``autodiff/jets.py``), whose cost grows with the square of the order; nested reverse mode is the
fallback for ops without a Taylor rule. ``linearize`` and ``quadratic_approx`` are the first- and
second-order multivariate approximations, built from ``jacobian`` and ``hessian``.

Each approximation also says how good it is: ``.error(x)`` is the actual f(x) minus the
approximation, ``TaylorPolynomial.remainder_bound(x)`` the Lagrange bound on it, and
``trust_radius(tol)`` how far from x₀ the linear or quadratic model stays within tol (the machinery
is in ``approximation_error.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import jets
from .approximation_error import lagrange_bound, radius_along, unit_directions, values_at
from .engine import gradients
from .functional import _pushforward, hessian, jacobian
from .grad_mode import enable_grad
from .ops import matmul, reshape
from .tensor import Tensor

METHODS = ("auto", "jet", "nested")


def _scalar_point(x0: Any, who: str) -> np.ndarray:
    point = np.asarray(x0.data if isinstance(x0, Tensor) else x0)
    if point.size != 1:
        raise ValueError(
            f"{who} expands a function of one variable, but x0 has shape {point.shape}; for several "
            "variables expand along a direction, taylor(lambda t: f(x0 + t * v), 0.0, order), or use "
            "quadratic_approx"
        )
    if not np.issubdtype(point.dtype, np.inexact):
        point = point.astype(np.float64)
    return point.reshape(())


def _evaluate(f: Callable[..., Any], point: np.ndarray) -> tuple[Tensor, Tensor]:
    x = Tensor(point.copy(), requires_grad=True)
    with enable_grad():
        out = f(x)
    return x, out if isinstance(out, Tensor) else Tensor._wrap(np.asarray(out))


def _nested_coefficients(f: Callable[..., Any], point: np.ndarray, order: int) -> np.ndarray:
    """f⁽ᵏ⁾(x₀)/k! by differentiating the recorded derivative again, k times: cost grows like cᵏ."""
    x, derivative = _evaluate(f, point)
    coefficients = [np.array(derivative.data, dtype=np.result_type(derivative.dtype, float))]
    one = np.ones((), dtype=x.dtype)
    for k in range(1, order + 1):
        if derivative.requires_grad:
            if derivative.size == 1:
                (derivative,) = gradients(derivative, x, create_graph=True, allow_unused=True)
                derivative = derivative if derivative is not None else Tensor._wrap(np.zeros(()))
                derivative = reshape(derivative, coefficients[0].shape)
            else:
                derivative = _pushforward(derivative, [x], [one], create_graph=True)
        else:
            derivative = Tensor._wrap(np.zeros_like(coefficients[0]))
        coefficients.append(derivative.data / math.factorial(k))
    return np.stack(coefficients)


def taylor(f: Callable[..., Any], x0: Any, order: int, method: str = "auto") -> np.ndarray:
    """The Taylor coefficients ``c[k] = f⁽ᵏ⁾(x₀)/k!`` for k = 0..order, so f(x₀+h) ≈ Σ c[k] hᵏ.

    f maps one variable to a scalar or an array; the result has shape ``(order + 1,) + f(x0).shape``.

    How, and what it costs: ``method="jet"`` records f once at x₀ and pushes truncated power series
    through the graph (Taylor mode: products become Cauchy products, each elementary function follows
    its differential equation, e.g. k·yₖ = Σ j·uⱼ·yₖ₋ⱼ for y = eᵘ), so the cost is O(order²) per op.
    ``method="nested"`` differentiates the recorded derivative again and again (grad of grad ...):
    each level records the backward pass of the previous one, so the graph, and the time, grow by a
    constant factor per order (about 2.7x for exp(sin x)): exponential in the order. ``"auto"``
    uses jets and falls back to nesting for ops that have no Taylor rule (custom ``ad.Function``\\ s,
    ``prod``, ``det``, einsum of three or more operands), or when a jet recurrence divides by a zero
    value (xᵖ at x = 0 with p not a whole number) and nesting gives fewer NaNs.

    >>> import autodiff as ad
    >>> ad.taylor(ad.exp, 0.0, 4).round(6)
    array([1.      , 1.      , 0.5     , 0.166667, 0.041667])
    """
    if method not in METHODS:
        raise ValueError(f"taylor: method must be one of {METHODS}, got {method!r}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
        raise ValueError(f"taylor: order must be a non-negative int, got {order!r}")
    point = _scalar_point(x0, "taylor")
    if method == "nested":
        return _nested_coefficients(f, point, int(order))
    x, out = _evaluate(f, point)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            coefficients = jets.propagate(out, x, int(order))
    except jets.NoJetRule:
        if method == "jet":
            raise
        return _nested_coefficients(f, point, int(order))
    if method == "auto" and np.isnan(coefficients).any():
        # a recurrence divided by a zero value (xᵖ at x = 0): the derivative formulas may still be finite
        nested = _nested_coefficients(f, point, int(order))
        if np.isnan(nested).sum() < np.isnan(coefficients).sum():
            return nested
    return coefficients


@dataclass
class TaylorPolynomial:
    """p(x) = Σₖ coefficients[k]·(x - x0)ᵏ; call it on numbers, arrays or Tensors (differentiable).

    For a vector-valued f the result has shape ``x.shape + f(x0).shape``. Made by
    ``taylor_polynomial``, it also keeps f, for ``error`` and ``remainder_bound``.
    """

    x0: float
    coefficients: np.ndarray
    f: Callable[..., Any] | None = field(default=None, repr=False)
    method: str = field(default="auto", repr=False)

    @property
    def order(self) -> int:
        return len(self.coefficients) - 1

    def __call__(self, x: Any) -> Any:
        h = x - self.x0
        if not isinstance(h, Tensor):
            h = np.asarray(h)
        value_axes = self.coefficients.ndim - 1
        if value_axes and h.ndim:  # one polynomial per entry of f: put x's axes in front
            h = reshape(h, tuple(h.shape) + (1,) * value_axes)
        value = self.coefficients[-1] + 0.0 * h  # Horner: (((cₙ h + cₙ₋₁) h + ...) h + c₀
        for c in self.coefficients[-2::-1]:
            value = value * h + c
        return value

    def _function(self, who: str) -> Callable[..., Any]:
        if self.f is None:
            raise ValueError(f"TaylorPolynomial.{who} needs f: make the polynomial with ad.taylor_polynomial")
        return self.f

    def error(self, x: Any) -> np.ndarray:
        """The actual error f(x) - p(x) at each x (an array of any shape): shape ``x.shape + f's shape``.

        >>> import autodiff as ad
        >>> p = ad.taylor_polynomial(ad.exp, 0.0, 2)  # 1 + x + x²/2
        >>> [round(float(e), 6) for e in p.error([0.0, 0.1, 1.0])]  # e^x - p(x) ≈ x³/6 near 0
        [0.0, 0.000171, 0.218282]
        """
        points = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
        values = values_at(self._function("error"), points, 0, self.coefficients.shape[1:])
        error = values - np.asarray(self(points), dtype=np.float64)
        return error if error.ndim else error[()]

    def remainder_bound(self, x: Any, points: int = 512) -> np.ndarray:
        """The Lagrange bound |f(x) - p(x)| ≤ max |f⁽ⁿ⁺¹⁾(ξ)|·|x - x0|ⁿ⁺¹/(n + 1)!, ξ between x0 and x.

        It is an estimate: the maximum of |f⁽ⁿ⁺¹⁾| over [x0, x] is taken on a grid, from Taylor-mode
        derivatives (all grid points in one pass when f is entrywise). The grid holds x0, every x
        asked about and ``points`` evenly spaced points across their span; each cell between grid
        points counts its larger end value, raised, where f⁽ⁿ⁺²⁾ changes sign across it (a peak
        may lie inside), by half the cell width times the larger |f⁽ⁿ⁺²⁾|. A singularity in [x0, x]
        (nan or inf derivatives) gives inf. The bound is on the truncation error: computed errors also carry rounding of
        order ε·|f(x)|, which is all there is very near x0.

        >>> import autodiff as ad
        >>> p = ad.taylor_polynomial(ad.sin, 0.0, 3)  # x - x³/6: bound max|sin ξ|·x⁴/4!
        >>> [round(float(b), 6) for b in p.remainder_bound([0.5, 1.0])]  # sin(½)/384, sin(1)/24
        [0.001249, 0.035061]
        >>> [round(float(e), 6) for e in p.error([0.5, 1.0])]
        [0.000259, 0.008138]
        """
        points_in = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
        if points < 2:
            raise ValueError(f"remainder_bound: points must be at least 2, got {points}")
        bound = lagrange_bound(self._function("remainder_bound"), self.x0, self.order, points_in, points,
                               lambda f, xi, order: taylor(f, xi, order, self.method))
        return bound if bound.ndim else bound[()]


def taylor_polynomial(f: Callable[..., Any], x0: Any, order: int, method: str = "auto") -> TaylorPolynomial:
    """The degree-``order`` Taylor polynomial of f at x0, as a callable (see ``taylor``).

    The result also measures itself: ``.error(x)`` is f(x) - p(x), ``.remainder_bound(x)`` the
    Lagrange bound on it.

    >>> import autodiff as ad
    >>> p = ad.taylor_polynomial(ad.sin, 0.0, 5)
    >>> round(float(p(0.1)), 10), round(float(ad.sin(0.1)), 10)
    (0.0998334167, 0.0998334166)
    """
    point = _scalar_point(x0, "taylor_polynomial")
    return TaylorPolynomial(float(point), taylor(f, point, order, method), f, method)


def _point(x0: Any) -> np.ndarray:
    point = np.array(x0.data if isinstance(x0, Tensor) else x0, copy=True)
    return point if np.issubdtype(point.dtype, np.inexact) else point.astype(np.float64)


def _displacements(x: Any, x0: np.ndarray) -> tuple[Any, tuple[int, ...]]:
    """(x - x0) flattened over x0's axes to (..., n), and the leading (batch) shape of x."""
    if not isinstance(x, Tensor):
        x = np.asarray(x, dtype=x0.dtype)
    shape = tuple(x.shape)
    batch = shape[: len(shape) - x0.ndim]
    if len(shape) < x0.ndim or shape[len(batch):] != x0.shape:
        raise ValueError(f"the point has shape {shape}; expected x0's shape {x0.shape} after any batch axes")
    return reshape(x - x0, batch + (x0.size,)), batch


class _LocalModel:
    """What linear and quadratic models share: their error against f, and how far it stays small."""

    x0: np.ndarray
    f: Callable[..., Any] | None

    def _value_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    def _function(self, who: str) -> Callable[..., Any]:
        if self.f is None:
            raise ValueError(f"{type(self).__name__}.{who} needs f: make the model with ad.linearize or "
                             "ad.quadratic_approx")
        return self.f

    def error(self, x: Any) -> np.ndarray:
        """The actual error f(x) - model(x) at one point or a batch (leading axes): shape batch + f's shape.

        >>> import autodiff as ad
        >>> L = ad.linearize(lambda v: v[0] * v[1], [1.0, 2.0])  # 2 + 2(x - 1) + (y - 2)
        >>> [round(float(e), 12) for e in L.error([[1.1, 2.0], [1.1, 2.1]])]  # (x - 1)(y - 2)
        [0.0, 0.01]
        """
        points = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=self.x0.dtype)
        _displacements(points, self.x0)  # checks the shape
        values = values_at(self._function("error"), points, self.x0.ndim, self._value_shape())
        error = values - np.asarray(self(points), dtype=np.float64)
        return error if error.ndim else error[()]

    def trust_radius(self, tol: float, directions: Any = None, max_radius: float | None = None,
                     per_direction: bool = False) -> float | np.ndarray:
        """The largest r such that the model's error stays within ``tol`` for every x0 + s·u, 0 ≤ s ≤ r.

        The error is max |f(x) - model(x)| over f's entries; u runs over ``directions`` (rows of
        shape x0.shape, normalised to unit length; by default ±eᵢ, both signs of every coordinate
        axis), and the result is the smallest radius over them (``per_direction=True`` gives each).
        Along each ray the search doubles s from 1e-6·max(1, ‖x0‖), checking 8 evenly spaced points
        in each new interval, until the error exceeds tol, then bisects to a relative 1e-7. Limits:
        it is a search, not a proof. An error that rises above tol and falls back within one of
        those steps is missed, directions between the given ones are not searched, and nan (f
        undefined) counts as above tol. With no crossing up to ``max_radius`` (default
        1e6·max(1, ‖x0‖)) the radius is inf.

        >>> import autodiff as ad
        >>> L = ad.linearize(ad.exp, 0.0)  # eˢ - 1 - s = 0.01 at s = 0.1382 and s = -0.1448
        >>> round(L.trust_radius(0.01), 4), L.trust_radius(0.01, per_direction=True).round(4)
        (0.1382, array([0.1382, 0.1448]))
        """
        if not tol > 0:
            raise ValueError(f"trust_radius: tol must be positive, got {tol!r}")
        function = self._function("trust_radius")
        scale = max(1.0, float(np.max(np.abs(self.x0), initial=0.0)))
        limit = 1e6 * scale if max_radius is None else float(max_radius)
        value_shape = self._value_shape()

        def error_along(u: np.ndarray) -> Callable[[float], float]:
            def error(s: float) -> float:
                point = self.x0 + s * u
                value = values_at(function, point, self.x0.ndim, value_shape)
                return float(np.max(np.abs(value - np.asarray(self(point), dtype=np.float64)), initial=0.0))
            return error

        radii = np.array([radius_along(error_along(u), tol, 1e-6 * scale, limit)
                          for u in unit_directions(directions, self.x0.shape, self.x0.dtype)])
        return radii if per_direction else float(radii.min())


@dataclass
class Linearization(_LocalModel):
    """L(x) = f0 + J·(x - x0): the tangent (plane) of f at x0. J has shape f0.shape + x0.shape.

    Call it on one point or on a batch (leading axes); Tensors in give differentiable Tensors out.
    ``error(x)`` and ``trust_radius(tol)`` say how good it is.
    """

    x0: np.ndarray
    f0: np.ndarray
    J: np.ndarray
    f: Callable[..., Any] | None = field(default=None, repr=False)
    _matrix: np.ndarray = field(repr=False, default=None)

    def __post_init__(self) -> None:
        self._matrix = self.J.reshape(self.f0.size, self.x0.size)

    def _value_shape(self) -> tuple[int, ...]:
        return self.f0.shape

    def __call__(self, x: Any) -> Any:
        d, batch = _displacements(x, self.x0)
        change = matmul(d, self._matrix.T)  # (..., m)
        return reshape(change, batch + self.f0.shape) + self.f0


def linearize(f: Callable[..., Any], x0: Any) -> Linearization:
    """The first-order approximation of f at x0: ``L(x) = f(x0) + J(x0)·(x - x0)``, exposing f0 and J.

    f may be vector-valued (J is its Jacobian, shape ``f0.shape + x0.shape``). The error of L is
    O(‖x - x0‖²) for smooth f.

    >>> import autodiff as ad
    >>> L = ad.linearize(lambda v: ad.stack([v[0] * v[1], v[0] + v[1]]), [1.0, 2.0])
    >>> L.J
    array([[2., 1.],
           [1., 1.]])
    >>> L([1.1, 2.0])
    array([2.2, 3.1])
    """
    point = _point(x0)
    with enable_grad():
        out = f(Tensor(point))
    f0 = np.array(out.data if isinstance(out, Tensor) else out, dtype=np.result_type(point.dtype, float))
    try:
        J = jacobian(f, vectorize=True)(point)
    except NotImplementedError:  # an index pattern that cannot take a batch of cotangents
        J = jacobian(f)(point)
    return Linearization(point, f0, np.asarray(J.data), f)


@dataclass
class QuadraticApproximation(_LocalModel):
    """Q(x) = f0 + g·d + ½ dᵀHd with d = x - x0: the second-order Taylor model of a scalar f at x0.

    g has x0's shape, H has shape ``x0.shape + x0.shape``. Call it on one point or a batch.
    ``error(x)`` and ``trust_radius(tol)`` say how good it is.
    """

    x0: np.ndarray
    f0: float
    g: np.ndarray
    H: np.ndarray
    f: Callable[..., Any] | None = field(default=None, repr=False)

    def _value_shape(self) -> tuple[int, ...]:
        return ()

    def __call__(self, x: Any) -> Any:
        d, batch = _displacements(x, self.x0)
        n = self.x0.size
        hd = matmul(d, self.H.reshape(n, n).T)  # (..., n), H symmetric
        value = matmul(reshape(d, batch + (1, n)), reshape(0.5 * hd + self.g.reshape(n), batch + (n, 1)))
        return reshape(value, batch) + self.f0


def quadratic_approx(f: Callable[..., Any], x0: Any) -> QuadraticApproximation:
    """The second-order approximation of a scalar f at x0: ``f0 + g·d + ½ dᵀHd``, d = x - x0.

    Exposes f0, the gradient g and the Hessian H (from ``hessian``). Exact when f is quadratic.

    >>> import autodiff as ad
    >>> Q = ad.quadratic_approx(lambda v: (v ** 2).sum() + v[0], [1.0, 0.0])
    >>> Q.f0, Q.g, Q.H
    (2.0, array([3., 0.]), array([[2., 0.],
           [0., 2.]]))
    >>> float(Q([0.0, 1.0]))
    1.0
    """
    point = _point(x0)
    x = Tensor(point, requires_grad=True)
    with enable_grad():
        out = f(x)
    if not isinstance(out, Tensor) or np.size(out.data) != 1:
        raise ValueError(f"quadratic_approx needs a scalar function; f returned shape {np.shape(out)}")
    if out.requires_grad:
        (g,) = gradients(out, x, allow_unused=True)
    g_data = np.zeros_like(point) if not out.requires_grad or g is None else g.data
    H = hessian(f)(point)
    return QuadraticApproximation(point, float(out.data.reshape(())), np.asarray(g_data), np.asarray(H.data), f)
