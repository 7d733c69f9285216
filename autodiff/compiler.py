"""ad.jit: record a function once per kind of argument, then replay it as straight-line numpy.

``ad.jit(f)`` calls f the first time on *traced* tensors: every op records itself (the trace is the
Wengert list ``ad.explain`` shows), transforms inside f (``ad.grad``, ``ad.hessian``...) record their
backward passes as more ops, and the recorded ops become one generated Python function, a flat
sequence of numpy calls, compiled once. Later calls with arguments of the same structure, shapes and
dtypes run that function alone: no Tensors, no graph, no dispatch. See ``jit`` for the rules.

Every identifier in the generated source is made here (never a user's string); ``program(*args)``
shows it.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .codegen import Program, generate, guard_for
from .errors import TracingError
from .grad_mode import GRAD_MODE, TRACING, TRANSFORMS, enable_grad
from .pytree import flatten, unflatten
from .tensor import Tensor
from .trace import nodes_before

_FLOATING = (float, complex, np.floating, np.complexfloating)


class CacheInfo(NamedTuple):
    """How the cache of a jitted function has been used (like ``functools.lru_cache``'s)."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


@dataclass(frozen=True)
class _Leaf:
    """How an argument leaf enters the program: traced (an array of this shape and dtype) or static."""

    traced: bool
    shape: tuple[int, ...] = ()
    dtype: str = ""
    value: Any = None  # static leaves: the value itself (part of the cache key)


class _Entry:
    """One traced signature: the compiled program (it returns f's results in f's structure)."""

    def __init__(self, program: Program, by_value: dict[int, np.ndarray]) -> None:
        self.program = program
        self.by_value = by_value  # traced integer inputs that f used as indices: their values at trace time


class Jitted:
    """A jitted function: call it like f; ``program(*args)`` shows the generated code, ``cache_info()``
    and ``clear_cache()`` manage the traces."""

    def __init__(self, f: Callable[..., Any], static_argnums: Sequence[int], maxsize: int) -> None:
        self.f = f
        self.static_argnums = frozenset(static_argnums)
        self.maxsize = maxsize
        self._cache: collections.OrderedDict[Any, list[_Entry]] = collections.OrderedDict()
        self._hits = self._misses = 0
        self._last: tuple | None = None  # the last signature called, its entry and its guard (checked first)
        functools.update_wrapper(self, f)

    # ----------------------------------------------------------------- calling
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if TRACING.active or TRANSFORMS.depth:  # inside another trace (jit in jit, jit inside grad):
            return self.f(*args, **kwargs)      # f's ops join the enclosing recording
        last = self._last
        if last is not None and last[2] is not None and not kwargs:  # the fast path: the last call's kind
            arrays = last[2](args, GRAD_MODE.enabled)
            if arrays is not None:
                self._hits += 1
                return last[1].program.run(arrays)
        signature = self._signature(args, kwargs)
        if signature is None:  # Tensors to differentiate through: run f, recorded as usual
            return self.f(*args, **kwargs)
        key, arrays = signature
        entry = self._lookup(key, arrays)
        if entry is None:
            self._misses += 1
            entry = self._trace(key, args, kwargs)
        else:
            self._hits += 1
        guard = None if entry.by_value or kwargs or self.static_argnums else guard_for(key[0], key[1], len(args))
        self._last = (key, entry, guard)
        return entry.program.run(arrays)

    def _signature(self, args: Sequence[Any], kwargs: dict) -> tuple[Any, list[np.ndarray]] | None:
        """(the cache key, the traced arrays), or None when an argument is a Tensor that requires grad."""
        static_nums = self.static_argnums
        dynamic = [a for i, a in enumerate(args) if i not in static_nums] if static_nums else list(args)
        static = tuple((i, _hashable(args[i], i)) for i in sorted(static_nums) if i < len(args))
        leaves, tree = flatten((dynamic, kwargs) if kwargs else dynamic)
        described, arrays = [], []
        grad_mode = GRAD_MODE.enabled
        for leaf in leaves:
            if grad_mode and isinstance(leaf, Tensor) and leaf.requires_grad:
                return None
            kind, array = _describe(leaf)
            described.append(kind)
            if array is not None:
                arrays.append(array)
        return (tree, tuple(described), static, len(args)), arrays

    def _lookup(self, key: Any, arrays: list[np.ndarray]) -> _Entry | None:
        entries = self._cache.get(key)
        if entries is None:
            return None
        self._cache.move_to_end(key)
        for entry in entries:
            if all(np.array_equal(arrays[i], value) for i, value in entry.by_value.items()):
                return entry
        return None

    # ----------------------------------------------------------------- tracing
    def _trace(self, key: Any, args: Sequence[Any], kwargs: dict) -> _Entry:
        dynamic_positions = [i for i in range(len(args)) if i not in self.static_argnums]
        dynamic = [args[i] for i in dynamic_positions]
        leaves, tree = flatten((dynamic, kwargs) if kwargs else dynamic)
        tracers, inputs = [], []
        for leaf in leaves:
            kind, array = _describe(leaf)
            if array is None:
                tracers.append(leaf)
                continue
            tracer = _tracer(array)
            tracers.append(tracer)
            inputs.append(tracer)
        traced_args, traced_kwargs = unflatten(tree, tracers) if kwargs else (unflatten(tree, tracers), {})
        call_args = list(args)
        for i, value in zip(dynamic_positions, traced_args, strict=True):
            call_args[i] = value
        previous = TRACING.active
        TRACING.active = True
        try:
            with enable_grad():
                result = self.f(*call_args, **traced_kwargs)
        finally:
            TRACING.active = previous
        out_leaves, output_tree = flatten(result)
        tensors = [x for x in out_leaves if isinstance(x, Tensor)]
        nodes, others = nodes_before(tensors, stop=inputs)
        input_ids = {id(x) for x in inputs}
        for leaf in others:
            if id(leaf) not in input_ids and leaf.requires_grad:
                raise TracingError(
                    "the jitted function uses a Tensor that requires grad without receiving it as an argument "
                    f"(shape {leaf.shape}); jit would freeze its current value. Pass it as an argument "
                    "(for a model: nn.functional_call(model, params, x) with params an argument)")
        program = generate(inputs, nodes, out_leaves, output_tree)
        entry = _Entry(program, _indices_used(inputs, nodes))
        self._cache.setdefault(key, []).append(entry)
        self._cache.move_to_end(key)
        while sum(len(v) for v in self._cache.values()) > self.maxsize:
            oldest = next(iter(self._cache))
            self._cache[oldest].pop(0)
            if not self._cache[oldest]:
                del self._cache[oldest]
        return entry

    # ----------------------------------------------------------------- inspection
    def program(self, *args: Any, **kwargs: Any) -> str:
        """The generated program for these arguments, as Python source (traced now if it is not yet)."""
        signature = self._signature(args, kwargs)
        if signature is None:
            raise TracingError("jit.program: the arguments include Tensors that require grad; pass arrays")
        key, arrays = signature
        entry = self._lookup(key, arrays) or self._trace(key, args, kwargs)
        return entry.program.source

    def cache_info(self) -> CacheInfo:
        return CacheInfo(self._hits, self._misses, self.maxsize, sum(len(v) for v in self._cache.values()))

    def clear_cache(self) -> None:
        self._cache.clear()
        self._hits = self._misses = 0
        self._last = None

    def __repr__(self) -> str:
        return f"<jit of {getattr(self.f, '__qualname__', self.f)!r}>"


def _hashable(value: Any, position: int) -> Any:
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"jit: static argument {position} must be hashable (it is part of the cache key), "
                        f"got a {type(value).__name__}") from None
    return (type(value).__name__, value)


def _describe(leaf: Any) -> tuple[Any, np.ndarray | None]:
    """(the leaf's part of the cache key, its array if it is traced)."""
    kind = type(leaf)
    if kind is np.ndarray or kind is Tensor:  # the common cases first
        array = leaf if kind is np.ndarray else leaf._data
        if array.dtype.kind in "fc":
            return (array.shape, array.dtype), array
    if isinstance(leaf, Tensor):
        array = leaf._data
    elif isinstance(leaf, np.ndarray):
        array = leaf
    elif isinstance(leaf, _FLOATING) and not isinstance(leaf, bool):
        array = np.asarray(leaf)
    else:  # ints, bools, strings, None, objects: static, by value
        return ("static", type(leaf).__name__, _hashable(leaf, -1)), None
    if array.dtype.kind not in "biufc":
        return ("static-array", id(array)), None
    return (array.shape, array.dtype), array


def _tracer(array: np.ndarray) -> Tensor:
    """A traced argument: floats require grad (so transforms inside f record their backward passes);
    integers and booleans are nodes of the op "argument", so the ops that read them are recorded too."""
    if np.issubdtype(array.dtype, np.inexact):
        return Tensor(array, requires_grad=True)
    node = Tensor._record(array, _ARGUMENT, (), (), {}, ())
    node.requires_grad = False
    return node


def _indices_used(inputs: list[Tensor], nodes: list[Tensor]) -> dict[int, np.ndarray]:
    """Traced integer arguments that ended up inside an op's static parameters (``x[labels]``): the
    program holds their trace-time values, so later calls reuse it only for equal values."""
    arrays = {id(x._data): i for i, x in enumerate(inputs) if not np.issubdtype(x.dtype, np.inexact)}
    if not arrays:
        return {}
    found: dict[int, np.ndarray] = {}
    stack = [value for node in nodes for value in node._params.values()]
    while stack:
        value = stack.pop()
        if isinstance(value, (tuple, list)):
            stack.extend(value)
        elif isinstance(value, np.ndarray) and id(value) in arrays:
            found[arrays[id(value)]] = value.copy()
    return found


class _Argument:
    """The op of a traced integer argument (it has no inputs and is never differentiated)."""

    name = "argument"
    forward = staticmethod(lambda: None)
    vjps = ()
    jet = None
    differentiable = False


_ARGUMENT = _Argument()


def jit(f: Callable[..., Any], static_argnums: int | Sequence[int] = (), maxsize: int = 64) -> Jitted:
    """Compile ``f`` into a flat numpy program, traced once per signature and replayed after.

    The signature of a call is the structure of its arguments (tuples, lists, dicts), each array's
    shape and dtype, and the values of the static arguments (``static_argnums``, and every Python int,
    bool, string or None among the arguments). Floating-point arguments (numbers, arrays, Tensors) are
    traced. Like JAX's ``jit``:

    * Python control flow that depends on a traced value (``if x > 0:``, ``float(x)``) raises
      ``TracingError``; use ``ad.where``, or make the argument static.
    * Side effects (printing, appending to a list) happen once, while tracing.
    * Tensors that f closes over are constants of the program; one that requires grad is refused
      (pass it as an argument). A changed shape or dtype traces again; the cache keeps ``maxsize``
      programs (``cache_info()``).

    It composes with the transforms: ``ad.jit(ad.grad(f))`` and ``ad.jit(ad.value_and_grad(f))`` trace
    the backward pass too, ``ad.jit(ad.hessian(f))`` the double one. Results equal the eager ones
    bitwise: the program makes the same numpy calls in the same order. Called inside another
    transform, or on Tensors that require grad, the jitted function simply runs f.

    >>> import autodiff as ad
    >>> f = ad.jit(ad.value_and_grad(lambda x: (ad.tanh(x) ** 2).sum()))
    >>> value, slope = f(ad.tensor([0.5, -1.0]))
    >>> round(float(value), 6), f.cache_info().misses
    (0.793578, 1)
    >>> print(f.program(ad.tensor([0.5, -1.0])).splitlines()[1].strip())
    v2 = tanh(a0)
    """
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    if not callable(f):
        raise TypeError(f"jit: expected a function, got {type(f).__name__}")
    if maxsize < 1:
        raise ValueError(f"jit: maxsize must be at least 1, got {maxsize}")
    return Jitted(f, nums, maxsize)
