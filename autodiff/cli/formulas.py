"""autodiff's own commands, on formulas typed on the command line: graph, check, taylor.

They need only the engine. ``minimize`` and ``demo`` need optim and nn, so they live in optim
(``optim/commands.py``) and register themselves by entry point (see ``registry``).
"""

from __future__ import annotations

import argparse
import math

import numpy as np

import autodiff as ad

from ..calculus import TaylorPolynomial
from ..expr import Expression
from ..page import graph_page
from ..viz import draw_graph, retain_grads
from .common import (
    UsageError,
    add_formula_arguments,
    graph_file,
    html_file,
    number,
    parse_expression,
    plot_file,
    plot_module,
    positive_float,
    read_formula,
    read_point,
    table,
    write_graph,
    write_page,
    writing,
)
from .registry import Command


# ----------------------------------------------------------------------------- graph
def _graph_arguments(parser: argparse.ArgumentParser) -> None:
    add_formula_arguments(parser)
    parser.add_argument("-o", "--output", type=graph_file,
                        help="picture to write (.svg, .png, .pdf, .jpg) or .dot text")
    parser.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR", help="layout direction")
    parser.add_argument("--partials", action="store_true",
                        help="label every edge with its local partial derivative")
    parser.add_argument("--path", metavar="NAME",
                        help="highlight every path from this variable to f, and write df/dNAME as the chain rule's "
                             "sum over them")
    parser.add_argument("--html", type=html_file, metavar="FILE",
                        help="also write an interactive page (.html) that steps through the derivative")


def _graph(args: argparse.Namespace) -> int:
    expression, point = read_formula(args.expression, args.at)
    inputs = [ad.tensor(value, requires_grad=True, name=name)
              for name, value in zip(expression.variables, point, strict=True)]
    out = expression(*inputs)
    if not isinstance(out, ad.Tensor) or not out.requires_grad:
        raise UsageError(f"{args.expression!r} does not depend on its variables")
    if all(out is not t for t in inputs):  # "x" alone: the output is the input, keep its name
        out.name = "f"
    retain_grads(out)
    out.backward(retain_graph=True)
    print(f"f = {args.expression} = {number(out.item()).strip()}")
    for t in inputs:
        grad = 0.0 if t.grad is None else t.grad.item()
        print(f"  df/d{t.name} = {number(grad).strip()}")
    if args.path is not None and args.path not in expression.variables:
        raise UsageError(f"--path {args.path}: the formula's variables are {', '.join(expression.variables)}")
    graph = draw_graph(out, rankdir=args.rankdir, title=f"f = {args.expression}", show_partials=args.partials,
                       path=None if args.path is None else inputs[expression.variables.index(args.path)])
    if args.output is not None:
        print(f"wrote {write_graph(graph, args.output)}")
    elif args.html is None:
        print(graph.source)
    if args.html is not None:
        page = graph_page(out, title=f"f = {args.expression}", rankdir=args.rankdir)
        print(f"wrote {write_page(page, args.html)}")
    return 0


graph = Command(
    help="draw the computation graph of a formula",
    description="Evaluate a formula at a point, backpropagate, and draw the graph with values and gradients "
                "(DOT text to stdout, a picture with -o, an interactive page with --html).",
    add_arguments=_graph_arguments, run=_graph)


# ----------------------------------------------------------------------------- check
HESSIAN_SLACK = 100.0  # second differences lose about two more digits than first differences


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    add_formula_arguments(parser)
    parser.add_argument("--hessian", action="store_true", help="also compare second derivatives")
    parser.add_argument("--method", choices=["central", "forward", "backward", "richardson"],
                        default="central", help="finite-difference formula for the gradient")
    parser.add_argument("--plot", type=plot_file, help="picture of the finite-difference error against the step size")
    parser.add_argument("--tolerance", "--tol", type=positive_float, default=1e-5,
                        help=f"largest accepted error of first derivatives (default 1e-5; second derivatives "
                             f"get {HESSIAN_SLACK:g} times it)")


def _compare(name: str, automatic: float, numerical: float, tolerance: float) -> tuple[list[str], float, str]:
    """A table row; how far the entry is past its tolerance (> 1: a mismatch); what its error is.

    An entry's error is the smaller of its abs and rel errors. Both are columns of the table, so the
    summary names the column its number comes from.
    """
    error = abs(automatic - numerical)
    relative = error / max(abs(automatic), abs(numerical), 1e-300) if error else 0.0
    row = [name, number(automatic), number(numerical), f"{error:.2e}", f"{relative:.2e}"]
    if not np.isfinite(error):
        return row, math.inf, f"{name} is not finite (automatic {automatic:g}, finite differences {numerical:g})"
    column, smaller = ("abs error", error) if error <= relative else ("rel error", relative)
    return row, smaller / tolerance, f"worst entry {name}, {column} {smaller:.2e} (tolerance {tolerance:g})"


def _check(args: argparse.Namespace) -> int:
    expression, point = read_formula(args.expression, args.at)
    f = expression.on_vector
    names = expression.variables
    ad_grad = ad.grad(f)(point).data
    fd_grad = ad.numerical_grad(f, point, method=args.method)
    compared = [_compare(f"df/d{n}", a, d, args.tolerance) for n, a, d in zip(names, ad_grad, fd_grad, strict=True)]
    print(f"f = {args.expression} at " + ", ".join(f"{n}={v:g}" for n, v in zip(names, point, strict=True)))
    print(f"value {number(float(f(ad.tensor(point)).item())).strip()}\n")
    print(table(["", "automatic", f"finite diff. ({args.method})", "abs error", "rel error"],
                [row for row, _, _ in compared]))
    if args.hessian:
        ad_hess = ad.hessian(f)(point).data
        fd_hess = ad.numerical_hessian(f, point)
        second = [_compare(f"d2f/d{ni}d{nj}", ad_hess[i, j], fd_hess[i, j], args.tolerance * HESSIAN_SLACK)
                  for i, ni in enumerate(names) for j, nj in enumerate(names[i:], start=i)]
        print()
        print(table(["", "automatic", "finite diff. (2nd order)", "abs error", "rel error"],
                    [row for row, _, _ in second]))
        compared += second
    if args.plot:
        plot = plot_module()
        study = ad.step_size_study(f, point)
        with writing(args.plot):
            plot.step_size_errors(study.steps, study.errors, args.plot,
                                  title=f"Finite-difference error against step: {args.expression}")
        print(f"\nwrote {args.plot}")
    _, ratio, worst = max(compared, key=lambda entry: entry[1])  # the entry furthest past its tolerance
    agree = ratio <= 1.0
    print(f"\n{'OK' if agree else 'MISMATCH'}: {worst}")
    print("(an entry's error is the smaller of its abs and rel errors"
          + (f"; second derivatives are allowed {HESSIAN_SLACK:g} times --tolerance, as their finite differences "
             "lose more digits)" if args.hessian else ")"))
    return 0 if agree else 1


check = Command(
    help="compare AD with finite differences",
    description="The gradient (and with --hessian the Hessian) by automatic differentiation next to finite "
                "differences, as a table of errors. Exit status 1 when they disagree.",
    add_arguments=_check_arguments, run=_check)


# ----------------------------------------------------------------------------- taylor
def _polynomial_text(coefficients: np.ndarray, shift: str) -> str:
    """'1 + x + 0.5*x**2' from the coefficients (``shift`` is 'x' or '(x - a)')."""
    text = ""
    for k, c in enumerate(coefficients):
        if c == 0:
            continue
        magnitude = f"{abs(c):.6g}" if k == 0 else ("" if abs(c) == 1 else f"{abs(c):.6g}*")
        term = magnitude + (shift if k else "") + (f"**{k}" if k > 1 else "")
        sign = ("-" if c < 0 else "") if not text else (" - " if c < 0 else " + ")
        text += sign + term
    return text or "0"


def _taylor_arguments(parser: argparse.ArgumentParser) -> None:
    add_formula_arguments(parser, "expansion point, e.g. x=0 (or x=pi/4)")
    parser.add_argument("--order", type=int, default=5, help="highest order (default 5)")
    parser.add_argument("--plot", type=plot_file, help="picture to write (.png, .svg, .pdf)")
    parser.add_argument("--width", type=positive_float, default=3.0,
                        help="plot x0 - width .. x0 + width (default 3)")
    parser.add_argument("--tol", type=positive_float, default=1e-2,
                        help="with --plot, shade for each polynomial T_k the interval around x0 where "
                             "|f(x) - T_k(x)| <= TOL (default 0.01), and print it")


def _tolerance_interval(polynomial: TaylorPolynomial, tol: float, lo: float, hi: float,
                        points: int = 801) -> tuple[float, float] | None:
    """The interval [a, b] around x0, inside [lo, hi], where the polynomial is within ``tol`` of f.

    |f(x) - p(x)| (``polynomial.error``; nan outside f's domain counts as beyond ``tol``) is
    evaluated on a grid of ``points`` across [lo, hi] and x0; from x0 the interval grows while the
    error stays within ``tol``, and each end is refined by bisection between its last good and first
    bad grid point, to 1e-12 of the width. A search, not a proof: an excursion above ``tol`` that
    falls between two grid points is not seen. None if p is not within ``tol`` at x0 itself.

    >>> import autodiff as ad
    >>> a, b = _tolerance_interval(ad.taylor_polynomial(ad.exp, 0.0, 1), 0.01, -3.0, 3.0)
    >>> round(a, 6), round(b, 6)   # e^x - 1 - x = 0.01 at both ends
    (-0.144835, 0.138165)
    """
    x0 = polynomial.x0
    grid = np.union1d(np.linspace(lo, hi, points), [x0])
    with np.errstate(all="ignore"):
        good = np.abs(np.asarray(polynomial.error(grid), dtype=float)) <= tol  # nan compares False
    centre = int(np.searchsorted(grid, x0))
    if not good[centre]:
        return None

    def within(x: float) -> bool:
        with np.errstate(all="ignore"):
            return bool(abs(float(polynomial.error(np.array([x]))[0])) <= tol)

    def end(step: int) -> float:
        i = centre
        while 0 <= i + step < grid.size and good[i + step]:
            i += step
        if not 0 <= i + step < grid.size:
            return float(grid[i])  # within tol up to the edge of the plot
        inside, outside = float(grid[i]), float(grid[i + step])
        while abs(outside - inside) > 1e-12 * (hi - lo):
            middle = 0.5 * (inside + outside)
            inside, outside = (middle, outside) if within(middle) else (inside, middle)
        return inside

    return end(-1), end(1)


def _taylor(args: argparse.Namespace) -> int:
    expression, (x0,) = _one_variable(args)
    name = expression.variables[0]
    coefficients = np.asarray(ad.taylor(expression, x0, args.order), dtype=float)
    infinite = next((k for k, c in enumerate(coefficients) if not np.isfinite(c)), None)
    if infinite is not None:
        raise UsageError(f"{expression.text} has no Taylor series about {name} = {x0:g}: its derivative of order "
                         f"{infinite} is {coefficients[infinite] * math.factorial(infinite):g} there")
    rows = [[str(k), number(c * math.factorial(k)), number(c)] for k, c in enumerate(coefficients)]
    print(f"Taylor series of {args.expression} about {name} = {x0:g}\n")
    print(table(["k", f"f^(k)({x0:g})", "coefficient f^(k)/k!"], rows))
    shift = name if x0 == 0 else f"({name} - {x0:g})"
    print(f"\nT{args.order}({name}) = {_polynomial_text(coefficients, shift)}")
    if args.plot:
        plot = plot_module()
        orders = sorted({max(1, round(k)) for k in np.linspace(1, args.order, min(args.order, 5))} or {0})
        polynomials = {k: TaylorPolynomial(float(x0), coefficients[: k + 1], expression) for k in orders}
        lo, hi = x0 - args.width, x0 + args.width
        within = {k: _tolerance_interval(p, args.tol, lo, hi) for k, p in polynomials.items()}
        print(f"\nwhere |f - T_k| <= {args.tol:g} (around {name} = {x0:g}, searched in [{lo:g}, {hi:g}]):")
        for k, interval in within.items():
            print(f"  T{k}: " + ("not even at x0" if interval is None else f"[{interval[0]:.6g}, {interval[1]:.6g}]"))
        with writing(args.plot):
            plot.taylor_plot(lambda xs: expression(xs), x0, polynomials, args.plot, xlim=(lo, hi),
                             title=f"Taylor polynomials of {args.expression} about {name} = {x0:g}",
                             label=f"f({name}) = {args.expression}", within=within, tol=args.tol)
        print(f"wrote {args.plot}")
    return 0


def _one_variable(args: argparse.Namespace) -> tuple[Expression, np.ndarray]:
    """The formula of one variable and its expansion point."""
    expression = parse_expression(args.expression)
    if len(expression.variables) != 1:
        raise UsageError(f"taylor needs a function of one variable; {args.expression!r} has "
                         f"{', '.join(expression.variables)}")
    if not 0 <= args.order <= 30:
        raise UsageError(f"--order must be between 0 and 30, got {args.order}")
    return expression, read_point(args.at, expression)


taylor = Command(
    help="Taylor coefficients of a one-variable formula",
    description="Taylor coefficients f^(k)(x0)/k! by automatic differentiation, and with --plot the function "
                "against its Taylor polynomials, each shaded where it is within --tol of the function.",
    add_arguments=_taylor_arguments, run=_taylor)

def _builtin() -> dict[str, Command]:
    from .explain import command as explain  # noqa: PLC0415 (its own module; it imports this one's neighbours)
    from .serve import command as serve  # noqa: PLC0415

    return {"graph": graph, "check": check, "taylor": taylor, "explain": explain, "serve": serve}


BUILTIN = _builtin()
