"""Function transforms on the tape: grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp (JAX's names).

Each transform calls ``f`` on fresh nodes (identity ops, recorded), then asks the engine for
derivatives with respect to those nodes (``ad.gradients``); the backward pass stops there, since
nothing recorded before them can lead to them. Two rules make the transforms nest freely:

* **Outside any recording context** (no enclosing transform, no argument that is a Tensor
  requiring grad) the fresh nodes hang off new leaves, the backward pass is not recorded, and
  results hold no graph.
* **Inside one** (an enclosing transform is differentiating through this call, or an argument is a
  Tensor that requires grad), each fresh node is an identity op applied to the outer tensor, and
  the backward pass is recorded (``create_graph=True``). The results are then differentiable
  functions of the outer tensors, so ``grad(grad(f))``, ``jacobian(grad(f))`` and ``grad`` of a
  function that calls ``hessian`` all work. Values that ``f`` closes over from an enclosing
  transform (``grad(lambda y: grad(lambda x: x * y)(2.0))(3.0) == 1``) stay connected too, and so
  do arguments that are not differentiated: ``jacobian(f)(x, W)`` is differentiable w.r.t. W when
  W requires grad (a Jacobian penalty can be trained). Tensors requiring grad that f merely
  closes over, outside any transform, are treated as constants: pass them as arguments instead.

Primals may be Python floats, numpy arrays or Tensors; integer primals are refused (differentiate
with respect to floats). A function whose output does not depend on the input (a constant, or a
result computed outside the tape) has derivative zero: the transforms return zeros of the right shape.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .errors import DtypeError, ShapeError
from .grad_mode import GRAD_MODE, TRANSFORMS, enable_grad
from .jacobians import builder, check_chunk_size, check_mode, jacobian_rows
from .jacobians import derivatives as _derivatives
from .jacobians import identity as _identity
from .jacobians import pushforward as _pushforward
from .jacobians import zeros as _zeros
from .ops import sum
from .pytree import LEAF, flatten, unflatten
from .tensor import Tensor

Argnums = int | Sequence[int]

_NESTING = TRANSFORMS  # how many transforms are calling their function right now (this thread)


@contextlib.contextmanager
def _tracing() -> Iterator[None]:
    """Call the user's function: record it, and let inner transforms know they are inside one."""
    _NESTING.depth += 1
    try:
        with enable_grad():
            yield
    finally:
        _NESTING.depth -= 1


def _differentiating(values: Sequence[Any]) -> bool:
    """Must results stay differentiable? Yes inside an enclosing transform, or when an argument is a
    Tensor that requires grad (differentiated or not: ``jacobian(f)(x, W)`` stays a function of W)."""
    if not GRAD_MODE.enabled:
        return False
    return _NESTING.depth > 0 or any(isinstance(v, Tensor) and v.requires_grad for v in values)


def _start(value: Any, connected: bool, position: int, who: str) -> Tensor:
    """The node ``who`` differentiates with respect to, for the primal ``value`` at ``position``."""
    data = value._data if isinstance(value, Tensor) else np.asarray(value)
    if not (np.issubdtype(data.dtype, np.floating) or np.issubdtype(data.dtype, np.complexfloating)):
        raise DtypeError(
            f"{who}: argument {position} has dtype {data.dtype}; derivatives need floating-point input "
            f"(pass 3.0 rather than 3, or x.astype(float))"
        )
    # always a recorded node, never a leaf: the backward pass then stops at it (the engine skips
    # what was recorded before the nodes it is asked about), so graphs that f closes over or that
    # made the outer tensor are neither walked nor freed
    source = value if connected and isinstance(value, Tensor) and value.requires_grad else Tensor(
        data, requires_grad=True)
    with enable_grad():
        return _identity(source)


def _argnums(argnums: Argnums, nargs: int, who: str) -> tuple[tuple[int, ...], bool]:
    """argnums as a tuple of non-negative positions, and whether a single int was given."""
    single = isinstance(argnums, (int, np.integer))
    if not (single or isinstance(argnums, (tuple, list))):
        raise TypeError(f"{who}: argnums must be an int or a tuple of ints, got {argnums!r}")
    nums = (argnums,) if single else tuple(argnums)
    if not nums:
        raise ValueError(f"{who}: argnums is empty; give an int or a tuple of argument positions")
    result = []
    for a in nums:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{who}: argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -nargs <= a < nargs:
            raise ValueError(
                f"{who}: argnums={argnums!r} is out of range: the function was called with {nargs} "
                f"positional argument{'s' if nargs != 1 else ''}"
            )
        result.append(int(a) % nargs)
    if len(set(result)) != len(result):
        raise ValueError(f"{who}: argnums={argnums!r} repeats an argument")
    return tuple(result), single


def _call(f: Callable[..., Any], args: Sequence[Any], kwargs: dict, argnums: Argnums,
          who: str, structures: list | None = None) -> tuple[Any, list[Tensor], bool, bool]:
    """f called, recorded, with fresh nodes at ``argnums``: its result, those nodes, whether argnums
    was an int, and whether results must stay differentiable. With a ``structures`` list (grad), an
    argument may be a tuple, list or dict of values: each of its leaves gets a node, and the list
    receives each argument's structure (``pytree``) to give the gradient the same shape."""
    nums, single = _argnums(argnums, len(args), who)
    keep = _differentiating(list(args) + list(kwargs.values()))
    args = list(args)
    xs = []
    for i in nums:
        leaves, tree = flatten(args[i]) if structures is not None else ([args[i]], LEAF)
        nodes = [_start(leaf, keep, i, who) for leaf in leaves]
        args[i] = unflatten(tree, nodes)
        xs += nodes
        if structures is not None:
            structures.append((tree, len(nodes)))
    with _tracing():
        result = f(*args, **kwargs)
    return result, xs, single, keep


def _regroup(grads: list[Any], structures: list) -> list[Any]:
    """Flat gradients back in the structure of each differentiated argument."""
    grouped, start = [], 0
    for tree, count in structures:
        grouped.append(unflatten(tree, grads[start: start + count]))
        start += count
    return grouped


def _output(value: Any, who: str) -> Tensor:
    """f's result as a Tensor (numbers and arrays become constants: their derivative is zero)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (tuple, list, dict)):
        raise TypeError(
            f"{who}: the function returned a {type(value).__name__}; it must return one Tensor or array "
            "(for extra outputs use has_aux=True and return (output, aux))"
        )
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{who}: the function returned {type(value).__name__} data of dtype {array.dtype}")
    return Tensor._wrap(array)


def _split_aux(result: Any, has_aux: bool, who: str) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TypeError(f"{who}: with has_aux=True the function must return a pair (output, aux)")
    return result[0], result[1]


def _detached(value: Any) -> Any:
    """value with every Tensor in it (tuples, lists, dicts) cut off from the graph."""
    if isinstance(value, Tensor):
        return value.detach() if value.requires_grad else value
    if isinstance(value, (tuple, list)):
        return type(value)(_detached(v) for v in value)
    if isinstance(value, dict):
        return {k: _detached(v) for k, v in value.items()}
    return value


def _result(value: Tensor, keep_graph: bool) -> Tensor:
    return value if keep_graph else _detached(value)


def _check_scalar(out: Tensor, who: str) -> None:
    if out.size != 1:
        raise ShapeError(
            f"{who} needs a function with a scalar output, but it returned shape {out.shape}; "
            "reduce it (e.g. .sum()) or use ad.jacobian for vector-valued functions"
        )


# ----------------------------------------------------------------------------- grad
def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """A function returning ``(f(*args), ∇f(*args))``, the gradient taken w.r.t. ``args[argnums]``.

    f must return a scalar (one element). With a tuple ``argnums`` the gradient is a tuple; with
    ``has_aux=True`` f returns ``(output, aux)`` and the value is that pair (aux is not differentiated).

    >>> import autodiff as ad
    >>> value, slope = ad.value_and_grad(lambda x: x ** 3)(2.0)
    >>> float(value), float(slope)
    (8.0, 12.0)
    """

    @functools.wraps(f)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        structures: list = []
        result, xs, single, keep = _call(f, args, kwargs, argnums, "grad", structures)
        out, aux = _split_aux(result, has_aux, "grad")
        out = _output(out, "grad")
        _check_scalar(out, "grad")
        grads = _regroup([_result(g, keep) for g in _derivatives(out, xs, None, keep)], structures)
        value = _result(out, keep)
        value = (value, _detached(aux) if not keep else aux) if has_aux else value
        return value, (grads[0] if single else tuple(grads))

    return value_and_grad_f


def grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar function: ``grad(f)(x) = ∂f/∂x``, with the shape of x.

    ``argnums`` picks the argument(s) to differentiate (a tuple gives a tuple of gradients);
    ``has_aux=True`` means f returns ``(output, aux)`` and grad returns ``(gradient, aux)``.
    Transforms nest: ``grad(grad(f))`` is the second derivative. A function that does not depend on
    its input has gradient zero.

    >>> import autodiff as ad
    >>> ad.grad(ad.sin)(0.0)
    tensor(1.)
    >>> ad.grad(ad.grad(lambda x: x ** 3))(2.0)
    tensor(12.)
    """
    value_and_grad_f = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        value, gradient = value_and_grad_f(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return grad_f


# ----------------------------------------------------------------------------- vjp and jvp
def _as_primals(values: Any) -> tuple[Any, ...]:
    return tuple(values) if isinstance(values, (tuple, list)) else (values,)


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """``(f(*primals), vjp_fn)`` where ``vjp_fn(v)`` is the tuple of ``vᵀ ∂f/∂primalᵢ``, one per primal.

    One forward pass now; each ``vjp_fn`` call is one backward pass (it may be called many times).
    With ``has_aux=True`` f returns ``(output, aux)`` and vjp returns ``(output, vjp_fn, aux)``.

    >>> import autodiff as ad
    >>> out, vjp_fn = ad.vjp(lambda x: x ** 2, ad.tensor([1.0, 2.0]))
    >>> vjp_fn(ad.tensor([1.0, 10.0]))
    (tensor([ 2., 40.]),)
    """
    keep = _differentiating(primals)
    xs = [_start(p, keep, i, "vjp") for i, p in enumerate(primals)]
    with _tracing():
        result = f(*xs)
    out, aux = _split_aux(result, has_aux, "vjp")
    out = _output(out, "vjp")

    def vjp_fn(cotangent: Any) -> tuple[Tensor, ...]:
        shape = tuple(np.shape(cotangent._data if isinstance(cotangent, Tensor) else cotangent))
        if shape != out.shape:
            raise ShapeError(f"vjp_fn: the cotangent has shape {shape}, expected the output's shape "
                             f"{out.shape}")
        record = keep or (isinstance(cotangent, Tensor) and cotangent.requires_grad and GRAD_MODE.enabled)
        if not isinstance(cotangent, Tensor):
            cotangent = np.asarray(cotangent, dtype=out.dtype)
        return tuple(_result(g, record) for g in _derivatives(out, xs, cotangent, record))

    value = _result(out, keep)
    if has_aux:
        return value, vjp_fn, (aux if keep else _detached(aux))
    return value, vjp_fn


def _tangent(t: Any, x: Tensor, position: int, who: str) -> Any:
    shape = tuple(np.shape(t._data if isinstance(t, Tensor) else t))
    if shape != x.shape:
        raise ShapeError(f"{who}: tangent {position} has shape {shape}, expected the primal's {x.shape}")
    return t if isinstance(t, Tensor) else np.asarray(t, dtype=x.dtype)


def _linearization_point(f: Callable[..., Any], primals: Any, tangents: Any,
                         who: str) -> tuple[Tensor, list[Tensor], tuple, bool]:
    """Run f on fresh nodes for the primals: its output, the nodes, the checked tangents, keep-graph."""
    primals, tangents = _as_primals(primals), _as_primals(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"{who}: got {len(primals)} primals but {len(tangents)} tangents; "
                         "give one tangent per primal")
    keep = _differentiating(primals + tangents)
    xs = [_start(p, keep, i, who) for i, p in enumerate(primals)]
    tangents = tuple(_tangent(t, x, i, who) for i, (t, x) in enumerate(zip(tangents, xs, strict=True)))
    with _tracing():
        out = _output(f(*xs), who)
    return out, xs, tangents, keep


def jvp(f: Callable[..., Any], primals: Any, tangents: Any) -> tuple[Tensor, Tensor]:
    """``(f(*primals), J·tangents)``: the directional derivative of f along the tangents.

    ``primals`` and ``tangents`` are tuples (one entry per argument of f; a single non-tuple value
    is taken as a one-argument call). The result is Σᵢ (∂f/∂primalᵢ)·tangentᵢ, shaped like f's output.

    How: not genuine forward mode, which would need a second (JVP) rule for every op and a second
    place for each derivative to go wrong; instead the double-VJP transpose trick, which needs only
    the VJPs the ops already have (and so agrees with them at kinks). The map u ↦ uᵀJ is linear in
    u, so differentiating it (recorded with ``create_graph``) w.r.t. u with cotangent v gives Jv. It
    costs one forward and two backward passes whatever the number of outputs, so tall Jacobians
    (few inputs, many outputs) are cheap, and the recorded first pass is shared by every column of
    ``jacobian(mode="fwd")``. The price: about 3x a VJP (a 30-op chain on 1000 numbers: forward
    0.7 ms, vjp 2.2 ms, jvp 6.5 ms), where true forward mode would cost about one VJP, and the
    recorded backward pass held in memory.

    >>> import autodiff as ad
    >>> out, tangent = ad.jvp(lambda x: x ** 2, (ad.tensor([1.0, 2.0]),), (ad.tensor([1.0, 1.0]),))
    >>> tangent
    tensor([2., 4.])
    """
    out, xs, tangents, keep = _linearization_point(f, primals, tangents, "jvp")
    return _result(out, keep), _result(_pushforward(out, xs, tangents, keep), keep)


# ----------------------------------------------------------------------------- jacobian
def jacobian(f: Callable[..., Any], argnums: Argnums = 0, mode: str = "rev", vectorize: bool = False,
             chunk_size: int | None = None) -> Callable[..., Any]:
    """The Jacobian of f: ``jacobian(f)(x)[i..., j...] = ∂f(x)[i...]/∂x[j...]``, shaped out.shape + x.shape.

    ``mode="rev"`` builds it row by row, one backward pass per output element (best when there are
    fewer outputs than inputs); ``mode="fwd"`` column by column with ``jvp`` (best for tall
    Jacobians: few inputs, many outputs); ``mode="auto"`` picks rows unless f has more than twice
    as many output elements as input elements. ``vectorize=True`` pushes all rows (or columns)
    through one backward pass with a leading batch of cotangents, instead of a Python loop;
    ``chunk_size`` then caps the batch (memory grows with it). A tuple ``argnums`` gives a tuple of
    blocks, one per argument. For an output already recorded, ``autodiff.jacobians.jacobian_of``.

    >>> import autodiff as ad
    >>> ad.jacobian(lambda x: x ** 2)(ad.tensor([1.0, 3.0]))
    tensor([[2., 0.],
            [0., 6.]])
    """
    check_mode(mode, "jacobian")
    check_chunk_size(chunk_size, "jacobian")

    @functools.wraps(f)
    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        result, xs, single, keep = _call(f, args, kwargs, argnums, "jacobian")
        out = _output(result, "jacobian")
        build = builder(mode, out, xs)
        blocks = [_result(b, keep) for b in build(out, xs, vectorize, keep, chunk_size)]
        return blocks[0] if single else tuple(blocks)

    return jacobian_f


# ----------------------------------------------------------------------------- hessian and hvp
def hessian(f: Callable[..., Any], argnums: Argnums = 0, vectorize: bool = True,
            chunk_size: int | None = None) -> Callable[..., Any]:
    """The Hessian of a scalar function: ``hessian(f)(x)[i..., j...] = ∂²f/∂x[i...]∂x[j...]``.

    The shape is ``x.shape + x.shape``. The gradient is taken once with its backward pass recorded,
    then differentiated again: with ``vectorize=True`` (the default) every row comes out of one
    backward pass with a batch of n cotangents (at most ``chunk_size`` at a time, to bound memory);
    ``vectorize=False`` loops over the n rows. A tuple
    ``argnums`` gives the nested tuple of blocks ``H[i][j] = ∂²f/∂xᵢ∂xⱼ``. Same as
    ``jacobian(grad(f))``, a little faster. For a vector-valued f (more than one element) it is the
    stack of the Hessians of its entries, shape ``out.shape + x.shape + x.shape``, like JAX's.

    >>> import autodiff as ad
    >>> ad.hessian(lambda x: x[0] ** 2 * x[1])(ad.tensor([1.0, 2.0]))
    tensor([[4., 2.],
            [2., 0.]])
    """
    check_chunk_size(chunk_size, "hessian")

    @functools.wraps(f)
    def hessian_f(*args: Any, **kwargs: Any) -> Any:
        result, xs, single, keep = _call(f, args, kwargs, argnums, "hessian")
        out = _output(result, "hessian")
        if out.size == 1:
            first = _derivatives(out, xs, None, True)
        else:  # the Jacobian, recorded, then its Jacobian
            first = jacobian_rows(out, xs, vectorize, True, chunk_size)
        blocks = []
        for g in first:
            rows = jacobian_rows(g, xs, vectorize, keep, chunk_size)  # rows[j]: g.shape + xs[j].shape
            blocks.append(tuple(_result(r, keep) for r in rows))
        return blocks[0][0] if single else tuple(blocks)

    return hessian_f


def hvp(f: Callable[..., Any], primals: Any, tangents: Any) -> Any:
    """The Hessian-vector product H·v of a scalar function, without forming H.

    Reverse over reverse: the gradient is recorded, dotted with v, and differentiated again, so it
    costs about four evaluations of f whatever the dimension. ``primals`` and ``tangents`` are tuples
    as in ``jvp``; the result has the shape of the primal (a tuple ``Σⱼ Hᵢⱼ vⱼ`` for several primals).

    >>> import autodiff as ad
    >>> ad.hvp(lambda x: (x ** 3).sum(), (ad.tensor([1.0, 2.0]),), (ad.tensor([1.0, 1.0]),))
    tensor([ 6., 12.])
    """
    out, xs, tangents, keep = _linearization_point(f, primals, tangents, "hvp")
    _check_scalar(out, "hvp")
    first = _derivatives(out, xs, None, True)
    directional = None
    for g, t in zip(first, tangents, strict=True):
        if g.requires_grad:
            term = sum(g * t)
            directional = term if directional is None else directional + term
    if directional is None:
        products = [_zeros(x.shape, x) for x in xs]
    else:
        products = [_result(p, keep) for p in _derivatives(directional, xs, None, keep)]
    return products[0] if len(products) == 1 else tuple(products)
