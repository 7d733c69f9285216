"""Random-graph fuzzing: hypothesis builds random expression DAGs and checks their derivatives.

A graph is a list of steps over 1-3 float64 inputs. Each step applies one public op to earlier nodes
(so subexpressions are shared), with broadcasting, reductions over random axes, shape changes,
indexing (slices, repeated integer indices, masks) and linear algebra. Steps are planned on the
actual input values so every op sits on a smooth part of its domain (a margin from kinks, ties and
domain edges), which makes finite differences a fair referee. Then, for each graph:

* reverse-mode gradients match central differences (``ad.gradcheck``);
* backward twice with ``retain_graph=True`` gives exactly double, and a third time without it frees
  the graph (the next backward raises ``GraphFreedError``);
* a batch of cotangents through one backward (``is_grads_batched``) equals one backward per row;
* on smaller graphs, ``create_graph`` second derivatives match finite differences of the first
  derivatives (``ad.gradgradcheck``).

Example counts follow the hypothesis profile: a few thousand graphs in the default and CI runs,
tens of thousands with ``HYPOTHESIS_PROFILE=deep`` or ``pytest -m slow``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodiff as ad

DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
MARGIN = 0.05   # minimum distance from a kink, tie or domain edge
BOUND = 50.0    # node values stay within ±BOUND so finite differences stay accurate


# ----------------------------------------------------------------------------- the graph
@dataclass(frozen=True)
class Ref:
    """An argument that is an earlier node of the graph (an input or a step's result)."""

    index: int

    def __repr__(self) -> str:
        return f"v{self.index}"


@dataclass
class Step:
    name: str
    fn: Callable[..., Any]
    args: tuple
    params: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = [repr(a) if isinstance(a, Ref) else _short(a) for a in self.args]
        shown += [f"{k}={_short(v)}" for k, v in self.params.items()]
        return f"{self.name}({', '.join(shown)})"


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"const{value.shape}" if value.size > 4 else np.array2string(value, precision=3, separator=",")
    return repr(value)


@dataclass
class Graph:
    inputs: list[np.ndarray]
    steps: list[Step]
    sinks: list[tuple[int, np.ndarray]]  # (node, weights): the output is Σ sum(weights * node)

    def nodes(self, *xs: Any) -> list:
        values = list(xs)
        for step in self.steps:
            args = [values[a.index] if isinstance(a, Ref) else a for a in step.args]
            values.append(step.fn(*args, **step.params))
        return values

    def __call__(self, *xs: Any) -> Any:
        values = self.nodes(*xs)
        total = None
        for node, weights in self.sinks:
            term = ad.sum(values[node] * weights)
            total = term if total is None else total + term
        return total

    def __repr__(self) -> str:
        lines = [f"v{i} = input{x.shape}" for i, x in enumerate(self.inputs)]
        lines += [f"v{len(self.inputs) + i} = {s!r}" for i, s in enumerate(self.steps)]
        lines.append("out = " + " + ".join(f"sum(w{k} * v{n})" for k, (n, _) in enumerate(self.sinks)))
        return "\n".join(lines)


# ----------------------------------------------------------------------------- planning helpers
def _gap_ok(x: np.ndarray, axes: tuple[int, ...] | None) -> bool:
    """Is the largest entry (and the smallest) of every reduced slice MARGIN clear of the runner-up?"""
    axes = tuple(range(x.ndim)) if axes is None else tuple(a % x.ndim for a in axes)
    kept = [a for a in range(x.ndim) if a not in axes]
    flat = np.transpose(x, kept + list(axes)).reshape([x.shape[a] for a in kept] + [-1])
    if flat.shape[-1] < 2:
        return True
    ordered = np.sort(flat, axis=-1)
    return bool(np.all(ordered[..., -1] - ordered[..., -2] > MARGIN)
                and np.all(ordered[..., 1] - ordered[..., 0] > MARGIN))


def _draw_axis(draw, ndim: int, allow_tuple: bool = True) -> int | tuple[int, ...] | None:
    choices = [None] + list(range(-ndim, ndim))
    axis = draw(st.sampled_from(choices))
    if allow_tuple and ndim >= 2 and draw(st.booleans()):
        picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        return tuple(a - ndim if draw(st.booleans()) else a for a in picked)
    return axis


def _const(draw, shape: tuple[int, ...], low: float = -1.5, high: float = 1.5) -> np.ndarray:
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).uniform(low, high, shape)


def _broadcastable(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


# ----------------------------------------------------------------------------- op planners
# Each planner gets (draw, values, i) with i the chosen main operand and returns a Step, or None
# when the op does not fit there (then the graph takes a safe op instead).
def _unary(name: str, fn: Callable, ok: Callable[[np.ndarray], bool] = lambda x: True):
    def plan(draw, values, i):
        return Step(name, fn, (Ref(i),)) if ok(values[i]) else None
    return name, plan


def _mag(x: np.ndarray) -> np.ndarray:
    return np.abs(x)


UNARY = [
    _unary("negative", ad.negative),
    _unary("sin", ad.sin), _unary("cos", ad.cos), _unary("tanh", ad.tanh), _unary("sigmoid", ad.sigmoid),
    _unary("arctan", ad.arctan), _unary("softplus", ad.softplus),
    _unary("exp", ad.exp, lambda x: x.max(initial=-np.inf) < 3.5),
    _unary("log", ad.log, lambda x: x.min(initial=np.inf) > MARGIN),
    _unary("log1p", ad.log1p, lambda x: x.min(initial=np.inf) > -1 + MARGIN),
    _unary("sqrt", ad.sqrt, lambda x: x.min(initial=np.inf) > MARGIN),
    _unary("abs", ad.abs, lambda x: _mag(x).min(initial=np.inf) > MARGIN),
    _unary("relu", ad.relu, lambda x: _mag(x).min(initial=np.inf) > MARGIN),
    _unary("arcsin", ad.arcsin, lambda x: _mag(x).max(initial=0) < 1 - 2 * MARGIN),
    _unary("arccos", ad.arccos, lambda x: _mag(x).max(initial=0) < 1 - 2 * MARGIN),
    _unary("sinh", ad.sinh, lambda x: _mag(x).max(initial=0) < 3.5),
    _unary("cosh", ad.cosh, lambda x: _mag(x).max(initial=0) < 3.5),
    _unary("tan", ad.tan, lambda x: _mag(x).max(initial=0) < 1.2),
    _unary("erf", ad.erf), _unary("erfc", ad.erfc),
    # on 0.5 + x² (always in the smooth domain): drawn wherever planned, so a wrong VJP is caught
    ("gammaln", lambda draw, values, i: Step("gammaln", lambda x: ad.gammaln(0.5 + x * x), (Ref(i),))),
    ("digamma", lambda draw, values, i: Step("digamma", lambda x: ad.digamma(0.5 + x * x), (Ref(i),))),
]


def _plan_polygamma(draw, values, i):
    n = draw(st.sampled_from([1, 2]))
    return Step("polygamma", lambda x, n: ad.polygamma(n, x), (Ref(i),), {"n": n}) \
        if values[i].min(initial=np.inf) > 0.6 else None


def _incomplete_gamma(name: str, fn: Callable):  # a is not differentiable: a constant
    def plan(draw, values, i):
        a = draw(st.sampled_from([0.5, 1.5, 3.0]))
        return Step(name, lambda x, a: fn(a, x), (Ref(i),), {"a": a}) if values[i].min(initial=np.inf) > 0.2 else None
    return name, plan


UNARY += [("polygamma", _plan_polygamma), _incomplete_gamma("gammainc", ad.gammainc),
          _incomplete_gamma("gammaincc", ad.gammaincc)]


def _plan_power_const(draw, values, i):
    x = values[i]
    exponent = draw(st.sampled_from([0, 1, 2, 3, -1, 0.5, 2.5, -1.5]))
    if not float(exponent).is_integer() and x.min(initial=np.inf) <= MARGIN:
        return None
    if exponent < 0 and _mag(x).min(initial=np.inf) <= 0.2:
        return None
    return Step("power", lambda a, p: a ** p, (Ref(i),), {"p": exponent})


def _plan_rpow(draw, values, i):  # base ** x with a constant positive base: the exponent's VJP
    base = draw(st.sampled_from([0.5, 2.0, np.e]))
    return Step("power", lambda a, b: b ** a, (Ref(i),), {"b": base})


def _plan_clip(draw, values, i):
    x = values[i]
    lo = draw(st.one_of(st.none(), st.floats(-2, 1)))
    hi = draw(st.one_of(st.none(), st.floats(-1, 2)))
    if lo is not None and hi is not None and hi < lo + 2 * MARGIN:
        return None
    for bound in (lo, hi):
        if bound is not None and np.any(np.abs(x - bound) <= MARGIN):
            return None
    return Step("clip", ad.clip, (Ref(i), lo, hi))


def _partner(draw, values, i, constant_ok: bool = True):
    """A second operand broadcastable with values[i]: another node (maybe i itself) or a constant."""
    shape = values[i].shape
    candidates = [j for j, v in enumerate(values) if _broadcastable(shape, v.shape)]
    if constant_ok and draw(st.integers(0, 3)) == 0:
        kept = tuple(n if draw(st.booleans()) else 1 for n in shape)
        return _const(draw, kept[draw(st.integers(0, len(kept))):])
    return Ref(draw(st.sampled_from(candidates)))


def _value(values, arg) -> np.ndarray:
    return values[arg.index] if isinstance(arg, Ref) else arg


def _binary(name: str, fn: Callable, ok: Callable[[np.ndarray, np.ndarray], bool] = lambda x, y: True):
    def plan(draw, values, i):
        other = _partner(draw, values, i)
        args = (Ref(i), other) if draw(st.booleans()) else (other, Ref(i))
        a, b = (_value(values, arg) for arg in args)
        return Step(name, fn, args) if ok(a, b) else None
    return name, plan


BINARY = [
    _binary("add", ad.add), _binary("subtract", ad.subtract), _binary("multiply", ad.multiply),
    _binary("divide", ad.divide, lambda x, y: _mag(y).min(initial=np.inf) > 0.2),
    _binary("power", ad.power,
            lambda x, y: x.min(initial=np.inf) > 0.2 and _mag(y).max(initial=0) < 3
            and np.all(np.abs(np.power(np.maximum(x, 0.2), y)) < BOUND)),
    _binary("maximum", ad.maximum, lambda x, y: np.all(np.abs(x - y) > MARGIN)),
    _binary("minimum", ad.minimum, lambda x, y: np.all(np.abs(x - y) > MARGIN)),
]


def _plan_where(draw, values, i):
    other = _partner(draw, values, i)
    shape = np.broadcast_shapes(values[i].shape, _value(values, other).shape)
    condition = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).random(shape) < 0.5
    return Step("where", ad.where, (condition, Ref(i), other))


def _reduction(name: str, fn: Callable, ok: Callable[[np.ndarray, Any], bool] = lambda x, axis: True,
               ddof: bool = False):
    def plan(draw, values, i):
        x = values[i]
        axis = _draw_axis(draw, x.ndim)
        params = {"axis": axis, "keepdims": draw(st.booleans())}
        if ddof:
            count = x.size if axis is None else int(np.prod([x.shape[a] for a in np.atleast_1d(axis)]))
            params["ddof"] = draw(st.integers(0, 1)) if count > 1 else 0
        return Step(name, fn, (Ref(i),), params) if ok(x, axis) else None
    return name, plan


def _std_ok(x, axis):
    return bool(np.all(np.std(x, axis=axis) > MARGIN))


def _prod_ok(x, axis):
    count = x.size if axis is None else int(np.prod([x.shape[a] for a in np.atleast_1d(axis)]))
    return count <= 4 and _mag(x).max(initial=0) < 3


def _norm_ok(x, axis):
    return bool(np.all(np.sqrt(np.sum(x * x, axis=axis)) > MARGIN))


REDUCTIONS = [
    _reduction("sum", ad.sum), _reduction("mean", ad.mean), _reduction("var", ad.var, ddof=True),
    _reduction("std", ad.std, _std_ok, ddof=True),
    _reduction("max", ad.max, lambda x, axis: _gap_ok(x, None if axis is None else np.atleast_1d(axis))),
    _reduction("min", ad.min, lambda x, axis: _gap_ok(x, None if axis is None else np.atleast_1d(axis))),
    _reduction("prod", ad.prod, _prod_ok), _reduction("logsumexp", ad.logsumexp),
    _reduction("norm", lambda x, axis, keepdims: ad.norm(x, axis=axis, keepdims=keepdims), _norm_ok),
]


def _plan_norm_ord(draw, values, i):
    x = values[i]
    if x.ndim == 0:
        return None
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    order = draw(st.sampled_from([1, 3, np.inf, -np.inf, 2]))
    if order != 2 and _mag(x).min(initial=np.inf) <= MARGIN:
        return None
    if order in (np.inf, -np.inf) and not _gap_ok(np.abs(x), (axis,)):
        return None
    if order == 2 and not _norm_ok(x, axis):
        return None
    return Step("norm", lambda a, ord, axis: ad.norm(a, ord=ord, axis=axis), (Ref(i),), {"ord": order, "axis": axis})


def _plan_softmax(draw, values, i):
    x = values[i]
    if x.ndim == 0:
        return None
    name, fn = draw(st.sampled_from([("softmax", ad.softmax), ("log_softmax", ad.log_softmax)]))
    return Step(name, fn, (Ref(i),), {"axis": draw(st.integers(-x.ndim, x.ndim - 1))})


# ----------------------------------------------------------------------------- shape ops
def _plan_reshape(draw, values, i):
    x = values[i]
    size = x.size
    options = [(-1,), (1, -1), (-1, 1), (size,) if size else (0,)]
    for d in (2, 3):
        if size % d == 0 and size > d:
            options += [(d, -1), (-1, d), (1, d, size // d)]
    return Step("reshape", ad.reshape, (Ref(i),), {"shape": draw(st.sampled_from(options))})


def _plan_transpose(draw, values, i):
    x = values[i]
    axes = draw(st.one_of(st.none(), st.permutations(range(x.ndim)).map(tuple)))
    if x.ndim >= 2 and draw(st.booleans()):
        a, b = draw(st.integers(-x.ndim, x.ndim - 1)), draw(st.integers(-x.ndim, x.ndim - 1))
        return Step("swapaxes", ad.swapaxes, (Ref(i), a, b))
    if axes is None and draw(st.booleans()):
        return Step("T", lambda a: a.T, (Ref(i),))
    return Step("transpose", ad.transpose, (Ref(i),), {"axes": axes})


def _plan_dims(draw, values, i, choice: int):
    x = values[i]
    if choice == 0:
        return Step("expand_dims", ad.expand_dims, (Ref(i),), {"axis": draw(st.integers(-x.ndim - 1, x.ndim))})
    if choice == 1:
        ones = [a for a, n in enumerate(x.shape) if n == 1]
        axis = draw(st.sampled_from(ones)) if ones and draw(st.booleans()) else None
        return Step("squeeze", ad.squeeze, (Ref(i),), {"axis": axis})
    if choice == 2:
        shape = tuple(draw(st.integers(1, 3)) if n == 1 else n for n in x.shape)
        shape = (draw(st.integers(1, 2)),) * draw(st.integers(0, 1)) + shape
        return Step("broadcast_to", ad.broadcast_to, (Ref(i),), {"shape": shape})
    return Step("flatten", ad.flatten, (Ref(i),))


def _plan_join(draw, values, i, stack: bool):
    x = values[i]
    if x.ndim == 0:
        return None
    if stack:
        same = [j for j, v in enumerate(values) if v.shape == x.shape]
        others = draw(st.lists(st.sampled_from(same), min_size=0, max_size=2))
        axis = draw(st.integers(-x.ndim - 1, x.ndim))
        fn = lambda *xs, axis: ad.stack(list(xs), axis=axis)
        return Step("stack", fn, tuple(Ref(j) for j in [i, *others]), {"axis": axis})
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    fits = [j for j, v in enumerate(values) if v.ndim == x.ndim
            and all(m == n for a, (m, n) in enumerate(zip(v.shape, x.shape)) if a != axis % x.ndim)]
    others = draw(st.lists(st.sampled_from(fits), min_size=0, max_size=2))
    refs = [Ref(j) for j in [i, *others]]
    refs = draw(st.permutations(refs))
    fn = lambda *xs, axis: ad.concatenate(xs, axis=axis)
    return Step("concatenate", fn, tuple(refs), {"axis": axis})


def _plan_split(draw, values, i):
    x = values[i]
    axes = [a for a, n in enumerate(x.shape) if n >= 2]
    if not axes:
        return None
    axis = draw(st.sampled_from(axes))
    n = x.shape[axis]
    sections = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0] + [[1], [1, n - 1]]))
    pieces = len(sections) + 1 if isinstance(sections, list) else sections
    piece = draw(st.integers(0, pieces - 1))
    fn = lambda a, sections, axis, piece: ad.split(a, sections, axis=axis)[piece]
    return Step("split", fn, (Ref(i),), {"sections": sections, "axis": axis, "piece": piece})


# ----------------------------------------------------------------------------- indexing
def _plan_index(draw, values, i):
    x = values[i]
    if x.ndim == 0:
        return Step("getitem", lambda a, index: a[index], (Ref(i),), {"index": draw(st.sampled_from([(), None, ...]))})
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["int", "slice", "array", "mask", "newaxis", "tensor"]))
    n = x.shape[0]
    if kind == "int":
        last = x.shape[-1]
        index = (draw(st.integers(-n, n - 1)),) if x.ndim == 1 else (Ellipsis, draw(st.integers(-last, last - 1)))
    elif kind == "slice":
        start = draw(st.one_of(st.none(), st.integers(-n, n - 1)))
        step = draw(st.sampled_from([None, 1, 2, -1]))
        index = (slice(start, None, step),)
        if len(range(*index[0].indices(n))) == 0:
            return None
    elif kind in ("array", "tensor"):
        picks = rng.integers(-n, n, size=draw(st.integers(1, 4)))  # repeats accumulate in the VJP
        index = (picks,) if x.ndim == 1 or draw(st.booleans()) else (slice(None), rng.integers(0, x.shape[1], 3))
        if kind == "tensor":
            index = tuple(ad.tensor(p) if isinstance(p, np.ndarray) else p for p in index)
    elif kind == "mask":
        mask = rng.random(x.shape) < 0.6
        if not mask.any():
            mask.flat[0] = True
        index = mask
    else:
        index = (slice(None), None) if x.ndim >= 1 and draw(st.booleans()) else (None, Ellipsis)
    return Step("getitem", lambda a, index: a[index], (Ref(i),), {"index": index})


# ----------------------------------------------------------------------------- linear algebra
def _plan_matmul(draw, values, i):
    x = values[i]
    if x.ndim == 0:
        return None
    k = x.shape[-1]
    if draw(st.booleans()):  # x @ something
        fits = [j for j, v in enumerate(values) if (v.ndim == 1 and v.shape[0] == k)
                or (v.ndim >= 2 and v.shape[-2] == k and _broadcastable(x.shape[:-2], v.shape[:-2]))]
        right = Ref(draw(st.sampled_from(fits))) if fits and draw(st.booleans()) else \
            _const(draw, draw(st.sampled_from([(k,), (k, 2), (k, 1)])))
        if x.ndim == 1 and isinstance(right, Ref) and values[right.index].ndim == 1 and draw(st.booleans()):
            return Step("dot", ad.dot, (Ref(i), right))
        return Step("matmul", lambda a, b: a @ b, (Ref(i), right))
    m = x.shape[-2] if x.ndim >= 2 else x.shape[0]
    left = _const(draw, draw(st.sampled_from([(m,), (2, m), (1, m)])))
    if draw(st.booleans()) and x.ndim <= 2:
        return Step("dot", ad.dot, (left, Ref(i)))
    return Step("matmul", ad.matmul, (left, Ref(i)))


def _plan_einsum(draw, values, i):
    x = values[i]
    options = []
    if x.ndim == 1:
        options += [("i->", 1), ("i,i->", 1), ("i,j->ij", 2), ("i->i", 1)]
    if x.ndim == 2:
        options += [("ij->ji", 1), ("ij,ij->i", 1), ("ij,ij->", 1), ("ij,jk->ik", 2), ("...j->...", 1)]
        if x.shape[0] == x.shape[1]:
            options += [("ii->i", 1), ("ii->", 1), ("ij,ji->", 1)]
    if x.ndim >= 2:
        options += [("...ij->...ji", 1), ("...ij,...ij->...", 1)]
    if not options:
        return None
    subscripts, kind = draw(st.sampled_from(options))
    count = subscripts.split("->")[0].count(",") + 1
    if count == 1:
        args = (Ref(i),)
    elif kind == 1:  # the second operand has x's shape: x itself (a shared node) or a constant
        args = (Ref(i), Ref(i) if draw(st.booleans()) else _const(draw, x.shape))
    elif subscripts == "i,j->ij":
        args = (Ref(i), _const(draw, (draw(st.integers(1, 3)),)))
    else:  # ij,jk->ik
        args = (Ref(i), _const(draw, (x.shape[1], draw(st.integers(1, 3)))))
    if draw(st.booleans()) and subscripts == "i,j->ij":
        return Step("outer", ad.outer, args)
    return Step("einsum", lambda *ops, subscripts: ad.einsum(subscripts, *ops), args, {"subscripts": subscripts})


def _plan_outer(draw, values, i):
    other = Ref(draw(st.sampled_from([j for j, v in enumerate(values) if v.size <= 6])))
    return Step("outer", ad.outer, (Ref(i), other) if draw(st.booleans()) else (other, Ref(i)))


def _plan_linear(draw, values, i):
    """nn's layer op, x Wᵀ + b: the node may be the input, the weight or the bias."""
    x = values[i]
    role = draw(st.sampled_from(["input", "weight", "bias"]))
    if role == "input" and x.ndim >= 1:
        k = x.shape[-1]
        fits = [j for j, v in enumerate(values) if v.ndim == 2 and v.shape[1] == k]
        weight = Ref(draw(st.sampled_from(fits))) if fits and draw(st.booleans()) else \
            _const(draw, (draw(st.integers(1, 3)), k))
        out = _value(values, weight).shape[0]
        bias = draw(st.sampled_from([None, "constant", "node"]))
        fits = [j for j, v in enumerate(values) if v.shape == (out,)]
        bias = (Ref(draw(st.sampled_from(fits))) if bias == "node" and fits else
                _const(draw, (out,)) if bias else None)
        return Step("linear", ad.ops.linear, (Ref(i), weight, bias))
    if role == "weight" and x.ndim == 2:
        inputs = _const(draw, draw(st.sampled_from([(x.shape[1],), (2, x.shape[1])])))
        return Step("linear", ad.ops.linear, (inputs, Ref(i), None))
    if role == "bias" and x.ndim == 1:
        inputs, weight = _const(draw, (2, 3)), _const(draw, (x.shape[0], 3))
        return Step("linear", ad.ops.linear, (inputs, weight, Ref(i)))
    return None


def _square_from(a, n):
    """A well-conditioned n×n matrix made from the first n² entries of a: tanh of them plus (n + 1)·I is
    strictly diagonally dominant (the off-diagonal entries of a row add up to less than n - 1), yet
    not so dominated by the identity that the derivatives through it are tiny."""
    block = ad.reshape(ad.tanh(ad.flatten(a)[: n * n]), (n, n))
    return block + (n + 1.0) * np.eye(n)


def _plan_linalg(draw, values, i, kind):
    """det, inv or solve (kind "solve" with a vector, "solve_matrix" with a matrix right-hand side);
    each kind is its own planner, so each is drawn as often as any other op."""
    x = values[i]
    sizes = [n for n in (1, 2, 3) if n * n <= x.size]
    if not sizes:
        return None
    n = draw(st.sampled_from(sizes))
    if kind == "det":
        return Step("det", lambda a, n: ad.det(_square_from(a, n)), (Ref(i),), {"n": n})
    if kind == "inv":
        return Step("inv", lambda a, n: ad.inv(_square_from(a, n)), (Ref(i),), {"n": n})
    rhs_shape = (n,) if kind == "solve" else (n, 2)
    fits = [j for j, v in enumerate(values) if v.shape == rhs_shape]
    rhs = Ref(draw(st.sampled_from(fits))) if fits and draw(st.booleans()) else _const(draw, rhs_shape)
    return Step("solve", lambda a, b, n: ad.solve(_square_from(a, n), b), (Ref(i), rhs), {"n": n})


# ----------------------------------------------------------------------------- convolution and pooling
def _image(a, h, w):
    """The first h·w entries of a as a one-channel image (1, 1, h, w)."""
    return ad.reshape(ad.flatten(a)[: h * w], (1, 1, h, w))


def _plan_conv(draw, values, i, kind: str):
    x = values[i]
    kh, kw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    shapes = [(h, w) for h in (1, 2, 3, 4) for w in (1, 2, 3, 4) if h * w <= x.size
              and h + 2 * padding >= kh and w + 2 * padding >= kw]
    if not shapes:
        return None
    h, w = draw(st.sampled_from(shapes))
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    geometry = {"h": h, "w": w, "stride": stride, "padding": padding}

    def operand(size: int, shape: tuple[int, ...]):  # another node with enough entries, or a constant
        fits = [j for j, v in enumerate(values) if v.size >= size]
        if fits and draw(st.booleans()):
            return Ref(draw(st.sampled_from(fits))), True
        return _const(draw, shape), False

    if kind == "conv2d":
        kernel, from_node = operand(kh * kw, (1, 1, kh, kw))

        def fn(a, k, h, w, stride, padding, kh=kh, kw=kw, from_node=from_node):
            k = _image(k, kh, kw) if from_node else k
            return ad.ops.conv2d(_image(a, h, w), k, stride=stride, padding=padding)
        return Step("conv2d", fn, (Ref(i), kernel), geometry)
    if kind == "conv2d_transpose":
        if oh * ow > x.size:
            return None
        kernel, from_node = operand(kh * kw, (1, 1, kh, kw))

        def fn(a, k, h, w, stride, padding, oh=oh, ow=ow, kh=kh, kw=kw, from_node=from_node):
            k = _image(k, kh, kw) if from_node else k
            return ad.ops.conv2d_transpose(_image(a, oh, ow), k, (h, w), stride=stride, padding=padding)
        return Step("conv2d_transpose", fn, (Ref(i), kernel), geometry)
    dy, from_node = operand(oh * ow, (1, 1, oh, ow))

    def fn(a, d, h, w, stride, padding, oh=oh, ow=ow, kh=kh, kw=kw, from_node=from_node):
        d = _image(d, oh, ow) if from_node else d
        return ad.ops.conv2d_weight(_image(a, h, w), d, (kh, kw), stride=stride, padding=padding)
    return Step("conv2d_weight", fn, (Ref(i), dy), geometry)


def _plan_max_pool(draw, values, i):
    x = values[i]
    shapes = [(h, w) for h in (1, 2, 3, 4) for w in (1, 2, 3, 4) if h * w <= x.size]
    h, w = draw(st.sampled_from(shapes))
    k = draw(st.integers(1, min(h, w)))
    stride = draw(st.sampled_from([None, 1]))
    image = x.reshape(-1)[: h * w].reshape(h, w)
    windows = np.lib.stride_tricks.sliding_window_view(image, (k, k))[:: stride or k, :: stride or k]
    if not _gap_ok(windows.reshape(windows.shape[:2] + (-1,)), (2,)):
        return None  # a near-tie inside a window: the derivative jumps there
    fn = lambda a, h, w, k, stride: ad.ops.max_pool2d(_image(a, h, w), k, stride=stride)
    return Step("max_pool2d", fn, (Ref(i),), {"h": h, "w": w, "k": k, "stride": stride})


PLANNERS: list[tuple[str, Callable]] = (  # hypothesis favours the first entries: make them rich
    BINARY + REDUCTIONS + UNARY + [
        ("power_const", _plan_power_const), ("rpow", _plan_rpow), ("clip", _plan_clip), ("where", _plan_where),
        ("norm_ord", _plan_norm_ord), ("softmax", _plan_softmax), ("reshape", _plan_reshape),
        ("transpose", _plan_transpose), ("split", _plan_split), ("outer", _plan_outer),
        ("index", _plan_index), ("matmul", _plan_matmul), ("einsum", _plan_einsum),
        ("max_pool2d", _plan_max_pool), ("linear", _plan_linear),
    ]
    + [(f"dims{k}", functools.partial(_plan_dims, choice=k)) for k in range(4)]
    + [(f"join{k}", functools.partial(_plan_join, stack=bool(k))) for k in range(2)]
    + [(kind, functools.partial(_plan_conv, kind=kind)) for kind in ("conv2d", "conv2d_transpose", "conv2d_weight")]
    + [(kind, functools.partial(_plan_linalg, kind=kind)) for kind in ("det", "inv", "solve", "solve_matrix")]
)
SAFE = [("tanh", ad.tanh), ("sin", ad.sin), ("arctan", ad.arctan), ("cos", ad.cos)]


def _fits(value: np.ndarray) -> bool:
    return value.size > 0 and value.size <= 36 and bool(np.all(np.isfinite(value))) and _mag(value).max() < BOUND


@st.composite
def graphs(draw, max_steps: int = 10, max_inputs: int = 3) -> Graph:
    """A random DAG over 1-3 inputs whose shapes broadcast against a common base shape."""
    base = draw(st.sampled_from([(3,), (2, 3), (3, 2), (2, 2), (1, 3), (2, 1, 3), (4,)]))
    inputs = []
    for _ in range(draw(st.integers(1, max_inputs))):
        shape = tuple(n if draw(st.integers(0, 3)) else 1 for n in base)
        shape = shape[draw(st.integers(0, len(shape) // 2 + (1 if len(shape) == 1 else 0))):]
        inputs.append(draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2, allow_subnormal=False))))
    values = list(inputs)
    steps: list[Step] = []
    for _ in range(draw(st.integers(2, max_steps))):
        # prefer recent nodes (depth), but any earlier node may be reused (shared subexpressions)
        i = len(values) - 1 - draw(st.integers(0, len(values) - 1))
        for _attempt in range(3):  # an op that does not fit here gives way to another
            _, planner = draw(st.sampled_from(PLANNERS))
            step = planner(draw, values, i)
            value = None
            if step is not None:
                with np.errstate(all="ignore"):
                    value = np.asarray(step.fn(*[_value(values, a) for a in step.args], **step.params), dtype=float)
            if value is not None and _fits(value):
                break
        else:
            name, fn = draw(st.sampled_from(SAFE))
            step = Step(name, fn, (Ref(i),))
            value = np.asarray(fn(values[i]))
        steps.append(step)
        values.append(value)
    used = {a.index for s in steps for a in s.args if isinstance(a, Ref)}
    sinks = [(k, _const(draw, v.shape)) for k, v in enumerate(values) if k not in used]
    return Graph(inputs, steps, sinks)


# ----------------------------------------------------------------------------- the checks
def _examples(default_factor: int, deep: int) -> int:
    """Examples for this test: a multiple of the profile's count (a few thousand in all), more when deep."""
    return deep if DEEP else default_factor * max(30, settings.default.max_examples)


def _check_gradients(graph: Graph) -> None:
    ad.gradcheck(graph, graph.inputs, atol=1e-6, rtol=1e-4)


def _check_retain_doubles(graph: Graph) -> None:
    xs = [ad.tensor(x, requires_grad=True) for x in graph.inputs]
    out = graph(*xs)
    out.backward(retain_graph=True)
    first = [x.grad.data.copy() for x in xs]
    out.backward(retain_graph=True)
    for x, g in zip(xs, first):
        np.testing.assert_array_equal(x.grad.data, 2 * g)
    returned = ad.gradients(out, xs, retain_graph=True)
    for r, g in zip(returned, first):
        np.testing.assert_array_equal(r.data, g)
    out.backward()  # frees the graph
    for x, g in zip(xs, first):
        np.testing.assert_allclose(x.grad.data, 3 * g, rtol=1e-15, atol=0)
    with pytest.raises(ad.GraphFreedError):
        out.backward()


def _check_batched(graph: Graph) -> None:
    """One backward with a batch of cotangents equals one backward per cotangent."""
    xs = [ad.tensor(x, requires_grad=True) for x in graph.inputs]
    nodes = graph.nodes(*xs)
    out = nodes[-1]
    if not out.requires_grad:
        return
    cotangents = np.random.default_rng(len(graph.steps)).standard_normal((3,) + out.shape)
    batched = ad.gradients(out, xs, grad_outputs=cotangents, is_grads_batched=True,
                           retain_graph=True, allow_unused=True)
    for row, cotangent in enumerate(cotangents):
        single = ad.gradients(out, xs, grad_outputs=cotangent, retain_graph=True, allow_unused=True)
        for b, s in zip(batched, single):
            assert (b is None) == (s is None)
            if s is not None:
                np.testing.assert_allclose(b.data[row], s.data, rtol=1e-12, atol=1e-12)


@settings(max_examples=_examples(40, 20_000), suppress_health_check=list(HealthCheck))
@given(graphs())
def test_random_graph_gradient_matches_finite_differences(graph: Graph) -> None:
    _check_gradients(graph)


@settings(max_examples=_examples(25, 10_000), suppress_health_check=list(HealthCheck))
@given(graphs())
def test_random_graph_backward_twice_with_retain_graph_doubles(graph: Graph) -> None:
    _check_retain_doubles(graph)


@settings(max_examples=_examples(10, 5_000), suppress_health_check=list(HealthCheck))
@given(graphs())
def test_random_graph_batched_cotangents_match_one_by_one(graph: Graph) -> None:
    _check_batched(graph)


@settings(max_examples=_examples(10, 3_000), suppress_health_check=list(HealthCheck))
@given(graphs(max_steps=5, max_inputs=2))
def test_random_graph_second_derivatives_match_finite_differences(graph: Graph) -> None:
    ad.gradgradcheck(graph, graph.inputs, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("x0", [1e-20, 1.17549435e-38])
def test_prod_second_derivative_near_zero(x0: float) -> None:
    """d²/dx² softplus(prod(x)) at a tiny x is σ'(0) = 1/4, as for softplus(x) itself (found by
    HYPOTHESIS_PROFILE=deep at x = 1.2e-38, when prod's recorded VJP divided Πx by x)."""
    x = ad.tensor(x0, requires_grad=True)
    (first,) = ad.gradients(ad.softplus(ad.prod(x)), x, create_graph=True)
    (second,) = ad.gradients(first, x)
    np.testing.assert_allclose(second.item(), 0.25, rtol=1e-12)


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs(max_steps=16))
def test_deep_campaign_large_graphs(graph: Graph) -> None:
    _check_gradients(graph)
    _check_retain_doubles(graph)


def test_fuzzer_reaches_every_op_family() -> None:
    """The planners name every differentiable public op; nothing falls out of the campaign unnoticed."""
    names = {name for name, _ in UNARY + BINARY + REDUCTIONS}
    names |= {"clip", "where", "softmax", "log_softmax", "reshape", "transpose", "swapaxes", "expand_dims",
              "squeeze", "broadcast_to", "flatten", "stack", "concatenate", "split", "getitem", "matmul",
              "dot", "einsum", "outer", "det", "inv", "solve", "norm", "power", "conv2d", "conv2d_transpose",
              "conv2d_weight", "max_pool2d", "linear"}
    records = ad.ops.PUBLIC
    nondifferentiable = {n for n, entry in records.items() if entry.op is not None and not entry.op.differentiable}
    aliases = {alias: entry.name for entry in records.values() for alias in entry.aliases}
    public = set(ad.ops.__all__) - {"astype"}
    missing = {aliases.get(n, n) for n in public - nondifferentiable} - names
    assert not missing, f"ops the fuzzer never draws: {sorted(missing)}"


# ----------------------------------------------------------------------------- does the fuzzer catch bugs?
class _ScaledVJPs:
    """An op's VJPs, each result multiplied by 1.001: a subtly wrong derivative."""

    def __init__(self, vjps: Any) -> None:
        self.vjps = vjps

    def __getitem__(self, i: int) -> Any:
        vjp = self.vjps[i]
        return None if vjp is None else (lambda *args, **params: vjp(*args, **params) * 1.001)


def _every_op() -> dict[str, Any]:
    from autodiff.ops import index, linalg, nnops, shape

    ops = {name: entry.op for name, entry in ad.ops.PUBLIC.items()  # the differentiable ops' records
           if entry.op is not None and entry.op.differentiable and name == entry.name and name != "astype"}
    ops.update(concatenate=shape._concatenate.op, stack=shape._stack.op, einsum=linalg._einsum.op,
               getitem=index._gather.op, norm=linalg._euclid.op, linear=nnops._linear.op)
    return ops


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_every_op()))
def test_fuzzer_catches_a_slightly_wrong_vjp(name: str) -> None:
    """Mutation check: with one op's derivative off by 0.1%, 1,000 random graphs find it."""
    from hypothesis import Phase

    op = _every_op()[name]

    @settings(max_examples=1000, derandomize=True, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(graphs())
    def campaign(graph: Graph) -> None:
        _check_gradients(graph)

    original = op.vjps
    op.vjps = _ScaledVJPs(original)
    try:
        with pytest.raises(ad.GradcheckError):
            campaign()
    finally:
        op.vjps = original
