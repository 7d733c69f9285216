"""explain: how a derivative is made, step by step, as the textbooks draw it.

``ad.explain(f, *args)`` records f once and lays the computation out as an evaluation trace (a
Wengert list, numbered as in Griewank & Walther's *Evaluating Derivatives*: inputs v₋ₙ₊₁ … v₀,
intermediates v₁ … vₗ, output y), then runs the chain rule over it, one elementary step at a time:

* reverse mode (the default) gives each variable's adjoint v̄ⱼ = Σᵢ v̄ᵢ · ∂vᵢ/∂vⱼ, summed over the
  variables vᵢ that read vⱼ (that sum is why backprop adds up a node's consumers);
* forward mode gives each variable's tangent v̇ᵢ = Σⱼ ∂vᵢ/∂vⱼ · v̇ⱼ along a direction of the inputs.

The local partials come from the op records (their rule texts, e.g. ∂ sin v/∂v = cos v), and their
numbers from the same VJPs the engine runs, in the engine's order, so ``.gradient`` equals
``ad.grad(f)`` exactly. ``print(e)`` shows the tables; ``e.to_markdown()``, ``e.to_latex()`` and
``e.source()`` (the derivative program as Python) write them out.

>>> import autodiff as ad
>>> e = ad.explain(lambda x1, x2: ad.log(x1) + x1 * x2 - ad.sin(x2), 2.0, 5.0)
>>> [round(float(g), 3) for g in e.gradient]
[5.5, 1.716]
>>> print(e.steps[3].formula)
v₂ = v₋₁ · v₀
"""

from __future__ import annotations

import inspect
import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import DtypeError, ShapeError
from .explain_source import pull, push
from .formula import pretty_name, python_literal, render, summary
from .grad_mode import TRANSFORMS, enable_grad
from .ops.record import PUBLIC, static_defaults
from .tensor import Tensor
from .trace import nodes_before


@dataclass
class Step:
    """One row of the primal trace: ``name = formula`` and its value."""

    name: str                # "v-1", "v3", or "y" for the output row
    op: str                  # the op's name, "input" or "output"
    inputs: tuple[str, ...]  # the rows it reads
    expression: str          # the right-hand side, e.g. "v₁ · v₂"
    value: np.ndarray
    latex: str = ""          # the right-hand side in LaTeX

    @property
    def formula(self) -> str:
        return f"{pretty_name(self.name)} = {self.expression}"


@dataclass
class Term:
    """One term of a chain-rule sum: a partial derivative times an adjoint (or a tangent).

    Reverse mode: the term ``v̄ᵢ · ∂vᵢ/∂vⱼ`` of v̄ⱼ, where ``other`` is the consumer vᵢ and ``factor``
    its adjoint v̄ᵢ. Forward mode: the term ``∂vᵢ/∂vⱼ · v̇ⱼ`` of v̇ᵢ, where ``other`` is the input vⱼ and
    ``factor`` its tangent v̇ⱼ. ``partial`` is the local partial as a formula (for arrays, the VJP or
    JVP rule) and ``partial_value`` its number (scalar programs only); ``value`` is the term.
    """

    other: str
    partial: str
    partial_value: np.ndarray | None
    factor: np.ndarray
    value: np.ndarray
    rule: str = ""  # the whole term as a formula, e.g. "v̄₃ · cos(v₀)"
    latex: str = ""  # the same in LaTeX
    position: int = 0  # which input of the op the term is about


@dataclass
class DerivativeRow:
    """One row of the adjoint (or tangent) trace: a variable, its terms, and their sum."""

    name: str
    value: np.ndarray
    terms: list[Term] = field(default_factory=list)

    def symbol(self, mode: str) -> str:
        return pretty_name(self.name + ("_bar" if mode == "reverse" else "_dot"))


@dataclass(eq=False)
class _Instruction:
    """A recorded node as the trace names it."""

    name: str
    node: Tensor
    args: list[Any]  # per input: a row name (str), or the constant itself


def _argument_names(f: Callable[..., Any], count: int, names: Sequence[str] | None) -> list[str]:
    if names is not None:
        if len(names) != count:
            raise ValueError(f"explain: {len(names)} names for {count} arguments")
        return [str(n) for n in names]
    try:
        parameters = [p for p in inspect.signature(f).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        parameters = []
    if len(parameters) >= count:
        return [p.name for p in parameters[:count]]
    return [f"x{i + 1}" for i in range(count)]


def _leaf(value: Any, position: int) -> Tensor:
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if not np.issubdtype(data.dtype, np.inexact):
        raise DtypeError(f"explain: argument {position} has dtype {data.dtype}; derivatives need "
                         "floating-point input (pass 3.0 rather than 3)")
    return Tensor(data, requires_grad=True)


class Explanation:
    """The evaluation trace of a computation and its derivative, row by row (see ``ad.explain``).

    ``steps`` is the primal trace; ``adjoints`` (reverse mode) or ``tangents`` (forward mode) the
    derivative trace; ``value`` the output; ``gradient`` one entry per argument (reverse);
    ``derivative`` the directional derivative (forward). Printing shows aligned tables.
    """

    def __init__(self, output: Tensor, inputs: list[Tensor], input_names: list[str], mode: str,
                 tangents: Sequence[Any] | None = None) -> None:
        if mode not in ("reverse", "forward"):
            raise ValueError(f"explain: mode must be 'reverse' or 'forward', got {mode!r}")
        self.mode = mode
        self.input_names = input_names
        self._inputs = inputs
        self._output = output
        nodes, leaves = nodes_before([output], stop=inputs)
        self._instructions, self._constants = self._name(nodes, leaves)
        self.steps = self._primal_steps()
        self.value = output
        self.adjoints: list[DerivativeRow] = []
        self.tangents: list[DerivativeRow] = []
        self.gradient: tuple[Tensor, ...] = ()
        self.derivative: Tensor | None = None
        if mode == "reverse":
            self._reverse()
        else:
            self._forward(tangents)

    # ----------------------------------------------------------------- naming
    @property
    def scalar(self) -> bool:
        """Whether every value in the program is a single number (then every partial is shown)."""
        return all(np.size(s.value) == 1 for s in self.steps)

    def name_of(self, t: Any) -> str | None:
        return self._names.get(id(t))

    def _name(self, nodes: list[Tensor], leaves: list[Tensor]) -> tuple[list[_Instruction], dict[str, Any]]:
        count = len(self._inputs)
        self._names = {id(x): f"v{i - count + 1}" for i, x in enumerate(self._inputs)}
        self._input_rows = {f"v{i - count + 1}": i for i in range(count)}
        constants: dict[str, Any] = {}
        for leaf in leaves:  # other leaves: constants (numbers are written inline)
            if id(leaf) not in self._names and leaf.size != 1:
                self._names[id(leaf)] = f"c{len(constants) + 1}"
                constants[self._names[id(leaf)]] = leaf.data
        instructions = []
        for i, node in enumerate(nodes):
            self._names[id(node)] = f"v{i + 1}"
            args = [self._names.get(id(a), a.data if isinstance(a, Tensor) else a) for a in node._inputs]
            instructions.append(_Instruction(f"v{i + 1}", node, args))
        return instructions, constants

    def _primal_steps(self) -> list[Step]:
        steps = [Step(self._names[id(x)], "input", (name,), pretty_name(name), x.data, pretty_name(name, True))
                 for x, name in zip(self._inputs, self.input_names, strict=True)]
        steps += [Step(c, "constant", (), summary(v), v, summary(v)) for c, v in self._constants.items()]
        for instruction in self._instructions:
            node = instruction.node
            reads = tuple(a for a in instruction.args if isinstance(a, str))
            steps.append(Step(instruction.name, node._op.name, reads, self.expression(instruction), node.data,
                              self.expression(instruction, "latex")))
        out_name = self.name_of(self._output)
        shown = (pretty_name(out_name), pretty_name(out_name, True)) if out_name else (summary(self._output.data),) * 2
        steps.append(Step("y", "output", (out_name,) if out_name else (), shown[0], self._output.data, shown[1]))
        return steps

    def python_name(self, name: str) -> str:
        """A row's name in ``source()``: the argument's own name for inputs (unless it would clash with
        a name the program uses: then ``x1``...), else ``v3``, ``c1``."""
        if name in self._input_rows:
            i = self._input_rows[name]
            given = self.input_names[i]
            usable = (given.isidentifier() and not keyword.iskeyword(given) and self.input_names.count(given) == 1
                      and not re.fullmatch(r"[vcx]\d+(_bar|_dot)?|y|y_dot|np|out", given) and given not in PUBLIC
                      and given not in ("vjp_of", "jvp_of", "forward_of", "unbroadcast"))
            return given if usable else f"x{i + 1}"
        return name

    def substitutions(self, instruction: _Instruction, style: str = "text") -> dict[str, Any]:
        """The op's rule names -> this program's names (inputs, ``out``, static parameters)."""
        op = instruction.node._op
        python = style == "python"

        def shown(arg: Any) -> Any:
            if isinstance(arg, str):
                return self.python_name(arg) if python else arg
            return python_literal(arg) if python else arg

        params = {**static_defaults(op.forward, len(op.inputs)), **instruction.node._params}
        names: dict[str, Any] = {k: (python_literal(v) if python else v) for k, v in params.items()}
        if op.variadic:  # one list of inputs
            items = [shown(a) if python or not isinstance(a, str) else pretty_name(a, style == "latex")
                     for a in instruction.args]
            names[op.inputs[0]] = "[" + ", ".join(map(str, items)) + "]"
        else:
            names.update({name: shown(arg) for name, arg in zip(op.inputs, instruction.args)})
        names["out"] = shown(instruction.name)
        return names

    def expression(self, instruction: _Instruction, style: str = "text") -> str:
        op = instruction.node._op
        if not op.formula:
            return f"{op.name}({', '.join(map(str, instruction.args))})"
        return render(op.formula, self.substitutions(instruction, style), style)

    # ----------------------------------------------------------------- reverse mode
    def _reverse(self) -> None:
        out = self._output
        if out.size != 1:
            raise ShapeError(f"explain: reverse mode needs a scalar output, got shape {out.shape}; "
                             "reduce it (e.g. .sum()) or use mode='forward'")
        adjoints: dict[int, Any] = {id(out): np.ones_like(out.data)}
        rows: dict[int, DerivativeRow] = {}
        for instruction in reversed(self._instructions):
            node = instruction.node
            g = adjoints.get(id(node))
            if g is None or not node.requires_grad:
                continue
            rows.setdefault(id(node), DerivativeRow(instruction.name, g)).value = g
            op = node._op
            for i in node._positions:
                a = node._inputs[i]
                contribution = _vjp(node, i, g)
                previous = adjoints.get(id(a))
                adjoints[id(a)] = contribution if previous is None else previous + contribution  # the engine's order
                row = rows.setdefault(id(a), DerivativeRow(self._names[id(a)], adjoints[id(a)]))
                row.value = adjoints[id(a)]
                partial, rule = self._rule_text(instruction, i, op.partials is None)
                latex = self._rule_text(instruction, i, op.partials is None, "latex")[1]
                number = _vjp(node, i, np.ones_like(g)) if self.scalar else None
                row.terms.append(Term(instruction.name, partial, number, g, contribution, rule, latex, i))
        for x in self._inputs:  # an input the output never reads has adjoint 0 (the output itself: 1)
            rows.setdefault(id(x), DerivativeRow(self._names[id(x)], adjoints.get(id(x), np.zeros_like(x.data))))
        order = [id(i.node) for i in reversed(self._instructions)] + [id(x) for x in reversed(self._inputs)]
        self.adjoints = [rows[key] for key in order if key in rows]
        self.gradient = tuple(Tensor._wrap(_cast(rows[id(x)].value, x.dtype)) for x in self._inputs)

    def _rule_text(self, instruction: _Instruction, i: int, is_vjp: bool, style: str = "text") -> tuple[str, str]:
        """(the local partial or VJP rule, the whole term), as text or LaTeX."""
        op = instruction.node._op
        latex = style == "latex"
        names = self.substitutions(instruction, style)
        adjoint = pretty_name(instruction.name + "_bar", latex)
        names["g"] = instruction.name + "_bar"
        rule = render(op.rule(i), names, style) if op.rule(i) else "?"
        return rule, _product(adjoint, rule, op.rule(i), is_vjp, latex, adjoint_first=True)

    # ----------------------------------------------------------------- forward mode
    def _forward(self, tangents: Sequence[Any] | None) -> None:
        seeds = _seeds(self._inputs, tangents)
        dots: dict[int, Any] = {id(x): t for x, t in zip(self._inputs, seeds, strict=True)}
        rows = [DerivativeRow(self._names[id(x)], t) for x, t in zip(self._inputs, seeds, strict=True)]
        for instruction in self._instructions:
            node = instruction.node
            if not node.requires_grad:
                continue
            row = DerivativeRow(instruction.name, np.zeros_like(node.data))
            total = None
            for i in node._positions:
                dot = dots.get(id(node._inputs[i]))
                if dot is None:
                    continue
                contribution = _jvp(node, i, dot)
                total = contribution if total is None else total + contribution
                partial, rule = self._tangent_text(instruction, i)
                latex = self._tangent_text(instruction, i, "latex")[1]
                number = _vjp(node, i, np.ones_like(node.data)) if self.scalar else None
                row.terms.append(Term(self._names[id(node._inputs[i])], partial, number, dot, contribution, rule,
                                      latex, i))
            if total is not None:
                row.value = total
                dots[id(node)] = total
                rows.append(row)
        self.tangents = rows
        derivative = dots.get(id(self._output))
        self.derivative = Tensor._wrap(np.zeros_like(self._output.data) if derivative is None
                                       else _cast(derivative, self._output.dtype))

    def _tangent_text(self, instruction: _Instruction, i: int, style: str = "text") -> tuple[str, str]:
        op = instruction.node._op
        latex = style == "latex"
        names = self.substitutions(instruction, style)
        name = instruction.args[i]
        tangent = pretty_name(f"{name}_dot", latex)
        if op.partials is not None:
            partial = render(op.partials[i], names, style)
            return partial, _product(tangent, partial, op.partials[i], False, latex, adjoint_first=False)
        if op.linear and not op.variadic:
            rule = render(op.formula, {**names, op.inputs[i]: f"{name}_dot"}, style)
        elif op.tangent:
            rule = render(op.tangent, {**names, **{f"d{n}": (f"{a}_dot" if j == i else 0) for j, (n, a) in
                                                   enumerate(zip(op.inputs, instruction.args))}}, style)
        else:
            rule = f"J_{{{op.name}}} {tangent}" if latex else f"J_{op.name} · {tangent}"
        return rule, rule

    # ----------------------------------------------------------------- output
    def __str__(self) -> str:
        from .explain_render import as_text

        return as_text(self)

    def __repr__(self) -> str:
        return f"<Explanation of {len(self._instructions)} ops, {self.mode} mode>"

    def to_markdown(self) -> str:
        """The tables as Markdown (for notebooks, READMEs and course notes)."""
        from .explain_render import as_markdown

        return as_markdown(self)

    def to_latex(self) -> str:
        """The tables as LaTeX ``tabular`` environments (they compile with plain LaTeX and amsmath)."""
        from .explain_render import as_latex

        return as_latex(self)

    def source(self) -> str:
        """The program as readable Python with numpy: the forward pass, then the adjoint (or tangent)
        pass, one line per row. Run with the same inputs, it gives the same value and derivative."""
        from .explain_source import as_source

        return as_source(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        from .page import notebook_html  # the interactive page, and the tables under it (a deliberate cycle)

        return notebook_html(self)


def _is_simple(template: str) -> bool:
    return all(c not in template for c in "+-/ ") or template.startswith("np.") and template.count("(") == 1


def _product(symbol: str, rule: str, template: str, is_vjp: bool, latex: bool, adjoint_first: bool) -> str:
    """A term as it is read: ``v̄₃ · cos(v₀)`` (reverse) or ``cos(v₀) · v̇₀`` (forward)."""
    if is_vjp:
        return rule
    if template.strip() == "1":
        return symbol
    if template.strip() == "-1":
        return f"-{symbol}" if latex else f"−{symbol}"
    if template.strip() == "0":
        return "0"
    factor = rule if _is_simple(template) else (f"\\left({rule}\\right)" if latex else f"({rule})")
    dot = " \\cdot " if latex else " · "
    return symbol + dot + factor if adjoint_first else factor + dot + symbol


def _cast(value: Any, dtype: np.dtype) -> np.ndarray:
    value = np.asarray(value)
    return value.astype(dtype) if value.dtype != dtype and np.issubdtype(dtype, np.inexact) else value


def _vjp(node: Tensor, i: int, g: Any) -> Any:
    return pull(node._op, i, g, node.data, node._input_data, node._params)


def _jvp(node: Tensor, i: int, tangent: Any) -> np.ndarray:
    return push(node._op, i, tangent, node.data, node._input_data, node._params)


def _seeds(inputs: list[Tensor], tangents: Sequence[Any] | None) -> list[np.ndarray]:
    if tangents is None:  # the first unit vector: d/d(first entry of the first argument)
        seeds = [np.zeros_like(x.data) for x in inputs]
        if seeds and seeds[0].size:
            seeds[0].reshape(-1)[0] = 1.0
        return seeds
    tangents = list(tangents) if isinstance(tangents, (tuple, list)) else [tangents]
    if len(tangents) != len(inputs):
        raise ValueError(f"explain: {len(tangents)} tangents for {len(inputs)} arguments; give one per argument")
    seeds = []
    for position, (x, t) in enumerate(zip(inputs, tangents, strict=True)):
        t = np.asarray(t.data if isinstance(t, Tensor) else t, dtype=x.dtype)
        if t.shape != x.shape:
            raise ShapeError(f"explain: tangent {position} has shape {t.shape}, expected {x.shape}")
        seeds.append(t)
    return seeds


def explain(f: Callable[..., Any] | Tensor, *args: Any, mode: str = "reverse", tangents: Any = None,
            names: Sequence[str] | None = None) -> Explanation:
    """The evaluation trace of ``f(*args)`` and how its derivative is made, step by step.

    ``f`` takes numbers, arrays or Tensors (as the transforms do); argument names come from its
    signature, or ``names``. Reverse mode (the default, for a scalar output) lists each variable's
    adjoint as the sum over its consumers; ``mode="forward"`` lists tangents along ``tangents`` (one
    per argument; default the first unit vector). ``ad.explain(root)`` explains a graph already
    recorded (before ``backward``, or after ``backward(retain_graph=True)``), with respect to its
    leaves that require grad.

    >>> import autodiff as ad
    >>> e = ad.explain(lambda x, y: x * y + ad.sin(x), 2.0, 3.0)
    >>> round(float(e.value), 4), [round(float(g), 4) for g in e.gradient]
    (6.9093, [2.5839, 2.0])
    >>> float(ad.explain(lambda x, y: x * y, 2.0, 3.0, mode="forward").derivative)
    3.0
    """
    if isinstance(f, Tensor):
        if args:
            raise TypeError("explain(root) takes no arguments: the graph is already recorded")
        if not f.requires_grad:
            raise ValueError("explain(root): the tensor does not depend on anything that requires grad")
        nodes, leaves = nodes_before([f])
        inputs = [leaf for leaf in leaves if leaf.requires_grad]
        input_names = list(names) if names is not None else [
            x.name or f"x{i + 1}" for i, x in enumerate(inputs)]
        return Explanation(f, inputs, input_names, mode, tangents)
    if not callable(f):
        raise TypeError(f"explain: expected a function or a Tensor, got {type(f).__name__}")
    input_names = _argument_names(f, len(args), names)
    inputs = [_leaf(a, i) for i, a in enumerate(args)]
    TRANSFORMS.depth += 1  # float(x) or math.sin(x) inside f would cut the trace: refuse them
    try:
        with enable_grad():
            out = f(*inputs)
    finally:
        TRANSFORMS.depth -= 1
    if not isinstance(out, Tensor):
        out = Tensor._wrap(np.asarray(out))
    return Explanation(out, inputs, input_names, mode, tangents)
