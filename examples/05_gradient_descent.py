"""Gradient descent on a 2-D landscape: plain steps, momentum, Newton and BFGS on Rosenbrock's valley.

f(x, y) = (1 - x)² + 100 (y - x²)² has its minimum at (1, 1) at the bottom of a long curved valley.
Gradient descent zig-zags across the valley and crawls along it; momentum averages the zig-zag
away; Newton's method uses the Hessian (curvature) and gets there in about twenty steps; BFGS builds
a Hessian estimate from successive gradients and needs no second derivatives. All derivatives come
from automatic differentiation (optim.minimize).

    python examples/05_gradient_descent.py --out out/gradient_descent
"""

import numpy as np
from _common import options, wrote

import optim
from autodiff import plot


def rosenbrock(v):
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2


def main() -> None:
    out, quick = options(__doc__.splitlines()[0], "gradient_descent")
    start = [-1.2, 1.0]
    budget = 300 if quick else 3000
    methods = {"gradient descent": ("gd", {}), "momentum": ("momentum", {"lr": 1e-3, "beta": 0.9}),
               "Newton": ("newton", {}), "BFGS": ("bfgs", {})}
    paths, values = {}, {}
    for label, (method, settings) in methods.items():
        result = optim.minimize(rosenbrock, start, method=method, maxiter=budget, **settings)
        paths[label] = result.path
        values[label] = [float(rosenbrock(p)) for p in result.path]
        print(f"{label:>16}: {result.nit:5d} iterations, x = {np.round(result.x, 6)}, f = {result.fun:.2e}, "
              f"{'converged' if result.success else 'stopped: ' + result.message}")
    plot.contour_paths(rosenbrock, paths, out / "paths.png", bounds=((-1.6, 1.6), (-0.6, 1.8)),
                       minimum=(1, 1), title="Rosenbrock's valley: four optimisers from (-1.2, 1)")

    fig = plot.figure(size=(7, 4.6))
    ax = fig.axes[0]
    for color, (label, f_values) in zip(plot.COLORS[1:], values.items(), strict=False):
        ax.semilogy(np.maximum(f_values, 1e-30), color=color, lw=1.8, label=label)
    ax.set(xscale="symlog", xlabel="iteration", ylabel="f(x) - f(x*)",
           title="Convergence on Rosenbrock's function")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    plot.save(fig, out / "convergence.png")
    wrote(out / "paths.png", out / "convergence.png")


if __name__ == "__main__":
    main()
