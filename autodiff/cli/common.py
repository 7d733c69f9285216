"""What the commands share: reading --at points and formulas, printing tables, writing pictures."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..expr import Expression, ExpressionError, parse
from ..viz import DotNotFoundError, save_graph


class UsageError(Exception):
    """Bad command-line input: reported by argparse with exit status 2."""


def parse_point(text: str, expression: Expression, option: str) -> np.ndarray:
    """'x=1,y=2' (or '1,2' in the order the variables appear) -> values in ``expression.variables`` order."""
    names = expression.variables
    values: dict[str, float] = {}
    items = [item.strip() for item in text.split(",") if item.strip()]
    for i, item in enumerate(items):
        name, equals, number = item.partition("=")
        if not equals:
            if i >= len(names):
                raise UsageError(f"{option} {text!r}: more values than variables "
                                 f"({', '.join(names) or 'none'})")
            name, number = names[i], item
        name = name.strip()
        try:
            values[name] = float(number)
        except ValueError:
            raise UsageError(f"{option} {text!r}: {number.strip()!r} is not a number") from None
    unknown = [n for n in values if n not in names]
    missing = [n for n in names if n not in values]
    if unknown:
        raise UsageError(f"{option}: {', '.join(unknown)} not in the expression (its variables: "
                         f"{', '.join(names) or 'none'})")
    if missing:
        raise UsageError(f"{option} needs a value for {', '.join(missing)}, e.g. {option} "
                         + ",".join(f"{n}=1" for n in names))
    return np.array([values[n] for n in names], dtype=float)


def parse_expression(text: str) -> Expression:
    try:
        expression = parse(text)
    except ExpressionError as error:
        raise UsageError(f"cannot use the expression:\n{error}") from None
    if not expression.variables:
        raise UsageError(f"{text!r} has no variables; use names such as x and y")
    return expression


def number(value: float) -> str:
    return f"{value: .10g}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plot_module() -> Any:
    try:
        from .. import plot

        plot.figure().clear()
    except ImportError as error:
        raise UsageError(str(error)) from None
    return plot


def write_graph(graph: Any, path: Path) -> Path:
    """Render to path; without `dot`, write the DOT text next to it and say how to render it."""
    try:
        return save_graph(graph, path)
    except DotNotFoundError:
        dot_path = save_graph(graph, path.with_suffix(".dot"))
        print(f"note: Graphviz's `dot` program is not installed, so {path.name} was not drawn; wrote "
              f"{dot_path} instead. Install graphviz (Debian/Ubuntu: sudo apt-get install graphviz) and "
              f"run: dot -T{path.suffix.lstrip('.') or 'svg'} {dot_path} -o {path}", file=sys.stderr)
        return dot_path
