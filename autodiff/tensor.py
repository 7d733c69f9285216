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

from .errors import ConcretizationError, DtypeError, InPlaceError, TracingError
from .grad_mode import GRAD_MODE, TRACING, TRANSFORMS

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
    """A clock that ticks at every in-place change of any tensor. A recorded tensor keeps its value when
    made (``_stamp``); an in-place change sets the tensor's ``_version`` to the new value, so backward
    tells with one comparison (the common case) whether anything a node saved has changed since."""

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
        "_data", "requires_grad", "grad", "name",
        "_op", "_inputs", "_input_data", "_params", "_positions", "_seq", "_pending", "_version", "_stamp",
        "_hooks", "_retains_grad",
        "__weakref__",
    )

    def __init__(self, data: ArrayLike, dtype: Any = None, requires_grad: bool = False,
                 name: str | None = None) -> None:
        array = _as_array(data, dtype)
        if requires_grad:
            _check_can_require_grad(array.dtype)
        _init(self, array, bool(requires_grad), None, None, None, None, None, 0)
        self.name = name

    @classmethod
    def _wrap(cls, data: np.ndarray) -> Tensor:
        """A constant tensor around an array, without copying or checks (internal fast path)."""
        t = _new(cls)
        _init(t, data if type(data) is np.ndarray else np.asarray(data), False, None, None, None, None, None, 0)
        return t

    @classmethod
    def _record(cls, data: np.ndarray, op: Any, inputs: Sequence, input_data: Sequence, params: dict,
                positions: tuple[int, ...]) -> Tensor:
        """The output of a recorded op: a node of the graph (internal fast path). ``positions`` are
        the inputs that require grad."""
        t = _new(cls)
        _init(t, data if type(data) is np.ndarray else np.asarray(data), True, op, inputs, input_data, params,
              positions, next(_RECORD_ORDER))
        return t

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """numpy ufuncs run as this library's ops (``np.exp(t)`` is ``ad.exp(t)``); writing into plain
        arrays (``out=``, as ``p.data += -0.1 * p.grad`` does) works on the values, unrecorded, as in
        PyTorch. Anything else (no op, ``.reduce``, ``out=`` a Tensor) is a TypeError naming the ufunc."""
        out = kwargs.get("out")
        if method == "__call__" and out is not None and all(type(o) is np.ndarray for o in out):
            return ufunc(*(a.data if isinstance(a, Tensor) else a for a in inputs), **kwargs)
        op = _UFUNC_OPS.get(ufunc.__name__) if method == "__call__" and not kwargs else None
        if op is None:
            raise TypeError(
                f"numpy's {ufunc.__name__}{'' if method == '__call__' else '.' + method} has no autodiff op "
                f"for Tensors{' with ' + ', '.join(kwargs) if kwargs else ''}; use the ad. functions "
                "(or np.asarray(t) for a plain array, which is not differentiable)"
            )
        return op(*inputs)

    # ----------------------------------------------------------------- attributes
    @property
    def data(self) -> np.ndarray:
        """The array of values. Assigning to it (``p.data = ...``, ``p.data -= lr * p.grad``) is an
        in-place change: a graph that saved the old values refuses to backpropagate through them.
        Writing into the array itself (``p.data[0] = 1``) bypasses that check: use ``p[0] = 1``."""
        if TRACING.active and self._traced():  # a traced value read as numbers would be baked in
            self._concrete(".data")
        return self._data

    @data.setter
    def data(self, value: ArrayLike) -> None:
        self._data = _as_array(value)
        self._changed_in_place()

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def T(self) -> Tensor:
        return transpose(self)

    @property
    def mT(self) -> Tensor:
        """The transpose of the last two axes (numpy's ``ndarray.mT``)."""
        return swapaxes(self, -1, -2)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (inputs, parameters, constants)."""
        return self._op is None

    @property
    def grad_fn(self) -> Any:
        """The op that made this tensor (None for leaves); ``.name`` says which."""
        return self._op

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    # ----------------------------------------------------------------- conversion
    def _concrete(self, how: str) -> np.ndarray:
        """The values, unless a transform is differentiating this tensor: turned into a number or a plain
        array it would silently lose its derivative (math.sin(x) calls float(x)), so that raises, as in
        JAX. Outside transforms these conversions work, as in PyTorch."""
        if TRACING.active and self._traced():
            raise TracingError(TracingError.concrete(how))
        if self.requires_grad and TRANSFORMS.depth:
            raise ConcretizationError(ConcretizationError.lost(how))
        return self._data

    def _scalar(self, how: str) -> Any:
        data = self._concrete(how)
        if data.size != 1:
            raise ValueError(f"{how} needs a tensor with one element, got shape {self.shape}")
        return data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied); detached from the graph."""
        return self._concrete("numpy()")

    def item(self) -> float | int | bool | complex:
        """The value of a one-element tensor as a Python number."""
        return self._scalar("item()")

    def tolist(self) -> Any:
        return self._concrete("tolist()").tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        data = self._concrete("np.asarray()")
        if dtype is not None and dtype != data.dtype:
            return data.astype(dtype)
        return data.copy() if copy else data

    def __float__(self) -> float: return float(self._scalar("float()"))
    def __int__(self) -> int: return int(self._scalar("int()"))
    def __complex__(self) -> complex: return complex(self._scalar("complex()"))

    def __index__(self) -> int:  # as numpy's: only a 0-d integer tensor is a scalar index
        if self._data.dtype.kind not in "iub" or self._data.ndim:
            raise TypeError(f"only 0-d integer tensors are scalar indices, got {self.shape} {self.dtype}")
        return int(self._scalar("an index"))

    def _traced(self) -> bool: return self.requires_grad or self._op is not None  # does it depend on jit's inputs?

    def __bool__(self) -> bool:
        if TRACING.active and self._traced():
            self._concrete("bool() (an `if`, `while`, `and` or `or` on a tensor)")
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()")
        return bool(self._data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def detach(self) -> Tensor:
        """The same values as a new leaf that does not require grad (the array is shared)."""
        return Tensor._wrap(self._data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place; returns self."""
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("requires_grad can only be turned off on leaves; use .detach()")
        if requires_grad:
            _check_can_require_grad(self._data.dtype)
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
        return astype(self, dtype=np.dtype(dtype))

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    # ----------------------------------------------------------------- in-place changes
    def _changed_in_place(self) -> None:
        """Tick the mutation clock and stamp this tensor with it. Every in-place change, wherever in the
        library (these methods, ``t[...] = v``, ``t.data = ...``, optimizer steps, load_state_dict,
        Module.to, nn.init), ends here: a graph that saved the old values then refuses a stale backward."""
        MUTATIONS.clock += 1
        self._version = MUTATIONS.clock

    def _check_inplace(self) -> None:
        if TRACING.active and self._traced():
            raise TracingError(TracingError.IN_PLACE)
        if self.requires_grad and GRAD_MODE.enabled:
            raise InPlaceError(
                "in-place change of a tensor that requires grad while grad mode is on; "
                "do it inside `with ad.no_grad():` (parameter updates) or use an out-of-place op"
            )

    def _assign(self, value: np.ndarray) -> Tensor:
        self._check_inplace()
        np.copyto(self._data, value, casting="same_kind")
        self._changed_in_place()
        return self

    def __setitem__(self, index: Any, value: ArrayLike) -> None:
        self._check_inplace()
        self._data[unwrap_index(index)] = _as_array(value)
        self._changed_in_place()

    def add_(self, other: ArrayLike, alpha: float = 1.0) -> Tensor:
        """In place: self += alpha * other (bumps the version counter)."""
        self._check_inplace()
        other = other._data if isinstance(other, Tensor) else other
        if alpha == 1:
            self._data += other
        elif alpha == -1:
            self._data -= other
        else:
            self._data += alpha * other
        self._changed_in_place()
        return self

    def sub_(self, other: ArrayLike, alpha: float = 1.0) -> Tensor:
        """In place: self -= alpha * other (bumps the version counter)."""
        return self.add_(other, -alpha)

    def mul_(self, other: ArrayLike) -> Tensor:
        """In place: self *= other (bumps the version counter)."""
        self._check_inplace()
        self._data *= other._data if isinstance(other, Tensor) else other
        self._changed_in_place()
        return self

    def div_(self, other: ArrayLike) -> Tensor:
        """In place: self /= other (bumps the version counter)."""
        self._check_inplace()
        self._data /= other._data if isinstance(other, Tensor) else other
        self._changed_in_place()
        return self

    def copy_(self, source: ArrayLike) -> Tensor:
        """In place: overwrite the values with ``source`` (broadcast to this shape)."""
        return self._assign(_as_array(source))

    def fill_(self, value: float) -> Tensor:
        return self._assign(np.full_like(self._data, value))

    def zero_(self) -> Tensor:
        return self._assign(np.zeros_like(self._data))

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
        body = np.array2string(self._data, separator=", ", prefix="tensor(", threshold=200, edgeitems=3)
        extras = []
        if self._data.dtype not in (np.float64, np.int64, np.bool_):
            extras.append(f"dtype={self._data.dtype}")
        if self._op is not None:
            extras.append(f"grad_fn=<{self._op.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __hash__ = object.__hash__  # tensors are graph nodes: hashed by identity, compared elementwise

    # ----------------------------------------------------------------- operators
    def __add__(self, other): return add(self, other)
    def __radd__(self, other): return add(other, self)
    def __sub__(self, other): return subtract(self, other)
    def __rsub__(self, other): return subtract(other, self)
    def __mul__(self, other): return multiply(self, other)
    def __rmul__(self, other): return multiply(other, self)
    def __truediv__(self, other): return divide(self, other)
    def __rtruediv__(self, other): return divide(other, self)
    def __pow__(self, other): return power(self, other)
    def __rpow__(self, other): return power(other, self)
    def __matmul__(self, other): return matmul(self, other)
    def __rmatmul__(self, other): return matmul(other, self)
    def __neg__(self): return negative(self)
    def __pos__(self): return self
    def __abs__(self): return absolute(self)
    def __getitem__(self, index): return getitem(self, index)
    def __lt__(self, other): return less(self, other)
    def __le__(self, other): return less_equal(self, other)
    def __gt__(self, other): return greater(self, other)
    def __ge__(self, other): return greater_equal(self, other)
    def __eq__(self, other): return equal(self, other)  # type: ignore[override]
    def __ne__(self, other): return not_equal(self, other)  # type: ignore[override]
    def __and__(self, other): return logical_and(self, other)
    def __or__(self, other): return logical_or(self, other)
    def __invert__(self): return logical_not(self)

    # (t.exp(), t.sum(axis=0), t.reshape(2, 3), t.any()... come from the op records: see the end of the file)


_new = Tensor.__new__


def _init(t: Tensor, data: np.ndarray, requires_grad: bool, op: Any, inputs: Any, input_data: Any, params: Any,
          positions: Any, seq: int) -> None:
    """Set every slot of a new tensor: the one place that does (``__init__``, ``_wrap``, ``_record``)."""
    t._data = data
    t.requires_grad = requires_grad
    t.grad = None
    t.name = None
    t._op = op  # the op record that made this tensor (None for leaves)
    t._inputs = inputs  # the op's inputs (Tensors or constants), released by backward
    t._input_data = input_data  # their arrays as the op saw them
    t._params = params  # the op's static parameters (axis=...)
    t._positions = positions  # which inputs require grad
    t._seq = seq  # record number: a node's consumers are recorded after it
    t._pending = None  # the cotangent collected so far during backward
    t._version = 0  # the mutation clock's value at this tensor's last in-place change
    t._stamp = MUTATIONS.clock  # the clock when this tensor was recorded
    t._hooks = None
    t._retains_grad = False


# the ops build on Tensor, so they are imported once it exists (the operators above call them)
from .ops import (  # noqa: E402, I001
    absolute, add, astype, divide, equal, getitem, greater, greater_equal, less, less_equal, logical_and,
    logical_not, logical_or, matmul, multiply, negative, not_equal, power, subtract, swapaxes, transpose,
    unwrap_index,
)
from .ops import record as _records  # noqa: E402
from . import engine as _engine  # noqa: E402

_UFUNC_OPS = _records.ufunc_table()

# Tensor methods named by the op records (t.exp(), t.sum(axis=0), t.reshape(2, 3)...): one per
# record that declares a method, so adding an op with a method is one block in its family's file.
for _method_name, _method in _records.methods().items():
    setattr(Tensor, _method_name, _method)
