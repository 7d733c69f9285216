"""The ``autodiff`` commands that need optim: ``minimize`` and ``demo``.

Dependencies flow one way, ``optim -> nn -> autodiff``, and autodiff imports neither nn nor optim,
so its command line cannot hold commands that optimise or train. They live here, in the one
package that may import all three, and are registered by entry points in pyproject.toml
(group ``autodiff.commands``) that ``autodiff.cli`` loads when they are asked for:

    [project.entry-points."autodiff.commands"]
    demo = "optim.commands:demo"
    minimize = "optim.commands:minimize"

They read formulas, points and file names with ``autodiff.cli.common``, as the built-in commands do.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from autodiff.cli.common import (
    UsageError,
    add_formula_arguments,
    number,
    plot_file,
    plot_module,
    positive_float,
    positive_int,
    read_formula,
    table,
    writing,
)
from autodiff.cli.registry import Command
from autodiff.expr import DomainError, Expression

from .demo import demo as train_demo
from .unconstrained import minimize as minimize_function

__all__ = ["demo", "minimize"]


# ----------------------------------------------------------------------------- minimize
def _minimize_arguments(parser: argparse.ArgumentParser) -> None:
    add_formula_arguments(parser, "starting point, e.g. x=-1.2,y=1 (--from is the same option)", "--from")
    parser.add_argument("--method", choices=["gd", "momentum", "newton", "bfgs", "lbfgs"], default="bfgs")
    parser.add_argument("--maxiter", type=positive_int, default=500)
    parser.add_argument("--tol", "--tolerance", type=positive_float, default=1e-8,
                        help="stop when every |df/dx_i| <= tol")
    parser.add_argument("--lr", type=positive_float, default=None, help="step size for gd/momentum")
    parser.add_argument("--plot", type=plot_file, help="picture of the path (.png, .svg, .pdf)")


def _minimize(args: argparse.Namespace) -> int:
    expression, start = read_formula(args.expression, args.at)
    names = expression.variables
    if args.plot and len(names) > 2:
        raise UsageError(f"--plot draws functions of one or two variables; this one has {len(names)}")
    if args.lr is not None and args.method not in ("gd", "momentum"):
        raise UsageError(f"--lr sets the step of gd and momentum; {args.method} chooses its own steps")
    options = {} if args.lr is None else {"lr": args.lr}
    result = minimize_function(expression.on_vector, start, method=args.method, tol=args.tol,
                               maxiter=args.maxiter, **options)
    path = np.asarray(result.path, dtype=float).reshape(len(result.path), -1)
    rows = []
    shown = list(range(len(path))) if len(path) <= 12 else [*range(8), *range(len(path) - 3, len(path))]
    for i in shown:
        value = float(np.asarray(expression.on_vector(path[i])))
        rows.append([str(i), *(number(v) for v in path[i]), number(value)])
        if i == 7 and len(path) > 12:
            rows.append(["...", *([""] * len(names)), ""])
    where = ", ".join(f"{n}={v:g}" for n, v in zip(names, start, strict=True))
    print(f"minimize {args.expression} from {where} with {args.method}\n")
    print(table(["iter", *names, "f"], rows))
    print(f"\n{'converged' if result.success else 'did not converge'}: {result.message}")
    if not np.isfinite(result.fun):
        print(f"the last iterate left the domain: {_domain_problem(expression, result.x)}")
    print("x* = " + ", ".join(f"{n}={v:.10g}" for n, v in zip(names, np.ravel(result.x), strict=True))
          + f"   f(x*) = {float(result.fun):.10g}   iterations {result.nit}")
    if args.plot:
        plot = plot_module()
        title = f"{args.method} on {args.expression}"
        with writing(args.plot):
            if len(names) == 2:
                plot.contour_paths(expression.on_vector, {args.method: path}, args.plot, names=names, title=title)
            else:
                plot.line_path(lambda xs: expression(xs), {args.method: path[:, 0]}, args.plot, name=names[0],
                               title=title)
        print(f"wrote {args.plot}")
    return 0 if result.success else 1


def _domain_problem(expression: Expression, x: np.ndarray) -> str:
    """The first line of check_domain's message at x: which operation is undefined, with what values."""
    try:
        expression.check_domain(*np.ravel(x))
    except DomainError as error:
        return str(error).splitlines()[0]
    return "f is not finite there"


minimize = Command(
    help="minimise a formula and show the iterates",
    description="Minimise a formula from a starting point; print the iterates and, with --plot, draw the path "
                "(over contours for two variables). Exit status 1 when it does not converge.",
    add_arguments=_minimize_arguments, run=_minimize)


# ----------------------------------------------------------------------------- demo
DATASETS = ["moons", "circles", "spirals", "xor"]


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", choices=DATASETS, default="moons")
    parser.add_argument("--epochs", type=positive_int, default=None, help="training epochs (default per dataset)")
    parser.add_argument("--out", default="autodiff-demo", help="folder for the pictures (default ./autodiff-demo)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (data and weights)")


def _demo(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; expected a folder for the pictures")
    with writing(out):
        train_demo(args.dataset, args.epochs, out, seed=args.seed)
    return 0


demo = Command(
    help="train a toy network and draw its pictures",
    description="Train a small network on a 2-D toy dataset with a progress bar, print the accuracy, and write "
                "loss.png, decision_boundary.png, graph.svg and index.html (all of them on one page).",
    add_arguments=_demo_arguments, run=_demo, function=train_demo)
