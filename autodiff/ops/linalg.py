"""Linear algebra: matmul dot outer einsum inv det solve norm.

``matmul`` follows numpy for every case (vector-matrix, matrix-vector, batched, broadcast batch);
its VJPs put a vector's missing axis back before multiplying, then the engine sums any broadcast
batch axes. The cotangent may carry extra leading axes (vectorised Jacobians); every rule here
broadcasts over them.
"""

from __future__ import annotations

import functools
import string

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from . import series
from .core import batch_ndim, data_of, normalize_axes
from .elementwise import absolute, power, where
from .record import primitive, public_op
from .reduce import max as max_
from .reduce import sum as sum_
from .shape import broadcast_to, expand_dims, reshape


def _matmul_vjp_a(g, out, a, b):  # ∂(ab)/∂a: g bᵀ  (operators: the numpy fast path needs no dispatch)
    if b.ndim == 1:
        return g[..., None] * b
    if a.ndim == 1:
        return (g[..., None, :] @ b.mT)[..., 0, :]
    return g @ b.mT


def _matmul_vjp_b(g, out, a, b):  # ∂(ab)/∂b: aᵀ g
    if a.ndim == 1:
        return g[..., None] * a if b.ndim == 1 else a[:, None] * g[..., None, :]
    if b.ndim == 1:
        return (a.mT @ g[..., None])[..., 0]
    return a.mT @ g


matmul = primitive(
    "matmul", np.matmul, _matmul_vjp_a, _matmul_vjp_b,
    formula="x @ y", vjp_rules=("g @ y.T", "x.T @ g"), tangent="dx @ y + x @ dy",
    jet=lambda node, a, b: series.bilinear(np.matmul, a, b), method=True,
    doc="Matrix product with numpy's rules (1-D operands are vectors; leading axes broadcast).\n\n"
        ">>> matmul([[1.0, 2.0]], [[3.0], [4.0]])\narray([[11.]])",
)


# ----------------------------------------------------------------------------- einsum
def _parse_einsum(subscripts: str, count: int) -> tuple[list[str], str]:
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        inputs, output = subscripts.split("->")
    else:
        inputs = subscripts
        letters = inputs.replace(",", "").replace("...", "")
        output = ("..." if "..." in inputs else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = inputs.split(",")
    if len(terms) != count:
        raise ShapeError(f"einsum: subscripts {subscripts!r} name {len(terms)} operands, got {count}")
    return terms, output


def _letter_sizes(term: str, shape: tuple[int, ...]) -> dict[str, int]:
    before, _, after = term.partition("...")
    sizes = dict(zip(before, shape))
    sizes.update(zip(after, shape[len(shape) - len(after):]))
    return sizes


def _explicit(terms: list[str], output: str, operands) -> tuple[list[str], str]:
    """The subscripts with every ``...`` spelled out as letters (numpy aligns ellipsis axes on the right),
    so a gradient can sum ellipsis axes that its own operand does not have."""
    if not any("..." in t for t in terms):
        return terms, output
    spare = [c for c in string.ascii_letters if c not in set("".join(terms) + output)]
    counts = [np.ndim(x) - len(t.replace("...", "")) for t, x in zip(terms, operands, strict=True)]
    width = max(c for t, c in zip(terms, counts, strict=True) if "..." in t)
    letters = "".join(spare[:width])
    spelled = [t.replace("...", letters[width - c:]) for t, c in zip(terms, counts, strict=True)]
    return spelled, output.replace("...", letters)


def _einsum_vjp(i, g, out, *operands, subscripts):
    """∂/∂operandᵢ: contract g with the other operands back onto operandᵢ's subscripts."""
    terms, output = _explicit(*_parse_einsum(subscripts, len(operands)), operands)
    target = terms[i]
    letters = target.replace("...", "")
    others = [t for j, t in enumerate(terms) if j != i]
    used = set("".join(terms) + output)
    fresh = iter(c for c in string.ascii_letters if c not in used)
    batch = "".join(next(fresh) for _ in range(batch_ndim(g, out)))
    available = set(output + "".join(others))
    kept = "".join(dict.fromkeys(c for c in letters if c in available))
    contraction = ",".join([batch + output, *others])
    other_operands = [op for j, op in enumerate(operands) if j != i]
    if kept == letters:  # every letter comes back once: one contraction gives the gradient
        return einsum(f"{contraction}->{batch}{target}", g, *other_operands)
    # a repeated letter (a diagonal such as "ii") or one summed away in this operand alone:
    # rebuild those axes with identity matrices and vectors of ones
    ellipsis = "..." if "..." in target else ""
    grad = einsum(f"{contraction}->{batch}{ellipsis}{kept}", g, *other_operands)
    sizes = _letter_sizes(target, np.shape(operands[i]))
    dtype = np.result_type(data_of(grad))
    seen, renamed, extra_terms, extra_operands = set(), "", [], []
    for letter in target.replace("...", "."):
        if letter == ".":
            renamed += "..."
        elif letter in seen:  # second appearance: a fresh letter tied to the first by an identity
            new = next(fresh)
            renamed += new
            extra_terms.append(letter + new)
            extra_operands.append(np.eye(sizes[letter], dtype=dtype))
        else:
            seen.add(letter)
            renamed += letter
            if letter not in available:  # constant along an axis only this operand summed
                extra_terms.append(letter)
                extra_operands.append(np.ones(sizes[letter], dtype=dtype))
    return einsum(",".join([batch + ellipsis + kept, *extra_terms]) + f"->{batch}{renamed}", grad, *extra_operands)


_einsum = primitive(
    "einsum", lambda *ops, subscripts: np.einsum(subscripts, *ops), variadic=_einsum_vjp,
    inputs=("xs",), formula="np.einsum(subscripts, *xs)", vjp_rules=("np.einsum(subscripts_for(i), g, *others(i))",),
    tangent="sum(np.einsum(subscripts, *with_tangent(i)) for i in inputs)", jet=series.einsum, public=False,
)


@public_op(_einsum)
def einsum(subscripts: str, *operands):
    """Einstein summation with numpy's subscripts (implicit or explicit output, ``...``).

    >>> einsum("ij,j->i", [[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0])
    array([3., 7.])
    """
    _parse_einsum(subscripts, len(operands))
    return _einsum(*operands, subscripts=subscripts)


@public_op(method=True)
def dot(a, b):
    """numpy's ``dot``: products of scalars, inner product of vectors, matrix products, and for
    N-d arrays a sum over the last axis of a and the second-to-last of b.

    >>> float(dot([1.0, 2.0], [3.0, 4.0]))
    11.0
    """
    na, nb = np.ndim(data_of(a)), np.ndim(data_of(b))
    if na == 0 or nb == 0:
        return a * b
    if na <= 2 and nb <= 2:
        return matmul(a, b)
    letters = iter(string.ascii_lowercase)
    sa = "".join(next(letters) for _ in range(na))
    sb = "".join(next(letters) for _ in range(nb))
    sb = sb[:-2] + sa[-1] + sb[-1] if nb >= 2 else sa[-1]
    return einsum(f"{sa},{sb}->{sa[:-1]}{sb[:-2]}{sb[-1] if nb >= 2 else ''}", a, b)


@public_op(method=True)
def outer(a, b):
    """Outer product of the flattened inputs: ``out[i, j] = a[i] b[j]``.

    >>> outer([1.0, 2.0], [3.0, 4.0])
    array([[3., 4.],
           [6., 8.]])
    """
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


# ----------------------------------------------------------------------------- inverse, det, solve
def _square(name: str, x) -> None:
    shape = np.shape(x)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ShapeError(f"{name}: needs square matrices (shape (..., n, n)), got shape {shape}")


def _inv_forward(x):
    _square("inv", x)
    return np.linalg.inv(x)


def _det_forward(x):
    _square("det", x)
    return np.linalg.det(x)


def _solve_forward(a, b):
    _square("solve", a)
    n = np.shape(a)[-1]
    vector = np.ndim(b) == 1
    if (np.shape(b)[0] if vector else np.shape(b)[-2]) != n:
        raise ShapeError(f"solve: a of shape {np.shape(a)} needs b of shape ({n},) or (..., {n}, k), got {np.shape(b)}")
    return np.linalg.solve(a, b)


def _solve_vjp_b(g, out, a, b):  # ∂(a⁻¹b)/∂b: a⁻ᵀ g
    if np.ndim(b) == 1:
        return solve(a.mT, g[..., None])[..., 0]
    return solve(a.mT, g)


def _solve_vjp_a(g, out, a, b):  # ∂(a⁻¹b)/∂a: -(a⁻ᵀ g) xᵀ
    gb = _solve_vjp_b(g, out, a, b)
    if np.ndim(b) == 1:
        return -gb[..., :, None] * out[..., None, :]
    return -(gb @ out.mT)


inv = primitive(
    "inv", _inv_forward,
    lambda g, out, x: -(out.mT @ g @ out.mT),  # ∂X⁻¹: -X⁻ᵀ G X⁻ᵀ
    formula="np.linalg.inv(x)", vjp_rules=("-out.T @ g @ out.T",), tangent="-out @ dx @ out",
    jet=series.inv, method=True,
    doc="Matrix inverse (batched over leading axes).",
)


def _det_vjp(g, out, x):  # ∂det X = adj(X)ᵀ, the cofactor matrix (= det X · X⁻ᵀ when X is invertible)
    return g[..., None, None] * _cofactor(x, out)


def _cofactor(x, det_x):
    """adj(X)ᵀ at any square X, written with ops so that it can be differentiated again.

    det X · X⁻ᵀ wherever X⁻¹ exists: as a value it stays accurate even at a nearly singular X (the
    tiny pivot of X's LU factors cancels between det X and X⁻¹). Its derivatives do not (they lose
    about eps·cond(X)), so when the backward pass is recorded an ill-conditioned X, like a singular
    one, goes to ``_cofactor_by_shifts``.
    """
    try:
        inverse = inv(x)
    except np.linalg.LinAlgError:  # an exact zero pivot
        return _cofactor_by_shifts(x)
    cofactor = _det_times_inverse_t(det_x, inverse)
    # The choice reads values (under ad.jit it is made once, at trace time): both formulas are adj(X)ᵀ
    # for every X, they differ only in accuracy near singular matrices.
    usable = np.isfinite(data_of(cofactor)).all() and (  # not finite: det X or X⁻¹ overflowed
        not isinstance(x, Tensor) or _well_conditioned(data_of(x), data_of(inverse)))
    if usable or not np.isfinite(data_of(x)).all():  # (NaN in, NaN out)
        return cofactor
    return _cofactor_by_shifts(x)


def _det_times_inverse_t(det_m, inverse):  # adj(M)ᵀ = det M · M⁻ᵀ for an invertible M
    return det_m[..., None, None] * inverse.mT


def _condition_limit(dtype) -> float:
    """Largest condition number at which derivatives of det X · X⁻ᵀ keep most digits (1.6e5 in float64)."""
    return float(np.finfo(dtype).eps) ** (-1 / 3)


def _well_conditioned(x, inverse) -> bool:
    """Whether every matrix of the batch has cond₁(X) = ‖X‖₁‖X⁻¹‖₁ below the limit."""
    norm_1 = lambda m: np.abs(m).sum(axis=-2).max(axis=-1, initial=0.0)  # noqa: E731 (largest column sum)
    return bool(np.all(norm_1(x) * norm_1(inverse) <= _condition_limit(x.dtype)))


def _cofactor_by_shifts(x):
    """adj(X)ᵀ at singular or ill-conditioned X: move X's near-null space away, interpolate back.

    With X = U S Vᵀ, let W = U_Z V_Zᵀ over the k singular values below s₁/limit. W has rank k, so for
    every X' the map τ ↦ cof(X' + τW) is a polynomial of degree ≤ k, and cof(X') = Σⱼ wⱼ cof(X' + τⱼW)
    for any k + 1 nodes τⱼ and their Lagrange weights wⱼ at 0. That is an identity in X' (W and τⱼ
    are constants), so it holds for derivatives of every order too. The nodes are s₁ times Chebyshev
    points, none near 0 or -sᵢ (i in Z), so X + τⱼW is well-conditioned there and det·X⁻ᵀ accurate.
    """
    data = data_of(x)
    u, s, vt = np.linalg.svd(data)
    largest = s[..., :1]
    small = s <= largest / _condition_limit(data.dtype)  # every one when X = 0
    count = int(small.sum(axis=-1).max(initial=0))
    if count == 0:  # only by the estimate was X ill-conditioned (cond₁ ≤ n·cond₂), or det X overflowed
        return _det_times_inverse_t(det(x), inv(x))
    shift = (u * small[..., None, :]) @ vt
    scale = np.where(largest > 0, largest, 1.0)[..., None]
    total = 0.0
    for node, weight in _interpolation_at_zero(count + 1):
        moved = x + (node * scale) * shift
        total = total + weight * _det_times_inverse_t(det(moved), inv(moved))
    return total


@functools.cache
def _interpolation_at_zero(count: int) -> tuple[tuple[float, float], ...]:
    """Chebyshev points on [-1, 1] (an even number, at least ``count``, so none is 0) with the
    Lagrange weights that give a polynomial's value at 0 from its values there."""
    m = count + count % 2
    nodes = np.cos((2 * np.arange(m) + 1) * np.pi / (2 * m))
    weights = [np.prod([-t / (node - t) for t in nodes if t != node]) for node in nodes]
    return tuple(zip(nodes.tolist(), np.asarray(weights).tolist()))


det = primitive(
    "det", _det_forward, _det_vjp,
    formula="np.linalg.det(x)", vjp_rules=("g * out * np.linalg.inv(x).T",),
    tangent="out * np.trace(np.linalg.inv(x) @ dx)",
    no_jet="not written yet (det's Taylor coefficients need the jet of an LU factorisation)", method=True,
    doc="Determinant (batched over leading axes).\n\n"
        "Its gradient is the cofactor matrix adj(X)ᵀ (det X · X⁻ᵀ when X is invertible), also at\n"
        "singular matrices, where it is nonzero at rank n-1 and zero below; higher derivatives exist\n"
        "everywhere as well (det is a polynomial).\n\n"
        ">>> import autodiff as ad\n"
        ">>> x = ad.tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)\n"
        ">>> ad.det(x).backward()\n"
        ">>> x.grad\n"
        "tensor([[ 4., -2.],\n"
        "        [-2.,  1.]])",
)
solve = primitive(
    "solve", _solve_forward, _solve_vjp_a, _solve_vjp_b, inputs=("a", "b"),
    formula="np.linalg.solve(a, b)", vjp_rules=("-np.linalg.solve(a.T, g) @ out.T", "np.linalg.solve(a.T, g)"),
    tangent="np.linalg.solve(a, db - da @ out)", jet=series.solve,
    doc="x solving a x = b (b a vector (n,) or matrices (..., n, k), as numpy 2).",
)


# ----------------------------------------------------------------------------- norm
def _euclid_forward(x, axis=None, keepdims=False):
    x = np.asarray(x)
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


def _euclid_vjp(g, out, x, axis=None, keepdims=False):  # ∂‖x‖/∂x = x/‖x‖  (0 at x = 0)
    axes = normalize_axes(axis, np.ndim(x), "norm")
    nb = batch_ndim(g, out)
    if not keepdims and axes:
        g, out = expand_dims(g, axes), expand_dims(out, axes)
    positive = out > 0
    scale = where(positive, g / where(positive, out, 1.0), 0.0)
    return broadcast_to(scale, tuple(np.shape(scale)[:nb]) + tuple(np.shape(x))) * x


_euclid = primitive(
    "norm", _euclid_forward, _euclid_vjp,
    formula="np.linalg.norm(x, axis=axis, keepdims=keepdims)", vjp_rules=("g * x / out",),
    tangent="np.sum(x * dx) / out",
    jet=lambda node, u, axis=None, keepdims=False: series.sqrt(
        series.reduce_sum(series.cauchy(u, u), axis, keepdims), node.data),
    public=False,
)


@public_op(_euclid, method=True)
def norm(x, ord=None, axis=None, keepdims: bool = False):
    """Vector p-norms along ``axis`` and the Frobenius norm (``ord=None``/``"fro"``/2 over all axes).

    The gradient of the 2-norm at 0 is taken as 0.

    >>> float(norm([3.0, 4.0]))
    5.0
    """
    ndim = np.ndim(data_of(x))
    vector = ndim == 1 or isinstance(axis, (int, np.integer))
    if ord in (None, "fro") or (ord == 2 and vector):
        return _euclid(x, axis=axis, keepdims=keepdims)
    if not vector:
        raise NotImplementedError(
            f"norm: ord={ord!r} over a matrix is not supported; use ord=None/'fro', or give an int axis")
    if ord == 1:
        return sum_(absolute(x), axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return max_(absolute(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        from .reduce import min as min_
        return min_(absolute(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, (int, float)) and ord > 0:
        total = sum_(power(absolute(x), ord), axis=axis, keepdims=keepdims)
        positive = total > 0  # at x = 0 the gradient is taken as 0 (as for the 2-norm), not 0·∞ = NaN
        return where(positive, power(where(positive, total, 1.0), 1.0 / ord), 0.0)
    raise ValueError(f"norm: ord must be None, 'fro', a positive number or ±inf, got {ord!r}")
