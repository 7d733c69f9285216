"""Newton-Raphson: follow the tangent to its zero, with the derivative from automatic differentiation.

For a scalar equation f(x) = 0 each step is x ← x - f(x)/f'(x); for a system F(v) = 0 it solves
J(v) Δ = -F(v) with the Jacobian J. Near a simple root the number of correct digits doubles each
step (quadratic convergence): e_{n+1} ≈ C e_n². Shown on Newton's own example x³ - 2x - 5 = 0 and
on where the circle x² + y² = 4 meets the curve y = eˣ - 1.

    python examples/04_newton_raphson.py --out out/newton
"""

import numpy as np
from _common import options, wrote

import autodiff as ad
import optim
from autodiff import plot


def newton_scalar(f, x, steps):
    df = ad.grad(f)
    path = [x]
    for _ in range(steps):
        x = x - float(f(x)) / float(df(x))
        path.append(x)
    return np.array(path)


def newton_system(F, v, steps):
    J = ad.jacobian(F)
    path = [v]
    for _ in range(steps):
        v = v - np.linalg.solve(J(v).data, np.asarray(F(ad.tensor(v)).data))
        path.append(v)
    return np.array(path)


def cubic(x):
    return x**3 - 2 * x - 5


def system(v):
    x, y = v[0], v[1]
    return ad.stack([x**2 + y**2 - 4, ad.exp(x) - 1 - y])


def main() -> None:
    out, quick = options(__doc__.splitlines()[0], "newton_raphson")
    slope = ad.grad(cubic)
    path = newton_scalar(cubic, 3.0, 6)
    root = path[-1]
    print(" n            x_n                 error    error / previous error²")
    for n, x in enumerate(path):
        error = abs(x - root)
        previous = abs(path[n - 1] - root) if n else 0.0
        ratio = error / previous**2 if previous > 0 else float("nan")
        print(f"{n:2d}  {x:.16f}  {error:9.2e}  {ratio:10.4f}")
    second = ad.grad(ad.grad(cubic))
    constant = float(second(root)) / (2 * float(slope(root)))
    print(f"theory: the ratio tends to f''/(2f') at the root = {constant:.4f}")
    if hasattr(optim, "newton_raphson"):  # the library's solver: the same iteration, with safeguards
        print(f"optim.newton_raphson gives {float(np.ravel(optim.newton_raphson(cubic, 3.0).root)[0]):.16f}")

    xs = np.linspace(1.4, 3.2, 400)
    fig = plot.figure(size=(7, 4.8))
    ax = fig.axes[0]
    ax.plot(xs, cubic(xs), color="k", lw=2, label="f(x) = x³ - 2x - 5")
    ax.axhline(0, color="gray", lw=0.8)
    for n, x in enumerate(path[:4]):
        tangent = cubic(x) + float(slope(x)) * (xs - x)
        ax.plot(xs, tangent, "--", lw=1, color=plot.COLORS[n % len(plot.COLORS)])
        ax.plot([x, x], [0, cubic(x)], ":", color="gray", lw=1)
        ax.plot(x, cubic(x), "o", color=plot.COLORS[n % len(plot.COLORS)], label=f"x{n} = {x:.6f}")
    ax.set(xlabel="x", ylabel="f(x)", ylim=(-8, 25),
           title="Newton-Raphson: each tangent's zero is the next x")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    plot.save(fig, out / "newton_tangents.png")

    runs = {"from (-0.5, -2)": np.array([-0.5, -2.0]), "from (2, 0.5)": np.array([2.0, 0.5])}
    gx, gy = np.meshgrid(np.linspace(-2.7, 2.7, 300), np.linspace(-2.7, 2.7, 300))
    fig = plot.figure(size=(6, 5.6))
    ax = fig.axes[0]
    ax.contour(gx, gy, gx**2 + gy**2 - 4, levels=[0], colors=plot.COLORS[0], linewidths=2)
    ax.contour(gx, gy, np.exp(gx) - 1 - gy, levels=[0], colors=plot.COLORS[2], linewidths=2)
    for color, (label, start) in zip((plot.COLORS[1], plot.COLORS[4]), runs.items(), strict=True):
        iterates = newton_system(system, start, 4 if quick else 8)
        residual = np.abs(system(ad.tensor(iterates[-1])).data).max()
        print(f"system {label}: solution {iterates[-1]}, residual {residual:.1e}")
        ax.plot(iterates[:, 0], iterates[:, 1], "-o", color=color, ms=4, label=f"Newton {label}")
        ax.plot(*iterates[0], "s", color=color, mec="k", ms=8)
    ax.plot([], [], color=plot.COLORS[0], label="x² + y² = 4")
    ax.plot([], [], color=plot.COLORS[2], label="y = eˣ - 1")
    ax.set(xlabel="x", ylabel="y", aspect="equal",
           title="Newton's method for two equations (squares: starts)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    plot.save(fig, out / "newton_system.png")
    wrote(out / "newton_tangents.png", out / "newton_system.png")


if __name__ == "__main__":
    main()
