"""Truncated power series ("jets"): the arithmetic of Taylor mode, on numpy arrays.

The jet of a value u(x) at x₀ is the array ``[u₀, u₁, ..., uₙ]`` of Taylor coefficients of
t ↦ u(x₀ + t) = Σ uₖ tᵏ (the coefficient index is the leading axis). Each op's record carries its
Taylor-mode rule (``jet=``), written with these helpers:

* linear ops (sums, reshapes, indexing, ...) act on every coefficient separately (``per_coefficient``);
* products are Cauchy products, cₖ = Σⱼ aⱼ bₖ₋ⱼ (bilinear ops: matmul, einsum of two operands);
* an elementary function follows from its differential equation. For y = φ(u) with
  y' = p·u', matching coefficients gives k·yₖ = Σⱼ₌₁..ₖ j·uⱼ·pₖ₋ⱼ, where p is itself a jet:
  p = y for exp, p = cos u for sin, p = 1 - y² for tanh, and so on.

Each op costs O(n²) array operations for n coefficients (Griewank & Walther, *Evaluating
Derivatives*, ch. 13). ``autodiff.jets.propagate`` pushes jets through a recorded graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Jet = np.ndarray  # shape (n + 1,) + value.shape


class NoJetRule(NotImplementedError):
    """An op in the graph has no Taylor-mode rule."""


def constant(value: Any, count: int) -> Jet:
    """The jet of a constant: its value, then zeros."""
    data = np.asarray(getattr(value, "data", value))
    jet = np.zeros((count,) + data.shape, dtype=np.result_type(data.dtype, float))
    jet[0] = data
    return jet


# ----------------------------------------------------------------------------- jet arithmetic
def align(*jets: Jet) -> list[Jet]:
    """Jets whose value axes broadcast against each other (the coefficient axis stays first)."""
    ndim = max(j.ndim for j in jets)
    return [j.reshape(j.shape[:1] + (1,) * (ndim - j.ndim) + j.shape[1:]) for j in jets]


def ones(u: Jet) -> Jet:
    """The constant jet 1 with u's value shape."""
    return constant(np.ones(u.shape[1:]), len(u))


def is_constant(jet: Jet) -> bool:
    return not jet[1:].any()


def cauchy(a: Jet, b: Jet) -> Jet:
    """The jet of a·b: cₖ = Σⱼ aⱼ bₖ₋ⱼ."""
    a, b = align(a, b)
    if is_constant(b):
        return a * b[0]
    if is_constant(a):
        return a[0] * b
    return np.stack([np.sum(a[: k + 1] * b[k::-1], axis=0) for k in range(len(a))])


def bilinear(function: Callable[[Any, Any], Any], a: Jet, b: Jet) -> Jet:
    """The jet of B(a, b) for a bilinear B: cₖ = Σⱼ B(aⱼ, bₖ₋ⱼ)."""
    if is_constant(b):
        return np.stack([function(ak, b[0]) for ak in a])
    if is_constant(a):
        return np.stack([function(a[0], bk) for bk in b])
    return np.stack([sum(function(a[j], b[k - j]) for j in range(k + 1)) for k in range(len(a))])


def per_coefficient(function: Callable[..., Any], *jets: Jet) -> Jet:
    """The jet of a linear function: apply it to each coefficient."""
    return np.stack([np.asarray(function(*coefficients)) for coefficients in zip(*jets, strict=True)])


def divide(a: Jet, b: Jet) -> Jet:
    """The jet of a/b: yₖ = (aₖ - Σⱼ₌₁..ₖ bⱼ yₖ₋ⱼ) / b₀."""
    a, b = align(a, b)
    if is_constant(b):
        return a / b[0]
    y = np.zeros(np.broadcast_shapes(a.shape, b.shape), dtype=np.result_type(a, b))
    for k in range(len(y)):
        y[k] = (a[k] - np.sum(b[1: k + 1] * y[k - 1:: -1][:k], axis=0)) / b[0]
    return y


def step(u: Jet, p: Jet, k: int) -> np.ndarray:
    """The k-th coefficient of y where y' = p·u': (1/k) Σⱼ₌₁..ₖ j·uⱼ·pₖ₋ⱼ (uses p₀..pₖ₋₁ only)."""
    weights = np.arange(1, k + 1, dtype=float).reshape((k,) + (1,) * (u.ndim - 1))
    return np.sum(weights * u[1: k + 1] * p[k - 1:: -1][:k], axis=0) / k


def integrate(u: Jet, y0: Any, p: Jet) -> Jet:
    """The jet of y with y(x₀) = y₀ and y' = p·u', for a jet p known in full."""
    u, p = align(u, p)
    y = np.zeros(np.broadcast_shapes(u.shape, p.shape), dtype=np.result_type(u, p))
    y[0] = y0
    for k in range(1, len(y)):
        y[k] = step(u, p, k)
    return y


def solve_ode(u: Jet, y0: Any, slope: Callable[[Jet, int], np.ndarray]) -> Jet:
    """The jet of y with y' = p·u' where pₖ₋₁ = slope(y, k - 1) depends on y₀..yₖ₋₁ only."""
    y = np.zeros_like(u)
    p = np.zeros_like(u)
    y[0] = y0
    for k in range(1, len(y)):
        p[k - 1] = slope(y, k - 1)
        y[k] = step(u, p, k)
    return y


def square(y: Jet, m: int) -> np.ndarray:
    """The m-th coefficient of y², from y₀..yₘ."""
    return np.sum(y[: m + 1] * y[m::-1], axis=0)


# ----------------------------------------------------------------------------- elementary functions
def exp(u: Jet) -> Jet:  # (eᵘ)' = eᵘ u'
    y = np.zeros_like(u)
    y[0] = np.exp(u[0])
    for k in range(1, len(y)):
        y[k] = step(u, y, k)
    return y


def log(u: Jet) -> Jet:  # (log u)' = u'/u
    return integrate(u, np.log(u[0]), divide(ones(u), u))


def sqrt(u: Jet, y0: Any = None) -> Jet:  # y² = u: yₖ = (uₖ - Σⱼ₌₁..ₖ₋₁ yⱼ yₖ₋ⱼ) / (2y₀)
    y = np.zeros_like(u)
    y[0] = np.sqrt(u[0]) if y0 is None else y0
    for k in range(1, len(y)):
        y[k] = (u[k] - np.sum(y[1:k] * y[k - 1:0:-1], axis=0)) / (2 * y[0])
    return y


def sin_cos(u: Jet) -> tuple[Jet, Jet]:  # sin' = cos u', cos' = -sin u'
    s, c = np.zeros_like(u), np.zeros_like(u)
    s[0], c[0] = np.sin(u[0]), np.cos(u[0])
    for k in range(1, len(u)):
        s[k] = step(u, c, k)
        c[k] = -step(u, s, k)
    return s, c


def sinh_cosh(u: Jet) -> tuple[Jet, Jet]:  # sinh' = cosh u', cosh' = sinh u'
    s, c = np.zeros_like(u), np.zeros_like(u)
    s[0], c[0] = np.sinh(u[0]), np.cosh(u[0])
    for k in range(1, len(u)):
        s[k] = step(u, c, k)
        c[k] = step(u, s, k)
    return s, c


def one(m: int) -> float:
    return 1.0 if m == 0 else 0.0


def sigmoid(u: Jet, y0: Any) -> Jet:  # σ' = (σ - σ²) u'
    return solve_ode(u, y0, lambda y, m: y[m] - square(y, m))


def power(u: Jet, v: Jet, y0: Any) -> Jet:
    if not is_constant(v):  # uᵛ = exp(v log u)
        return exp(cauchy(v, log(u)))
    p = v[0]
    if np.ndim(p) == 0 or np.all(p == p.flat[0]):
        p = float(np.asarray(p).flat[0])
        if p == int(p) and 0 <= p <= 64:  # whole powers by repeated squaring: exact even at u₀ = 0
            return whole_power(u, int(p))
        if p == int(p) and -64 <= p < 0:
            return divide(ones(u), whole_power(u, -int(p)))
    # y = uᵖ satisfies u·y' = p·y·u': yₖ = Σⱼ₌₁..ₖ (p·j - (k - j)) uⱼ yₖ₋ⱼ / (k u₀)
    u, v = align(u, v)
    y = np.zeros(np.broadcast_shapes(u.shape, v.shape), dtype=np.result_type(u, v))
    y[0] = y0
    for k in range(1, len(y)):
        j = np.arange(1, k + 1, dtype=float).reshape((k,) + (1,) * (u.ndim - 1))
        y[k] = np.sum((v[0] * j - (k - j)) * u[1: k + 1] * y[k - 1:: -1][:k], axis=0) / (k * u[0])
    return y


def whole_power(u: Jet, n: int) -> Jet:
    result = ones(u)
    base = u
    while n:
        if n & 1:
            result = cauchy(result, base)
        n >>= 1
        if n:
            base = cauchy(base, base)
    return result


def select(share: np.ndarray, a: Jet, b: Jet) -> Jet:
    """share·a + (1 - share)·b with the share fixed by the values at x₀ (kinks: as the VJPs do)."""
    a, b = align(a, b)
    return share * a + (1.0 - share) * b


def tie_share(a0: np.ndarray, b0: np.ndarray) -> np.ndarray:  # 1 where a wins, ½ at ties
    return (a0 > b0) + 0.5 * (a0 == b0)


def clip(node: Any, x: Jet, lo: Jet | None, hi: Jet | None) -> Jet:
    """x where lo ≤ x₀ ≤ hi (the boundary counts as inside, as the VJP), else the bound it crossed."""
    x0 = x[0]
    below = x0 < lo[0] if lo is not None else np.zeros(x0.shape, dtype=bool)
    above = x0 > hi[0] if hi is not None else np.zeros(x0.shape, dtype=bool)
    result = x * ~(below | above)
    for bound, crossed in ((lo, below), (hi, above)):
        if bound is not None:
            result = result + align(result, bound)[1] * crossed
    return result


def where(node: Any, condition: Jet, a: Jet, b: Jet) -> Jet:
    chosen = node._inputs[0]
    return select(np.asarray(getattr(chosen, "data", chosen), dtype=float), a, b)


def softplus(node: Any, u: Jet) -> Jet:  # softplus' = σ(u)
    e = np.exp(-np.abs(u[0]))
    sigmoid0 = np.where(u[0] >= 0, 1.0, e) / (1.0 + e)  # without overflow
    return integrate(u, node.data, sigmoid(u, sigmoid0))


def arcsin_slope(u: Jet) -> Jet:  # 1/√(1-u²)
    return divide(ones(u), sqrt(ones(u) - cauchy(u, u)))


def erf_slope(u: Jet) -> Jet:  # erf' = 2/√π·e^(-u²), a jet known in full: erf's jet is its integral
    return (2.0 / np.sqrt(np.pi)) * exp(-cauchy(u, u))


# ----------------------------------------------------------------------------- reductions
def value_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """Value axes as positions in the jet array (coefficient axis first)."""
    axes = range(ndim) if axis is None else ((axis,) if isinstance(axis, (int, np.integer)) else axis)
    return tuple(1 + (a % ndim) for a in axes)


def reduce_sum(u: Jet, axis: Any, keepdims: bool) -> Jet:
    return np.sum(u, axis=value_axes(axis, u.ndim - 1), keepdims=keepdims)


def extreme(node: Any, u: Jet, axis: Any = None, keepdims: bool = False) -> Jet:
    """max/min: the coefficients of the winning entries (ties share evenly, as the VJP does)."""
    axes = value_axes(axis, u.ndim - 1)
    own_axes = tuple(a - 1 for a in axes)
    winner = u[0] == (node.data if keepdims else np.expand_dims(node.data, own_axes))
    share = winner / np.sum(winner, axis=own_axes, keepdims=True)
    return np.sum(share * u, axis=axes, keepdims=keepdims)


def logsumexp(node: Any, u: Jet, axis: Any = None, keepdims: bool = False) -> Jet:
    axes = value_axes(axis, u.ndim - 1)
    shift = np.max(u[0], axis=tuple(a - 1 for a in axes), keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    shifted = u.copy()
    shifted[0] = shifted[0] - shift
    total = np.sum(exp(shifted), axis=axes, keepdims=True)
    y = log(total)
    y[0] = y[0] + shift
    return y if keepdims else np.squeeze(y, axis=axes)


def log_softmax(node: Any, u: Jet, axis: int = -1) -> Jet:
    return u - logsumexp(node, u, axis=axis, keepdims=True)


def softmax(node: Any, u: Jet, axis: int = -1) -> Jet:
    return exp(log_softmax(node, u, axis))


def var(node: Any, u: Jet, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Jet:
    axes = value_axes(axis, u.ndim - 1)
    centered = u - np.mean(u, axis=axes, keepdims=True)
    count = int(np.prod([u.shape[a] for a in axes]))
    return np.sum(cauchy(centered, centered), axis=axes, keepdims=keepdims) / (count - ddof)


# ----------------------------------------------------------------------------- linear algebra
def inv(node: Any, a: Jet) -> Jet:  # A·Y = I: Yₖ = -Y₀ Σⱼ₌₁..ₖ Aⱼ Yₖ₋ⱼ
    y = np.zeros_like(a)
    y[0] = node.data
    for k in range(1, len(a)):
        y[k] = -y[0] @ sum(a[j] @ y[k - j] for j in range(1, k + 1))
    return y


def solve(node: Any, a: Jet, b: Jet) -> Jet:  # A·X = B: Xₖ = A₀⁻¹ (Bₖ - Σⱼ₌₁..ₖ Aⱼ Xₖ₋ⱼ)
    vector = b.ndim - 1 == 1
    x = np.zeros((len(a),) + node.shape, dtype=np.result_type(a, b))
    x[0] = node.data
    for k in range(1, len(a)):
        rest = sum((a[j] @ x[k - j] for j in range(1, k + 1)), np.zeros_like(x[0]))
        rhs = b[k] - rest
        x[k] = np.linalg.solve(a[0], rhs[..., None])[..., 0] if vector else np.linalg.solve(a[0], rhs)
    return x


def einsum(node: Any, *jets: Jet, subscripts: str) -> Jet:
    if len(jets) == 1:
        return per_coefficient(lambda o: np.einsum(subscripts, o), jets[0])
    if len(jets) == 2:
        return bilinear(lambda a, b: np.einsum(subscripts, a, b), *jets)
    raise NoJetRule("no Taylor-mode rule for einsum of more than two operands")


def linear(node: Any, *jets: Jet, **params: Any) -> Jet:
    forward = node._op.forward
    return per_coefficient(lambda *c: forward(*c, **params), *jets)


def elementwise(function: Callable[..., Jet]) -> Callable[..., Jet]:
    """A rule for an elementwise op (static parameters ignored) that needs only the input jets."""
    return lambda node, *jets, **params: function(*align(*jets))


