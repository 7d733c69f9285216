"""Reductions over axes: sum mean var std max min prod logsumexp (``axis``, ``keepdims`` as numpy).

Each VJP spreads the output cotangent back over the reduced axes (``_spread``). Axes are handled
as negative numbers so the same formulas serve a batch of cotangents (vectorised Jacobians).
Ties in ``max``/``min`` share the gradient evenly (as PyTorch's ``amax``); ``std`` of a constant
slice has gradient 0 there (its cone point, like ``abs'(0)``).
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from . import series
from .core import data_of, normalize_axes
from .elementwise import exp, where
from .record import nondifferentiable, primitive
from .shape import broadcast_to, expand_dims, reshape, transpose


def _spread(g, out, x, axis, keepdims, scale=None):
    """Broadcast a reduced cotangent back to x's shape (leading batch axes kept), times ``scale``."""
    x_shape = x.shape
    batch = g.shape[: g.ndim - out.ndim]
    if g.ndim == 0:  # the whole input was reduced to one number: spread it directly
        return broadcast_to(g if scale is None else g * scale, x_shape)
    if not keepdims:
        kept = list(x_shape)
        for a in normalize_axes(axis, len(x_shape), "reduction"):
            kept[a] = 1
        g = g.reshape(batch + tuple(kept))
    if scale is not None:
        g = g * scale
    return broadcast_to(g, batch + x_shape)


def _kept(out, x, axis, keepdims):
    """The (unbatched) output with the reduced axes kept as size 1, to broadcast against x."""
    if keepdims:
        return out
    axes = normalize_axes(axis, np.ndim(x), "reduction")
    return expand_dims(out, axes) if axes else out


def _count(x, axis):
    """How many entries each output of a reduction over ``axis`` sums."""
    if axis is None:
        return np.size(x)
    shape = np.shape(x)
    return math.prod(shape[a] for a in normalize_axes(axis, len(shape), "reduction"))


def _sum_forward(x, axis=None, keepdims=False):
    return np.add.reduce(x, axis=axis, keepdims=keepdims)  # np.sum without its Python wrapper


def _mean_forward(x, axis=None, keepdims=False):
    x = np.asarray(x)
    total = np.add.reduce(x, axis=axis, keepdims=keepdims, dtype=None if x.dtype.kind in "fc" else np.float64)
    count = _count(x, axis)
    if count == 0:
        with np.errstate(invalid="ignore", divide="ignore"):  # the mean of nothing is nan, as numpy says
            return total / count
    return total / count


def _mean_replay(node) -> str:  # the count is fixed by the shapes, and a trace fixes the shapes
    x = node._input_data[0]
    count = _count(x, node._params.get("axis"))
    return f"np.add.reduce(x, axis=axis, keepdims=keepdims) / {count}" if x.dtype.kind in "fc" and count else ""


def _var_forward(x, axis=None, ddof=0, keepdims=False):
    return np.var(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _std_forward(x, axis=None, ddof=0, keepdims=False):
    return np.std(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _var_vjp(g, out, x, axis=None, ddof=0, keepdims=False):  # ∂var/∂xᵢ = 2(xᵢ - x̄)/(n - ddof)
    centered = x - mean(x, axis=axis, keepdims=True)
    return _spread(g, out, x, axis, keepdims) * centered * (2.0 / (_count(x, axis) - ddof))


def _std_vjp(g, out, x, axis=None, ddof=0, keepdims=False):  # ∂std/∂xᵢ = (xᵢ - x̄)/((n - ddof)·std)
    std_kept = _kept(out, x, axis, keepdims)
    positive = std_kept > 0
    inverse = where(positive, 1.0 / where(positive, std_kept, 1.0), 0.0)  # 0 at a constant slice
    centered = x - mean(x, axis=axis, keepdims=True)
    return _spread(g, out, x, axis, keepdims) * centered * inverse * (1.0 / (_count(x, axis) - ddof))


def _extreme_vjp(g, out, x, axis=None, keepdims=False):  # 1/(number of ties) where xᵢ is the extreme
    hits = x == _kept(out, x, axis, keepdims)
    share = hits / sum(hits, axis=axis, keepdims=True)
    return _spread(g, out, x, axis, keepdims) * share


def _prod_forward(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


def _prod_vjp(g, out, x, axis=None, keepdims=False):  # ∂Πx/∂xᵢ = Π_{j≠i} xⱼ
    return _spread(g, out, x, axis, keepdims) * _products_of_the_others(out, x, axis, keepdims)


def _products_of_the_others(out, x, axis, keepdims):
    """Π_{j≠i} xⱼ for every i: Πx / xᵢ when that is exact, else each product taken directly.

    The division is used on the plain-array path only: recorded (to be differentiated again), Πx/xᵢ
    has the derivative Πx/(xᵢxₖ) - [i=k]·Πx/xᵢ², whose two huge terms cancel at tiny xᵢ.
    """
    values = data_of(x)
    if not isinstance(x, Tensor):
        product = np.prod(values, axis=axis, keepdims=True)
        if np.all(values != 0) and np.all(np.isfinite(product)) and np.all(
                np.abs(product) >= np.finfo(product.dtype).tiny):
            return _kept(out, x, axis, keepdims) / x  # no zero, no under- or overflow: exact
    # zeros (or a product out of range): leave each xᵢ out in turn, O(n²) but exact to any order
    axes = normalize_axes(axis, np.ndim(values), "prod")
    ndim = np.ndim(values)
    order = [a for a in range(-ndim, 0) if a not in axes] + list(axes)
    moved = transpose(x, tuple(a + ndim for a in order))
    n = math.prod(np.shape(values)[a] for a in axes)
    rows = reshape(moved, np.shape(moved)[: ndim - len(axes)] + (1, n))
    others = prod(where(np.eye(n, dtype=bool), 1.0, rows), axis=-1)  # row i: the slice with xᵢ -> 1
    return transpose(reshape(others, np.shape(moved)), tuple(np.argsort([a + ndim for a in order])))


def _logsumexp_forward(x, axis=None, keepdims=False):
    x = np.asarray(x)
    shift = np.max(x, axis=axis, keepdims=True) if np.size(x) else np.zeros_like(x, shape=(1,) * x.ndim)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else np.squeeze(out, axis=normalize_axes(axis, np.ndim(x), "logsumexp"))


def _prod_jet(node, u, axis=None, keepdims=False):  # a product of jets: Cauchy products along the axes
    axes = series.value_axes(axis, u.ndim - 1)
    moved = np.moveaxis(u, axes, range(1, len(axes) + 1))
    factors = moved.reshape((len(u), -1) + moved.shape[1 + len(axes):])
    result = series.constant(np.ones(factors.shape[2:]), len(u))
    for i in range(factors.shape[1]):
        result = series.cauchy(result, factors[:, i])
    return np.expand_dims(result, axes) if keepdims else result


def _reduction_method(function):
    """A reduction's Tensor method: numpy's ``dtype=`` casts first and ``out=`` (which cannot be
    honoured) must be None, so ``np.sum(t)``, ``np.mean(t)``... work on Tensors."""

    def method(self, axis=None, dtype=None, out=None, **params):
        if out is not None:
            raise TypeError(f"{function.__name__}: out= is not supported for Tensors; use the returned tensor")
        return function(self if dtype is None else self.astype(dtype), axis=axis, **params)

    method.__name__ = method.__qualname__ = function.__name__
    method.__doc__ = function.__doc__
    return method


sum = primitive(  # noqa: A001 (numpy's name, as the public API promises)
    "sum", _sum_forward,
    lambda g, out, x, axis=None, keepdims=False: _spread(g, out, x, axis, keepdims),  # ∂Σx/∂xᵢ = 1
    formula="np.sum(x, axis=axis, keepdims=keepdims)", vjp_rules=("broadcast_to(g, x.shape)",), linear=True,
    replay="np.add.reduce(x, axis=axis, keepdims=keepdims)",
    method_adapter=_reduction_method,
    doc="Sum over ``axis`` (None: all).\n\n>>> sum([[1.0, 2.0], [3.0, 4.0]], axis=0)\narray([4., 6.])",
)
mean = primitive(
    "mean", _mean_forward,
    lambda g, out, x, axis=None, keepdims=False: _spread(g, out, x, axis, keepdims, 1.0 / (_count(x, axis) or 1)),
    formula="np.mean(x, axis=axis, keepdims=keepdims)", vjp_rules=("broadcast_to(g, x.shape) / n",), linear=True,
    replay=_mean_replay,
    method_adapter=_reduction_method, doc="Mean over ``axis`` (None: all).",  # ∂x̄/∂xᵢ = 1/n
)
var = primitive(
    "var", _var_forward, _var_vjp,  # ∂var/∂xᵢ = 2(xᵢ - x̄)/(n - ddof)
    formula="np.var(x, axis=axis, ddof=ddof, keepdims=keepdims)",
    vjp_rules=("2 * g * (x - np.mean(x)) / (n - ddof)",), tangent="np.sum(2 * (x - np.mean(x)) * dx) / (n - ddof)",
    jet=series.var, method_adapter=_reduction_method, doc="Variance over ``axis`` with ``ddof`` (numpy's default 0).",
)
std = primitive(
    "std", _std_forward, _std_vjp,  # ∂std/∂xᵢ = (xᵢ - x̄)/((n - ddof)·std)
    formula="np.std(x, axis=axis, ddof=ddof, keepdims=keepdims)",
    vjp_rules=("g * (x - np.mean(x)) / ((n - ddof) * out)",),
    tangent="np.sum((x - np.mean(x)) * dx) / ((n - ddof) * out)",
    jet=lambda node, u, **params: series.sqrt(series.var(node, u, **params), node.data),
    method_adapter=_reduction_method, doc="Standard deviation over ``axis``; gradient 0 where it is 0.",
)
max = primitive(  # noqa: A001
    "max", lambda x, axis=None, keepdims=False: np.max(x, axis=axis, keepdims=keepdims), _extreme_vjp,
    formula="np.max(x, axis=axis, keepdims=keepdims)", vjp_rules=("g * (x == out) / np.sum(x == out)",),
    tangent="np.sum(dx * (x == out)) / np.sum(x == out)", jet=series.extreme,
    method_adapter=_reduction_method, doc="Maximum over ``axis``; tied maxima share the gradient evenly.",
)
min = primitive(  # noqa: A001
    "min", lambda x, axis=None, keepdims=False: np.min(x, axis=axis, keepdims=keepdims), _extreme_vjp,
    formula="np.min(x, axis=axis, keepdims=keepdims)", vjp_rules=("g * (x == out) / np.sum(x == out)",),
    tangent="np.sum(dx * (x == out)) / np.sum(x == out)", jet=series.extreme,
    method_adapter=_reduction_method, doc="Minimum over ``axis``; tied minima share the gradient evenly.",
)
prod = primitive(
    "prod", _prod_forward, _prod_vjp,  # ∂Πx/∂xᵢ = Π_{j≠i} xⱼ
    formula="np.prod(x, axis=axis, keepdims=keepdims)", vjp_rules=("g * out / x",),
    tangent="np.sum(out / x * dx)", jet=_prod_jet,
    method_adapter=_reduction_method, doc="Product over ``axis`` (zeros handled exactly).",
)
logsumexp = primitive(
    "logsumexp", _logsumexp_forward,
    lambda g, out, x, axis=None, keepdims=False:  # ∂/∂xᵢ log Σ eˣ = softmax(x)ᵢ
        _spread(g, out, x, axis, keepdims) * exp(x - _kept(out, x, axis, keepdims)),
    formula="logsumexp(x, axis=axis, keepdims=keepdims)", vjp_rules=("g * np.exp(x - out)",),
    tangent="np.sum(np.exp(x - out) * dx)", jet=series.logsumexp, method=True,
    doc="log Σ exp(x) over ``axis``, without overflow.\n\n>>> float(logsumexp([1000.0, 1000.0]))\n1000.6931471805599",
)
argmax = nondifferentiable("argmax", np.argmax, "Index of the maximum over ``axis`` (integers, no grad).",
                           formula="np.argmax(x, axis=axis)", method=True)
argmin = nondifferentiable("argmin", np.argmin, "Index of the minimum over ``axis`` (integers, no grad).",
                           formula="np.argmin(x, axis=axis)", method=True)
any = nondifferentiable("any", np.any, "Whether any entry over ``axis`` is true (boolean, no grad).",  # noqa: A001
                        formula="np.any(x, axis=axis)", method=True)
all = nondifferentiable("all", np.all, "Whether every entry over ``axis`` is true (boolean, no grad).",  # noqa: A001
                        formula="np.all(x, axis=axis)", method=True)
