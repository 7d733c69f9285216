"""Elementwise ops: arithmetic, powers, exponentials, trigonometry, kinks, selection, comparisons.

Each op is its numpy forward with the VJP beside it; the engine reduces every cotangent back to
its input's shape (broadcasting), so these formulas are written as if shapes matched. One record per
op, written out in full: sibling ops (sin and cos, sinh and cosh) look alike by design.

Documented choices at kinks and domain edges (the value used where the derivative jumps):
``abs'(0) = 0``, ``relu'(0) = 0``, ``maximum``/``minimum`` split the gradient evenly between tied
inputs, ``clip`` passes the gradient at the boundary (``lo <= x <= hi``), ``sqrt'(0) = +inf``,
``log'(0) = +inf``, ``d/dy xʸ = 0`` where ``x = 0`` (and ``y >= 0``), ``d/dx x⁰ = 0``.
"""

from __future__ import annotations

import numpy as np

from . import series
from .record import nondifferentiable, primitive, public_op

# ----------------------------------------------------------------------------- comparisons & logic
# These return boolean arrays/tensors; they never require grad, so their derivative is zero.
less = nondifferentiable("less", np.less, "Elementwise x < y (boolean, no grad).", 2, "x < y")
less_equal = nondifferentiable("less_equal", np.less_equal, "Elementwise x <= y (boolean, no grad).", 2, "x <= y")
greater = nondifferentiable("greater", np.greater, "Elementwise x > y (boolean, no grad).", 2, "x > y")
greater_equal = nondifferentiable("greater_equal", np.greater_equal, "Elementwise x >= y (boolean, no grad).", 2,
                                  "x >= y")
equal = nondifferentiable("equal", np.equal, "Elementwise x == y (boolean, no grad).", 2, "x == y")
not_equal = nondifferentiable("not_equal", np.not_equal, "Elementwise x != y (boolean, no grad).", 2, "x != y")
logical_and = nondifferentiable("logical_and", np.logical_and, "Elementwise x and y (boolean).", 2, "x & y")
logical_or = nondifferentiable("logical_or", np.logical_or, "Elementwise x or y (boolean).", 2, "x | y")
logical_not = nondifferentiable("logical_not", np.logical_not, "Elementwise not x (boolean).", 1, "~x")
isfinite = nondifferentiable("isfinite", np.isfinite, "Elementwise: not NaN and not inf (boolean).", 1,
                             "np.isfinite(x)")
sign = nondifferentiable("sign", np.sign, "Elementwise sign, -1, 0 or 1 (no grad: zero almost everywhere).", 1,
                         "np.sign(x)")


def _safe_log(x):
    """log x where x > 0, 0 elsewhere; the masked branch never sees log 0, so no inf·0 = NaN later."""
    positive = x > 0
    return where(positive, log(where(positive, x, 1.0)), 0.0)


def _power_vjp_base(g, out, x, y):  # d/dx xʸ = y·xʸ⁻¹  (0 where y = 0)
    if isinstance(y, (int, float)):
        if y == 0:
            return 0.0 * g
        if y == 1:
            return g
        if y == 2:
            return g * 2.0 * x
        return g * y * x ** (y - 1)
    # 0·0⁻¹ is taken as 0 (d/dx x⁰ = 0 at x = 0) only where both are 0, so that elsewhere the result
    # still depends on y (its y-derivative at y = 0 is x⁻¹); the inner where keeps 0⁻¹ out of it.
    zero = logical_and(equal(y, 0), equal(x, 0))
    return g * where(zero, 0.0, y * where(zero, 1.0, x) ** (y - 1))


def _maximum_share(a, b):  # 1 where a wins, ½ at ties, 0 where b wins
    return (a > b) + 0.5 * (a == b)


def _clip_forward(x, lo, hi):
    if lo is None and hi is None:
        return np.array(x, copy=True)
    return np.clip(x, lo, hi)


def _clip_pass(x, lo, hi):  # 1 where lo <= x <= hi: the gradient passes at the boundary
    inside = True
    if lo is not None:
        inside = x >= lo
    if hi is not None:
        inside = (x <= hi) if inside is True else inside & (x <= hi)
    return inside


def _clip_lo(x, lo, hi):  # 1 where x is raised to lo; when lo > hi, numpy's clip gives hi everywhere
    return (x < lo) if hi is None else (x < lo) & (lo <= hi)


def _clip_hi(x, lo, hi):  # 1 where the output is hi
    return (x > hi) if lo is None else (x > hi) | (lo > hi)


def _sigmoid_forward(x):
    x = np.asarray(x)
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


# ----------------------------------------------------------------------------- arithmetic
add = primitive(
    "add", np.add,
    lambda g, out, x, y: g,  # ∂(x+y)/∂x = 1
    lambda g, out, x, y: g,  # ∂(x+y)/∂y = 1
    formula="x + y", partials=("1", "1"), linear=True,
    doc="Elementwise x + y with broadcasting.\n\n>>> add([1.0, 2.0], 1.0)\narray([2., 3.])",
)
subtract = primitive(
    "subtract", np.subtract,
    lambda g, out, x, y: g,   # ∂(x-y)/∂x = 1
    lambda g, out, x, y: -g,  # ∂(x-y)/∂y = -1
    formula="x - y", partials=("1", "-1"), linear=True,
    doc="Elementwise x - y with broadcasting.",
)
multiply = primitive(
    "multiply", np.multiply,
    lambda g, out, x, y: g * y,  # ∂(xy)/∂x = y
    lambda g, out, x, y: g * x,  # ∂(xy)/∂y = x
    formula="x * y", partials=("y", "x"), jet=series.elementwise(series.cauchy),
    doc="Elementwise x * y with broadcasting.",
)
divide = primitive(
    "divide", np.true_divide,
    lambda g, out, x, y: g / y,         # ∂(x/y)/∂x = 1/y
    lambda g, out, x, y: -g * out / y,  # ∂(x/y)/∂y = -x/y²
    formula="x / y", partials=("1 / y", "-out / y"), jet=series.elementwise(series.divide),
    doc="Elementwise x / y with broadcasting.",
)
power = primitive(
    "power", np.power,
    _power_vjp_base,
    lambda g, out, x, y: g * out * _safe_log(x),  # ∂xʸ/∂y = xʸ·log x
    formula="x ** y", partials=("y * x ** (y - 1)", "out * np.log(x)"),
    jet=lambda node, u, v: series.power(u, v, node.data),
    doc="Elementwise xʸ with broadcasting.\n\n>>> power([2.0, 3.0], 2)\narray([4., 9.])",
)
negative = primitive(
    "negative", np.negative, lambda g, out, x: -g,  # d(-x) = -1
    formula="-x", partials=("-1",), linear=True, doc="Elementwise -x.",
)
absolute = primitive(
    "abs", np.abs,
    lambda g, out, x: g * sign(x),  # d|x|/dx = sign x  (0 at 0)
    formula="np.abs(x)", partials=("np.sign(x)",), jet=lambda node, u: u * np.sign(u[0]),
    aliases=("absolute",), method=True, formula_names=("abs",),
    doc="Elementwise |x|; its derivative at 0 is taken as 0.",
)
_cast = primitive(
    "astype", lambda x, dtype: x.astype(dtype),
    lambda g, out, x, dtype: g.astype(x.dtype),  # a cast's derivative is the cast back
    formula="x.astype(dtype)", partials=("1",), linear=True, public=False,
    doc="x converted to ``dtype``.",
)
_cast_to_integers = nondifferentiable("astype_integer", lambda x, dtype: np.asarray(x).astype(dtype),
                                      formula="x.astype(dtype)", public=False)


@public_op(_cast, method=True)
def astype(x, dtype):
    """x converted to ``dtype``; a cast to integers or booleans is not differentiable (never requires grad).

    >>> astype([1.5, 2.5], np.int64)
    array([1, 2])
    """
    dtype = np.dtype(dtype)
    return _cast(x, dtype=dtype) if np.issubdtype(dtype, np.inexact) else _cast_to_integers(x, dtype=dtype)


# ----------------------------------------------------------------------------- exponentials and logs
exp = primitive(
    "exp", np.exp, lambda g, out, x: g * out,  # d eˣ = eˣ
    formula="np.exp(x)", partials=("out",), jet=series.elementwise(series.exp),
    method=True, formula_names=("exp",), doc="Elementwise eˣ.",
)
log = primitive(
    "log", np.log, lambda g, out, x: g / x,  # d log x = 1/x
    formula="np.log(x)", partials=("1 / x",), jet=series.elementwise(series.log),
    method=True, formula_names=("log", "ln"), doc="Natural log; log'(0) = +inf.",
)
log1p = primitive(
    "log1p", np.log1p, lambda g, out, x: g / (1.0 + x),  # d log(1+x) = 1/(1+x)
    formula="np.log1p(x)", partials=("1 / (1 + x)",),
    jet=lambda node, u: series.integrate(u, node.data, series.divide(series.ones(u), series.ones(u) + u)),
    method=True, formula_names=("log1p",), doc="log(1 + x), accurate for small x.",
)
sqrt = primitive(
    "sqrt", np.sqrt, lambda g, out, x: g / (2.0 * out),  # d √x = 1/(2√x)
    formula="np.sqrt(x)", partials=("1 / (2 * out)",), jet=lambda node, u: series.sqrt(u, node.data),
    method=True, formula_names=("sqrt",), doc="Elementwise √x; its derivative at 0 is +inf.",
)

# ----------------------------------------------------------------------------- trigonometric
sin = primitive(
    "sin", np.sin, lambda g, out, x: g * cos(x),  # d sin = cos
    formula="np.sin(x)", partials=("np.cos(x)",), jet=lambda node, u: series.sin_cos(u)[0],
    method=True, formula_names=("sin",), doc="Elementwise sin x.",
)
cos = primitive(
    "cos", np.cos, lambda g, out, x: -g * sin(x),  # d cos = -sin
    formula="np.cos(x)", partials=("-np.sin(x)",), jet=lambda node, u: series.sin_cos(u)[1],
    method=True, formula_names=("cos",), doc="Elementwise cos x.",
)
tan = primitive(
    "tan", np.tan, lambda g, out, x: g * (1.0 + out * out),  # d tan = 1 + tan²
    formula="np.tan(x)", partials=("1 + out**2",),
    jet=lambda node, u: series.solve_ode(u, node.data, lambda y, m: series.one(m) + series.square(y, m)),
    method=True, formula_names=("tan",), doc="Elementwise tan x.",
)
arcsin = primitive(
    "arcsin", np.arcsin, lambda g, out, x: g / sqrt(1.0 - x * x),  # d asin = 1/√(1-x²)
    formula="np.arcsin(x)", partials=("1 / np.sqrt(1 - x**2)",),
    jet=lambda node, u: series.integrate(u, node.data, series.arcsin_slope(u)),
    method=True, formula_names=("arcsin", "asin"), doc="Elementwise arcsin x (derivative +inf at ±1).",
)
arccos = primitive(
    "arccos", np.arccos, lambda g, out, x: -g / sqrt(1.0 - x * x),  # d acos = -1/√(1-x²)
    formula="np.arccos(x)", partials=("-1 / np.sqrt(1 - x**2)",),
    jet=lambda node, u: series.integrate(u, node.data, -series.arcsin_slope(u)),
    method=True, formula_names=("arccos", "acos"), doc="Elementwise arccos x (derivative -inf at ±1).",
)
arctan = primitive(
    "arctan", np.arctan, lambda g, out, x: g / (1.0 + x * x),  # d atan = 1/(1+x²)
    formula="np.arctan(x)", partials=("1 / (1 + x**2)",),
    jet=lambda node, u: series.integrate(
        u, node.data, series.divide(series.ones(u), series.ones(u) + series.cauchy(u, u))),
    method=True, formula_names=("arctan", "atan"), doc="Elementwise arctan x.",
)
sinh = primitive(
    "sinh", np.sinh, lambda g, out, x: g * cosh(x),  # d sinh = cosh
    formula="np.sinh(x)", partials=("np.cosh(x)",), jet=lambda node, u: series.sinh_cosh(u)[0],
    method=True, formula_names=("sinh",), doc="Elementwise sinh x.",
)
cosh = primitive(
    "cosh", np.cosh, lambda g, out, x: g * sinh(x),  # d cosh = sinh
    formula="np.cosh(x)", partials=("np.sinh(x)",), jet=lambda node, u: series.sinh_cosh(u)[1],
    method=True, formula_names=("cosh",), doc="Elementwise cosh x.",
)
tanh = primitive(
    "tanh", np.tanh, lambda g, out, x: g * (1.0 - out * out),  # d tanh = 1 - tanh²
    formula="np.tanh(x)", partials=("1 - out**2",),
    jet=lambda node, u: series.solve_ode(u, node.data, lambda y, m: series.one(m) - series.square(y, m)),
    method=True, formula_names=("tanh",), doc="Elementwise tanh x.",
)

# ----------------------------------------------------------------------------- activations with kinks
sigmoid = primitive(
    "sigmoid", _sigmoid_forward,
    lambda g, out, x: g * out * (1.0 - out),  # σ' = σ(1-σ)
    formula="sigmoid(x)", partials=("out * (1 - out)",), jet=lambda node, u: series.sigmoid(u, node.data),
    method=True, formula_names=("sigmoid",), doc="Logistic 1/(1+e⁻ˣ), computed without overflow for any x.",
)
relu = primitive(
    "relu", lambda x: np.maximum(x, 0),
    lambda g, out, x: g * (x > 0),  # relu' = [x > 0]  (0 at 0)
    formula="np.maximum(x, 0)", partials=("x > 0",), jet=lambda node, u: u * (u[0] > 0),
    method=True, formula_names=("relu",), doc="max(x, 0); its derivative at 0 is taken as 0.",
)
softplus = primitive(
    "softplus", lambda x: np.logaddexp(0, x),
    lambda g, out, x: g * sigmoid(x),  # d log(1+eˣ) = σ(x)
    formula="np.logaddexp(0, x)", partials=("sigmoid(x)",), jet=series.softplus,
    method=True, formula_names=("softplus",), doc="log(1 + eˣ), computed without overflow.",
)
maximum = primitive(
    "maximum", np.maximum,
    lambda g, out, x, y: g * _maximum_share(x, y),  # 1 where x>y, ½ at ties
    lambda g, out, x, y: g * _maximum_share(y, x),
    formula="np.maximum(x, y)", partials=("(x > y) + 0.5 * (x == y)", "(y > x) + 0.5 * (x == y)"),
    jet=lambda node, a, b: series.select(series.tie_share(*[j[0] for j in series.align(a, b)]), a, b),
    method=True, formula_names=("maximum", "max"),
    doc="Elementwise max(x, y); at ties the gradient is split evenly.",
)
minimum = primitive(
    "minimum", np.minimum,
    lambda g, out, x, y: g * _maximum_share(y, x),  # 1 where x<y, ½ at ties
    lambda g, out, x, y: g * _maximum_share(x, y),
    formula="np.minimum(x, y)", partials=("(y > x) + 0.5 * (x == y)", "(x > y) + 0.5 * (x == y)"),
    jet=lambda node, a, b: series.select(series.tie_share(*[j[0] for j in series.align(b, a)]), a, b),
    method=True, formula_names=("minimum", "min"),
    doc="Elementwise min(x, y); at ties the gradient is split evenly.",
)
clip = primitive(
    "clip", _clip_forward,
    lambda g, out, x, lo, hi: g * _clip_pass(x, lo, hi),  # 1 inside [lo, hi], boundary included
    lambda g, out, x, lo, hi: g * _clip_lo(x, lo, hi),    # where clipped up to lo
    lambda g, out, x, lo, hi: g * _clip_hi(x, lo, hi),    # where clipped down to hi
    formula="np.clip(x, lo, hi)", partials=("(lo <= x) & (x <= hi)", "x < lo", "x > hi"), jet=series.clip,
    method_adapter=lambda clip: lambda x, min=None, max=None: clip(x, min, max),
    doc="x limited to [lo, hi] (either may be None); the gradient passes at the boundary.",
)
where = primitive(
    "where", np.where,
    None,
    lambda g, out, condition, x, y: where(condition, g, 0.0),  # ∂/∂x = [condition]
    lambda g, out, condition, x, y: where(condition, 0.0, g),  # ∂/∂y = [not condition]
    inputs=("condition", "x", "y"), formula="np.where(condition, x, y)", partials=("0", "condition", "~condition"),
    jet=series.where,
    doc="x where condition holds, else y (broadcasting); condition gets no gradient.\n\n"
        "Both branches are computed everywhere, so a branch that is NaN or infinite where it is not\n"
        "selected still poisons the gradient there (0 · inf = NaN), as in PyTorch and JAX. Make the\n"
        "unselected inputs safe first: ``where(x > 0, sqrt(where(x > 0, x, 1.0)), 0.0)``.\n\n"
        ">>> where([True, False], [1.0, 2.0], [3.0, 4.0])\narray([1., 4.])",
)
