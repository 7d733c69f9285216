"""The commands on formulas typed on the command line: graph, check, taylor, minimize."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

import autodiff as ad

from ..viz import draw_graph, retain_grads
from .common import UsageError, number, parse_expression, parse_point, plot_module, table, write_graph


def cmd_graph(args: argparse.Namespace) -> int:
    expression = parse_expression(args.expression)
    point = parse_point(args.at, expression, "--at")
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
    graph = draw_graph(out, rankdir=args.rankdir, title=f"f = {args.expression}")
    if args.output is None:
        print(graph.source)
    else:
        written = write_graph(graph, Path(args.output))
        print(f"wrote {written}")
    return 0


# ----------------------------------------------------------------------------- check
def cmd_check(args: argparse.Namespace) -> int:
    with np.errstate(all="ignore"):  # a formula outside its domain shows nan in the table, not warnings
        return _check(args)


def _check(args: argparse.Namespace) -> int:
    expression = parse_expression(args.expression)
    point = parse_point(args.at, expression, "--at")
    f = expression.on_vector
    ad_grad = ad.grad(f)(point).data
    fd_grad = ad.numerical_grad(f, point, method=args.method)
    rows, worst = [], 0.0
    for name, a, n in zip(expression.variables, ad_grad, fd_grad, strict=True):
        error = abs(a - n)
        relative = error / max(abs(a), abs(n), 1e-300) if error else 0.0
        worst = max(worst, min(error, relative) if np.isfinite(error) else math.inf)
        rows.append([f"df/d{name}", number(a), number(n), f"{error:.2e}", f"{relative:.2e}"])
    print(f"f = {args.expression} at " + ", ".join(f"{n}={v:g}" for n, v in zip(expression.variables, point,
                                                                                   strict=True)))
    print(f"value {number(float(f(ad.tensor(point)).item())).strip()}\n")
    print(table(["", "automatic", f"finite diff. ({args.method})", "abs error", "rel error"], rows))
    if args.hessian:
        ad_hess = ad.hessian(f)(point).data
        fd_hess = ad.numerical_hessian(f, point)
        hrows = []
        for i, ni in enumerate(expression.variables):
            for j, nj in enumerate(expression.variables[i:], start=i):
                error = abs(ad_hess[i, j] - fd_hess[i, j])
                relative = error / max(abs(ad_hess[i, j]), abs(fd_hess[i, j]), 1e-300) if error else 0.0
                worst = max(worst, min(error / 1e2, relative) if np.isfinite(error) else math.inf)
                hrows.append([f"d2f/d{ni}d{nj}", number(ad_hess[i, j]), number(fd_hess[i, j]),
                              f"{error:.2e}", f"{relative:.2e}"])
        print()
        print(table(["", "automatic", "finite diff. (2nd order)", "abs error", "rel error"], hrows))
    if args.plot:
        plot = plot_module()
        study = ad.step_size_study(f, point)
        plot.step_size_errors(study.steps, study.errors, args.plot,
                              title=f"Finite-difference error against step: {args.expression}")
        print(f"\nwrote {args.plot}")
    agree = worst <= args.tolerance
    print(f"\n{'OK' if agree else 'MISMATCH'}: largest error {worst:.2e} (min of abs and rel; tolerance "
          f"{args.tolerance:g})")
    return 0 if agree else 1


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


def cmd_taylor(args: argparse.Namespace) -> int:
    expression = parse_expression(args.expression)
    if len(expression.variables) != 1:
        raise UsageError(f"taylor needs a function of one variable; {args.expression!r} has "
                         f"{', '.join(expression.variables)}")
    if not 0 <= args.order <= 30:
        raise UsageError(f"--order must be between 0 and 30, got {args.order}")
    (x0,) = parse_point(args.at, expression, "--at")
    name = expression.variables[0]
    coefficients = np.asarray(ad.taylor(expression, x0, args.order), dtype=float)
    rows = [[str(k), number(c * math.factorial(k)), number(c)] for k, c in enumerate(coefficients)]
    print(f"Taylor series of {args.expression} about {name} = {x0:g}\n")
    print(table(["k", f"f^(k)({x0:g})", "coefficient f^(k)/k!"], rows))
    shift = name if x0 == 0 else f"({name} - {x0:g})"
    print(f"\nT{args.order}({name}) = {_polynomial_text(coefficients, shift)}")
    if args.plot:
        plot = plot_module()
        orders = sorted({max(1, round(k)) for k in np.linspace(1, args.order, min(args.order, 5))} or {0})
        polynomials = {k: (lambda xs, k=k: np.polynomial.polynomial.polyval(np.asarray(xs) - x0,
                                                                             coefficients[: k + 1]))
                       for k in orders}
        plot.taylor_plot(lambda xs: expression(xs), x0, polynomials, args.plot,
                         xlim=(x0 - args.width, x0 + args.width),
                         title=f"Taylor polynomials of {args.expression} about {name} = {x0:g}",
                         label=f"f({name}) = {args.expression}")
        print(f"wrote {args.plot}")
    return 0


# ----------------------------------------------------------------------------- minimize
def cmd_minimize(args: argparse.Namespace) -> int:
    import optim  # optim builds on autodiff, so the command imports it only when used

    expression = parse_expression(args.expression)
    start = parse_point(args.start, expression, "--from")
    if args.plot and len(expression.variables) > 2:
        raise UsageError("--plot draws functions of one or two variables; this one has "
                         f"{len(expression.variables)}")
    if args.lr is not None and args.method not in ("gd", "momentum"):
        raise UsageError(f"--lr sets the step of gd and momentum; {args.method} chooses its own steps")
    options = {} if args.lr is None else {"lr": args.lr}
    with np.errstate(all="ignore"):
        result = optim.minimize(expression.on_vector, start, method=args.method, tol=args.tol,
                                maxiter=args.maxiter, **options)
    path = np.asarray(result.path, dtype=float).reshape(len(result.path), -1)
    names = expression.variables
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
    print("x* = " + ", ".join(f"{n}={v:.10g}" for n, v in zip(names, np.ravel(result.x), strict=True))
          + f"   f(x*) = {float(result.fun):.10g}   iterations {result.nit}")
    if args.plot:
        plot = plot_module()
        if len(names) == 2:
            plot.contour_paths(expression.on_vector, {args.method: path}, args.plot, names=names,
                               title=f"{args.method} on {args.expression}")
        else:
            plot.line_path(lambda xs: expression(xs), {args.method: path[:, 0]}, args.plot, name=names[0],
                           title=f"{args.method} on {args.expression}")
        print(f"wrote {args.plot}")
    return 0 if result.success else 1
