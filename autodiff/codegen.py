"""The program ``ad.jit`` replays: a trace written out as one Python function of numpy calls.

Each recorded node becomes one line, ``v7 = multiply(v5, a1)``, calling its op's own numpy forward
with the arguments and static parameters the node recorded, so a replay makes exactly the numpy
calls the eager run made. Arguments are ``a0, a1, ...``, constants the trace captured ``c0, c1, ...``;
a large intermediate is deleted right after its last use, so memory is freed as the eager backward
frees it. Every identifier is generated here; only values (never text) come from the user.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .formula import names_in, render
from .ops.record import static_defaults
from .tensor import Tensor

FREE_AFTER = 4096  # entries: intermediates at least this large are deleted after their last use


class Program:
    """A compiled trace: ``run(arrays)`` gives f's results; ``source`` is its Python text."""

    def __init__(self, source: str, namespace: dict[str, Any]) -> None:
        self.source = source
        code = compile(source, "<autodiff.jit program>", "exec")
        exec(code, namespace)  # our generated text: identifiers made by _Writer, values in the namespace
        self._function = namespace["program"]

    def run(self, arrays: Sequence[np.ndarray]) -> Any:
        return self._function(*arrays)


def _literal(value: Any) -> str | None:
    """Python source for a simple static value (ints, finite floats, strings, tuples of them), or None."""
    if value is None or isinstance(value, (bool, int, str)) and type(value) in (bool, int, str):
        return repr(value)
    if type(value) is float and math.isfinite(value):
        return repr(value)
    if type(value) is tuple:
        parts = [_literal(v) for v in value]
        if all(p is not None for p in parts):
            return "(" + "".join(p + ", " for p in parts).rstrip(" ") + ")" if parts else "()"
    return None


class _Writer:
    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"__builtins__": {}, "np": np}
        self.names: dict[int, str] = {}
        self.constants: dict[int, str] = {}

    def function(self, op: Any) -> str:
        name = op.name if op.name.isidentifier() else "op_" + "".join(c if c.isalnum() else "_" for c in op.name)
        bound = self.namespace.setdefault(name, op.forward)
        if bound is not op.forward:  # two ops sharing a name (custom ones): keep them apart
            name = f"{name}_{len(self.namespace)}"
            self.namespace[name] = op.forward
        return name

    def constant(self, value: Any) -> str:
        literal = _literal(value)
        if literal is not None:
            return literal
        key = id(value)
        if key not in self.constants:
            self.constants[key] = f"c{len(self.constants)}"
            self.namespace[self.constants[key]] = value
        return self.constants[key]

    def argument(self, value: Any, data: Any) -> str:
        if isinstance(value, Tensor) and id(value) in self.names:
            return self.names[id(value)]
        return self.constant(data)  # a constant: what the forward received at trace time


def generate(inputs: Sequence[Tensor], nodes: Sequence[Tensor], outputs: Sequence[Any], tree: tuple) -> Program:
    """The program that computes ``outputs`` (the leaves of f's result, whose structure is ``tree``) from
    ``inputs`` through ``nodes`` (in evaluation order). Tensors among the results are returned as
    Tensors (``tensor(...)``), arrays and numbers as they are."""
    w = _Writer()
    for i, x in enumerate(inputs):
        w.names[id(x)] = f"a{i}"
    last_use = _last_uses(nodes, outputs)
    owned: set[int] = set()  # intermediates whose array no one else sees: a ufunc may write into them
    lines = []
    for k, node in enumerate(nodes, start=1):
        name = f"v{k}"
        if node._op.name == "identity" and isinstance(node._inputs[0], Tensor) and id(node._inputs[0]) in w.names:
            w.names[id(node)] = w.names[id(node._inputs[0])]  # the transforms' fresh node: the same array
            continue
        w.names[id(node)] = name
        args = [w.argument(a, d) for a, d in zip(node._inputs, node._input_data)]
        replay = _replay(node)
        if replay:  # the forward as an expression, without the call to its wrapper
            names = dict(zip(node._op.inputs, args))
            params = {**static_defaults(node._op.forward, len(node._op.inputs)), **node._params}
            names.update({key: w.constant(value) for key, value in params.items()})
            lines.append(f"    {name} = {render(replay, names, 'python')}")
            continue
        args += [f"{key}={w.constant(value)}" for key, value in node._params.items()]
        buffer = _reusable_buffer(node, k, owned, last_use)
        if buffer is not None:
            args.append(f"out={w.names[id(buffer)]}")
        if _fresh(node):
            owned.add(id(node))
        lines.append(f"    {name} = {w.function(node._op)}({', '.join(args)})")
        dead = [w.names[id(a)] for a in _unique_tensor_inputs(node)
                if last_use.get(id(a)) == k and id(a) in w.names and w.names[id(a)].startswith("v")
                and a.size >= FREE_AFTER]
        if dead:
            lines.append(f"    del {', '.join(dead)}")
    results = []
    for value in outputs:
        if isinstance(value, Tensor) and id(value) in w.names:
            results.append(f"tensor({w.names[id(value)]})")
        elif isinstance(value, Tensor):  # a constant result: a fresh copy each call, as eager makes one
            results.append(f"tensor(copy({w.constant(value.data)}))")
        else:
            results.append(f"copy({w.constant(value)})" if isinstance(value, np.ndarray) else w.constant(value))
    w.namespace.update(tensor=Tensor._wrap, copy=np.copy)
    signature = ", ".join(f"a{i}" for i in range(len(inputs)))
    body = lines or ["    pass"]
    source = "\n".join([f"def program({signature}):", *body, f"    return {_structure(tree, iter(results))}"])
    return Program(source + "\n", w.namespace)


def _structure(tree: tuple, results: Any) -> str:
    """The return expression: f's result structure (tuples, lists, dicts) around the results' names."""
    kind = tree[0]
    if kind == "leaf":
        return next(results)
    if kind == "dict":
        items = [f"{key!r}: {_structure(child, results)}" for key, child in zip(tree[1], tree[2])]
        if not all(_literal(key) is not None for key in tree[1]):
            raise TypeError("jit: a dict in the result must have str, int or None keys")
        return "{" + ", ".join(items) + "}"
    parts = [_structure(child, results) for child in tree[1]]
    if kind == "list":
        return "[" + ", ".join(parts) + "]"
    return "(" + "".join(p + ", " for p in parts).rstrip(" ") + ")" if parts else "()"


def _replay(node: Tensor) -> str:
    """The node's op's ``replay`` expression, where it applies (its inputs are arrays, and every static
    parameter it names was given), else ""."""
    op = node._op
    if not op.replay or not all(isinstance(d, np.ndarray) for d in node._input_data):
        return ""
    replay = op.replay(node) if callable(op.replay) else op.replay
    given = set(op.inputs) | set(node._params) | set(static_defaults(op.forward, len(op.inputs)))
    return replay if replay and names_in(replay) <= given else ""


def _fresh(node: Tensor) -> bool:
    """Whether the node's array is new and its own: a ufunc's result (not a view, not a numpy scalar)."""
    forward = node._op.forward
    return (isinstance(forward, np.ufunc) and forward.nout == 1 and forward.signature is None and not node._params
            and isinstance(node._data, np.ndarray) and node._data.ndim > 0)


def _reusable_buffer(node: Tensor, line: int, owned: set[int], last_use: dict[int, int]) -> Tensor | None:
    """An input whose array this elementwise ufunc can write its result into (``out=``): one the program
    made itself, read for the last time here, of the result's shape and dtype. The values are the same
    as without ``out=``; only an allocation is saved."""
    if not _fresh(node):
        return None
    for a in node._inputs:
        if (isinstance(a, Tensor) and id(a) in owned and last_use.get(id(a)) == line
                and a._data.shape == node._data.shape and a._data.dtype == node._data.dtype):
            return a
    return None


def _unique_tensor_inputs(node: Tensor) -> list[Tensor]:
    seen: dict[int, Tensor] = {}
    for a in node._inputs:
        if isinstance(a, Tensor):
            seen.setdefault(id(a), a)
    return list(seen.values())


def _last_uses(nodes: Sequence[Tensor], outputs: Sequence[Any]) -> dict[int, int]:
    """id(tensor) -> the line number of its last reader (outputs are read at the end: never freed)."""
    last: dict[int, int] = {}
    for k, node in enumerate(nodes, start=1):
        for a in node._inputs:
            if isinstance(a, Tensor):
                last[id(a)] = k
    for value in outputs:
        if isinstance(value, Tensor):
            last[id(value)] = len(nodes) + 1
    return last


def guard_for(tree: tuple, kinds: tuple, count: int) -> Any:
    """A generated check that a call's arguments have the structure, shapes and dtypes of a traced one:
    it returns their arrays (the program's arguments), or None (then the general signature decides).
    Only for arguments that are lists and tuples of arrays and Tensors (else None: no fast path)."""
    lines = ["def guard(args, grad_mode):", f"    if len(args) != {count}:", "        return None"]
    names: list[str] = []
    namespace: dict[str, Any] = {"__builtins__": {"len": len, "type": type, "list": list, "tuple": tuple},
                                 "Tensor": Tensor, "ndarray": np.ndarray}

    def visit(node: tuple, expression: str, depth: int) -> bool:
        kind = node[0]
        if kind in ("list", "tuple"):
            if depth:  # (the arguments themselves arrive as a tuple; their count is checked above)
                lines.append(f"    if type({expression}) is not {kind} or len({expression}) != {len(node[1])}:")
                lines.append("        return None")
            return all(visit(child, f"{expression}[{i}]", depth + 1) for i, child in enumerate(node[1]))
        if kind != "leaf":
            return False
        i = len(names)
        description = kinds[i]
        if not (isinstance(description, tuple) and len(description) == 2 and isinstance(description[1], np.dtype)):
            return False
        name = f"a{i}"
        names.append(name)
        namespace[f"s{i}"], namespace[f"d{i}"] = description
        lines.extend([
            f"    {name} = {expression}",
            f"    if type({name}) is Tensor:",
            f"        if grad_mode and {name}.requires_grad:",
            "            return None",
            f"        {name} = {name}._data",
            f"    elif type({name}) is not ndarray:",
            "        return None",
            f"    if {name}.shape != s{i} or {name}.dtype != d{i}:",
            "        return None",
        ])
        return True

    if tree[0] != "list" or not visit(tree, "args", 0) or len(names) != len(kinds):
        return None
    lines.append(f"    return [{', '.join(names)}]")
    exec(compile("\n".join(lines), "<autodiff.jit guard>", "exec"), namespace)  # our generated text
    return namespace["guard"]
