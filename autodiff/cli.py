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
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autodiff as ad

from .expr import FUNCTIONS, Expression, ExpressionError, parse
from .viz import DotNotFoundError, draw_graph, retain_grads, save_graph


class UsageError(Exception):
    """Bad command-line input: reported by argparse with exit status 2."""


# ----------------------------------------------------------------------------- shared helpers
def _point(text: str, expression: Expression, option: str) -> np.ndarray:
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


def _expression(text: str) -> Expression:
    try:
        expression = parse(text)
    except ExpressionError as error:
        raise UsageError(f"cannot use the expression:\n{error}") from None
    if not expression.variables:
        raise UsageError(f"{text!r} has no variables; use names such as x and y")
    return expression


def _format(value: float) -> str:
    return f"{value: .10g}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _plot_module() -> Any:
    try:
        from . import plot

        plot.figure().clear()
    except ImportError as error:
        raise UsageError(str(error)) from None
    return plot


def _write_graph(graph: Any, path: Path) -> Path:
    """Render to path; without `dot`, write the DOT text next to it and say how to render it."""
    try:
        return save_graph(graph, path)
    except DotNotFoundError:
        dot_path = save_graph(graph, path.with_suffix(".dot"))
        print(f"note: Graphviz's `dot` program is not installed, so {path.name} was not drawn; wrote "
              f"{dot_path} instead. Install graphviz (Debian/Ubuntu: sudo apt-get install graphviz) and "
              f"run: dot -T{path.suffix.lstrip('.') or 'svg'} {dot_path} -o {path}", file=sys.stderr)
        return dot_path


# ----------------------------------------------------------------------------- graph
def cmd_graph(args: argparse.Namespace) -> int:
    expression = _expression(args.expression)
    point = _point(args.at, expression, "--at")
    inputs = [ad.tensor(value, requires_grad=True, name=name)
              for name, value in zip(expression.variables, point, strict=True)]
    out = expression(*inputs)
    if not isinstance(out, ad.Tensor) or not out.requires_grad:
        raise UsageError(f"{args.expression!r} does not depend on its variables")
    if all(out is not t for t in inputs):  # "x" alone: the output is the input, keep its name
        out.name = "f"
    retain_grads(out)
    out.backward(retain_graph=True)
    print(f"f = {args.expression} = {_format(out.item()).strip()}")
    for t in inputs:
        grad = 0.0 if t.grad is None else t.grad.item()
        print(f"  df/d{t.name} = {_format(grad).strip()}")
    graph = draw_graph(out, rankdir=args.rankdir, title=f"f = {args.expression}")
    if args.output is None:
        print(graph.source)
    else:
        written = _write_graph(graph, Path(args.output))
        print(f"wrote {written}")
    return 0


# ----------------------------------------------------------------------------- check
def cmd_check(args: argparse.Namespace) -> int:
    with np.errstate(all="ignore"):  # a formula outside its domain shows nan in the table, not warnings
        return _check(args)


def _check(args: argparse.Namespace) -> int:
    expression = _expression(args.expression)
    point = _point(args.at, expression, "--at")
    f = expression.on_vector
    ad_grad = ad.grad(f)(point).data
    fd_grad = ad.numerical_grad(f, point, method=args.method)
    rows, worst = [], 0.0
    for name, a, n in zip(expression.variables, ad_grad, fd_grad, strict=True):
        error = abs(a - n)
        relative = error / max(abs(a), abs(n), 1e-300) if error else 0.0
        worst = max(worst, min(error, relative) if np.isfinite(error) else math.inf)
        rows.append([f"df/d{name}", _format(a), _format(n), f"{error:.2e}", f"{relative:.2e}"])
    print(f"f = {args.expression} at " + ", ".join(f"{n}={v:g}" for n, v in zip(expression.variables, point,
                                                                                   strict=True)))
    print(f"value {_format(float(f(ad.tensor(point)).item())).strip()}\n")
    print(_table(["", "automatic", f"finite diff. ({args.method})", "abs error", "rel error"], rows))
    if args.hessian:
        ad_hess = ad.hessian(f)(point).data
        fd_hess = ad.numerical_hessian(f, point)
        hrows = []
        for i, ni in enumerate(expression.variables):
            for j, nj in enumerate(expression.variables[i:], start=i):
                error = abs(ad_hess[i, j] - fd_hess[i, j])
                relative = error / max(abs(ad_hess[i, j]), abs(fd_hess[i, j]), 1e-300) if error else 0.0
                worst = max(worst, min(error / 1e2, relative) if np.isfinite(error) else math.inf)
                hrows.append([f"d2f/d{ni}d{nj}", _format(ad_hess[i, j]), _format(fd_hess[i, j]),
                              f"{error:.2e}", f"{relative:.2e}"])
        print()
        print(_table(["", "automatic", "finite diff. (2nd order)", "abs error", "rel error"], hrows))
    if args.plot:
        plot = _plot_module()
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
    expression = _expression(args.expression)
    if len(expression.variables) != 1:
        raise UsageError(f"taylor needs a function of one variable; {args.expression!r} has "
                         f"{', '.join(expression.variables)}")
    if not 0 <= args.order <= 30:
        raise UsageError(f"--order must be between 0 and 30, got {args.order}")
    (x0,) = _point(args.at, expression, "--at")
    name = expression.variables[0]
    coefficients = np.asarray(ad.taylor(expression, x0, args.order), dtype=float)
    rows = [[str(k), _format(c * math.factorial(k)), _format(c)] for k, c in enumerate(coefficients)]
    print(f"Taylor series of {args.expression} about {name} = {x0:g}\n")
    print(_table(["k", f"f^(k)({x0:g})", "coefficient f^(k)/k!"], rows))
    shift = name if x0 == 0 else f"({name} - {x0:g})"
    print(f"\nT{args.order}({name}) = {_polynomial_text(coefficients, shift)}")
    if args.plot:
        plot = _plot_module()
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

    expression = _expression(args.expression)
    start = _point(args.start, expression, "--from")
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
        rows.append([str(i), *(_format(v) for v in path[i]), _format(value)])
        if i == 7 and len(path) > 12:
            rows.append(["...", *([""] * len(names)), ""])
    where = ", ".join(f"{n}={v:g}" for n, v in zip(names, start, strict=True))
    print(f"minimize {args.expression} from {where} with {args.method}\n")
    print(_table(["iter", *names, "f"], rows))
    print(f"\n{'converged' if result.success else 'did not converge'}: {result.message}")
    print("x* = " + ", ".join(f"{n}={v:.10g}" for n, v in zip(names, np.ravel(result.x), strict=True))
          + f"   f(x*) = {float(result.fun):.10g}   iterations {result.nit}")
    if args.plot:
        plot = _plot_module()
        if len(names) == 2:
            plot.contour_paths(expression.on_vector, {args.method: path}, args.plot, names=names,
                               title=f"{args.method} on {args.expression}")
        else:
            plot.line_path(lambda xs: expression(xs), {args.method: path[:, 0]}, args.plot, name=names[0],
                           title=f"{args.method} on {args.expression}")
        print(f"wrote {args.plot}")
    return 0 if result.success else 1


# ----------------------------------------------------------------------------- demo
DEMO_EPOCHS = {"moons": 60, "circles": 60, "xor": 60, "spirals": 200}


def _dataset(name: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    import nn

    if name == "moons":
        return nn.datasets.make_moons(300, noise=0.15, rng=seed)
    if name == "circles":
        return nn.datasets.make_circles(300, noise=0.08, factor=0.5, rng=seed)
    if name == "spirals":
        return nn.datasets.make_spirals(300, n_classes=3, noise=0.15, rng=seed)
    return nn.datasets.make_xor(300, noise=0.15, rng=seed)


def _train(model: Any, loss_fn: Any, optimizer: Any, X: np.ndarray, y: np.ndarray, epochs: int,
           seed: int) -> dict[str, list[float]]:
    """nn.fit, with its tqdm bar on a terminal; elsewhere (logs, CI, no tqdm) a text bar every tenth of the run."""
    import importlib.util

    import nn

    if sys.stdout.isatty() and importlib.util.find_spec("tqdm") is not None:
        return nn.fit(model, loss_fn, optimizer, X, y, epochs=epochs, batch_size=32, progress=True, rng=seed)
    history: dict[str, list[float]] = {}
    done = 0
    rng = np.random.default_rng(seed)
    while done < epochs:
        chunk = min(max(1, epochs // 10), epochs - done)
        part = nn.fit(model, loss_fn, optimizer, X, y, epochs=chunk, batch_size=32, progress=False, rng=rng)
        for key, values in part.items():
            history.setdefault(key, []).extend(values)
        done += chunk
        bar = "#" * round(20 * done / epochs)
        print(f"[{bar:<20}] epoch {done:>4}/{epochs}  loss {history['loss'][-1]:.4f}  "
              f"accuracy {history['accuracy'][-1]:.1%}", flush=True)
    return history


def demo(dataset: str = "moons", epochs: int | None = None, out: str | Path = "autodiff-demo",
         seed: int = 0) -> float:
    """Train a 2-16-16-k tanh network on a toy dataset, write its pictures to ``out``; return the accuracy."""
    import nn
    import optim

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    epochs = DEMO_EPOCHS[dataset] if epochs is None else epochs
    X, y = _dataset(dataset, seed)
    classes = int(y.max()) + 1
    model = nn.Sequential(nn.Linear(2, 16, rng=seed), nn.Tanh(), nn.Linear(16, 16, rng=seed + 1), nn.Tanh(),
                          nn.Linear(16, classes, rng=seed + 2))
    loss_fn = nn.CrossEntropyLoss()
    print(f"training {model!r}\non {len(X)} points of {dataset} for {epochs} epochs")
    history = _train(model, loss_fn, optim.Adam(model.parameters(), lr=0.02), X, y, epochs, seed)
    accuracy = nn.evaluate(model, loss_fn, X, y)["accuracy"]
    print(f"final accuracy {accuracy:.1%}")

    written = []
    try:
        from . import plot

        def probabilities(points: np.ndarray) -> np.ndarray:
            with ad.no_grad():
                p = ad.softmax(model(ad.tensor(points)), axis=-1).data
            return p[:, 1] if classes == 2 else p

        plot.loss_curve(history, out / "loss.png", title=f"{dataset}")
        written.append(out / "loss.png")
        plot.decision_boundary(probabilities, X, y, out / "decision_boundary.png",
                               title=f"{dataset}: decision boundary (accuracy {accuracy:.1%})")
        written.append(out / "decision_boundary.png")
    except ImportError as error:
        print(f"note: {error}; skipped loss.png and decision_boundary.png", file=sys.stderr)
    # the graph of one small batch: retain_graph=True keeps it whole after backward for the picture
    batch = model(ad.tensor(X[:4], name="X (4 points)"))
    loss = loss_fn(batch, ad.tensor(y[:4], name="labels"))
    loss.name = "loss"
    model.zero_grad()
    loss.backward(retain_graph=True)
    graph = draw_graph(loss, model=model, rankdir="TB",
                       title=f"one step of training on 4 points of {dataset}")
    written.append(_write_graph(graph, out / "graph.svg"))
    print("wrote " + ", ".join(str(p) for p in written))
    return float(accuracy)


def cmd_demo(args: argparse.Namespace) -> int:
    demo(args.dataset, args.epochs, args.out, seed=args.seed)
    return 0


# ----------------------------------------------------------------------------- the parser
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


if __name__ == "__main__":
    sys.exit(main())
