"""An Explanation as a program: the forward pass, then the adjoint (or tangent) pass, as Python.

Elementwise ops are written out from their records' local partials (``x2_bar = v3_bar * np.cos(x2)``);
ops whose derivative is more than a product call ``vjp_of`` / ``jvp_of``, which run the op's own
rule. Like Google's discontinued Tangent library, but read off the trace. The generated function
returns ``(y, (x1_bar, ...))`` in reverse mode and ``(y, y_dot)`` in forward mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import gradients
from .formula import called_names, names_in, render
from .grad_mode import enable_grad
from .ops.core import unbroadcast
from .ops.record import OPS, PUBLIC
from .tensor import Tensor


def forward_of(op: str) -> Callable[..., Any]:
    """The numpy forward of the op named ``op``: ``forward_of("getitem")(x, index=(0,))``."""
    return OPS[op].forward


def pull(op: Any, i: int, g: Any, out: Any, inputs: Sequence[Any], params: dict) -> Any:
    """Input i's share of the cotangent g, exactly as the engine computes it (reduced to its shape)."""
    vjp = op.vjps[i]
    result = vjp(g, out, *inputs, **params) if params else vjp(g, out, *inputs)
    shape = np.shape(inputs[i])
    return unbroadcast(result, shape) if np.shape(result) != shape else result


def push(op: Any, i: int, tangent: Any, out: Any, inputs: Sequence[Any], params: dict) -> Any:
    """∂out/∂(input i) · tangent, by transposing the op's VJP (as ``ad.jvp`` computes it)."""
    u = Tensor(np.zeros_like(np.asarray(out)), requires_grad=True)
    with enable_grad():
        pulled = pull(op, i, u, out, inputs, params)
    if not isinstance(pulled, Tensor) or not pulled.requires_grad:  # the VJP does not depend on u
        return np.zeros_like(np.asarray(out))
    (result,) = gradients(pulled, u, grad_outputs=np.asarray(tangent, dtype=pulled.dtype), allow_unused=True)
    return np.zeros_like(np.asarray(out)) if result is None else result.data


def vjp_of(op: str, i: int) -> Callable[..., Any]:
    """The VJP of input i of the op named ``op``, reduced to that input's shape:
    ``vjp_of("sum", 0)(g, out, x, axis=None, keepdims=False)``."""
    return lambda g, out, *inputs, **params: pull(OPS[op], i, g, out, inputs, params)


def jvp_of(op: str, i: int) -> Callable[..., Any]:
    """∂out/∂(input i) · tangent for the op named ``op``: ``jvp_of("max", 0)(tangent, out, x, axis=None)``."""
    return lambda tangent, out, *inputs, **params: push(OPS[op], i, tangent, out, inputs, params)


class _Writer:
    """Collects the lines of the generated function and the names it must import."""

    def __init__(self, e: Any) -> None:
        self.e = e
        self.lines: list[str] = []
        self.imports: set[str] = set()

    def expression(self, template: str, names: dict[str, Any]) -> str:
        """A record's template as Python, importing the library functions it calls by bare name."""
        text = render(template, names, "python")
        for name in called_names(template):
            if name in PUBLIC:
                self.imports.add(name)
        return text

    def _inputs_and_params(self, instruction: Any) -> tuple[str, str, str]:
        shown = self.e.substitutions(instruction, "python")
        op = instruction.node._op
        if op.variadic:
            inputs = shown[op.inputs[0]][1:-1]
        else:
            inputs = ", ".join(str(shown[n]) for n in op.inputs)
        params = "".join(f", {k}={shown[k]}" for k in instruction.node._params)
        return inputs, params, str(shown["out"])

    def call(self, helper: str, instruction: Any, i: int, first: str) -> str:
        """``vjp_of("op", i)(first, out, *inputs, **params)`` for ops without a product rule."""
        self.imports.add(helper)
        inputs, params, out = self._inputs_and_params(instruction)
        return f"{helper}({instruction.node._op.name!r}, {i})({first}, {out}, {inputs}{params})"

    def call_forward(self, instruction: Any) -> str:
        """``forward_of("op")(*inputs, **params)``: the op's own forward."""
        self.imports.add("forward_of")
        inputs, params, _ = self._inputs_and_params(instruction)
        return f"forward_of({instruction.node._op.name!r})({inputs}{params})"


def _has_none(instruction: Any) -> bool:
    """An input given as None (clip without a bound, linear without a bias): the templates need them all."""
    return any(a is None for a in instruction.args)


def _needs_unbroadcast(node: Tensor, i: int) -> bool:
    return np.shape(node._input_data[i]) != np.shape(node.data)


def as_source(e: Any) -> str:
    w = _Writer(e)
    py = e.python_name
    inputs = [py(s.name) for s in e.steps if s.op == "input"]
    for name, value in e._constants.items():
        w.lines.append(f"    {name} = np.array({np.asarray(value).tolist()!r}, dtype=np.{np.asarray(value).dtype})")
    w.lines.append("    # forward")
    for instruction in e._instructions:
        op = instruction.node._op
        names = e.substitutions(instruction, "python")
        if op.formula and not (names_in(op.formula) - set(names)) and not _has_none(instruction):
            right = w.expression(op.formula, names)
        else:  # a formula that is only for reading: run the op itself
            right = w.call_forward(instruction)
        w.lines.append(f"    {instruction.name} = {right}")
    out_name = e.name_of(e._output)
    w.lines.append(f"    y = {py(out_name) if out_name else repr(float(np.asarray(e._output.data)))}")
    if e.mode == "reverse":
        _adjoint_lines(e, w)
        signature, result = ", ".join(inputs), f"y, ({''.join(f'{n}_bar, ' for n in inputs).rstrip(' ')})"
        name, doc = "f_and_gradient", "The value of f and its gradient (reverse mode), one line per row."
    else:
        _tangent_lines(e, w)
        signature = ", ".join(inputs + [f"{n}_dot" for n in inputs])
        result, name, doc = "y, y_dot", "f_and_derivative", "The value of f and its directional derivative."
    header = ["import numpy as np"]
    library = sorted(w.imports - {"vjp_of", "jvp_of", "forward_of", "unbroadcast"})
    if library:
        header.append(f"from autodiff.ops import {', '.join(library)}")
    helpers = sorted(w.imports & {"vjp_of", "jvp_of", "forward_of"})
    if helpers:
        header.append(f"from autodiff.explain_source import {', '.join(helpers)}")
    if "unbroadcast" in w.imports:
        header.append("from autodiff.ops.core import unbroadcast")
    return "\n".join([*header, "", "", f"def {name}({signature}):", f'    """{doc}"""', *w.lines,
                      f"    return {result}", ""])


def _adjoint_lines(e: Any, w: _Writer) -> None:
    py = e.python_name
    w.lines.append("    # adjoint (reverse mode): v_bar = Σ over consumers of consumer_bar · ∂consumer/∂v")
    out_name = e.name_of(e._output)
    seen: set[str] = set()
    if out_name:
        w.lines.append(f"    {py(out_name)}_bar = np.ones_like(y)")
        seen.add(out_name)
    by_name = {i.name: i for i in e._instructions}
    for row in e.adjoints:  # rows come in reverse order; terms in the engine's order
        for term in row.terms:
            instruction = by_name[term.other]
            node = instruction.node
            i = term.position
            g = f"{py(term.other)}_bar"
            op = node._op
            if op.partials is not None and not _has_none(instruction):
                partial = op.partials[i].strip()
                names = e.substitutions(instruction, "python")
                factor = w.expression(op.partials[i], names)
                contribution = g if partial == "1" else f"-{g}" if partial == "-1" else f"{g} * ({factor})"
                if _needs_unbroadcast(node, i):
                    w.imports.add("unbroadcast")
                    contribution = f"unbroadcast({contribution}, np.shape({py(row.name)}))"
            else:
                contribution = w.call("vjp_of", instruction, i, g)
            target = f"{py(row.name)}_bar"
            w.lines.append(f"    {target} = {target} + {contribution}" if row.name in seen
                           else f"    {target} = {contribution}")
            seen.add(row.name)
    for s in e.steps:
        if s.op == "input" and s.name not in seen:
            w.lines.append(f"    {py(s.name)}_bar = np.zeros_like({py(s.name)})")


def _tangent_lines(e: Any, w: _Writer) -> None:
    py = e.python_name
    w.lines.append("    # tangents (forward mode): v_dot = Σ over inputs of ∂v/∂input · input_dot")
    by_name = {i.name: i for i in e._instructions}
    known = {s.name for s in e.steps if s.op == "input"}
    for row in e.tangents:
        if row.name not in by_name:
            continue
        instruction = by_name[row.name]
        node, op = instruction.node, instruction.node._op
        parts = []
        for i in node._positions:
            arg = instruction.args[i]
            if not isinstance(arg, str) or arg not in known:
                continue
            dot = f"{py(arg)}_dot"
            if op.partials is not None and not _has_none(instruction):
                partial = op.partials[i].strip()
                factor = w.expression(op.partials[i], e.substitutions(instruction, "python"))
                part = dot if partial == "1" else f"-{dot}" if partial == "-1" else f"({factor}) * {dot}"
                if np.shape(node.data) != np.shape(node._input_data[i]):
                    part = f"np.broadcast_to({part}, np.shape({py(row.name)}))"
            else:
                part = w.call("jvp_of", instruction, i, dot)
            parts.append(part)
        if parts:
            w.lines.append(f"    {py(row.name)}_dot = {' + '.join(parts)}")
            known.add(row.name)
    out_name = e.name_of(e._output)
    w.lines.append(f"    y_dot = {py(out_name)}_dot" if out_name in known else "    y_dot = np.zeros_like(y)")
