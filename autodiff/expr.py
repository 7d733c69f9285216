"""Safe mathematical expressions for the command line: ``"sin(x) * exp(-y**2)"`` -> engine calls.

The text is parsed with Python's ``ast`` (which only parses; nothing runs) and the tree is checked
against a whitelist: numbers, variable names, the constants ``pi`` and ``e``, the operators
``+ - * / **`` and calls of the functions in ``FUNCTIONS``. Everything else (attribute access,
subscripts, strings, lambdas, comprehensions, keyword arguments, unknown functions, exponents so
large that they could only overflow...) raises ``ExpressionError`` with a caret under the offending
part. The text is never given to ``eval``, ``exec`` or ``compile``: evaluation walks the checked
tree and calls the engine's ops, so an expression of Tensors records a graph like any other code.
``constant`` reads a number written as a constant expression (``"pi/6"``) through the same checks, and
``Expression.check_domain`` names the operation that makes a formula nan or infinite at a point.

>>> f = parse("x * y + sin(x)")
>>> f.variables
('x', 'y')
>>> round(float(f(x=2.0, y=3.0)), 6)
6.909297
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import ops
from .errors import AutodiffError
from .ops.record import formula_table
from .tensor import Tensor

MAX_LENGTH = 1000  # characters: ample for formulas, and it bounds the parser's work
MAX_DEPTH = 200  # nesting of operators and calls (a sum of n terms nests n deep)
MAX_EXPONENT = 1000.0  # a constant exponent beyond this can only overflow (9**9**9 is refused)

# name -> (engine function, number of arguments): the op records that name themselves in formulas
FUNCTIONS: dict[str, tuple[Callable[..., Any], int]] = formula_table()
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}
_BINARY = {ast.Add: ops.add, ast.Sub: ops.subtract, ast.Mult: ops.multiply, ast.Div: ops.divide,
           ast.Pow: ops.power}
_REFUSED_OPERATORS = {
    ast.BitXor: "'^' is not a power here (in Python it is bitwise xor); write ** for powers",
    ast.MatMult: "matrix product '@' is not supported in expressions (variables are scalars)",
    ast.Mod: "'%' is not supported (it has no derivative at its jumps)",
    ast.FloorDiv: "'//' is not supported (it has no useful derivative); use '/'",
}
_KINDS = {  # what to call a refused node in the message
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions", ast.Compare: "comparisons", ast.BoolOp: "'and'/'or'",
    ast.IfExp: "conditional expressions", ast.NamedExpr: "assignments (:=)", ast.List: "lists",
    ast.Tuple: "tuples", ast.Set: "sets", ast.Dict: "dicts", ast.Starred: "starred arguments",
    ast.JoinedStr: "strings", ast.Await: "'await'", ast.Yield: "'yield'", ast.YieldFrom: "'yield'",
    ast.Slice: "slices",
}


class ExpressionError(AutodiffError, ValueError):
    """An expression that is malformed or uses something outside the whitelist.

    ``reason`` says what was wrong; ``text``, ``start`` and ``end`` locate the offending part (the
    message draws a caret under it).
    """

    def __init__(self, reason: str, text: str = "", start: int | None = None, end: int | None = None) -> None:
        self.reason, self.text, self.start, self.end = reason, text, start, end
        message = reason
        if text and start is not None:
            end = max(start + 1, end if end is not None else start + 1)
            left = max(0, min(start - 30, len(text) - 70))  # a window of the text around the caret
            window = text[left:left + 70]
            width = max(1, min(end, left + 70) - start)
            message += f"\n    {window}\n    {' ' * (start - left)}{'^' * width}"
        super().__init__(message)


class DomainError(ExpressionError):
    """The expression is nan or infinite at the given point (``Expression.check_domain``)."""


class Expression:
    """A checked expression: call it with its variables (numbers, arrays or Tensors) to evaluate.

    ``variables`` lists the free names in order of first appearance.

    >>> import autodiff as ad
    >>> f = parse("x**2 * y")
    >>> x = ad.tensor(3.0, requires_grad=True)
    >>> out = f(x=x, y=2.0)
    >>> out.backward()
    >>> x.grad
    tensor(12.)
    """

    def __init__(self, text: str, tree: ast.expr, variables: tuple[str, ...]) -> None:
        self.text = text
        self.variables = variables
        self._tree = tree

    def __repr__(self) -> str:
        return f"Expression({self.text!r}, variables={self.variables})"

    def __call__(self, *args: Any, **values: Any) -> Any:
        """Evaluate with the variables by position (in ``variables`` order) or by name."""
        return _evaluate(self._tree, self._environment(args, values))

    def _environment(self, args: tuple[Any, ...], values: dict[str, Any]) -> dict[str, Any]:
        """variable -> value from positional and named values, numbers promoted to floats."""
        if len(args) > len(self.variables):
            raise ExpressionError(f"{self.text!r} has {len(self.variables)} variable(s) "
                                  f"{self.variables}, got {len(args)} positional values")
        env = dict(zip(self.variables, args, strict=False))
        for name, value in values.items():
            if name in env:
                raise ExpressionError(f"variable {name!r} given twice")
            env[name] = value
        missing = [v for v in self.variables if v not in env]
        if missing:
            raise ExpressionError(f"no value for {', '.join(missing)} (the expression {self.text!r} "
                                  f"uses {', '.join(self.variables)})")
        unknown = sorted(set(env) - set(self.variables))
        if unknown:
            raise ExpressionError(f"{', '.join(unknown)} not used by {self.text!r} "
                                  f"(its variables are {', '.join(self.variables) or 'none'})")
        for name, value in env.items():
            if not isinstance(value, Tensor):  # numbers as floats: numpy refuses 2 ** -1 in integers
                env[name] = np.asarray(value, dtype=np.result_type(np.asarray(value).dtype, np.float64))
        return env

    def check_domain(self, *args: Any, **values: Any) -> None:
        """Raise ``DomainError`` if the expression is nan or infinite at this point (scalar values).

        The error names the first operation whose operands are finite but whose value is not, with
        those operand values, and draws a caret under it in the formula.

        >>> parse("sqrt(x) + log(x - 1)").check_domain(x=0.5)
        Traceback (most recent call last):
        ...
        autodiff.expr.DomainError: undefined at x=0.5: log(-0.5) = nan (outside the domain of log)
            sqrt(x) + log(x - 1)
                      ^^^^^^^^^^
        """
        env = self._environment(args, values)
        env = {name: np.float64(getattr(value, "data", value)) for name, value in env.items()}
        where = ", ".join(f"{name}={_short(value)}" for name, value in env.items())

        def watch(node: ast.expr, operands: list[Any], value: Any) -> None:
            if np.isfinite(value) or not all(np.isfinite(a) for a in operands):
                return
            if isinstance(node, ast.Call):
                name = node.func.id  # type: ignore[attr-defined]
                shown = f"{name}({', '.join(_short(a) for a in operands)})"
                hint = f" (outside the domain of {name})" if np.isnan(value) else ""
            else:
                symbol = _op_symbol(node.op)  # type: ignore[attr-defined]
                shown = symbol.join(f"({_short(a)})" if a < 0 else _short(a) for a in operands)
                hint = ""
            kind = "undefined" if np.isnan(value) else "infinite"
            raise DomainError(f"{kind}{' at ' + where if where else ''}: {shown} = {_short(value)}{hint}",
                              self.text, *_Checker(self.text).span(node))

        with np.errstate(all="ignore"):
            _evaluate(self._tree, env, watch)

    def on_vector(self, x: Any) -> Any:
        """Evaluate with one vector holding the variables in ``variables`` order (for grad/minimize)."""
        return self(*[x[i] for i in range(len(self.variables))])


def parse(text: str) -> Expression:
    """Check ``text`` against the whitelist and return an ``Expression`` (or raise ExpressionError).

    >>> parse("exp(-x**2) / sqrt(2*pi)").variables
    ('x',)
    >>> parse("__import__('os')")
    Traceback (most recent call last):
    ...
    autodiff.expr.ExpressionError: unknown function '__import__'; known functions: ...
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression too long ({len(text)} characters, the limit is {MAX_LENGTH})")
    if not text.strip():
        raise ExpressionError("empty expression; expected a formula such as 'x**2 + sin(y)'")
    bad = next((i for i, c in enumerate(text) if not c.isprintable()), None)
    if bad is not None:
        raise ExpressionError(f"expression must be one line of printable characters; character {bad} "
                              f"is {text[bad]!r}")
    text = text.strip()  # Python's parser takes a leading space for an indented block
    try:
        module = ast.parse(text, mode="eval")
    except SyntaxError as error:
        start = _clamp(error.offset - 1 if error.offset and error.lineno == 1 else len(text), text)
        raise ExpressionError(f"not a valid expression: {error.msg}{_syntax_hint(text, error.msg, start)}", text,
                              start) from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise ExpressionError(f"not a valid expression: {error}") from None
    checker = _Checker(text)
    checker.check(module.body, 0)
    return Expression(text, module.body, tuple(checker.variables))


def constant(text: str) -> float:
    """The value of a constant expression such as ``"pi/6"``, through the checks of ``parse``.

    Raises ``ExpressionError`` if the text uses variables, and ``DomainError`` if its value is not a
    finite number. Like every expression it is never ``eval``'d.

    >>> constant("pi/6") == math.pi / 6, constant("-2.5e-3"), constant("2**-2 + exp(0)")
    (True, -0.0025, 1.25)
    """
    expression = parse(text)
    if expression.variables:
        names = expression.variables
        verb = "is not a known constant" if len(names) == 1 else "are not known constants"
        raise ExpressionError(f"{', '.join(names)} {verb} (the constants are {', '.join(CONSTANTS)})")
    expression.check_domain()
    value = float(expression())
    if not math.isfinite(value):
        raise DomainError(f"{text!r} is {value}; expected a finite number")
    return value


def _syntax_hint(text: str, message: str, start: int) -> str:
    """A suggestion for the mistakes people bring from paper: 2x, x y, sin x (two factors side by side,
    the parser stopping at the second)."""
    side_by_side = re.search(r"[\w.)]\s+$", text[:start]) and re.match(r"[\w(]", text[start:])
    if "decimal literal" in message or side_by_side:
        return "; write * between factors and call functions with parentheses, as in 2*x or sin(x)"
    return ""


def _clamp(position: int | None, text: str) -> int | None:
    return None if position is None else min(max(position, 0), len(text))


class _Checker:
    """Walks the tree once: refuses anything outside the whitelist, collects the variables."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.variables: list[str] = []
        self._utf8 = text.encode("utf-8")

    def fail(self, reason: str, node: ast.AST) -> ExpressionError:
        return ExpressionError(reason, self.text, *self.span(node))

    def span(self, node: ast.AST) -> tuple[int | None, int | None]:
        """Where node sits in the text, in characters (start, end)."""
        return self._column(getattr(node, "col_offset", None)), self._column(getattr(node, "end_col_offset", None))

    def _operator_error(self, reason: str, node: ast.BinOp, symbol: str) -> ExpressionError:
        """The error with its caret under the operator itself (found between the two operands)."""
        left_end = self._column(node.left.end_col_offset)
        right_start = self._column(node.right.col_offset)
        if left_end is None or right_start is None:
            return self.fail(reason, node)
        found = self.text.find(symbol, left_end, right_start)
        if found < 0:
            return self.fail(reason, node)
        return ExpressionError(reason, self.text, found, found + len(symbol))

    def _column(self, byte_offset: int | None) -> int | None:
        """ast counts UTF-8 bytes; the caret counts characters."""
        if byte_offset is None:
            return None
        return len(self._utf8[:byte_offset].decode("utf-8", errors="ignore"))

    def check(self, node: ast.AST, depth: int) -> float | None:
        """Check node; return its value if it is a constant (folded in floats), else None."""
        if depth > MAX_DEPTH:
            raise self.fail(f"expression nested too deeply (more than {MAX_DEPTH} levels)", node)
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.fail(f"operator {_op_symbol(node.op)!r} is not allowed; expected + - * / **", node)
            value = self.check(node.operand, depth + 1)
            return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        kind = _KINDS.get(type(node), f"'{type(node).__name__}' expressions")
        raise self.fail(f"not allowed in an expression: {kind}; use numbers, variables, "
                        "+ - * / ** and functions such as sin(x)", node)

    def _constant(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise self.fail(f"{value!r} is not a number; only numeric constants are allowed", node)
        if isinstance(value, complex):
            raise self.fail("complex numbers are not supported", node)
        if isinstance(value, (str, bytes)):
            raise self.fail("strings are not allowed in expressions", node)
        if not isinstance(value, (int, float)):
            raise self.fail(f"constants of type {type(value).__name__} are not allowed", node)
        try:
            return float(value)
        except OverflowError:
            raise self.fail("number too large for a float", node) from None

    def _name(self, node: ast.Name) -> float | None:
        name = node.id
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise self.fail(f"{name!r} is a function; call it, as in {name}(x)", node)
        if name.startswith("_"):
            raise self.fail(f"names starting with '_' are not allowed: {name!r}", node)
        if name not in self.variables:
            self.variables.append(name)
        return None

    def _binary(self, node: ast.BinOp, depth: int) -> float | None:
        if type(node.op) not in _BINARY:
            symbol = _op_symbol(node.op)
            reason = _REFUSED_OPERATORS.get(type(node.op), f"operator {symbol!r} is not allowed")
            if isinstance(node.op, ast.BitXor):  # the habit of other notations: show the formula with **
                reason += f", as in {self.text.replace('^', '**') if len(self.text) <= 60 else 'x**2'}"
            raise self._operator_error(reason + "; allowed operators are + - * / **", node, symbol)
        left = self.check(node.left, depth + 1)
        right = self.check(node.right, depth + 1)
        if isinstance(node.op, ast.Pow) and right is not None and not abs(right) <= MAX_EXPONENT:
            raise self.fail(f"exponent too large ({right:.6g}; the limit is {MAX_EXPONENT:g})", node.right)
        if left is None or right is None:
            return None
        return _fold(type(node.op), left, right)

    def _call(self, node: ast.Call, depth: int) -> None:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute):
                raise self.fail("not allowed in an expression: attribute access", node.func)
            multiply = "; to multiply, write *, as in 2*(x + 1)" if isinstance(node.func, ast.Constant) else ""
            raise self.fail("only named functions can be called, as in sin(x)" + multiply, node.func)
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.fail(f"unknown function {name!r}; known functions: {', '.join(sorted(FUNCTIONS))}",
                            node.func)
        if node.keywords:
            raise self.fail(f"{name}() takes no keyword arguments", node.keywords[0].value)
        arity = FUNCTIONS[name][1]
        if len(node.args) != arity:
            raise self.fail(f"{name}() takes {arity} argument{'s' * (arity > 1)}, got {len(node.args)}", node)
        for argument in node.args:
            self.check(argument, depth + 1)
        return None


def _fold(op: type, left: float, right: float) -> float | None:
    """The value of a constant operation in floats, to bound later exponents (None if undefined)."""
    try:
        if op is ast.Add:
            return left + right
        if op is ast.Sub:
            return left - right
        if op is ast.Mult:
            return left * right
        if op is ast.Div:
            return left / right
        return float(left ** right) if not (left < 0 and right != int(right)) else None
    except (ZeroDivisionError, OverflowError, ValueError):
        return math.inf if op is ast.Pow else None


def _op_symbol(op: ast.AST) -> str:
    symbols = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Invert: "~",
               ast.Not: "not", ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>",
               ast.BitXor: "^", ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@"}
    return symbols.get(type(op), type(op).__name__)


def _evaluate(node: ast.expr, env: Mapping[str, Any],
              watch: Callable[[ast.expr, list[Any], Any], None] | None = None) -> Any:
    """Evaluate a checked tree with engine ops (the checker guarantees only these node types).

    ``watch(node, operands, value)``, if given, sees every operation as it is computed.
    """
    if isinstance(node, ast.Constant):
        return np.float64(node.value)
    if isinstance(node, ast.Name):
        return np.float64(CONSTANTS[node.id]) if node.id in CONSTANTS else env[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, env, watch)
        return ops.negative(operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        operands = [_evaluate(node.left, env, watch), _evaluate(node.right, env, watch)]
        value = _BINARY[type(node.op)](*operands)
    elif isinstance(node, ast.Call):
        operands = [_evaluate(a, env, watch) for a in node.args]
        value = FUNCTIONS[node.func.id][0](*operands)  # type: ignore[attr-defined]
    else:
        raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover
    if watch is not None:
        watch(node, operands, value)
    return value


def _short(value: Any) -> str:
    return f"{float(value) + 0.0:.6g}"  # + 0.0 turns -0.0 into 0
