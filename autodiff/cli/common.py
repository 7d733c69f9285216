"""What the commands share: reading formulas, points and file names, printing tables, writing pictures.

Commands registered by other packages (see ``registry``) use these too, so every command reads
``--at``, refuses bad input and writes files the same way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..expr import DomainError, Expression, ExpressionError, constant, parse
from ..plot import FORMATS as PLOT_FORMATS
from ..render import dot_available
from ..viz import GRAPH_FORMATS, DotNotFoundError, save_graph


class UsageError(Exception):
    """Bad command-line input: reported by argparse with exit status 2."""


def read_formula(text: str, at: str, option: str = "--at") -> tuple[Expression, np.ndarray]:
    """The formula and the point it is asked at, checked: parsed safely, and finite there."""
    expression = parse_expression(text)
    return expression, read_point(at, expression, option)


def read_point(text: str, expression: Expression, option: str = "--at") -> np.ndarray:
    """The point (``parse_point``), where the expression must be finite (else a DomainError's message)."""
    point = parse_point(text, expression, option)
    try:
        expression.check_domain(*point)
    except DomainError as error:
        raise UsageError(f"the expression is {error}") from None
    return point


def parse_point(text: str, expression: Expression, option: str) -> np.ndarray:
    """'x=1,y=pi/2' (or '1,pi/2' in the order the variables appear) -> values in ``expression.variables``
    order. Values are numbers or constant expressions, read by the formulas' own safe parser."""
    names = expression.variables
    values: dict[str, float] = {}
    for i, item in enumerate(_split(text)):
        name, equals, number = item.partition("=")
        if not equals:
            if i >= len(names):
                raise UsageError(f"{option} {text!r}: more values than variables "
                                 f"({', '.join(names) or 'none'})")
            name, number = names[i], item
        name, number = name.strip(), number.strip()
        try:
            values[name] = constant(number)
        except DomainError:
            raise UsageError(f"{option} {text!r}: {number!r} is not a finite number") from None
        except ExpressionError as error:
            raise UsageError(f"{option} {text!r}: {number!r} is not a number: {error.reason}") from None
    unknown = [n for n in values if n not in names]
    missing = [n for n in names if n not in values]
    if unknown:
        raise UsageError(f"{option}: {', '.join(unknown)} not in the expression (its variables: "
                         f"{', '.join(names) or 'none'})")
    if missing:
        raise UsageError(f"{option} needs a value for {', '.join(missing)}, e.g. {option} "
                         + ",".join(f"{n}=1" for n in names))
    return np.array([values[n] for n in names], dtype=float)


def _split(text: str) -> list[str]:
    """Split at the commas outside parentheses: 'x=max(1, 2),y=3' -> ['x=max(1, 2)', 'y=3']."""
    items, depth, start = [], 0, 0
    for i, character in enumerate(text):
        depth += (character == "(") - (character == ")")
        if character == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [item.strip() for item in items if item.strip()]


def parse_expression(text: str) -> Expression:
    """The checked formula (``autodiff.expr.parse``), refused with the parser's message if bad."""
    try:
        expression = parse(text)
    except ExpressionError as error:
        raise UsageError(f"cannot use the expression:\n{error}") from None
    if not expression.variables:
        raise UsageError(f"{text!r} has no variables; use names such as x and y")
    return expression


# ----------------------------------------------------------------------------- option types
AT_HELP = "the point, e.g. x=1,y=2 (values may be constant expressions such as pi/6)"


def add_formula_arguments(parser: argparse.ArgumentParser, at_help: str = AT_HELP, *aliases: str) -> None:
    """The arguments every formula command takes: the expression, and the point ``--at`` (or its aliases)."""
    parser.add_argument("expression", type=str.strip, help='a formula, e.g. "sin(x) * y"')
    parser.add_argument("--at", *aliases, dest="at", required=True, help=at_help)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (a step, a tolerance, a width)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not 0 < value < np.inf:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _picture(text: str, kind: str, formats: Sequence[str]) -> Path:
    """A picture's path, refused before any work (with a one-line message) if its suffix is unknown."""
    path = Path(text)
    if path.suffix.lower().lstrip(".") not in formats:
        found = f"the suffix {path.suffix!r}" if path.suffix else "no suffix"
        raise UsageError(f"{text!r} has {found}; {kind} are written as "
                         + ", ".join("." + f for f in formats[:-1]) + f" or .{formats[-1]}")
    return path


def graph_file(text: str) -> Path:
    """argparse type: where to write a graph picture, with a suffix ``save_graph`` can write.

    Like ``plot_file`` it raises UsageError, not argparse's error, so ``main`` reports it in one line.
    """
    return _picture(text, "graph pictures", GRAPH_FORMATS)


def html_file(text: str) -> Path:
    """argparse type: where to write an HTML page (.html or .htm)."""
    return _picture(text, "pages", ("htm", "html"))


def write_page(document: str, path: Path) -> Path:
    """Write an HTML page (folders are made), or say in one line why it cannot be written."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document, encoding="utf-8")
    return path


def plot_file(text: str) -> Path:
    """argparse type: where to write a plot, with a suffix the plots are written in."""
    return _picture(text, "plots", PLOT_FORMATS)


# ----------------------------------------------------------------------------- output
def number(value: float) -> str:
    """A value as the tables print it (10 significant digits, room for a sign)."""
    return f"{value: .10g}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned columns under a header and a rule."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plot_module() -> Any:
    """``autodiff.plot``, or a UsageError saying how to install matplotlib."""
    try:
        from .. import plot

        plot.figure().clear()
    except ImportError as error:
        raise UsageError(str(error)) from None
    return plot


@contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Turn a failure to write ``path`` (no such folder, no permission...) into a UsageError."""
    try:
        yield
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def write_graph(graph: Any, path: Path) -> Path:
    """Render to path: with Graphviz's ``dot`` if installed, else with the built-in renderer (SVG always;
    PNG, PDF and JPEG with matplotlib). When neither can write the format, write the DOT text beside it
    and say how to render it."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            written = save_graph(graph, path)
        except DotNotFoundError:
            dot_path = save_graph(graph, path.with_suffix(".dot"))
        else:
            if path.suffix.lower() not in (".dot", ".gv") and not dot_available():
                print(f"note: {path.name} was drawn by autodiff's built-in layout (Graphviz's `dot` program is not "
                      "installed; with it, pictures use Graphviz's layout)", file=sys.stderr)
            return written
    print(f"note: {path.name} needs Graphviz's `dot` program or matplotlib, and neither is installed; wrote "
          f"{dot_path} instead. Install matplotlib (pip install \"autodiff[plot]\"), or graphviz (Debian/Ubuntu: "
          f"sudo apt-get install graphviz) and run: dot -T{path.suffix.lstrip('.') or 'svg'} {dot_path} -o {path}",
          file=sys.stderr)
    return dot_path
