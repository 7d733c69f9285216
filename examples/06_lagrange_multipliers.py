"""Lagrange multipliers: the extremes of f(x, y) = x y on the ellipse x²/4 + y² = 1.

At a constrained extreme the gradient of f is parallel to the gradient of the constraint g:
∇f = λ ∇g with g(x, y) = 0. optim.lagrange solves these equations by Newton's method on the
Lagrangian L = f - λ g (its derivatives by AD) and classifies each point with the bordered
Hessian. Four starts find the four stationary points (±√2, ±1/√2), where f = ±1.

    python examples/06_lagrange_multipliers.py --out out/lagrange
"""

import numpy as np
from _common import options, wrote

import autodiff as ad
import optim
from autodiff import plot


def f(v):
    return v[0] * v[1]


def ellipse(v):
    return v[0] ** 2 / 4 + v[1] ** 2 - 1


def main() -> None:
    out, quick = options(__doc__.splitlines()[0], "lagrange_multipliers")
    starts = [(1.5, 1.0), (-1.5, 1.0), (-1.5, -1.0), (1.5, -1.0)]
    points = []
    for start in starts:
        result = optim.lagrange(f, ellipse, x0=list(start))
        points.append((result.x, result.classification))
        print(f"from {start}: x = {np.round(result.x, 6)}, λ = {np.round(result.multipliers, 6)}, "
              f"f = {result.fun:+.6f}, {result.classification} ({result.nit} Newton steps)")
    print(f"exact: x = (±√2, ±1/√2) = (±{np.sqrt(2):.6f}, ±{1 / np.sqrt(2):.6f}), f = ±1")

    n = 150 if quick else 300
    gx, gy = np.meshgrid(np.linspace(-2.6, 2.6, n), np.linspace(-1.6, 1.6, n))
    fig = plot.figure(size=(7.4, 5))
    ax = fig.axes[0]
    filled = ax.contourf(gx, gy, gx * gy, levels=21, cmap="RdBu_r", alpha=0.8)
    ax.contour(gx, gy, gx * gy, levels=21, colors="white", linewidths=0.4)
    fig.colorbar(filled, ax=ax, label="f(x, y) = x y")
    ax.contour(gx, gy, gx**2 / 4 + gy**2 - 1, levels=[0], colors="k", linewidths=2.2)
    ax.plot([], [], color="k", lw=2.2, label="constraint x²/4 + y² = 1")
    for i, (x, kind) in enumerate(points):
        grad_f, grad_g = ad.grad(f)(x).data, ad.grad(ellipse)(x).data
        # ∇f longer and wider underneath, ∇g on top: where they point the same way both stay visible
        arrows = ((grad_f, "#2ca02c", "∇f", 0.65, 4), (grad_g, "#9467bd", "∇g", 0.4, 2))
        for vector, color, name, size, width in arrows:
            tip = x + size * vector / np.linalg.norm(vector)
            ax.annotate("", xy=tip, xytext=x, arrowprops={"arrowstyle": "->", "color": color, "lw": width})
            if i == 0:
                ax.plot([], [], color=color, lw=2, label=f"{name} (direction)")
        maximum = kind == "maximum"
        ax.plot(*x, "o" if maximum else "v", color="k", mfc="gold" if maximum else "white", ms=10,
                label=kind if i < 2 else None, zorder=5)
    ax.set(xlabel="x", ylabel="y", aspect="equal", title="Extremes of x y on an ellipse: ∇f ∥ ∇g")
    ax.legend(loc="upper center", fontsize=8, ncol=3, bbox_to_anchor=(0.5, -0.12))
    plot.save(fig, out / "lagrange.png")
    wrote(out / "lagrange.png")


if __name__ == "__main__":
    main()
