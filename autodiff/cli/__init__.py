"""The ``autodiff`` command: a training demo, and derivatives of formulas typed on the command line.

    autodiff demo [--dataset moons|circles|spirals|xor] [--epochs N] [--out DIR]
    autodiff graph "sin(x) * y" --at x=1,y=2 [-o graph.svg]
    autodiff check "x**2 * exp(y)" --at x=1,y=0.5 [--hessian]
    autodiff taylor "exp(x)" --at x=0 --order 5 [--plot taylor.png]
    autodiff minimize "(1-x)**2 + 100*(y-x**2)**2" --from x=-1.2,y=1 --method newton [--plot path.png]

Formulas are parsed by ``autodiff.expr`` (a whitelist over Python's ``ast``; never evaluated as code).
Bad usage exits with status 2 and a message; ``check`` exits with 1 when AD and finite differences
disagree.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..expr import FUNCTIONS
from .common import UsageError
from .demo import cmd_demo, demo
from .formulas import cmd_check, cmd_graph, cmd_minimize, cmd_taylor

__all__ = ["build_parser", "demo", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autodiff", description="Automatic differentiation on numpy: a demo, and derivatives of "
                                     "formulas.",
        epilog="A formula that starts with '-' goes after '--', as in: "
               "autodiff taylor --at x=0 -- '-cos(x)'. Formulas use + - * / **, numbers, pi, e, "
               "variables and the functions "
               + ", ".join(sorted(FUNCTIONS)) + ".")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="train a toy network and draw its pictures",
                          description="Train a small network on a 2-D toy dataset with a progress bar, "
                                      "print the accuracy, and write loss.png, decision_boundary.png and "
                                      "graph.svg.")
    demo.add_argument("--dataset", choices=["moons", "circles", "spirals", "xor"], default="moons")
    demo.add_argument("--epochs", type=_positive_int, default=None,
                      help="training epochs (default per dataset)")
    demo.add_argument("--out", default="autodiff-demo",
                      help="folder for the pictures (default ./autodiff-demo)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (data and weights)")
    demo.set_defaults(run=cmd_demo)

    graph = sub.add_parser("graph", help="draw the computation graph of a formula",
                           description="Evaluate a formula at a point, backpropagate, and draw the graph "
                                       "with values and gradients (DOT text to stdout, or a picture with "
                                       "-o).")
    graph.add_argument("expression", help='a formula, e.g. "sin(x) * y"')
    graph.add_argument("--at", required=True, help="the point, e.g. x=1,y=2")
    graph.add_argument("-o", "--output", help="picture to write (.svg, .png, .pdf) or .dot text")
    graph.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR", help="layout direction")
    graph.set_defaults(run=cmd_graph)

    check = sub.add_parser("check", help="compare AD with finite differences",
                           description="The gradient (and with --hessian the Hessian) by automatic "
                                       "differentiation next to finite differences, as a table of errors. "
                                       "Exit status 1 when they disagree.")
    check.add_argument("expression")
    check.add_argument("--at", required=True, help="the point, e.g. x=1,y=2")
    check.add_argument("--hessian", action="store_true", help="also compare second derivatives")
    check.add_argument("--method", choices=["central", "forward", "backward", "richardson"],
                       default="central", help="finite-difference formula for the gradient")
    check.add_argument("--plot", help="picture of the finite-difference error against the step size")
    check.add_argument("--tolerance", type=float, default=1e-5, help="largest accepted error (default 1e-5)")
    check.set_defaults(run=cmd_check)

    taylor = sub.add_parser("taylor", help="Taylor coefficients of a one-variable formula",
                            description="Taylor coefficients f^(k)(x0)/k! by automatic differentiation, and "
                                        "with --plot the function against its Taylor polynomials.")
    taylor.add_argument("expression")
    taylor.add_argument("--at", required=True, help="expansion point, e.g. x=0")
    taylor.add_argument("--order", type=int, default=5, help="highest order (default 5)")
    taylor.add_argument("--plot", help="picture to write (.png, .svg, .pdf)")
    taylor.add_argument("--width", type=float, default=3.0, help="plot x0 - width .. x0 + width (default 3)")
    taylor.set_defaults(run=cmd_taylor)

    minimize = sub.add_parser("minimize", help="minimise a formula and show the iterates",
                              description="Minimise a formula from a starting point; print the iterates and, "
                                          "with --plot, draw the path (over contours for two variables).")
    minimize.add_argument("expression")
    minimize.add_argument("--from", dest="start", required=True, help="starting point, e.g. x=-1.2,y=1")
    minimize.add_argument("--method", choices=["gd", "momentum", "newton", "bfgs", "lbfgs"], default="bfgs")
    minimize.add_argument("--maxiter", type=_positive_int, default=500)
    minimize.add_argument("--tol", type=float, default=1e-8, help="stop when every |df/dx_i| <= tol")
    minimize.add_argument("--lr", type=float, default=None, help="step size for gd/momentum")
    minimize.add_argument("--plot", help="picture of the path (.png, .svg, .pdf)")
    minimize.set_defaults(run=cmd_minimize)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (2 for bad usage, as argparse does).

    >>> main(["check", "x**3 * y", "--at", "x=2,y=0.5"])  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    f = x**3 * y at x=2, y=0.5
    value 4
    ...
    df/dx 6 6 ...
    df/dy 8 8 ...
    OK: largest error ...
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as error:
        parser.exit(2, f"autodiff {args.command}: error: {error}\n")
    return 2  # pragma: no cover (parser.exit raises SystemExit)

