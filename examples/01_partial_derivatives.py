"""Partial derivatives, the gradient and the Jacobian, by automatic differentiation.

f(x, y) = x² y + sin(x y) has ∂f/∂x = 2xy + y cos(xy) and ∂f/∂y = x² + x cos(xy). We compare AD
with these formulas and with finite differences, draw the gradient field over the contours of f
(the gradient is perpendicular to them), show how the error of finite differences depends on the
step, and take the Jacobian of the polar-to-Cartesian map, whose determinant is r.

    python examples/01_partial_derivatives.py --out out/partial
"""

import numpy as np
from _common import options, wrote

import autodiff as ad
from autodiff import plot


def f(v):
    x, y = v[0], v[1]
    return x**2 * y + ad.sin(x * y)


def by_hand(x, y):
    return np.array([2 * x * y + y * np.cos(x * y), x**2 + x * np.cos(x * y)])


def polar(p):
    r, theta = p[0], p[1]
    return ad.stack([r * ad.cos(theta), r * ad.sin(theta)])


def main() -> None:
    out, quick = options(__doc__.splitlines()[0], "partial_derivatives")
    point = np.array([1.0, 2.0])
    gradient = ad.grad(f)(point).data
    print(f"f(1, 2) = {float(f(ad.tensor(point))):.6f}")
    print(f"gradient by AD           {gradient}")
    print(f"gradient by hand         {by_hand(*point)}")
    print(f"gradient by differences  {ad.numerical_grad(f, point)}")

    J = ad.jacobian(polar)(np.array([2.0, np.pi / 6])).data
    print(f"\nJacobian of (r, θ) -> (r cos θ, r sin θ) at r=2, θ=π/6:\n{J}")
    print(f"det J = {np.linalg.det(J):.6f} (= r)")

    # the gradient field over the contours: each arrow is (∂f/∂x, ∂f/∂y) at its foot. f at one grid
    # point does not depend on the others, so one backward pass of Σ f gives every point's gradient.
    n = 12 if quick else 18
    xs, ys = np.meshgrid(np.linspace(-2, 2, n), np.linspace(-2, 2, n))
    grid = ad.tensor(np.stack([xs, ys]), requires_grad=True)
    f(grid).sum().backward()
    field = grid.grad.data.reshape(2, -1).T
    gx, gy = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-2, 2, 200))
    fig = plot.figure(size=(6.4, 5.6))
    ax = fig.axes[0]
    filled = ax.contourf(gx, gy, f(np.stack([gx, gy])), levels=25, cmap="viridis")
    ax.contour(gx, gy, f(np.stack([gx, gy])), levels=25, colors="white", linewidths=0.4)
    fig.colorbar(filled, ax=ax, label="f(x, y)")
    length = np.hypot(field[:, 0], field[:, 1]) + 1e-12
    ax.quiver(xs.ravel(), ys.ravel(), field[:, 0] / length, field[:, 1] / length, np.log1p(length),
              cmap="autumn", scale=28, width=0.004)
    ax.set(xlabel="x", ylabel="y", title="f = x²y + sin(xy): gradient directions (colour: log(1+|∇f|))")
    plot.save(fig, out / "gradient_field.png")

    study = ad.step_size_study(f, point, steps=np.logspace(-14, 0, 15 if quick else 43))
    plot.step_size_errors(study.steps, study.errors, out / "finite_difference_error.png",
                          title="Finite differences of f at (1, 2): error against step")
    for method in study.errors:
        print(f"best step for {method:>10}: {study.best_step(method):.0e}")
    wrote(out / "gradient_field.png", out / "finite_difference_error.png")


if __name__ == "__main__":
    main()
