"""Shape ops: reshape transpose swapaxes flatten squeeze expand_dims broadcast_to concatenate stack split.

These move values without changing them, so each VJP moves the cotangent back. Leading batch axes
of the cotangent (vectorised Jacobians) are carried along untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ShapeError
from .core import batch_ndim, data_of, dtype_of, unbroadcast
from .record import primitive, public_op


def _batch_shape(g, out) -> tuple[int, ...]:
    return tuple(np.shape(g)[: batch_ndim(g, out)])


def _reshape_back(g, out, x, **params):  # a reshape's derivative is the reshape back
    return reshape(g, _batch_shape(g, out) + tuple(np.shape(x)))


def _transpose_vjp(g, out, x, axes=None):  # transpose back with the inverse permutation
    nb = batch_ndim(g, out)
    inverse = np.argsort(axes) if axes is not None else np.arange(np.ndim(x))[::-1]
    return transpose(g, tuple(range(nb)) + tuple(nb + int(i) for i in inverse))


def _negative_axis(axis: int, ndim: int) -> int:
    return axis - ndim if axis >= 0 else axis


def _swapaxes_vjp(g, out, x, axis1, axis2):
    ndim = np.ndim(x)
    return swapaxes(g, _negative_axis(axis1, ndim), _negative_axis(axis2, ndim))


def _along(axis: int, ndim: int, index) -> tuple:
    """An index selecting ``index`` along ``axis`` (negative), whatever leading axes come first."""
    return (Ellipsis, index) + (slice(None),) * (-_negative_axis(axis, ndim) - 1)


def _concatenate_vjp(i, g, out, *xs, axis=0):  # each input gets its own slice of the cotangent
    ndim = np.ndim(out)
    axis = _negative_axis(axis, ndim)
    start = int(np.sum([np.shape(x)[axis] for x in xs[:i]]))
    return g[_along(axis, ndim, slice(start, start + np.shape(xs[i])[axis]))]


def _stack_vjp(i, g, out, *xs, axis=0):  # each input gets its slice along the new axis
    ndim = np.ndim(out)
    return g[_along(axis, ndim, i)]


def _broadcast_to_vjp(g, out, x, shape):  # sum over the broadcast axes
    return unbroadcast(g, tuple(np.shape(x)), batch_ndim(g, out))


reshape = primitive(
    "reshape", lambda x, shape: np.reshape(x, shape), _reshape_back,
    formula="np.reshape(x, shape)", vjp_rules=("np.reshape(g, x.shape)",), linear=True, replay="x.reshape(shape)",
    method_adapter=lambda reshape: lambda x, *shape: reshape(x, shape[0] if len(shape) == 1 else shape),
    doc="x with a new shape (one entry may be -1).\n\n>>> reshape([1.0, 2.0, 3.0, 4.0], (2, 2)).shape\n(2, 2)",
)
transpose = primitive(
    "transpose", lambda x, axes=None: np.transpose(x, axes), _transpose_vjp,
    formula="np.transpose(x, axes)", vjp_rules=("np.transpose(g, np.argsort(axes))",), linear=True,
    replay="x.transpose(axes)",
    method_adapter=lambda transpose: lambda x, *axes: transpose(x, (axes[0] if len(axes) == 1 else axes) or None),
    doc="x with its axes permuted (reversed when ``axes`` is None).",
)
def _swapaxes_forward(x, axis1, axis2):  # ndarray's method: np.swapaxes's wrapper costs more than the swap
    return x.swapaxes(axis1, axis2) if type(x) is np.ndarray else np.swapaxes(x, axis1, axis2)


swapaxes = primitive(
    "swapaxes", _swapaxes_forward, _swapaxes_vjp, inputs=("x",),
    formula="np.swapaxes(x, axis1, axis2)", vjp_rules=("np.swapaxes(g, axis1, axis2)",), linear=True,
    replay="x.swapaxes(axis1, axis2)",
    method=True, doc="x with two axes exchanged.",
)
squeeze = primitive(
    "squeeze", lambda x, axis=None: np.squeeze(x, axis=axis), _reshape_back,
    formula="np.squeeze(x, axis=axis)", vjp_rules=("np.reshape(g, x.shape)",), linear=True,
    method=True, doc="x without its size-1 axes (or only those in ``axis``).",
)
expand_dims = primitive(
    "expand_dims", lambda x, axis: np.expand_dims(x, axis), _reshape_back,
    formula="np.expand_dims(x, axis)", vjp_rules=("np.reshape(g, x.shape)",), linear=True,
    method=True, doc="x with new size-1 axes inserted at ``axis``.",
)


def _broadcast_to_forward(x, shape):
    # a fresh, writable array: filling one is also several times faster than np.broadcast_to's view
    result = np.empty(shape, dtype=dtype_of(x))
    result[...] = x
    return result


broadcast_to = primitive(
    "broadcast_to", _broadcast_to_forward, _broadcast_to_vjp,
    formula="np.broadcast_to(x, shape)", vjp_rules=("unbroadcast(g, x.shape)",), linear=True, method=True,
    doc="x broadcast to ``shape`` (a new array); its gradient sums the broadcast axes.\n\n"
        ">>> broadcast_to([1.0, 2.0], (2, 2))\narray([[1., 2.],\n       [1., 2.]])",
)
_concatenate = primitive(
    "concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis), variadic=_concatenate_vjp,
    inputs=("xs",), formula="np.concatenate(xs, axis=axis)", vjp_rules=("g[slice_of(i)]",), linear=True,
    public=False,
)
_stack = primitive(
    "stack", lambda *xs, axis=0: np.stack(xs, axis=axis), variadic=_stack_vjp,
    inputs=("xs",), formula="np.stack(xs, axis=axis)", vjp_rules=("np.take(g, i, axis=axis)",), linear=True,
    public=False,
)


@public_op(method=True)
def flatten(x):
    """x as a 1-D array (a reshape).

    >>> flatten([[1.0, 2.0], [3.0, 4.0]])
    array([1., 2., 3., 4.])
    """
    return reshape(x, (-1,))


@public_op(_concatenate)
def concatenate(tensors: Sequence, axis: int = 0):
    """Join tensors along an existing axis.

    >>> concatenate([[1.0], [2.0, 3.0]])
    array([1., 2., 3.])
    """
    tensors = tuple(tensors)
    if not tensors:
        raise ShapeError("concatenate: needs at least one tensor")
    return _concatenate(*tensors, axis=axis)


@public_op(_stack)
def stack(tensors: Sequence, axis: int = 0):
    """Join same-shaped tensors along a new axis.

    >>> stack([[1.0, 2.0], [3.0, 4.0]], axis=1)
    array([[1., 3.],
           [2., 4.]])
    """
    tensors = tuple(tensors)
    if not tensors:
        raise ShapeError("stack: needs at least one tensor")
    shapes = {np.shape(data_of(t)) for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all inputs must have the same shape, got {sorted(shapes)}")
    return _stack(*tensors, axis=axis)


@public_op(method=True)
def split(x, indices_or_sections: int | Sequence[int], axis: int = 0) -> list:
    """Split x along ``axis`` into equal sections or at the given indices (each piece differentiable).

    >>> [p.tolist() for p in split([1.0, 2.0, 3.0, 4.0], 2)]
    [[1.0, 2.0], [3.0, 4.0]]
    """
    from .index import getitem

    shape = np.shape(data_of(x))
    ndim = len(shape)
    if not -ndim <= axis < ndim:
        raise ShapeError(f"split: axis {axis} is out of range for an input with {ndim} dimensions")
    length = shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if indices_or_sections <= 0 or length % indices_or_sections:
            raise ShapeError(f"split: cannot split an axis of length {length} into {indices_or_sections} equal parts")
        step = length // indices_or_sections
        bounds = list(range(0, length + 1, step))
    else:
        bounds = [0, *indices_or_sections, length]
    return [getitem(x, _along(axis, ndim, slice(a, b))) for a, b in zip(bounds[:-1], bounds[1:])]
