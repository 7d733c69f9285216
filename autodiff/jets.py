"""Taylor mode: push truncated power series ("jets") through a recorded graph, op by op.

The jet of a value u(x) at x₀ is the array ``[u₀, u₁, ..., uₙ]`` of Taylor coefficients of
t ↦ u(x₀ + t) = Σ uₖ tᵏ (the coefficient index is the leading axis). The input's jet is
``[x₀, 1, 0, ...]``; each op maps its inputs' jets to its output's jet:

* linear ops (sums, reshapes, indexing, ...) act on every coefficient separately;
* products are Cauchy products, cₖ = Σⱼ aⱼ bₖ₋ⱼ (bilinear ops: matmul, einsum of two operands);
* an elementary function follows from its differential equation. For y = φ(u) with
  y' = p·u', matching coefficients gives k·yₖ = Σⱼ₌₁..ₖ j·uⱼ·pₖ₋ⱼ, where p is itself a jet:
  p = y for exp, p = cos u for sin, p = 1 - y² for tanh, and so on.

Each op costs O(n²) array operations for n coefficients (Griewank & Walther, *Evaluating
Derivatives*, ch. 13), where nested reverse mode (grad of grad of ...) grows exponentially in n.
``propagate`` raises ``NoJetRule`` for an op without a rule here; callers fall back to nested
reverse mode. Rules are looked up by op name, so a custom ``ad.Function`` named like a built-in op
(``"exp"``) would be mistaken for it: give custom functions their own names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .tensor import Tensor

Jet = np.ndarray  # shape (n + 1,) + value.shape


class NoJetRule(NotImplementedError):
    """An op in the graph has no Taylor-mode rule."""


# ----------------------------------------------------------------------------- propagation
def propagate(out: Tensor, x: Tensor, order: int) -> Jet:
    """The jet of ``out`` (coefficients 0..order) along the scalar or array input ``x`` (direction 1)."""
    count = order + 1
    seed = np.zeros((count,) + x.shape, dtype=np.result_type(x.dtype, float))
    seed[0] = x.data
    if order >= 1:
        seed[1] = 1.0
    jets = {id(x): seed}
    for node in _topological(out, x):
        rule = RULES.get(node._op.name)
        if rule is None:
            raise NoJetRule(f"no Taylor-mode rule for the op {node._op.name!r}")
        inputs = [jets[id(a)] if isinstance(a, Tensor) and id(a) in jets
                  else None if a is None else _constant(a, count) for a in node._inputs]
        jets[id(node)] = rule(node, *inputs, **node._params)
    if id(out) not in jets:
        return _constant(out, count)
    return jets[id(out)]


def _topological(out: Tensor, x: Tensor) -> list[Tensor]:
    """Recorded nodes between x and out, each after its inputs (iterative depth-first search)."""
    order, seen = [], {id(x)}
    stack = [(out, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen or node._op is None or node._inputs is None:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((a, False) for a in node._inputs if isinstance(a, Tensor) and a.requires_grad)
    return order


def _constant(value: Any, count: int) -> Jet:
    data = np.asarray(value.data if isinstance(value, Tensor) else value)
    jet = np.zeros((count,) + data.shape, dtype=np.result_type(data.dtype, float))
    jet[0] = data
    return jet


# ----------------------------------------------------------------------------- jet arithmetic
def _align(*jets: Jet) -> list[Jet]:
    """Jets whose value axes broadcast against each other (the coefficient axis stays first)."""
    ndim = max(j.ndim for j in jets)
    return [j.reshape(j.shape[:1] + (1,) * (ndim - j.ndim) + j.shape[1:]) for j in jets]


def _ones(u: Jet) -> Jet:
    """The constant jet 1 with u's value shape."""
    return _constant(np.ones(u.shape[1:]), len(u))


def _is_constant(jet: Jet) -> bool:
    return not jet[1:].any()


def _cauchy(a: Jet, b: Jet) -> Jet:
    """The jet of a·b: cₖ = Σⱼ aⱼ bₖ₋ⱼ."""
    a, b = _align(a, b)
    if _is_constant(b):
        return a * b[0]
    if _is_constant(a):
        return a[0] * b
    return np.stack([np.sum(a[: k + 1] * b[k::-1], axis=0) for k in range(len(a))])


def _bilinear(function: Callable[[Any, Any], Any], a: Jet, b: Jet) -> Jet:
    """The jet of B(a, b) for a bilinear B: cₖ = Σⱼ B(aⱼ, bₖ₋ⱼ)."""
    if _is_constant(b):
        return np.stack([function(ak, b[0]) for ak in a])
    if _is_constant(a):
        return np.stack([function(a[0], bk) for bk in b])
    return np.stack([sum(function(a[j], b[k - j]) for j in range(k + 1)) for k in range(len(a))])


def _per_coefficient(function: Callable[..., Any], *jets: Jet) -> Jet:
    """The jet of a linear function: apply it to each coefficient."""
    return np.stack([np.asarray(function(*coefficients)) for coefficients in zip(*jets, strict=True)])


def _divide(a: Jet, b: Jet) -> Jet:
    """The jet of a/b: yₖ = (aₖ - Σⱼ₌₁..ₖ bⱼ yₖ₋ⱼ) / b₀."""
    a, b = _align(a, b)
    if _is_constant(b):
        return a / b[0]
    y = np.zeros(np.broadcast_shapes(a.shape, b.shape), dtype=np.result_type(a, b))
    for k in range(len(y)):
        y[k] = (a[k] - np.sum(b[1: k + 1] * y[k - 1:: -1][:k], axis=0)) / b[0]
    return y


def _step(u: Jet, p: Jet, k: int) -> np.ndarray:
    """The k-th coefficient of y where y' = p·u': (1/k) Σⱼ₌₁..ₖ j·uⱼ·pₖ₋ⱼ (uses p₀..pₖ₋₁ only)."""
    weights = np.arange(1, k + 1, dtype=float).reshape((k,) + (1,) * (u.ndim - 1))
    return np.sum(weights * u[1: k + 1] * p[k - 1:: -1][:k], axis=0) / k


def _integrate(u: Jet, y0: Any, p: Jet) -> Jet:
    """The jet of y with y(x₀) = y₀ and y' = p·u', for a jet p known in full."""
    u, p = _align(u, p)
    y = np.zeros(np.broadcast_shapes(u.shape, p.shape), dtype=np.result_type(u, p))
    y[0] = y0
    for k in range(1, len(y)):
        y[k] = _step(u, p, k)
    return y


def _solve_ode(u: Jet, y0: Any, slope: Callable[[Jet, int], np.ndarray]) -> Jet:
    """The jet of y with y' = p·u' where pₖ₋₁ = slope(y, k - 1) depends on y₀..yₖ₋₁ only."""
    y = np.zeros_like(u)
    p = np.zeros_like(u)
    y[0] = y0
    for k in range(1, len(y)):
        p[k - 1] = slope(y, k - 1)
        y[k] = _step(u, p, k)
    return y


def _square(y: Jet, m: int) -> np.ndarray:
    """The m-th coefficient of y², from y₀..yₘ."""
    return np.sum(y[: m + 1] * y[m::-1], axis=0)


# ----------------------------------------------------------------------------- elementary functions
def _exp(u: Jet) -> Jet:  # (eᵘ)' = eᵘ u'
    y = np.zeros_like(u)
    y[0] = np.exp(u[0])
    for k in range(1, len(y)):
        y[k] = _step(u, y, k)
    return y


def _log(u: Jet) -> Jet:  # (log u)' = u'/u
    return _integrate(u, np.log(u[0]), _divide(_ones(u), u))


def _sqrt(u: Jet, y0: Any = None) -> Jet:  # y² = u: yₖ = (uₖ - Σⱼ₌₁..ₖ₋₁ yⱼ yₖ₋ⱼ) / (2y₀)
    y = np.zeros_like(u)
    y[0] = np.sqrt(u[0]) if y0 is None else y0
    for k in range(1, len(y)):
        y[k] = (u[k] - np.sum(y[1:k] * y[k - 1:0:-1], axis=0)) / (2 * y[0])
    return y


def _sin_cos(u: Jet) -> tuple[Jet, Jet]:  # sin' = cos u', cos' = -sin u'
    s, c = np.zeros_like(u), np.zeros_like(u)
    s[0], c[0] = np.sin(u[0]), np.cos(u[0])
    for k in range(1, len(u)):
        s[k] = _step(u, c, k)
        c[k] = -_step(u, s, k)
    return s, c


def _sinh_cosh(u: Jet) -> tuple[Jet, Jet]:  # sinh' = cosh u', cosh' = sinh u'
    s, c = np.zeros_like(u), np.zeros_like(u)
    s[0], c[0] = np.sinh(u[0]), np.cosh(u[0])
    for k in range(1, len(u)):
        s[k] = _step(u, c, k)
        c[k] = _step(u, s, k)
    return s, c


def _one(m: int) -> float:
    return 1.0 if m == 0 else 0.0


def _sigmoid(u: Jet, y0: Any) -> Jet:  # σ' = (σ - σ²) u'
    return _solve_ode(u, y0, lambda y, m: y[m] - _square(y, m))


def _power(u: Jet, v: Jet, y0: Any) -> Jet:
    if not _is_constant(v):  # uᵛ = exp(v log u)
        return _exp(_cauchy(v, _log(u)))
    p = v[0]
    if np.ndim(p) == 0 or np.all(p == p.flat[0]):
        p = float(np.asarray(p).flat[0])
        if p == int(p) and 0 <= p <= 64:  # whole powers by repeated squaring: exact even at u₀ = 0
            return _whole_power(u, int(p))
        if p == int(p) and -64 <= p < 0:
            return _divide(_ones(u), _whole_power(u, -int(p)))
    # y = uᵖ satisfies u·y' = p·y·u': yₖ = Σⱼ₌₁..ₖ (p·j - (k - j)) uⱼ yₖ₋ⱼ / (k u₀)
    u, v = _align(u, v)
    y = np.zeros(np.broadcast_shapes(u.shape, v.shape), dtype=np.result_type(u, v))
    y[0] = y0
    for k in range(1, len(y)):
        j = np.arange(1, k + 1, dtype=float).reshape((k,) + (1,) * (u.ndim - 1))
        y[k] = np.sum((v[0] * j - (k - j)) * u[1: k + 1] * y[k - 1:: -1][:k], axis=0) / (k * u[0])
    return y


def _whole_power(u: Jet, n: int) -> Jet:
    result = _ones(u)
    base = u
    while n:
        if n & 1:
            result = _cauchy(result, base)
        n >>= 1
        if n:
            base = _cauchy(base, base)
    return result


def _select(share: np.ndarray, a: Jet, b: Jet) -> Jet:
    """share·a + (1 - share)·b with the share fixed by the values at x₀ (kinks: as the VJPs do)."""
    a, b = _align(a, b)
    return share * a + (1.0 - share) * b


def _tie_share(a0: np.ndarray, b0: np.ndarray) -> np.ndarray:  # 1 where a wins, ½ at ties
    return (a0 > b0) + 0.5 * (a0 == b0)


def _clip(node: Tensor, x: Jet, lo: Jet | None, hi: Jet | None) -> Jet:
    """x where lo ≤ x₀ ≤ hi (the boundary counts as inside, as the VJP), else the bound it crossed."""
    x0 = x[0]
    below = x0 < lo[0] if lo is not None else np.zeros(x0.shape, dtype=bool)
    above = x0 > hi[0] if hi is not None else np.zeros(x0.shape, dtype=bool)
    result = x * ~(below | above)
    for bound, crossed in ((lo, below), (hi, above)):
        if bound is not None:
            result = result + _align(result, bound)[1] * crossed
    return result


def _where(node: Tensor, condition: Jet, a: Jet, b: Jet) -> Jet:
    chosen = node._inputs[0]
    return _select(np.asarray(chosen.data if isinstance(chosen, Tensor) else chosen, dtype=float), a, b)


def _softplus(node: Tensor, u: Jet) -> Jet:  # softplus' = σ(u)
    e = np.exp(-np.abs(u[0]))
    sigmoid0 = np.where(u[0] >= 0, 1.0, e) / (1.0 + e)  # without overflow
    return _integrate(u, node.data, _sigmoid(u, sigmoid0))


def _arcsin_slope(u: Jet) -> Jet:  # 1/√(1-u²)
    return _divide(_ones(u), _sqrt(_ones(u) - _cauchy(u, u)))


def _erf_slope(u: Jet) -> Jet:  # erf' = 2/√π·e^(-u²), a jet known in full: erf's jet is its integral
    return (2.0 / np.sqrt(np.pi)) * _exp(-_cauchy(u, u))


# ----------------------------------------------------------------------------- reductions
def _value_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """Value axes as positions in the jet array (coefficient axis first)."""
    axes = range(ndim) if axis is None else ((axis,) if isinstance(axis, (int, np.integer)) else axis)
    return tuple(1 + (a % ndim) for a in axes)


def _reduce_sum(u: Jet, axis: Any, keepdims: bool) -> Jet:
    return np.sum(u, axis=_value_axes(axis, u.ndim - 1), keepdims=keepdims)


def _extreme(node: Tensor, u: Jet, axis: Any = None, keepdims: bool = False) -> Jet:
    """max/min: the coefficients of the winning entries (ties share evenly, as the VJP does)."""
    axes = _value_axes(axis, u.ndim - 1)
    value_axes = tuple(a - 1 for a in axes)
    winner = u[0] == (node.data if keepdims else np.expand_dims(node.data, value_axes))
    share = winner / np.sum(winner, axis=value_axes, keepdims=True)
    return np.sum(share * u, axis=axes, keepdims=keepdims)


def _logsumexp(node: Tensor, u: Jet, axis: Any = None, keepdims: bool = False) -> Jet:
    axes = _value_axes(axis, u.ndim - 1)
    shift = np.max(u[0], axis=tuple(a - 1 for a in axes), keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    shifted = u.copy()
    shifted[0] = shifted[0] - shift
    total = np.sum(_exp(shifted), axis=axes, keepdims=True)
    y = _log(total)
    y[0] = y[0] + shift
    return y if keepdims else np.squeeze(y, axis=axes)


def _log_softmax(node: Tensor, u: Jet, axis: int = -1) -> Jet:
    return u - _logsumexp(node, u, axis=axis, keepdims=True)


def _softmax(node: Tensor, u: Jet, axis: int = -1) -> Jet:
    return _exp(_log_softmax(node, u, axis))


def _var(node: Tensor, u: Jet, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Jet:
    axes = _value_axes(axis, u.ndim - 1)
    centered = u - np.mean(u, axis=axes, keepdims=True)
    count = int(np.prod([u.shape[a] for a in axes]))
    return np.sum(_cauchy(centered, centered), axis=axes, keepdims=keepdims) / (count - ddof)


# ----------------------------------------------------------------------------- linear algebra
def _inv(node: Tensor, a: Jet) -> Jet:  # A·Y = I: Yₖ = -Y₀ Σⱼ₌₁..ₖ Aⱼ Yₖ₋ⱼ
    y = np.zeros_like(a)
    y[0] = node.data
    for k in range(1, len(a)):
        y[k] = -y[0] @ sum(a[j] @ y[k - j] for j in range(1, k + 1))
    return y


def _solve(node: Tensor, a: Jet, b: Jet) -> Jet:  # A·X = B: Xₖ = A₀⁻¹ (Bₖ - Σⱼ₌₁..ₖ Aⱼ Xₖ₋ⱼ)
    vector = b.ndim - 1 == 1
    x = np.zeros((len(a),) + node.shape, dtype=np.result_type(a, b))
    x[0] = node.data
    for k in range(1, len(a)):
        rest = sum((a[j] @ x[k - j] for j in range(1, k + 1)), np.zeros_like(x[0]))
        rhs = b[k] - rest
        x[k] = np.linalg.solve(a[0], rhs[..., None])[..., 0] if vector else np.linalg.solve(a[0], rhs)
    return x


def _einsum(node: Tensor, *jets: Jet, subscripts: str) -> Jet:
    if len(jets) == 1:
        return _per_coefficient(lambda o: np.einsum(subscripts, o), jets[0])
    if len(jets) == 2:
        return _bilinear(lambda a, b: np.einsum(subscripts, a, b), *jets)
    raise NoJetRule("no Taylor-mode rule for einsum of more than two operands")


def _linear(node: Tensor, *jets: Jet, **params: Any) -> Jet:
    forward = node._op.forward
    return _per_coefficient(lambda *c: forward(*c, **params), *jets)


def _elementwise(function: Callable[..., Jet]) -> Callable[..., Jet]:
    """A rule for an elementwise op (static parameters ignored) that needs only the input jets."""
    return lambda node, *jets, **params: function(*_align(*jets))


# ----------------------------------------------------------------------------- the table
RULES: dict[str, Callable[..., Jet]] = {
    # linear: each coefficient separately
    **{name: _linear for name in (
        "add", "subtract", "negative", "astype", "identity", "reshape", "transpose", "swapaxes", "squeeze",
        "expand_dims", "broadcast_to", "concatenate", "stack", "getitem", "scatter_add", "sum", "mean")},
    # products
    "multiply": _elementwise(_cauchy),
    "divide": _elementwise(_divide),
    "matmul": lambda node, a, b: _bilinear(np.matmul, a, b),
    "einsum": _einsum,
    "power": lambda node, u, v: _power(u, v, node.data),
    # elementary functions, each from its differential equation
    "exp": _elementwise(_exp),
    "log": _elementwise(_log),
    "log1p": lambda node, u: _integrate(u, node.data, _divide(_ones(u), _ones(u) + u)),  # 1/(1+u)
    "sqrt": lambda node, u: _sqrt(u, node.data),
    "sin": lambda node, u: _sin_cos(u)[0],
    "cos": lambda node, u: _sin_cos(u)[1],
    "sinh": lambda node, u: _sinh_cosh(u)[0],
    "cosh": lambda node, u: _sinh_cosh(u)[1],
    "tan": lambda node, u: _solve_ode(u, node.data, lambda y, m: _one(m) + _square(y, m)),    # 1 + tan²
    "tanh": lambda node, u: _solve_ode(u, node.data, lambda y, m: _one(m) - _square(y, m)),   # 1 - tanh²
    # arctan' = 1/(1+u²)
    "arctan": lambda node, u: _integrate(u, node.data, _divide(_ones(u), _ones(u) + _cauchy(u, u))),
    "arcsin": lambda node, u: _integrate(u, node.data, _arcsin_slope(u)),
    "arccos": lambda node, u: _integrate(u, node.data, -_arcsin_slope(u)),
    "erf": lambda node, u: _integrate(u, node.data, _erf_slope(u)),
    "erfc": lambda node, u: _integrate(u, node.data, -_erf_slope(u)),  # erfc' = -erf'
    "sigmoid": lambda node, u: _sigmoid(u, node.data),
    "softplus": _softplus,
    # kinks: the branch is chosen by the value at x₀
    "relu": lambda node, u: u * (u[0] > 0),
    "abs": lambda node, u: u * np.sign(u[0]),
    "maximum": lambda node, a, b: _select(_tie_share(*[j[0] for j in _align(a, b)]), a, b),
    "minimum": lambda node, a, b: _select(_tie_share(*[j[0] for j in _align(b, a)]), a, b),
    "clip": _clip,
    "where": _where,
    # reductions
    "max": _extreme,
    "min": _extreme,
    "logsumexp": _logsumexp,
    "log_softmax": _log_softmax,
    "softmax": _softmax,
    "var": _var,
    "std": lambda node, u, **params: _sqrt(_var(node, u, **params), node.data),
    "norm": lambda node, u, axis=None, keepdims=False: _sqrt(
        _reduce_sum(_cauchy(u, u), axis, keepdims), node.data),
    # linear algebra
    "inv": _inv,
    "solve": _solve,
}

