r"""The op records' rule texts, written out: as math (plain text or LaTeX) or as runnable Python.

A record writes its forward and its derivatives as small Python expressions of its own names
(``"np.cos(x)"``, ``"1 - out**2"``, ``"g @ y.T"``). ``render`` substitutes the names of a program
(``x → v1``) and prints the expression in one of three styles:

>>> render("1 - out**2", {"out": "v4"})
'1 − v₄²'
>>> print(render("np.cos(x) * g", {"x": "v0", "g": "v3_bar"}, style="latex"))
\cos\left(v_{0}\right) \cdot \bar{v}_{3}
>>> render("x * y", {"x": "v1", "y": "v2"}, style="python")
'v1 * v2'

Templates are our own text (never a user's), parsed with ``ast``; nothing is evaluated here.
"""

from __future__ import annotations

import ast
import functools
import re
from typing import Any

import numpy as np

# readable names of functions in the records' templates (np.<name> and ours)
_FUNCTION_NAMES = {"absolute": "abs", "maximum": "max", "minimum": "min", "logaddexp": "logaddexp",
                   "sigmoid": "σ", "arcsin": "arcsin", "arccos": "arccos", "arctan": "arctan"}
_LATEX_FUNCTIONS = {"sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "log", "max", "min", "arcsin",
                    "arccos", "arctan", "det"}
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUBSCRIPTS = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")

# operator: (text, latex, precedence); higher binds tighter (Python's order)
_BINARY = {
    ast.Add: (" + ", " + ", 10), ast.Sub: (" − ", " - ", 10), ast.Mult: (" · ", " \\cdot ", 11),
    ast.Div: (" / ", " / ", 11), ast.MatMult: (" @ ", " ", 11), ast.Pow: ("^", "^", 14),
    ast.BitAnd: (" ∧ ", " \\land ", 7), ast.BitOr: (" ∨ ", " \\lor ", 5),
}
_COMPARE = {ast.Gt: (" > ", " > "), ast.Lt: (" < ", " < "), ast.GtE: (" ≥ ", " \\geq "),
            ast.LtE: (" ≤ ", " \\leq "), ast.Eq: (" = ", " = "), ast.NotEq: (" ≠ ", " \\neq ")}


@functools.lru_cache(maxsize=512)
def _parse(template: str) -> ast.expr:
    return ast.parse(template, mode="eval").body


def names_in(template: str) -> set[str]:
    """The free names a template uses (not function names or attribute roots like ``np``)."""
    tree = _parse(template)
    skip = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    skip |= {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in skip}


def called_names(template: str) -> set[str]:
    """The bare names a template calls (``sigmoid`` in ``"sigmoid(x)"``; not ``np.exp``)."""
    return {n.func.id for n in ast.walk(_parse(template)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def render(template: str, names: dict[str, Any], style: str = "text") -> str:
    """The template with ``names`` substituted (strings are names, other values are shown as values)."""
    tree = _parse(template)
    if style == "python":
        return ast.unparse(_Substitute(names).visit(_copy(tree)))
    return _Printer(names, style == "latex").show(tree)[0]


def _copy(tree: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(tree), mode="eval").body


class _Substitute(ast.NodeTransformer):
    """Names -> program names (or values written as Python literals) for runnable source."""

    def __init__(self, names: dict[str, Any]) -> None:
        self.names = names
        self.skip: set[int] = set()

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.skip.add(id(node.func))
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "np":
            return node
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if id(node) in self.skip or node.id not in self.names:
            return node
        value = self.names[node.id]
        return ast.Name(value, ast.Load()) if isinstance(value, str) else ast.parse(repr(value), mode="eval").body


def pretty_name(name: str, latex: bool = False) -> str:
    """``v-1`` -> ``v₋₁`` (``v_{-1}``), ``v3_bar`` -> ``v̄₃``; other names unchanged (``x1`` -> ``x₁``)."""
    match = re.fullmatch(r"([A-Za-z]+)(-?\d+)?(_bar|_dot)?", name)
    if not match:
        return name
    letters, number, accent = match.groups()
    if latex:
        base = {"_bar": f"\\bar{{{letters}}}", "_dot": f"\\dot{{{letters}}}"}.get(accent or "", letters)
        return base + (f"_{{{number}}}" if number else "")
    base = letters + {"_bar": "\u0304", "_dot": "\u0307"}.get(accent or "", "")
    return base + (number.translate(_SUBSCRIPTS) if number else "")


class _Printer:
    """Math text from an expression tree, with parentheses only where precedence needs them."""

    def __init__(self, names: dict[str, Any], latex: bool) -> None:
        self.names = names
        self.latex = latex

    def show(self, node: ast.expr) -> tuple[str, int]:
        """(text, precedence) of a node."""
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            return ast.unparse(node), 20
        return method(node)

    def _wrap(self, node: ast.expr, minimum: int) -> str:
        text, precedence = self.show(node)
        if precedence >= minimum:
            return text
        return f"\\left({text}\\right)" if self.latex else f"({text})"

    def _Name(self, node: ast.Name) -> tuple[str, int]:
        value = self.names.get(node.id, node.id)
        if isinstance(value, str):
            return pretty_name(value, self.latex), 20
        return _number(value, self.latex), 20

    def _Constant(self, node: ast.Constant) -> tuple[str, int]:
        return _number(node.value, self.latex), 20

    def _UnaryOp(self, node: ast.UnaryOp) -> tuple[str, int]:
        sign = {ast.USub: "−" if not self.latex else "-", ast.Invert: "¬" if not self.latex else "\\lnot ",
                ast.Not: "¬" if not self.latex else "\\lnot ", ast.UAdd: "+"}[type(node.op)]
        return sign + self._wrap(node.operand, 13), 12

    def _BinOp(self, node: ast.BinOp) -> tuple[str, int]:
        text, latex, precedence = _BINARY.get(type(node.op), (" ? ", " ? ", 10))
        left = self._wrap(node.left, precedence + (1 if isinstance(node.op, ast.Pow) else 0))
        if isinstance(node.op, ast.Pow):
            exponent = node.right
            whole = self._whole_number(exponent)
            if not self.latex and whole is not None:
                return left + str(whole).translate(_SUPERSCRIPTS), precedence
            right = self.show(exponent)[0]
            return (f"{left}^{{{right}}}" if self.latex else f"{left}^{self._wrap(exponent, 20)}"), precedence
        if isinstance(node.op, ast.Div) and self.latex:
            return f"\\frac{{{self.show(node.left)[0]}}}{{{self.show(node.right)[0]}}}", 20
        right = self._wrap(node.right, precedence + (0 if isinstance(node.op, (ast.Add, ast.Mult)) else 1))
        return left + (latex if self.latex else text) + right, precedence

    def _whole_number(self, node: ast.expr) -> int | None:
        """The exponent as a small whole number, if it is one (written as a superscript)."""
        value = node.value if isinstance(node, ast.Constant) else self.names.get(node.id) if isinstance(
            node, ast.Name) else None
        if isinstance(value, str) or value is None or isinstance(value, bool):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return int(number) if number.is_integer() and -100 < number < 100 else None

    def _Compare(self, node: ast.Compare) -> tuple[str, int]:
        parts = [self._wrap(node.left, 9)]
        for op, right in zip(node.ops, node.comparators):
            text, latex = _COMPARE.get(type(op), (" ? ", " ? "))
            parts += [latex if self.latex else text, self._wrap(right, 9)]
        return "[" + "".join(parts) + "]", 20  # Iverson's bracket: 1 where it holds

    def _Attribute(self, node: ast.Attribute) -> tuple[str, int]:
        if node.attr in ("T", "mT"):
            inner = self._wrap(node.value, 20)
            return (inner + "^{\\top}" if self.latex else inner + "ᵀ"), 20
        if node.attr == "shape":
            return f"shape({self.show(node.value)[0]})", 20
        return ast.unparse(node), 20

    def _Call(self, node: ast.Call) -> tuple[str, int]:
        name = _function_name(node.func)
        args = [self.show(a)[0] for a in node.args]
        args += [f"{k.arg}={self._keyword(k.value)}" for k in node.keywords if k.arg is not None]
        args = [a for a in args if not a.endswith("=None") and not a.endswith("=False")]
        if self.latex and name == "sqrt" and len(args) == 1:
            return f"\\sqrt{{{args[0]}}}", 20
        if self.latex and name in _LATEX_FUNCTIONS:
            return f"\\{name}\\left({', '.join(args)}\\right)", 20
        if self.latex:
            name = "\\sigma" if name == "σ" else f"\\operatorname{{{name.replace('_', chr(92) + '_')}}}"
            return f"{name}\\left({', '.join(args)}\\right)", 20
        if name == "sqrt" and len(args) == 1:
            return f"√{self._wrap(node.args[0], 20)}", 20
        return f"{name}({', '.join(args)})", 20

    def _keyword(self, value: ast.expr) -> str:
        if isinstance(value, ast.Name) and value.id in self.names:
            shown = self.names[value.id]
            return shown if isinstance(shown, str) else repr(shown)
        return self.show(value)[0]

    def _Subscript(self, node: ast.Subscript) -> tuple[str, int]:
        return f"{self._wrap(node.value, 20)}[{self.show(node.slice)[0]}]", 20


def _function_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):  # np.sin, np.linalg.inv
        name = func.attr
    elif isinstance(func, ast.Name):
        name = func.id
    else:
        return ast.unparse(func)
    return _FUNCTION_NAMES.get(name, name)


def _number(value: Any, latex: bool) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (int, float)):
        return f"{value:.6g}"
    return str(value)


def summary(value: Any) -> str:
    """A value as a table shows it: a number to 6 significant digits, or an array's shape and range."""
    array = np.asarray(value)
    if array.size == 1:
        item = array.item()
        return f"{item:.6g}" if isinstance(item, float) else str(item)
    if array.size == 0:
        return f"shape {array.shape} (empty)"
    if np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array):
        return f"shape {array.shape}, range [{array.min():.4g}, {array.max():.4g}]"
    return f"shape {array.shape}, {array.dtype}"


def python_literal(value: Any) -> str:
    """Python source that makes ``value`` (numbers, tuples, lists, slices, dtypes, arrays)."""
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r}, dtype=np.{value.dtype})"
    if isinstance(value, np.dtype):
        return f"np.dtype({str(value)!r})"
    if isinstance(value, np.generic):
        return repr(value.item())
    if isinstance(value, tuple):
        return "(" + "".join(python_literal(v) + ", " for v in value).rstrip(" ") + ")" if value else "()"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    return repr(value)
