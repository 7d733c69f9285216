"""Tensor: a numpy array, whether it requires grad, its gradient, and the op that made it.

A tensor made by an op is also its own node in the graph: it keeps the op, the op's inputs
and its static parameters (``axis=...``), which is all backward needs. Backward releases the
inputs (unless ``retain_graph=True``) so intermediate arrays are freed as soon as possible.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import DtypeError, InPlaceError
from .grad_mode import GRAD_MODE

ArrayLike = Any  # anything np.asarray accepts, or a Tensor


def _as_array(data: ArrayLike, dtype: Any = None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    array = np.asarray(data, dtype=dtype)
    if array.dtype.kind not in "biufc":  # strings, bytes, objects, dates: not numbers
        raise DtypeError(f"cannot make a tensor from {type(data).__name__} data (numpy gave dtype={array.dtype}); "
                         "tensors hold numbers or booleans")
    return array


class _Mutations:
    """A clock that ticks at every in-place change of any tensor.

    A recorded tensor keeps the clock's value when it was made (``_stamp``); an in-place change sets
    the changed tensor's ``_version`` to the new clock value. Backward can then tell, with one
    comparison in the common case, whether anything the node saved was changed since.
    """

    clock = 0


MUTATIONS = _Mutations()
_RECORD_ORDER = itertools.count(1)  # recorded tensors are numbered in the order they are made


def _check_can_require_grad(dtype: np.dtype) -> None:
    if not np.issubdtype(dtype, np.inexact):
        raise DtypeError(
            f"only floating-point (or complex) tensors can require grad, got dtype={dtype}; "
            "make it a float tensor, e.g. ad.tensor([1.0, 2.0], requires_grad=True)"
        )


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    >>> import autodiff as ad
    >>> x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    __slots__ = (
        "data", "requires_grad", "grad", "name",
        "_op", "_inputs", "_input_data", "_params", "_positions", "_seq", "_pending", "_version", "_stamp",
        "_hooks", "_retains_grad",
        "__weakref__",
    )

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """numpy ufuncs on Tensors run as this library's ops: ``np.exp(t)`` is ``ad.exp(t)``, and
        ``ndarray * t`` is ``ad.multiply(ndarray, t)``, so they are recorded and differentiable.

        Only ufuncs with an op of their own, called plainly (no ``out=``, no ``.reduce``), are
        accepted; anything else is a TypeError naming the ufunc.
        """
        op = _UFUNC_OPS.get(ufunc.__name__) if method == "__call__" and not kwargs else None
        if op is None:
            raise TypeError(
                f"numpy's {ufunc.__name__}{'' if method == '__call__' else '.' + method} has no autodiff op "
                f"for Tensors{' with ' + ', '.join(kwargs) if kwargs else ''}; use the ad. functions "
                "(or np.asarray(t) for a plain array, which is not differentiable)"
            )
        return op(*inputs)

    def __init__(self, data: ArrayLike, dtype: Any = None, requires_grad: bool = False,
                 name: str | None = None) -> None:
        self.data = _as_array(data, dtype)
        if requires_grad:
            _check_can_require_grad(self.data.dtype)
        self.requires_grad = bool(requires_grad)
        self.grad: Tensor | None = None
        self.name = name
        self._op = None
        self._inputs = None
        self._input_data = None
        self._params = None
        self._pending = None
        self._version = 0
        self._stamp = 0
        self._hooks = None
        self._retains_grad = False

    # _wrap and _record set every slot by hand rather than sharing a helper: they run once per op,
    # and a shared helper would cost a call each time (they are the engine's hottest lines).
    @classmethod
    def _wrap(cls, data: np.ndarray) -> Tensor:
        """A constant tensor around an array, without copying or checks (internal fast path)."""
        t = cls.__new__(cls)
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        t.data = data
        t.requires_grad = False
        t.grad = None
        t.name = None
        t._op = None
        t._inputs = None
        t._input_data = None
        t._params = None
        t._pending = None
        t._version = 0
        t._stamp = 0
        t._hooks = None
        t._retains_grad = False
        return t

    @classmethod
    def _record(cls, data: np.ndarray, op: Any, inputs: Sequence, input_data: Sequence, params: dict,
                positions: tuple[int, ...]) -> Tensor:
        """The output of a recorded op: a node of the graph (internal fast path)."""
        t = cls.__new__(cls)
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        t.data = data
        t.requires_grad = True
        t.grad = None
        t.name = None
        t._op = op
        t._inputs = inputs
        t._input_data = input_data
        t._params = params
        t._positions = positions  # the inputs that require grad
        t._seq = next(_RECORD_ORDER)
        t._pending = None
        t._version = 0
        t._stamp = MUTATIONS.clock
        t._hooks = None
        t._retains_grad = False
        return t

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        return _ops.transpose(self)

    @property
    def mT(self) -> Tensor:
        """The transpose of the last two axes (numpy's ``ndarray.mT``)."""
        return _ops.swapaxes(self, -1, -2)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (inputs, parameters, constants)."""
        return self._op is None

    @property
    def grad_fn(self) -> Any:
        """The op that made this tensor (None for leaves); ``.name`` says which."""
        return self._op

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    # ----------------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied); detached from the graph."""
        return self.data

    def item(self) -> float | int | bool | complex:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()")
        return bool(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def detach(self) -> Tensor:
        """The same values as a new leaf that does not require grad (the array is shared)."""
        return Tensor._wrap(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place; returns self."""
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("requires_grad can only be turned off on leaves; use .detach()")
        if requires_grad:
            _check_can_require_grad(self.data.dtype)
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> Tensor:
        """Ask backward to store ``.grad`` on this non-leaf tensor too."""
        if self.requires_grad and not self.is_leaf:
            self._retains_grad = True
            if self._hooks is None:  # backward looks at retain_grad only where there are hooks
                self._hooks = []
        return self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Callable[[], None]:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it.

        Returns a function that removes the hook.

        >>> import autodiff as ad
        >>> x = ad.tensor(3.0, requires_grad=True)
        >>> remove = x.register_hook(lambda g: g * 10)
        >>> (x * x).backward()
        >>> x.grad
        tensor(60.)
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)

        def remove() -> None:
            if self._hooks and hook in self._hooks:
                self._hooks.remove(hook)

        return remove

    def backward(self, gradient: ArrayLike | None = None, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        ``gradient`` is the cotangent (required unless self has one element). ``retain_graph``
        keeps the graph for another backward; ``create_graph`` records the backward pass so the
        gradients can be differentiated again.
        """
        _engine.backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    def to(self, dtype: Any) -> Tensor:
        """This tensor cast to ``dtype`` (differentiable for float dtypes)."""
        return _ops.astype(self, dtype=np.dtype(dtype))

    def astype(self, dtype: Any) -> Tensor:
        return _ops.astype(self, dtype=np.dtype(dtype))

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    # ----------------------------------------------------------------- in-place changes
    def _check_inplace(self) -> None:
        if self.requires_grad and GRAD_MODE.enabled:
            raise InPlaceError(
                "in-place change of a tensor that requires grad while grad mode is on; "
                "do it inside `with ad.no_grad():` (parameter updates) or use an out-of-place op"
            )

    def _assign(self, value: np.ndarray) -> Tensor:
        self._check_inplace()
        np.copyto(self.data, value, casting="same_kind")
        self._bump_version()
        return self

    def _bump_version(self) -> None:
        MUTATIONS.clock += 1
        self._version = MUTATIONS.clock

    def __setitem__(self, index: Any, value: ArrayLike) -> None:
        self._check_inplace()
        self.data[_ops.unwrap_index(index)] = _as_array(value)
        self._bump_version()

    def add_(self, other: ArrayLike, alpha: float = 1.0) -> Tensor:
        """In place: self += alpha * other (bumps the version counter)."""
        self._check_inplace()
        other = other.data if isinstance(other, Tensor) else other
        if alpha == 1:
            self.data += other
        elif alpha == -1:
            self.data -= other
        else:
            self.data += alpha * other
        self._bump_version()
        return self

    def sub_(self, other: ArrayLike, alpha: float = 1.0) -> Tensor:
        """In place: self -= alpha * other (bumps the version counter)."""
        return self.add_(other, -alpha)

    def mul_(self, other: ArrayLike) -> Tensor:
        """In place: self *= other (bumps the version counter)."""
        self._check_inplace()
        self.data *= other.data if isinstance(other, Tensor) else other
        self._bump_version()
        return self

    def div_(self, other: ArrayLike) -> Tensor:
        """In place: self /= other (bumps the version counter)."""
        self._check_inplace()
        self.data /= other.data if isinstance(other, Tensor) else other
        self._bump_version()
        return self

    def copy_(self, source: ArrayLike) -> Tensor:
        """In place: overwrite the values with ``source`` (broadcast to this shape)."""
        return self._assign(_as_array(source))

    def fill_(self, value: float) -> Tensor:
        return self._assign(np.full_like(self.data, value))

    def zero_(self) -> Tensor:
        return self._assign(np.zeros_like(self.data))

    def __iadd__(self, other: ArrayLike) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: ArrayLike) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: ArrayLike) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: ArrayLike) -> Tensor:
        return self.div_(other)

    # ----------------------------------------------------------------- repr
    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", threshold=200, edgeitems=3)
        extras = []
        if self.data.dtype not in (np.float64, np.int64, np.bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self._op is not None:
            extras.append(f"grad_fn=<{self._op.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __hash__ = object.__hash__  # tensors are graph nodes: hashed by identity, compared elementwise

    # ----------------------------------------------------------------- operators
    # (+ - * / ** @, unary -, and indexing are the ops themselves: see the table at the end of the file)
    def __radd__(self, other): return _ops.add(other, self)
    def __rsub__(self, other): return _ops.subtract(other, self)
    def __rmul__(self, other): return _ops.multiply(other, self)
    def __rtruediv__(self, other): return _ops.divide(other, self)
    def __rpow__(self, other): return _ops.power(other, self)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    def __lt__(self, other): return _ops.less(self, other)
    def __le__(self, other): return _ops.less_equal(self, other)
    def __gt__(self, other): return _ops.greater(self, other)
    def __ge__(self, other): return _ops.greater_equal(self, other)
    def __eq__(self, other): return _ops.equal(self, other)  # type: ignore[override]
    def __ne__(self, other): return _ops.not_equal(self, other)  # type: ignore[override]
    def __and__(self, other): return _ops.logical_and(self, other)
    def __or__(self, other): return _ops.logical_or(self, other)
    def __invert__(self): return _ops.logical_not(self)

    # ----------------------------------------------------------------- methods (same as ad.<name>)
    def abs(self): return _ops.abs(self)
    def exp(self): return _ops.exp(self)
    def log(self): return _ops.log(self)
    def log1p(self): return _ops.log1p(self)
    def sqrt(self): return _ops.sqrt(self)
    def sin(self): return _ops.sin(self)
    def cos(self): return _ops.cos(self)
    def tan(self): return _ops.tan(self)
    def arcsin(self): return _ops.arcsin(self)
    def arccos(self): return _ops.arccos(self)
    def arctan(self): return _ops.arctan(self)
    def sinh(self): return _ops.sinh(self)
    def cosh(self): return _ops.cosh(self)
    def tanh(self): return _ops.tanh(self)
    def sigmoid(self): return _ops.sigmoid(self)
    def relu(self): return _ops.relu(self)
    def softplus(self): return _ops.softplus(self)
    def erf(self): return _ops.erf(self)
    def erfc(self): return _ops.erfc(self)
    def clip(self, min=None, max=None): return _ops.clip(self, min, max)
    def maximum(self, other): return _ops.maximum(self, other)
    def minimum(self, other): return _ops.minimum(self, other)
    # reductions also take numpy's dtype= and out= (out must be None), so np.sum(t), np.mean(t)... work
    def sum(self, axis=None, keepdims=False, dtype=None, out=None):
        return _reduce(_ops.sum, self, dtype, out, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False, dtype=None, out=None):
        return _reduce(_ops.mean, self, dtype, out, axis=axis, keepdims=keepdims)

    def var(self, axis=None, ddof=0, keepdims=False, dtype=None, out=None):
        return _reduce(_ops.var, self, dtype, out, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, ddof=0, keepdims=False, dtype=None, out=None):
        return _reduce(_ops.std, self, dtype, out, axis=axis, ddof=ddof, keepdims=keepdims)

    def max(self, axis=None, keepdims=False, out=None):
        return _reduce(_ops.max, self, None, out, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False, out=None):
        return _reduce(_ops.min, self, None, out, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, keepdims=False, dtype=None, out=None):
        return _reduce(_ops.prod, self, dtype, out, axis=axis, keepdims=keepdims)

    def logsumexp(self, axis=None, keepdims=False): return _ops.logsumexp(self, axis=axis, keepdims=keepdims)
    def softmax(self, axis=-1): return _ops.softmax(self, axis=axis)
    def log_softmax(self, axis=-1): return _ops.log_softmax(self, axis=axis)
    def argmax(self, axis=None): return _ops.argmax(self, axis=axis)
    def argmin(self, axis=None): return _ops.argmin(self, axis=axis)
    def any(self, axis=None): return Tensor._wrap(np.any(self.data, axis=axis))
    def all(self, axis=None): return Tensor._wrap(np.all(self.data, axis=axis))
    def reshape(self, *shape): return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)
    def transpose(self, *axes): return _ops.transpose(self, (axes[0] if len(axes) == 1 else axes) or None)
    def swapaxes(self, axis1, axis2): return _ops.swapaxes(self, axis1, axis2)
    def flatten(self): return _ops.flatten(self)
    def squeeze(self, axis=None): return _ops.squeeze(self, axis=axis)
    def expand_dims(self, axis): return _ops.expand_dims(self, axis)
    def broadcast_to(self, shape): return _ops.broadcast_to(self, shape)
    def matmul(self, other): return _ops.matmul(self, other)
    def dot(self, other): return _ops.dot(self, other)
    def outer(self, other): return _ops.outer(self, other)
    def inv(self): return _ops.inv(self)
    def det(self): return _ops.det(self)
    def split(self, indices_or_sections, axis=0): return _ops.split(self, indices_or_sections, axis=axis)
    def norm(self, ord=None, axis=None, keepdims=False): return _ops.norm(self, ord=ord, axis=axis, keepdims=keepdims)


def _reduce(op: Callable[..., Any], x: Tensor, dtype: Any, out: Any, **params: Any) -> Tensor:
    """A reduction method; numpy's ``dtype=`` casts first, ``out=`` cannot be honoured."""
    if out is not None:
        raise TypeError(f"{op.__name__}: out= is not supported for Tensors; use the returned tensor")
    return op(x if dtype is None else x.astype(dtype), **params)


# numpy ufunc name -> op name (Tensor.__array_ufunc__)
_UFUNC_NAMES = {
    "add": "add", "subtract": "subtract", "multiply": "multiply", "divide": "divide", "true_divide": "divide",
    "power": "power", "negative": "negative", "absolute": "abs", "exp": "exp", "log": "log",
    "log1p": "log1p", "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "arcsin",
    "arccos": "arccos", "arctan": "arctan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "maximum": "maximum", "minimum": "minimum", "matmul": "matmul", "less": "less", "less_equal": "less_equal",
    "greater": "greater", "greater_equal": "greater_equal", "equal": "equal", "not_equal": "not_equal",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_not": "logical_not", "sign": "sign",
    "isfinite": "isfinite",
}

# the ops and the engine build on Tensor, so they are imported once it exists
from . import ops as _ops  # noqa: E402, I001  (order matters: the engine imports the ops)
from . import engine as _engine  # noqa: E402

_UFUNC_OPS = {ufunc: getattr(_ops, op) for ufunc, op in _UFUNC_NAMES.items()}

# The most used operators are the op functions themselves rather than methods that call them: one
# Python call less on the hottest path of every model (about 4% of a chain of small ops). They can
# only be set here, once the ops exist, since the ops are built on Tensor.
Tensor.__add__ = _ops.add
Tensor.__sub__ = _ops.subtract
Tensor.__mul__ = _ops.multiply
Tensor.__truediv__ = _ops.divide
Tensor.__pow__ = _ops.power
Tensor.__matmul__ = _ops.matmul
Tensor.__neg__ = _ops.negative
Tensor.__getitem__ = _ops.getitem
