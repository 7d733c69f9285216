"""Indexing: ``x[index]`` for ints, slices, ``None``, ``...``, integer arrays and boolean masks.

The VJP of a gather is a scatter-add (repeated integer indices accumulate) and the VJP of that
scatter-add is the gather again, so indexing is differentiable to any order.
"""

from __future__ import annotations

import numpy as np

from .core import batch_ndim, dtype_of, unwrap_index
from .record import primitive, public_op


def _is_array(item) -> bool:
    return not (item is None or item is Ellipsis or isinstance(item, (slice, int, np.integer)))


def _batched(index: tuple, nb: int) -> tuple:
    """The same index for an array with ``nb`` extra leading (batch) axes."""
    if nb == 0:
        return index
    if any(_is_array(item) for item in index):
        # with array indices numpy treats ints as arrays too; if they are not side by side it moves
        # their axes in front of everything, batch axes included, and the layout no longer lines up
        positions = [i for i, item in enumerate(index)
                     if _is_array(item) or isinstance(item, (int, np.integer))]
        if positions[-1] - positions[0] + 1 != len(positions):
            raise NotImplementedError(
                "vectorised Jacobians through an index whose array indices are separated by slices "
                f"({index!r}); use jacobian(..., vectorize=False)"
            )
    return (slice(None),) * nb + index


def _scatter_forward(g, shape, index):
    """zeros(shape) with g added at ``index``; repeated integer indices accumulate."""
    result = np.zeros(shape, dtype=dtype_of(g))
    if any(_is_array(i) and np.asarray(i).dtype != bool for i in index):
        np.add.at(result, index, g)
    else:
        result[index] = g  # basic indices and masks never repeat a position
    return result


def _getitem_vjp(g, out, x, index):  # ∂x[i]/∂x puts g back at position i
    nb = batch_ndim(g, out)
    return _scatter(g, shape=g.shape[:nb] + x.shape, index=_batched(index, nb))


def _scatter_vjp(g, out, values, shape, index):  # the gather at the same positions
    return _gather(g, index=_batched(index, g.ndim - len(shape)))


_scatter = primitive(
    "scatter_add", _scatter_forward, _scatter_vjp, inputs=("values",),
    formula="scatter_add(values, shape, index)", vjp_rules=("g[index]",), linear=True, public=False,
)
_gather = primitive(
    "getitem", lambda x, index: x[index], _getitem_vjp,
    formula="x[index]", vjp_rules=("scatter_add(g, x.shape, index)",), linear=True, replay="x[index]", public=False,
)


@public_op(_gather)
def getitem(x, index):
    """``x[index]`` (what ``Tensor.__getitem__`` calls); gradients of repeated indices add up.

    >>> getitem([1.0, 2.0, 3.0], slice(1, None))
    array([2., 3.])
    """
    index = unwrap_index(index)
    if isinstance(index, list):  # numpy treats a list as one integer/boolean array index
        index = np.asarray(index) if index else np.zeros(0, dtype=np.intp)  # [] selects nothing
    if not isinstance(index, tuple):
        index = (index,)
    return _gather(x if hasattr(x, "shape") else np.asarray(x), index=index)
