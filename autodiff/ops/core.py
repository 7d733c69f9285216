"""How an op is defined: a numpy forward and one VJP per differentiable input, side by side.

An op called on plain arrays (or numbers) runs its numpy forward and returns a plain array: no
Tensor, no recording. Called with Tensors, it returns a Tensor and, when something requires grad
and grad mode is on, records itself as that tensor's node.

Every VJP has the flat signature ``vjp(g, out, *inputs, **params)``: the cotangent of the output,
the output, the op's inputs and its static parameters. During a plain backward these are numpy
arrays, so a VJP costs what hand-written numpy costs; under ``create_graph=True`` they are
Tensors, so the same formula is recorded and can be differentiated again.

VJPs must also accept ``g`` with extra *leading* batch axes (``g.ndim - out.ndim`` of them): that is
how vectorised Jacobians push many cotangents through one backward pass. Writing axes as negative
numbers and relying on broadcasting is usually all it takes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import AnomalyError, ShapeError
from ..grad_mode import ANOMALY, GRAD_MODE, TRACING
from ..tensor import Tensor

if TYPE_CHECKING:
    from .record import Op

VJP = Callable[..., Any]
_record = Tensor._record  # bound once: these two make every op's output
_wrap = Tensor._wrap


class VariadicVJP:
    """VJPs for ops with any number of inputs (concatenate, stack, einsum): ``vjp(i, g, out, *xs)``."""

    __slots__ = ("name", "vjp")

    def __init__(self, name: str, vjp: Callable[..., Any]) -> None:
        self.name = name
        self.vjp = vjp

    def __getitem__(self, i: int) -> VJP:
        vjp = self.vjp
        return lambda g, out, *inputs, **params: vjp(i, g, out, *inputs, **params)


class NonDifferentiable:
    """The VJP of an input that has none: it raises when used (so backward needs no check)."""

    __slots__ = ("name", "i")

    def __init__(self, name: str, i: int = 0) -> None:
        self.name = name
        self.i = i

    def __getitem__(self, i: int) -> NonDifferentiable:  # a nondifferentiable op: every input alike
        return NonDifferentiable(self.name, i)

    def __call__(self, *args: Any, **params: Any) -> Any:
        raise RuntimeError(f"{self.name!r} is not differentiable with respect to its input {self.i}")

    @staticmethod
    def fill(name: str, vjps: Sequence[VJP | None]) -> tuple[VJP, ...]:
        return tuple(NonDifferentiable(name, i) if vjp is None else vjp for i, vjp in enumerate(vjps))


def make_function(op: Any, count: int, variadic: bool) -> Callable[..., Any]:
    """The public function of an op record: plain arrays in, plain array out; Tensors in, a Tensor
    out (recorded when something requires grad). Ops with one or two inputs get a specialised
    function: this is the hot path of every model. ``count`` 0 means a nondifferentiable op."""
    if variadic:
        def function(*args: Any, **params: Any) -> Any:
            return apply(op, args, params)
    elif count == 0:
        function = _nondifferentiable(op)
    else:
        names = _static_parameters(op.forward, count)
        if count == 1:
            function = _unary(op, names)
        elif count == 2:
            function = _binary(op, names)
        else:
            function = _nary(op, count, names)
    function.__name__ = function.__qualname__ = op.name
    function.op = op  # type: ignore[attr-defined]
    return function


def _static_parameters(forward: Callable[..., Any], inputs: int) -> list[str]:
    if isinstance(forward, np.ufunc):  # a ufunc's keywords (out=, where=...) are not op parameters
        return []
    try:
        return list(inspect.signature(forward).parameters)[inputs:]
    except (TypeError, ValueError):  # builtins without a Python signature have no static parameters
        return []


def _bind(op: Op, names: list[str], static: tuple, params: dict) -> None:
    """Static parameters given by position join those given by keyword."""
    if len(static) > len(names):
        raise TypeError(f"{op.name}() got {len(static)} extra positional arguments; it takes {names}")
    params.update(zip(names, static))


def dtype_of(x: Any) -> np.dtype:
    """x's dtype (via np.asarray for Python numbers and lists, which is slower)."""
    dtype = getattr(x, "dtype", None)
    return dtype if isinstance(dtype, np.dtype) else np.asarray(x).dtype


_SEQUENCES = (list, tuple)


def _constant(value: Any) -> Any:
    """A constant operand as VJPs see it: nested lists become arrays (numbers stay weakly typed)."""
    return np.asarray(value) if type(value) in _SEQUENCES else value


_NO_PARAMS: dict = {}  # shared by every node of an op without static parameters; never mutated


_FIRST, _SECOND, _BOTH = (0,), (1,), (0, 1)  # which inputs of a node need a cotangent


def _unary(op: Op, names: list[str]) -> Callable[..., Any]:
    forward = op.forward

    def run(x: Any, *, _params: dict = _NO_PARAMS) -> Any:
        if not isinstance(x, Tensor):
            return forward(x, **_params)
        x_data = x._data
        try:
            out = forward(x_data, **_params) if _params else forward(x_data)
        except (ValueError, TypeError) as error:
            raise _shape_error(op, [x_data], error) from error
        if ANOMALY.enabled:
            check_finite(out, f"forward of {op.name!r}")
        if x.requires_grad and GRAD_MODE.enabled:
            return _record(out, op, (x,), (x_data,), _params, _FIRST)
        return _wrap(out) if not TRACING.active else _trace(out, op, (x,), (x_data,), _params)

    return run if not names else _with_static(op, names, run)


def _binary(op: Op, names: list[str]) -> Callable[..., Any]:
    forward = op.forward

    def run(x: Any, y: Any, *, _params: dict = _NO_PARAMS) -> Any:
        x_tensor = isinstance(x, Tensor)
        y_tensor = isinstance(y, Tensor)
        if not (x_tensor or y_tensor):
            return forward(x, y, **_params)
        x_data = x._data if x_tensor else (np.asarray(x) if type(x) in _SEQUENCES else x)
        y_data = y._data if y_tensor else (np.asarray(y) if type(y) in _SEQUENCES else y)
        try:
            out = forward(x_data, y_data, **_params) if _params else forward(x_data, y_data)
        except (ValueError, TypeError) as error:
            raise _shape_error(op, [x_data, y_data], error) from error
        if ANOMALY.enabled:
            check_finite(out, f"forward of {op.name!r}")
        x_grad = x_tensor and x.requires_grad
        y_grad = y_tensor and y.requires_grad
        if (x_grad or y_grad) and GRAD_MODE.enabled:
            positions = _BOTH if x_grad and y_grad else _FIRST if x_grad else _SECOND
            return _record(out, op, (x if x_tensor else x_data, y if y_tensor else y_data),
                           (x_data, y_data), _params, positions)
        if TRACING.active:
            return _trace(out, op, (x if x_tensor else x_data, y if y_tensor else y_data), (x_data, y_data), _params)
        return _wrap(out)

    return run if not names else _with_static(op, names, run)


def _with_static(op: Op, names: list[str], run: Callable[..., Any]) -> Callable[..., Any]:
    """The public function of an op with static parameters (given by position or keyword)."""

    count = len(op.vjps)

    def function(*args: Any, **params: Any) -> Any:
        if len(args) > count:
            _bind(op, names, args[count:], params)
            args = args[:count]
        return run(*args, _params=params or _NO_PARAMS)

    return function


def _nary(op: Op, count: int, names: list[str]) -> Callable[..., Any]:
    def function(*args: Any, **params: Any) -> Any:
        if len(args) > count:
            _bind(op, names, args[count:], params)
            args = args[:count]
        return apply(op, args, params)

    return function


def apply(op: Op, args: tuple, params: dict) -> Any:
    """Run ``op`` on ``args``: plain arrays in, plain array out; Tensors in, a (recorded) Tensor out."""
    datas = []
    found = False
    recording = False
    for a in args:
        if isinstance(a, Tensor):
            found = True
            datas.append(a._data)
            recording = recording or a.requires_grad
        else:
            datas.append(_constant(a))
    if not found:
        return op.forward(*args, **params)
    try:
        out = op.forward(*datas, **params)
    except (ValueError, TypeError) as error:
        raise _shape_error(op, datas, error) from error
    if ANOMALY.enabled:
        check_finite(out, f"forward of {op.name!r}")
    if recording and GRAD_MODE.enabled:
        inputs = tuple(a if isinstance(a, Tensor) else d for a, d in zip(args, datas))
        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad)
        return _record(out, op, inputs, datas, params, positions)
    if TRACING.active:
        return _trace(out, op, tuple(a if isinstance(a, Tensor) else d for a, d in zip(args, datas)), datas, params)
    return _wrap(out)


def _trace(out: Any, op: Op, inputs: tuple, datas: Any, params: dict) -> Tensor:
    """Under ``ad.jit``'s tracing: an op on traced tensors that records no gradient (nothing requires
    grad, grad mode is off, or the op has no derivative) is still a node, so the program recomputes it."""
    if not any(isinstance(a, Tensor) and (a.requires_grad or a._op is not None) for a in inputs):
        return _wrap(out)
    node = _record(out, op, inputs, tuple(datas), params, ())
    node.requires_grad = False
    return node


def _shape_error(op: Op, datas: list, error: Exception) -> Exception:
    """numpy's error from a forward, restated with the op (and the shapes it was given)."""
    if isinstance(error, TypeError):  # a bad static parameter (axis=1.5) or operand type
        return TypeError(f"{op.name}: {error}")
    if isinstance(error, ShapeError):
        return error
    shapes = " and ".join(str(np.shape(d)) for d in datas)
    if isinstance(error, np.linalg.LinAlgError):  # the values, not the shapes: keep numpy's type
        return np.linalg.LinAlgError(f"{op.name}: {error} (inputs of shapes {shapes})")
    return ShapeError(f"{op.name}: inputs of shapes {shapes} do not fit: {error}")


def check_finite(value: Any, where: str) -> None:
    array = np.asarray(value._data if isinstance(value, Tensor) else value)
    if np.issubdtype(array.dtype, np.inexact) and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise AnomalyError(f"{where} produced non-finite values ({bad} of {array.size} entries are nan or inf)")


def data_of(x: Any) -> Any:
    """The array behind a Tensor, or x itself."""
    return x._data if isinstance(x, Tensor) else x


def unwrap_index(index: Any) -> Any:
    """An index with Tensors replaced by their arrays (index tensors are never differentiated)."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list) and any(isinstance(i, Tensor) for i in index):
        return [data_of(i) for i in index]
    return index


def unbroadcast(g: Any, shape: tuple[int, ...], batch_ndim: int = 0) -> Any:
    """Reduce a cotangent to ``batch + shape``: sum the axes that broadcasting added or stretched.

    The first ``batch_ndim`` axes of ``g`` are a batch of cotangents (vectorised Jacobians) and are
    kept. The gradient of a broadcast is the sum over the broadcast axes. Works on arrays and
    Tensors alike (it only uses their ``.sum`` method).
    """
    extra = g.ndim - batch_ndim - len(shape)
    if extra < 0:  # a VJP that returned a cotangent without the broadcast axes (rare): expand
        return broadcast_like(g, g.shape[:batch_ndim] + shape)
    if extra:
        g = g.sum(axis=tuple(range(batch_ndim, batch_ndim + extra)))
    g_shape = g.shape
    stretched = tuple(batch_ndim + i for i, n in enumerate(shape) if n == 1 and g_shape[batch_ndim + i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    if g.shape[batch_ndim:] != shape:  # an axis of size 1 in g where shape has n
        g = broadcast_like(g, g.shape[:batch_ndim] + shape)
    return g


def broadcast_like(g: Any, shape: tuple[int, ...]) -> Any:
    from .shape import broadcast_to  # shape.py builds on this module

    return broadcast_to(g, shape)


def normalize_axes(axis: int | Sequence[int] | None, ndim: int, op: str) -> tuple[int, ...]:
    """Axes as a sorted tuple of *negative* numbers (so VJPs work with leading batch axes)."""
    if axis is None:
        return tuple(range(-ndim, 0))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ShapeError(f"{op}: axis {a} is out of range for an input with {ndim} dimensions")
        result.append(int(a) - ndim if a >= 0 else int(a))
    if len(set(result)) != len(result):
        raise ShapeError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(result))


def batch_ndim(g: Any, out: Any) -> int:
    """How many leading batch axes the cotangent carries (0 outside vectorised Jacobians)."""
    return g.ndim - out.ndim


def _nondifferentiable(op: Any) -> Callable[..., Any]:
    """An op whose result never requires grad: Tensors in give a constant Tensor out."""
    forward = op.forward

    def run(*args: Any, **params: Any) -> Any:
        if any(isinstance(a, Tensor) for a in args):
            datas = [a._data if isinstance(a, Tensor) else a for a in args]
            out = forward(*datas, **params)
            return _wrap(out) if not TRACING.active else _trace(out, op, args, datas, params)
        return forward(*args, **params)

    return run
