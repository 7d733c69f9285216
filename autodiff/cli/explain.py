"""``autodiff explain``: the evaluation trace of a formula and its derivative, row by row."""

from __future__ import annotations

import argparse

import numpy as np

from ..explanation import explain
from ..page import graph_page
from .common import UsageError, add_formula_arguments, html_file, read_formula, write_page
from .registry import Command

FORMATS = ("text", "markdown", "latex", "source")


def _arguments(parser: argparse.ArgumentParser) -> None:
    add_formula_arguments(parser)
    parser.add_argument("--mode", choices=["reverse", "forward"], default="reverse",
                        help="reverse mode: adjoints, the gradient (default); forward mode: tangents along --wrt")
    parser.add_argument("--wrt", metavar="NAME", help="forward mode: differentiate with respect to this variable "
                                                      "(default: the first)")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="aligned text tables (default), Markdown, a LaTeX tabular, or the derivative program "
                             "as Python")
    parser.add_argument("--html", type=html_file, metavar="FILE",
                        help="also write an interactive page (.html): the graph, stepped through row by row")


def _explain(args: argparse.Namespace) -> int:
    expression, point = read_formula(args.expression, args.at)
    names = expression.variables
    tangents = None
    if args.wrt is not None:
        if args.mode != "forward":
            raise UsageError("--wrt chooses the direction of forward mode: add --mode forward (reverse mode gives "
                             "the derivative with respect to every variable)")
        if args.wrt not in names:
            raise UsageError(f"--wrt {args.wrt}: the formula's variables are {', '.join(names)}")
        tangents = [float(name == args.wrt) for name in names]
    with np.errstate(all="ignore"):  # read_formula has checked the point is in the domain
        explanation = explain(expression, *[float(v) for v in point], mode=args.mode, tangents=tangents, names=names)
    output = {"text": str, "markdown": lambda e: e.to_markdown(), "latex": lambda e: e.to_latex(),
              "source": lambda e: e.source()}[args.format](explanation)
    print(output.rstrip("\n"))
    if args.html is not None:
        page = graph_page(explanation, title=f"f = {args.expression}")
        print(f"wrote {write_page(page, args.html)}")
    return 0


command = Command(
    help="show how the derivative of a formula is made, step by step",
    description="The evaluation trace (Wengert list) of a formula at a point, then the chain rule over it: "
                "adjoints v̄ⱼ = Σᵢ v̄ᵢ ∂vᵢ/∂vⱼ (reverse mode) or tangents v̇ᵢ = Σⱼ ∂vᵢ/∂vⱼ v̇ⱼ (forward mode), "
                "as text, Markdown, LaTeX, or the derivative program as Python; --html writes a page that steps "
                "through it on the graph.",
    add_arguments=_arguments, run=_explain)
