"""The op table: every public op, how to call it, where it is smooth, and which shapes to try.

One ``OpCase`` is one way of calling one public op: a function of Tensors (the op with its static
parameters bound), a numpy/scipy reference, input samplers that keep away from kinks and domain
edges (so finite differences are valid), the input shapes to try and, optionally, the same
computation in PyTorch (``torch_fn(torch, *xs)``, used only by the oracle tests).

Adding an op to ``autodiff`` without a line here fails ``test_ops_registry_complete.py``. Ops whose
derivative is zero or undefined everywhere are listed in ``NONDIFFERENTIABLE`` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.special

import autodiff as ad

Shape = tuple[int, ...]
Sampler = Callable[[np.random.Generator, Shape], np.ndarray]


# ----------------------------------------------------------------------------- samplers
def normal(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.standard_normal(shape)


def uniform(lo: float, hi: float) -> Sampler:
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def scaled(factor: float) -> Sampler:
    return lambda rng, shape: factor * rng.standard_normal(shape)


def nonzero(lo: float = 0.2, hi: float = 2.0) -> Sampler:
    """|x| in [lo, hi] with a random sign: away from the kink of abs/relu at 0."""
    return lambda rng, shape: rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def grid(offset: float) -> Sampler:
    """Values k/2 + offset: two grids with offsets 0.2 apart never tie (maximum, clip boundaries)."""
    return lambda rng, shape: rng.integers(-4, 5, shape) * 0.5 + offset


def choice(*values: float) -> Sampler:
    return lambda rng, shape: rng.choice(np.array(values), shape)


def distinct(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Nonzero values whose magnitudes are at least 0.2 apart: no ties for max/min/inf-norms."""
    size = int(np.prod(shape, dtype=int))
    magnitudes = (rng.permutation(size) + 1) * 0.3 + rng.uniform(0.0, 0.1, size)
    return (magnitudes * rng.choice([-1.0, 1.0], size)).reshape(shape)


def well_conditioned(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Square matrices (..., n, n) with a dominant diagonal: invertible and far from singular."""
    n = shape[-1]
    signs = rng.choice([-1.0, 1.0], shape[:-2] + (1, 1))
    return rng.uniform(-0.5, 0.5, shape) + (n + 1.0) * np.eye(n) * signs


# ----------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class OpCase:
    """One way of calling one public op, with everything the generated tests need."""

    op: str                                  # the public name: ``ad.<op>`` (or ``ad.ops.<op>``)
    fn: Callable[..., Any]                   # Tensors in, Tensor out (static params bound)
    ref: Callable[..., Any]                  # the same on numpy arrays, written independently
    shapes: tuple[tuple[Shape, ...], ...]    # input shapes to try, one tuple per try
    samplers: tuple[Sampler, ...] = ()       # one per input (default: standard normal)
    torch_fn: Callable[..., Any] | None = None  # torch_fn(torch, *xs), or None (no oracle)
    label: str = ""
    second_order: bool = True                # gradgradcheck applies
    batched: bool = True                     # is_grads_batched applies
    float32: bool = True                     # float32 in -> float32 out

    @property
    def id(self) -> str:
        return f"{self.op}[{self.label}]" if self.label else self.op

    def sample(self, rng: np.random.Generator, shapes: tuple[Shape, ...], dtype: Any = np.float64) -> list:
        samplers = self.samplers or (normal,) * len(shapes)
        return [np.asarray(s(rng, shape), dtype=dtype) for s, shape in zip(samplers, shapes, strict=True)]


CASES: list[OpCase] = []


def add_case(op: str, fn: Callable[..., Any], ref: Callable[..., Any], shapes: Any,
             samplers: Sampler | tuple[Sampler, ...] = (), torch_fn: Callable[..., Any] | None = None,
             label: str = "", **flags: bool) -> None:
    if callable(samplers):
        samplers = (samplers,) * len(shapes[0])
    CASES.append(OpCase(op, fn, ref, tuple(tuple(map(tuple, s)) for s in shapes), tuple(samplers),
                        torch_fn, label, **flags))


def cases_by_id() -> dict[str, OpCase]:
    return {c.id: c for c in CASES}


def case_shape_params() -> list[tuple[OpCase, tuple[Shape, ...]]]:
    """Every (case, shapes) pair: what value and gradient tests run over."""
    return [(c, s) for c in CASES for s in c.shapes]


def param_id(value: Any) -> str:
    if isinstance(value, OpCase):
        return value.id
    return "x".join(str(s).replace(" ", "") for s in value) if isinstance(value, tuple) else str(value)


UNARY_SHAPES = [[()], [(3,)], [(2, 3)], [(2, 0)]]
BINARY_SHAPES = [[(2, 3), (2, 3)], [(3, 1), (1, 4)], [(), (2, 3)], [(2, 1, 3), (4, 1)], [(2, 3), ()],
                 [(0, 3), (1, 3)]]


# ----------------------------------------------------------------------------- elementwise: unary
def _sigmoid_ref(x):
    return 1.0 / (1.0 + np.exp(-x))


_UNARY = [  # name, reference, sampler, torch name
    ("negative", np.negative, normal, "neg"),
    ("abs", np.abs, nonzero(), "abs"),
    ("exp", np.exp, uniform(-2, 2), "exp"),
    ("log", np.log, uniform(0.1, 3), "log"),
    ("log1p", np.log1p, uniform(-0.9, 3), "log1p"),
    ("sqrt", np.sqrt, uniform(0.1, 3), "sqrt"),
    ("sin", np.sin, uniform(-3, 3), "sin"),
    ("cos", np.cos, uniform(-3, 3), "cos"),
    ("tan", np.tan, uniform(-1.2, 1.2), "tan"),
    ("arcsin", np.arcsin, uniform(-0.9, 0.9), "arcsin"),
    ("arccos", np.arccos, uniform(-0.9, 0.9), "arccos"),
    ("arctan", np.arctan, uniform(-3, 3), "arctan"),
    ("sinh", np.sinh, uniform(-2, 2), "sinh"),
    ("cosh", np.cosh, uniform(-2, 2), "cosh"),
    ("tanh", np.tanh, uniform(-3, 3), "tanh"),
    ("sigmoid", _sigmoid_ref, scaled(3.0), "sigmoid"),
    ("relu", lambda x: np.where(x > 0, x, 0.0), nonzero(), "relu"),
    ("softplus", lambda x: np.log1p(np.exp(x)), scaled(2.0), "softplus"),
    ("erf", scipy.special.erf, uniform(-3, 3), "erf"),
    ("erfc", scipy.special.erfc, uniform(-3, 3), "erfc"),
]
for _name, _ref, _sampler, _torch in _UNARY:
    _torch_fn = ((lambda T, x: T.nn.functional.softplus(x)) if _torch == "softplus"
                 else (lambda T, x, n=_torch: getattr(T, n)(x)))
    add_case(_name, getattr(ad, _name), _ref, UNARY_SHAPES, _sampler, _torch_fn)

add_case("astype", lambda x: ad.ops.astype(x, np.float64), lambda x: x.astype(np.float64), UNARY_SHAPES,
         torch_fn=lambda T, x: x.to(T.float64), float32=False)

# ----------------------------------------------------------------------------- the gamma family
add_case("gammaln", ad.gammaln, scipy.special.gammaln, UNARY_SHAPES, uniform(0.2, 6.0),
         lambda T, x: T.special.gammaln(x))
add_case("gammaln", ad.gammaln, scipy.special.gammaln, UNARY_SHAPES[:3], uniform(-2.9, -2.1),
         lambda T, x: T.special.gammaln(x), label="negative")
add_case("digamma", ad.digamma, scipy.special.digamma, UNARY_SHAPES, uniform(0.2, 6.0),
         lambda T, x: T.special.digamma(x))
for _n in (1, 2, 3):
    add_case("polygamma", lambda x, n=_n: ad.polygamma(n, x), lambda x, n=_n: scipy.special.polygamma(n, x),
             UNARY_SHAPES, uniform(0.3, 5.0), lambda T, x, n=_n: T.special.polygamma(n, x), label=f"n={_n}")
# a is not differentiable: each case fixes it, a scalar or one a per column broadcast against x
def _a_per_column(x) -> np.ndarray:
    return np.array([0.7, 2.5, 12.0][: x.shape[-1]] if x.ndim else 2.5, dtype=x.dtype)


for _name, _ref in (("gammainc", scipy.special.gammainc), ("gammaincc", scipy.special.gammaincc)):
    _op = getattr(ad, _name)
    for _a, _sampler in ((0.5, uniform(0.2, 3.0)), (3.0, uniform(0.5, 8.0)), (30.0, uniform(20.0, 40.0))):
        add_case(_name, lambda x, a=_a, f=_op: f(a, x), lambda x, a=_a, r=_ref: r(a, x), UNARY_SHAPES, _sampler,
                 lambda T, x, a=_a, n=_name: getattr(T.special, n)(T.tensor(a, dtype=x.dtype), x), label=f"a={_a}")
    add_case(_name, lambda x, f=_op: f(_a_per_column(x), x), lambda x, r=_ref: r(_a_per_column(x), x),
             [[()], [(3,)], [(2, 3)]], uniform(0.5, 6.0),
             lambda T, x, n=_name: getattr(T.special, n)(T.as_tensor(_a_per_column(x.detach().numpy())), x),
             label="a-per-column")

# ----------------------------------------------------------------------------- elementwise: binary
_BINARY = [  # name, reference, samplers, torch name
    ("add", np.add, (normal, normal), "add"),
    ("subtract", np.subtract, (normal, normal), "sub"),
    ("multiply", np.multiply, (normal, normal), "mul"),
    ("divide", np.divide, (normal, nonzero(0.5, 2.0)), "div"),
    ("power", np.power, (uniform(0.5, 2.0), uniform(-2.0, 2.0)), "pow"),
    ("maximum", np.maximum, (grid(0.1), grid(0.3)), "maximum"),
    ("minimum", np.minimum, (grid(0.1), grid(0.3)), "minimum"),
]
for _name, _ref, _samplers, _torch in _BINARY:
    add_case(_name, getattr(ad, _name), _ref, BINARY_SHAPES, _samplers,
             lambda T, x, y, n=_torch: getattr(T, n)(x, y))

# the same ops through Tensor operators, including reflected ones with a constant on the left
add_case("add", lambda x, y: x + y, np.add, BINARY_SHAPES[:2], torch_fn=lambda T, x, y: x + y, label="x+y")
add_case("subtract", lambda x: 2.0 - x, lambda x: 2.0 - x, UNARY_SHAPES[:3], torch_fn=lambda T, x: 2.0 - x,
         label="2-x")
add_case("multiply", lambda x: np.array([1.0, -2.0, 3.0]) * x, lambda x: np.array([1.0, -2.0, 3.0]) * x,
         [[(2, 3)]], torch_fn=lambda T, x: T.tensor([1.0, -2.0, 3.0], dtype=x.dtype) * x, label="array*x",
         float32=False)  # a float64 array times float32 is float64 (numpy's rule)
add_case("divide", lambda x: 1.0 / x, lambda x: 1.0 / x, UNARY_SHAPES[:3], nonzero(0.5, 2.0),
         torch_fn=lambda T, x: 1.0 / x, label="1/x")
add_case("negative", lambda x: -x, np.negative, UNARY_SHAPES[:3], torch_fn=lambda T, x: -x, label="-x")
for _label, _exponent, _sampler in [("x**3", 3, normal), ("x**2", 2, normal), ("x**0", 0, normal),
                                    ("x**0.5", 0.5, uniform(0.2, 3)), ("x**-1", -1, nonzero(0.5, 2.0)),
                                    ("x**1", 1, normal)]:
    add_case("power", lambda x, e=_exponent: x ** e, lambda x, e=_exponent: np.power(x, float(e)),
             UNARY_SHAPES[:3], _sampler, lambda T, x, e=_exponent: x ** e, label=_label)
add_case("power", lambda x: 2.0 ** x, lambda x: np.power(2.0, x), UNARY_SHAPES[:3], uniform(-2, 2),
         lambda T, x: 2.0 ** x, label="2**x")
add_case("power", lambda x, y: x ** y, np.power, BINARY_SHAPES[:2], (uniform(0.5, 2.0), uniform(-2, 2)),
         lambda T, x, y: x ** y, label="x**y")


def _checkerboard(*arrays) -> np.ndarray:
    shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
    return (np.indices(shape).sum(axis=0) % 2 == 0) if shape else np.array(True)


add_case("where", lambda x, y: ad.where(_checkerboard(x, y), x, y),
         lambda x, y: np.where(_checkerboard(x, y), x, y), BINARY_SHAPES,
         torch_fn=lambda T, x, y: T.where(T.as_tensor(_checkerboard(x, y)), x, y))
add_case("clip", lambda x: ad.clip(x, -0.5, 0.5), lambda x: np.minimum(np.maximum(x, -0.5), 0.5),
         UNARY_SHAPES, grid(0.1), lambda T, x: T.clamp(x, -0.5, 0.5), label="constants")
add_case("clip", lambda x: ad.clip(x, None, 0.5), lambda x: np.minimum(x, 0.5), UNARY_SHAPES[:3], grid(0.1),
         lambda T, x: T.clamp(x, None, 0.5), label="hi-only")
add_case("clip", lambda x: ad.clip(x, -0.5, None), lambda x: np.maximum(x, -0.5), UNARY_SHAPES[:3], grid(0.1),
         lambda T, x: T.clamp(x, -0.5, None), label="lo-only")
add_case("clip", ad.clip, lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
         [[(2, 3), (3,), (2, 1)], [(3,), (), ()]], (grid(0.1), choice(-1.15, -0.65), choice(0.35, 0.85)),
         lambda T, x, lo, hi: T.clamp(x, lo, hi), label="tensor-bounds")

# ----------------------------------------------------------------------------- reductions
_REDUCTIONS = {  # name: (reference(x, axis, keepdims, **extra), sampler)
    "sum": (np.sum, normal),
    "mean": (np.mean, normal),
    "var": (np.var, normal),
    "std": (np.std, normal),
    "max": (np.amax, distinct),
    "min": (np.amin, distinct),
    "prod": (np.prod, nonzero(0.5, 1.5)),
    "logsumexp": (scipy.special.logsumexp, normal),
}
_REDUCTION_VARIANTS = [  # label, shape, axis, keepdims
    ("all", (2, 3), None, False),
    ("all-keepdims", (2, 3), None, True),
    ("axis0", (2, 3), 0, False),
    ("axis-1-keepdims", (2, 3, 2), -1, True),
    ("axes(0,2)", (2, 3, 2), (0, 2), False),
    ("axes(0,-1)-keepdims", (2, 3, 2), (0, -1), True),
    ("scalar", (), None, False),
    ("size1-axes", (1, 3, 1), (0, 2), False),
    ("empty-axes()", (2, 3), (), False),
    ("zero-size-kept-axis", (2, 0), 0, False),
]


def _torch_dims(x, axis) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(x.ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _torch_reduce(name: str, axis, keepdims: bool, ddof: int = 0):
    def run(T, x):
        dims = _torch_dims(x, axis)
        if not dims:  # torch reads an empty dim tuple as "all axes"; numpy as "none"
            return {"var": x * 0, "std": x * 0}.get(name, x)
        if name in ("var", "std"):
            return getattr(T, name)(x, dim=dims, correction=ddof, keepdim=keepdims)
        if name == "prod":
            out = x
            for d in sorted(dims, key=lambda d: d % x.ndim, reverse=True):
                out = T.prod(out, dim=d, keepdim=keepdims)
            return out
        function = {"max": T.amax, "min": T.amin}.get(name) or getattr(T, name)
        return function(x, dim=dims, keepdim=keepdims)

    return run


for _name, (_ref, _sampler) in _REDUCTIONS.items():
    for _label, _shape, _axis, _keepdims in _REDUCTION_VARIANTS:
        add_case(_name, lambda x, n=_name, a=_axis, k=_keepdims: getattr(ad, n)(x, axis=a, keepdims=k),
                 lambda x, r=_ref, a=_axis, k=_keepdims: r(x, axis=a, keepdims=k), [[_shape]], _sampler,
                 _torch_reduce(_name, _axis, _keepdims), label=_label)
for _name in ("var", "std"):
    add_case(_name, lambda x, n=_name: getattr(ad, n)(x, axis=1, ddof=1),
             lambda x, n=_name: getattr(np, n)(x, axis=1, ddof=1), [[(2, 3)]],
             torch_fn=_torch_reduce(_name, 1, False, ddof=1), label="ddof1")
add_case("sum", lambda x: ad.sum(x, axis=0), lambda x: np.sum(x, axis=0), [[(0, 3)]],
         torch_fn=lambda T, x: T.sum(x, dim=0), label="reduce-empty-axis")
add_case("prod", lambda x: ad.prod(x, axis=0), lambda x: np.prod(x, axis=0), [[(0, 3)]],
         torch_fn=lambda T, x: T.prod(x, dim=0), label="reduce-empty-axis")

for _name, _ref in (("softmax", scipy.special.softmax), ("log_softmax", scipy.special.log_softmax)):
    for _label, _shape, _axis in [("default", (3,), -1), ("axis-1", (2, 3), -1), ("axis0", (2, 3), 0),
                                  ("axis1-3d", (2, 3, 2), 1), ("empty", (0, 3), -1)]:
        add_case(_name, lambda x, n=_name, a=_axis: getattr(ad, n)(x, axis=a),
                 lambda x, r=_ref, a=_axis: r(x, axis=a), [[_shape]], scaled(2.0),
                 lambda T, x, n=_name, a=_axis: getattr(T, n)(x, dim=a), label=_label)

# ----------------------------------------------------------------------------- shape ops
_SHAPE_CASES = [  # op, label, fn, ref, shape, torch
    ("reshape", "(3,2)", lambda x: ad.reshape(x, (3, 2)), lambda x: x.reshape(3, 2), (2, 3),
     lambda T, x: x.reshape(3, 2)),
    ("reshape", "-1", lambda x: ad.reshape(x, (-1,)), lambda x: x.reshape(-1), (2, 3, 2),
     lambda T, x: x.reshape(-1)),
    ("reshape", "scalar-to-(1,1)", lambda x: ad.reshape(x, (1, 1)), lambda x: x.reshape(1, 1), (),
     lambda T, x: x.reshape(1, 1)),
    ("reshape", "method", lambda x: x.reshape(2, 1, 3), lambda x: x.reshape(2, 1, 3), (6,),
     lambda T, x: x.reshape(2, 1, 3)),
    ("transpose", "reverse", ad.transpose, np.transpose, (2, 3, 4), lambda T, x: x.permute(2, 1, 0)),
    ("transpose", "axes", lambda x: ad.transpose(x, (1, 0, 2)), lambda x: np.transpose(x, (1, 0, 2)),
     (2, 3, 2), lambda T, x: x.permute(1, 0, 2)),
    ("transpose", ".T", lambda x: x.T, lambda x: x.T, (2, 3), lambda T, x: x.T),
    ("swapaxes", "0,-1", lambda x: ad.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1), (2, 3, 2),
     lambda T, x: T.swapaxes(x, 0, -1)),
    ("flatten", "", ad.flatten, lambda x: x.ravel(), (2, 3), lambda T, x: x.reshape(-1)),
    ("squeeze", "all", ad.squeeze, np.squeeze, (1, 3, 1), lambda T, x: x.squeeze()),
    ("squeeze", "axis0", lambda x: ad.squeeze(x, axis=0), lambda x: np.squeeze(x, axis=0), (1, 3, 1),
     lambda T, x: x.squeeze(0)),
    ("squeeze", "axes(0,-1)", lambda x: ad.squeeze(x, axis=(0, -1)), lambda x: np.squeeze(x, axis=(0, -1)),
     (1, 3, 1), lambda T, x: x.squeeze(0).squeeze(-1)),
    ("expand_dims", "axis1", lambda x: ad.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), (2, 3),
     lambda T, x: x.unsqueeze(1)),
    ("expand_dims", "axis-1", lambda x: ad.expand_dims(x, -1), lambda x: np.expand_dims(x, -1), (2, 3),
     lambda T, x: x.unsqueeze(-1)),
    ("expand_dims", "axes(0,2)", lambda x: ad.expand_dims(x, (0, 2)), lambda x: np.expand_dims(x, (0, 2)),
     (3,), lambda T, x: x.unsqueeze(0).unsqueeze(2)),
    ("broadcast_to", "(3,1)->(2,3,4)", lambda x: ad.broadcast_to(x, (2, 3, 4)),
     lambda x: np.broadcast_to(x, (2, 3, 4)), (3, 1), lambda T, x: T.broadcast_to(x, (2, 3, 4))),
    ("broadcast_to", "scalar", lambda x: ad.broadcast_to(x, (2, 2)), lambda x: np.broadcast_to(x, (2, 2)), (),
     lambda T, x: T.broadcast_to(x, (2, 2))),
]
for _op, _label, _fn, _ref, _shape, _torch in _SHAPE_CASES:
    add_case(_op, _fn, _ref, [[_shape]], torch_fn=_torch, label=_label)

add_case("concatenate", lambda a, b: ad.concatenate([a, b]), lambda a, b: np.concatenate([a, b]),
         [[(2, 3), (1, 3)], [(0, 3), (2, 3)]], torch_fn=lambda T, a, b: T.cat([a, b]), label="axis0")
add_case("concatenate", lambda a, b, c: ad.concatenate([a, b, c], axis=-1),
         lambda a, b, c: np.concatenate([a, b, c], axis=-1), [[(2, 1), (2, 3), (2, 2)]],
         torch_fn=lambda T, a, b, c: T.cat([a, b, c], dim=-1), label="three-axis-1")
add_case("stack", lambda a, b: ad.stack([a, b]), lambda a, b: np.stack([a, b]), [[(2, 3), (2, 3)], [(), ()]],
         torch_fn=lambda T, a, b: T.stack([a, b]), label="axis0")
add_case("stack", lambda a, b, c: ad.stack([a, b, c], axis=-1), lambda a, b, c: np.stack([a, b, c], axis=-1),
         [[(2, 3), (2, 3), (2, 3)]], torch_fn=lambda T, a, b, c: T.stack([a, b, c], dim=-1), label="axis-1")


def _weighted_pieces(pieces, concat):
    """Concatenate split pieces with different weights, so a mixed-up piece shows in the gradient."""
    return concat([p * float(i + 1) for i, p in enumerate(pieces)])


def _torch_split(T, x, indices, axis):
    return _weighted_pieces(T.tensor_split(x, indices, dim=axis), lambda ps: T.cat(ps, dim=axis))


for _label, _shape, _sections, _axis, _torch_indices in [
        ("2-sections", (4, 2), 2, 0, [2]), ("indices", (5,), [1, 3], 0, [1, 3]),
        ("axis-1", (2, 6), 3, -1, [2, 4])]:
    add_case("split",
             lambda x, s=_sections, a=_axis: _weighted_pieces(ad.split(x, s, axis=a),
                                                              lambda ps, a=a: ad.concatenate(ps, axis=a)),
             lambda x, s=_sections, a=_axis: _weighted_pieces(np.split(x, s, axis=a),
                                                              lambda ps, a=a: np.concatenate(ps, axis=a)),
             [[_shape]], torch_fn=lambda T, x, i=_torch_indices, a=_axis: _torch_split(T, x, i, a),
             label=_label)

# ----------------------------------------------------------------------------- indexing
INDEX_CASES = [  # label, shape, index, batched (vectorised Jacobians support it)
    ("int", (4, 3), 1, True),
    ("negative-int", (4, 3), -1, True),
    ("slice", (5,), slice(1, 4), True),
    ("negative-step", (5,), slice(None, None, -2), True),
    ("int-slice", (3, 4), (1, slice(None, None, 2)), True),
    ("none-ellipsis", (2, 3), (None, Ellipsis, 0), True),
    ("ellipsis-int", (2, 3, 2), (Ellipsis, 1), True),
    ("int-array-repeats", (4,), np.array([0, 0, 2, 0]), True),
    ("list-repeats", (3, 2), [2, 0, 2], True),
    ("paired-arrays", (3, 3), (np.array([0, 2, 2]), np.array([1, 1, 1])), True),
    ("slice-then-array", (2, 4), (slice(None), np.array([3, 0, 3])), True),
    ("2d-int-array", (3,), np.array([[0, 1], [1, 0]]), True),
    ("bool-mask", (2, 3), np.array([[True, False, True], [False, False, True]]), True),
    ("bool-row-mask", (3, 2), np.array([True, False, True]), True),
    ("scalar-tensor-int", (3,), "tensor-index", True),
    ("arrays-apart", (2, 3, 2), (np.array([0, 1]), slice(None), np.array([1, 1])), False),
]


def _index(index):
    return ad.tensor(np.array(2)) if isinstance(index, str) else index


def _np_index(index):
    return 2 if isinstance(index, str) else index


def _torch_index(T, index):
    if isinstance(index, str):
        return 2
    if isinstance(index, list):
        return T.as_tensor(index)
    if isinstance(index, np.ndarray):
        return T.as_tensor(index)
    if isinstance(index, tuple):
        return tuple(_torch_index(T, i) for i in index)
    return index


def _torch_getitem(T, x, index):
    if isinstance(index, slice) and index.step is not None and index.step < 0:  # torch has no negative steps
        return T.flip(x, (0,))[:: -index.step]
    return x[_torch_index(T, index)]


for _label, _shape, _index_value, _batched in INDEX_CASES:
    add_case("getitem", lambda x, i=_index_value: x[_index(i)], lambda x, i=_index_value: x[_np_index(i)],
             [[_shape]], torch_fn=lambda T, x, i=_index_value: _torch_getitem(T, x, i), label=_label,
             batched=_batched)
add_case("getitem", lambda x: ad.getitem(x, (0, slice(1, None))), lambda x: x[0, 1:], [[(2, 3)]],
         torch_fn=lambda T, x: x[0, 1:], label="function")

# ----------------------------------------------------------------------------- linear algebra
_MATMUL_SHAPES = [
    ("vector-vector", (3,), (3,)), ("vector-matrix", (3,), (3, 4)), ("matrix-vector", (2, 3), (3,)),
    ("matrix-matrix", (2, 3), (3, 4)), ("batched", (2, 2, 3), (2, 3, 2)),
    ("batch-times-matrix", (2, 2, 3), (3, 4)),
    ("broadcast-batch", (2, 1, 2, 3), (3, 3, 2)), ("vector-batch", (3,), (2, 3, 4)),
    ("batch-vector", (2, 3, 4), (4,)), ("1x1", (1, 1), (1, 1)), ("empty-inner", (2, 0), (0, 3)),
]
for _label, _a, _b in _MATMUL_SHAPES:
    add_case("matmul", ad.matmul, np.matmul, [[_a, _b]], torch_fn=lambda T, a, b: T.matmul(a, b),
             label=_label)
add_case("matmul", lambda a, b: a @ b, lambda a, b: a @ b, [[(2, 3), (3, 2)]],
         torch_fn=lambda T, a, b: a @ b, label="@")

for _label, _a, _b in [("vectors", (3,), (3,)), ("matrix-vector", (2, 3), (3,)), ("matrices", (2, 3), (3, 2)),
                       ("scalar", (), (2, 3)), ("nd", (2, 3), (4, 3, 2)), ("nd-vector", (2, 2, 3), (3,))]:
    add_case("dot", ad.dot, np.dot, [[_a, _b]], label=_label,
             torch_fn=lambda T, a, b: _torch_dot(T, a, b))


def _torch_dot(T, a, b):
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim == 1:
        return T.matmul(a, b)
    return T.tensordot(a, b, dims=([a.ndim - 1], [b.ndim - 2]))


add_case("outer", ad.outer, np.outer, [[(3,), (4,)], [(2, 2), (3,)], [(), (2,)]],
         torch_fn=lambda T, a, b: T.outer(a.reshape(-1), b.reshape(-1)))

EINSUM_CASES = [  # subscripts, operand shapes
    ("ij,jk->ik", [(2, 3), (3, 2)]),
    ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 2)]),
    ("...i,i->...", [(2, 3, 4), (4,)]),
    ("ij,jk->k", [(2, 3), (3, 2)]),
    ("ijk->", [(2, 1, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i...->...", [(2, 3)]),
]
for _subscripts, _shapes in EINSUM_CASES:
    add_case("einsum", lambda *xs, s=_subscripts: ad.einsum(s, *xs),
             lambda *xs, s=_subscripts: np.einsum(s, *xs), [_shapes],
             torch_fn=lambda T, *xs, s=_subscripts: T.einsum(s, *xs), label=_subscripts)

add_case("inv", ad.inv, np.linalg.inv, [[(3, 3)], [(2, 2, 2)], [(1, 1)]], well_conditioned,
         lambda T, x: T.linalg.inv(x))
add_case("det", ad.det, np.linalg.det, [[(3, 3)], [(2, 2, 2)], [(1, 1)]], well_conditioned,
         lambda T, x: T.linalg.det(x))
add_case("solve", ad.solve, np.linalg.solve, [[(3, 3), (3,)], [(3, 3), (3, 2)], [(2, 3, 3), (2, 3, 2)],
                                              [(2, 3, 3), (3, 2)]],
         (well_conditioned, normal), lambda T, a, b: T.linalg.solve(a, b))

_NORM_CASES = [  # label, shape, ord, axis, keepdims, sampler
    ("vector", (3,), None, None, False, normal),
    ("frobenius", (2, 3), None, None, False, normal),
    ("fro", (2, 3), "fro", None, False, normal),
    ("all-3d", (2, 3, 2), None, None, False, normal),
    ("axis1", (2, 3), None, 1, False, normal),
    ("axis-1-keepdims", (2, 3), None, -1, True, normal),
    ("axes(0,1)", (2, 3, 2), None, (0, 1), False, normal),
    ("ord2-vector", (4,), 2, None, False, normal),
    ("ord1", (4,), 1, None, False, nonzero()),
    ("ord1-axis0", (3, 2), 1, 0, False, nonzero()),
    ("ord-inf", (4,), np.inf, None, False, distinct),
    ("ord-inf-axis1", (2, 3), np.inf, 1, False, distinct),
    ("ord-minus-inf", (4,), -np.inf, None, False, distinct),
    ("ord3", (4,), 3, None, False, nonzero()),
    ("ord3-axis-1", (2, 3), 3, -1, True, nonzero()),
    ("ord1.5", (3,), 1.5, None, False, nonzero()),
]


def _torch_norm(T, x, ord, axis, keepdims):
    if ord == "fro":
        ord = None
    return T.linalg.vector_norm(x, ord=2 if ord is None else ord, dim=axis, keepdim=keepdims)


for _label, _shape, _ord, _axis, _keepdims, _sampler in _NORM_CASES:
    add_case("norm", lambda x, o=_ord, a=_axis, k=_keepdims: ad.norm(x, ord=o, axis=a, keepdims=k),
             lambda x, o=_ord, a=_axis, k=_keepdims: np.linalg.norm(x, ord=o, axis=a, keepdims=k),
             [[_shape]], _sampler, lambda T, x, o=_ord, a=_axis, k=_keepdims: _torch_norm(T, x, o, a, k),
             label=_label)


# ----------------------------------------------------------------------------- convolution and pooling
def _conv_ref(x, w, stride=1, padding=0):
    """Direct loops over output positions: the definition of cross-correlation, no im2col."""
    x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(padding, padding)] * 2)
    kh, kw = w.shape[-2:]
    oh, ow = (x.shape[-2] - kh) // stride + 1, (x.shape[-1] - kw) // stride + 1
    out = np.zeros(x.shape[:-3] + (w.shape[0], oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[..., :, i * stride: i * stride + kh, j * stride: j * stride + kw]
            out[..., i, j] = np.tensordot(patch, w, axes=((-3, -2, -1), (1, 2, 3)))
    return out


def _conv_adjoint_ref(which: str, a, b, shape, stride, padding):
    """The adjoints of conv2d as the transposed Jacobian of ``_conv_ref`` (built column by column)."""
    def conv_of(flat):
        if which == "input":  # linear in x with w = b fixed
            return _conv_ref(flat.reshape(shape), b, stride, padding).ravel()
        return _conv_ref(a, flat.reshape(shape), stride, padding).ravel()

    columns = [conv_of(e) for e in np.eye(int(np.prod(shape)))]
    jacobian = np.stack(columns, axis=1)  # d conv / d (x or w)
    cotangent = a if which == "input" else b
    return (jacobian.T @ cotangent.ravel()).reshape(shape)


def _pool_ref(x, k, stride, padding):
    x = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(padding, padding)] * 2, constant_values=-np.inf)
    oh, ow = (x.shape[-2] - k) // stride + 1, (x.shape[-1] - k) // stride + 1
    out = np.empty(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[..., i, j] = x[..., i * stride: i * stride + k, j * stride: j * stride + k].max(axis=(-2, -1))
    return out


add_case("linear", ad.ops.linear, lambda x, w, b: x @ w.T + b,
         [[(4, 3), (2, 3), (2,)], [(2, 4, 3), (2, 3), (2,)], [(3,), (2, 3), (2,)], [(0, 3), (2, 3), (2,)]],
         torch_fn=lambda T, x, w, b: T.nn.functional.linear(x, w, b))
add_case("linear", lambda x, w: ad.ops.linear(x, w), lambda x, w: x @ w.T, [[(4, 3), (2, 3)]],
         torch_fn=lambda T, x, w: T.nn.functional.linear(x, w), label="no-bias")
add_case("conv2d", ad.ops.conv2d, _conv_ref, [[(1, 2, 3, 3), (2, 2, 2, 2)], [(2, 3, 3), (1, 2, 2, 2)]],
         torch_fn=lambda T, x, w: T.nn.functional.conv2d(x, w))
add_case("conv2d", lambda x, w: ad.ops.conv2d(x, w, stride=2, padding=1),
         lambda x, w: _conv_ref(x, w, 2, 1), [[(1, 1, 4, 4), (2, 1, 3, 3)]],
         torch_fn=lambda T, x, w: T.nn.functional.conv2d(x, w, stride=2, padding=1), label="stride2-pad1")
add_case("conv2d_transpose", lambda dy, w: ad.ops.conv2d_transpose(dy, w, size=(3, 3)),
         lambda dy, w: _conv_adjoint_ref("input", dy, w, (1, 2, 3, 3), 1, 0), [[(1, 2, 2, 2), (2, 2, 2, 2)]],
         torch_fn=lambda T, dy, w: T.nn.grad.conv2d_input((1, 2, 3, 3), w, dy))
add_case("conv2d_transpose", lambda dy, w: ad.ops.conv2d_transpose(dy, w, size=(4, 4), stride=2, padding=1),
         lambda dy, w: _conv_adjoint_ref("input", dy, w, (1, 1, 4, 4), 2, 1), [[(1, 2, 2, 2), (2, 1, 3, 3)]],
         torch_fn=lambda T, dy, w: T.nn.grad.conv2d_input((1, 1, 4, 4), w, dy, stride=2, padding=1),
         label="stride2-pad1")
add_case("conv2d_weight", lambda x, dy: ad.ops.conv2d_weight(x, dy, kernel_size=(2, 2)),
         lambda x, dy: _conv_adjoint_ref("weight", x, dy, (2, 2, 2, 2), 1, 0), [[(1, 2, 3, 3), (1, 2, 2, 2)]],
         torch_fn=lambda T, x, dy: T.nn.grad.conv2d_weight(x, (2, 2, 2, 2), dy))
add_case("max_pool2d", lambda x: ad.ops.max_pool2d(x, 2), lambda x: _pool_ref(x, 2, 2, 0), [[(1, 2, 4, 4)]],
         distinct, lambda T, x: T.nn.functional.max_pool2d(x, 2))
add_case("max_pool2d", lambda x: ad.ops.max_pool2d(x, 3, stride=1, padding=1),
         lambda x: _pool_ref(x, 3, 1, 1), [[(1, 1, 3, 3)], [(2, 3, 3)]], distinct,
         lambda T, x: T.nn.functional.max_pool2d(x, 3, stride=1, padding=1), label="overlapping-pad1")


# ----------------------------------------------------------------------------- the rest of the public names
#: Public ops whose derivative is zero or undefined (their records say so): boolean/integer results.
NONDIFFERENTIABLE = {name for name, entry in ad.ops.PUBLIC.items() if entry.op is not None
                     and not entry.op.differentiable}
#: Other public names of a registered op (its record's aliases): the same function.
ALIASES = {alias: entry.name for entry in ad.ops.PUBLIC.values() for alias in entry.aliases}
#: DESIGN.md's list of public ops (the contract): each must exist and be covered above.
DESIGN_OPS = """add subtract multiply divide power matmul negative abs exp log log1p sqrt sin cos tan arcsin
arccos arctan sinh cosh tanh sigmoid relu softplus maximum minimum clip where sum mean var std max min prod
logsumexp softmax log_softmax reshape transpose swapaxes flatten squeeze expand_dims broadcast_to concatenate
stack split getitem dot outer einsum inv det solve norm""".split()


def registered_ops() -> set[str]:
    return {c.op for c in CASES}
