"""The op records: one per op, the single source of everything the library knows about it.

An op is defined once, in its family's file, by one call::

    tanh = primitive(
        "tanh", np.tanh, lambda g, out, x: g * (1.0 - out * out),  # d tanh = 1 - tanh²
        partials=("1 - out**2",), jet=..., method=True, formula_names=("tanh",),
        doc="Elementwise tanh x.",
    )

The record (an ``Op``) holds what the engine runs (the numpy forward and one VJP per input), what
explanations print (the forward as a formula and each input's local partial or VJP rule, written as
small Python expressions of the op's input names, ``out`` for its output and ``g`` for the output's
cotangent), its Taylor-mode rule, and its aliases: the Tensor method, the numpy ufuncs that run as
it (a ufunc forward is its own alias), and its names in command-line formulas. Everything else that
lists ops (``autodiff.ops.__all__``, ``ad.<name>``, Tensor methods, ``Tensor.__array_ufunc__``, the
formula whitelist, the test registry's completeness check) is derived from ``PUBLIC``, the table of
public names this module fills.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import series
from .core import NonDifferentiable, VariadicVJP, make_function

VJP = Callable[..., Any]


@dataclass(eq=False, slots=True)
class Op:
    """One op's record.

    ``name``, ``forward`` and ``vjps`` are what the engine runs: ``vjps[i](g, out, *inputs, **params)``
    is the cotangent of input i. The rest describe the op for people and for the Taylor-mode and
    tracing machinery:

    * ``inputs``: the names the rules give the op's inputs (``("x", "y")``);
    * ``formula``: the forward as a Python/numpy expression of those names and the static
      parameters (``"x * y"``, ``"np.sum(x, axis=axis)"``);
    * ``partials``: for elementwise ops, ∂out/∂input per input as such an expression (``out`` is the
      output), so that the VJP is ``g * partial``; ``vjp_rules``: for the others, the VJP per input,
      written with ``g`` (the output's cotangent);
    * ``tangent``: the JVP with ``dx``, ``dy``... for the inputs' tangents, where it cannot be derived
      (elementwise ops: Σ partial·dx; linear ops: the formula applied to the tangents);
    * ``linear``: the op is linear in its inputs, so its jet acts on each Taylor coefficient alone;
    * ``jet``: the Taylor-mode rule ``jet(node, *input_jets, **params) -> jet`` (see ``autodiff.jets``),
      or None with ``no_jet`` saying why there is none;
    * ``replay``: where the forward is a thin wrapper, the same computation as one Python expression on
      ndarrays, which ``ad.jit`` writes into its programs instead of calling the wrapper (tested equal);
      or a function of the traced node giving that expression (or "" where it does not apply), for
      forwards whose expression depends on the shapes a trace fixes.
    """

    name: str
    forward: Callable[..., Any]
    vjps: Any  # a tuple (one per input), a VariadicVJP, or NonDifferentiable
    inputs: tuple[str, ...] = ("x",)
    formula: str = ""
    partials: tuple[str, ...] | None = None
    vjp_rules: tuple[str, ...] | None = None
    tangent: str | None = None
    linear: bool = False
    jet: Callable[..., Any] | None = None
    no_jet: str = ""
    differentiable: bool = True
    replay: str | Callable[[Any], str] = ""

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    @property
    def variadic(self) -> bool:
        """Whether the op takes any number of inputs (concatenate, stack, einsum)."""
        return isinstance(self.vjps, VariadicVJP)

    @property
    def elementwise(self) -> bool:
        """Whether each input's VJP is the cotangent times a local partial (``partials`` given)."""
        return self.partials is not None

    def rule(self, i: int) -> str:
        """Input i's derivative rule as written in the record (a partial, or a VJP with ``g``)."""
        rules = self.partials if self.partials is not None else self.vjp_rules
        if rules is None:
            return ""
        return rules[i] if i < len(rules) else rules[-1]  # variadic ops give one rule for all inputs


@dataclass(eq=False)
class Public:
    """A public name of the library's ops: its function and the aliases derived from it.

    ``op`` is the record of the primitive the function runs (None for public functions composed of
    several primitives, such as ``dot`` or ``norm``); ``method`` is the Tensor method's name or None,
    and ``method_function`` what the method calls (the function itself unless the method takes its
    arguments differently, as ``t.reshape(2, 3)`` does).
    """

    name: str
    function: Callable[..., Any]
    op: Op | None = None
    aliases: tuple[str, ...] = ()
    method: str | None = None
    method_function: Callable[..., Any] | None = None
    ufuncs: tuple[str, ...] = ()
    formula_names: tuple[str, ...] = ()
    arity: int = 1
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.names = (self.name, *self.aliases)
        if self.method_function is None:
            self.method_function = self.function


OPS: dict[str, Op] = {}         # every primitive of the library, by name (internal ones included)
PUBLIC: dict[str, Public] = {}  # every public op name (aliases included) -> its entry
_ORIGINS: dict[str, tuple[str, int]] = {}  # op name -> where it was defined (file, line)


def _definition_site() -> tuple[str, int]:
    """The file and line of the ``primitive(...)`` call (the caller of this module's functions)."""
    frame = sys._getframe(1)
    while frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno


def _register_op(op: Op) -> None:
    """Names are unique; a module loaded a second time (pytest's doctest collection of a single file
    does that) defines its ops again at the same place, which replaces them."""
    site = _definition_site()
    if op.name in OPS and _ORIGINS[op.name] != site:
        raise ValueError(f"two ops are named {op.name!r} ({_ORIGINS[op.name][0]} and {site[0]})")
    OPS[op.name] = op
    _ORIGINS[op.name] = site


def _register_public(entry: Public) -> None:
    for name in entry.names:
        if name in PUBLIC and _code_site(PUBLIC[name]) != _code_site(entry):
            raise ValueError(f"two public ops are named {name!r}")
        PUBLIC[name] = entry


def _code_site(entry: Public) -> tuple[str, ...]:
    """What identifies a public name's definition across a second load of its module."""
    if entry.op is not None:
        return ("op", entry.op.name)
    code = getattr(entry.function, "__code__", None)
    return ("function", code.co_filename, str(code.co_firstlineno)) if code else ("object", str(id(entry.function)))


@functools.cache
def static_defaults(forward: Callable[..., Any], count: int) -> dict[str, Any]:
    """The default values of an op's static parameters (the forward's parameters after its ``count``
    inputs): what a rule text or a replay expression uses where a call left them out."""
    try:
        parameters = list(inspect.signature(forward).parameters.values())[count:]
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def _input_names(forward: Callable[..., Any], count: int) -> tuple[str, ...]:
    numpy_own = isinstance(forward, np.ufunc) or (getattr(forward, "__module__", None) or "").startswith("numpy")
    try:  # numpy's functions (x1, x2; a) and builtins are named x, y, z as the rules write them
        names = [] if numpy_own else list(inspect.signature(forward).parameters)[:count]
    except (TypeError, ValueError):
        names = []
    if len(names) == count and all(n.isidentifier() and not n.startswith("_") for n in names):
        return tuple(names)
    return ("x", "y", "z")[:count] if count <= 3 else tuple(f"x{i}" for i in range(count))


def _ufunc_names(forward: Callable[..., Any], ufuncs: Sequence[str]) -> tuple[str, ...]:
    """A ufunc forward is its own alias (``np.exp(t)`` runs the op ``exp``); more may be named."""
    own = (forward.__name__,) if isinstance(forward, np.ufunc) else ()
    return tuple(dict.fromkeys((*own, *ufuncs)))


def primitive(name: str, forward: Callable[..., Any], *vjps: VJP | None, variadic: VJP | None = None,
              inputs: Sequence[str] | None = None, formula: str = "", partials: Sequence[str] | None = None,
              vjp_rules: Sequence[str] | None = None, tangent: str | None = None, linear: bool = False,
              jet: Callable[..., Any] | None = None, no_jet: str = "", replay: str | Callable[[Any], str] = "",
              public: bool = True,
              aliases: Sequence[str] = (), method: bool | str = False,
              method_adapter: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
              ufuncs: Sequence[str] = (), formula_names: Sequence[str] = (),
              doc: str | None = None) -> Callable[..., Any]:
    """Record an op and return its function (``.op`` is the record).

    The forward's first ``len(vjps)`` parameters are the op's inputs; the rest are static parameters
    (``axis``, ``shape``...), given by position or keyword, which reach the VJPs as keywords. A VJP
    given as None raises when used (the input is not differentiable, e.g. ``where``'s condition).
    ``public=False`` keeps the op out of the public names (internal ops, or ops wrapped by a public
    function declared with ``public_op``). ``method=True`` makes ``t.<name>(...)`` call the function
    (a string names the method differently); ``method_adapter(function)`` makes the method where it
    takes its arguments differently (``t.reshape(2, 3)``).
    """
    count = len(vjps)
    op = Op(name, forward, VariadicVJP(name, variadic) if variadic is not None else NonDifferentiable.fill(name, vjps),
            inputs=tuple(inputs) if inputs is not None else _input_names(forward, count or 1),
            formula=formula, partials=tuple(partials) if partials is not None else None,
            vjp_rules=tuple(vjp_rules) if vjp_rules is not None else None, tangent=tangent, linear=linear,
            jet=series.linear if jet is None and linear else jet, no_jet=no_jet, replay=replay)
    _register_op(op)
    function = make_function(op, count, variadic is not None)
    function.__doc__ = doc
    if public:
        _publish(name, function, op, aliases, method, method_adapter, ufuncs, formula_names, count or 1)
    return function


def nondifferentiable(name: str, function: Callable[..., Any], doc: str | None = None, inputs: int = 1,
                      formula: str = "", method: bool | str = False, ufuncs: Sequence[str] = (),
                      public: bool = True) -> Callable[..., Any]:
    """Record an op whose result never requires grad (comparisons, sign, argmax): its derivative is
    zero where it exists. It is still an op, so traces (``ad.jit``, ``ad.explain``) record it."""
    op = Op(name, function, NonDifferentiable(name), inputs=_input_names(function, inputs), formula=formula,
            no_jet="its value is piecewise constant (no derivative to carry)", differentiable=False)
    _register_op(op)
    public_function = make_function(op, 0, False)
    public_function.__doc__ = doc
    if public:
        _publish(name, public_function, op, (), method, None, ufuncs, (), inputs)
    return public_function


def public_op(op: Callable[..., Any] | None = None, *, aliases: Sequence[str] = (), method: bool | str = False,
              method_adapter: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
              formula_names: Sequence[str] = (), arity: int = 1) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a public function that wraps a primitive (``op``, recorded with ``public=False``) or
    composes several (``op=None``): ``@public_op(_gather)`` above ``def getitem(x, index)``."""
    record = getattr(op, "op", None)

    def declare(function: Callable[..., Any]) -> Callable[..., Any]:
        if record is not None:
            function.op = record  # type: ignore[attr-defined]
        _publish(function.__name__, function, record, aliases, method, method_adapter, (), formula_names, arity)
        return function

    return declare


def _publish(name: str, function: Callable[..., Any], op: Op | None, aliases: Sequence[str], method: bool | str,
             method_adapter: Callable[[Callable[..., Any]], Callable[..., Any]] | None, ufuncs: Sequence[str],
             formula_names: Sequence[str], arity: int) -> None:
    method_name = name if method is True or (method_adapter and not method) else (method or None)
    _register_public(Public(
        name, function, op, tuple(aliases), method_name, method_adapter(function) if method_adapter else None,
        _ufunc_names(op.forward, ufuncs) if op is not None else tuple(ufuncs), tuple(formula_names), arity))


def public_names() -> list[str]:
    """Every public op name, in the order the ops were defined."""
    return list(PUBLIC)


def ufunc_table() -> dict[str, Callable[..., Any]]:
    """numpy ufunc name -> the function that runs it on Tensors (``Tensor.__array_ufunc__``)."""
    return {ufunc: entry.function for entry in PUBLIC.values() for ufunc in entry.ufuncs}


def formula_table() -> dict[str, tuple[Callable[..., Any], int]]:
    """Name in a command-line formula -> (function, number of arguments)."""
    return {alias: (entry.function, entry.arity) for entry in PUBLIC.values() for alias in entry.formula_names}


def methods() -> dict[str, Callable[..., Any]]:
    """Tensor method name -> what it calls, for every op that has a method."""
    return {entry.method: entry.method_function for entry in dict.fromkeys(PUBLIC.values()) if entry.method}
