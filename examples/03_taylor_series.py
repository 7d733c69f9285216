"""Taylor series and linearisation: polynomials that agree with a function to order n at a point.

In one variable, ad.taylor gives the coefficients f⁽ᵏ⁾(x₀)/k! (here of exp(sin x) about 0 and
ln(1 + x), whose series stops converging at |x| = 1). How wrong is a polynomial? p.error(x) is the
actual f(x) - p(x); p.remainder_bound(x) is Lagrange's bound max|f⁽ⁿ⁺¹⁾|·|x - x₀|ⁿ⁺¹/(n + 1)!, with
the maximum over [x₀, x] taken from Taylor-mode derivatives on a grid: on a log scale the bound
stays above the error, close to it where f⁽ⁿ⁺¹⁾ varies little. In two variables, the linearisation
L(x) = f(x₀) + J·(x - x₀) is wrong by O(‖x - x₀‖²) and the quadratic approximation, which adds
½ dᵀHd, by O(‖x - x₀‖³): the log-log plot of the errors shows slopes 2 and 3, and trust_radius says
how far each stays within a tolerance.

    python examples/03_taylor_series.py --out out/taylor
"""

import numpy as np
from _common import options, wrote

import autodiff as ad
from autodiff import plot


def bump(v):
    return ad.exp(-v[0] ** 2 - 0.5 * v[1] ** 2) * ad.cos(v[0] + 2 * v[1])


def main() -> None:
    out, quick = options(__doc__.splitlines()[0], "taylor_series")
    orders = (1, 2, 4, 6) if quick else (1, 2, 4, 6, 8, 12)
    f = lambda x: ad.exp(ad.sin(x))
    coefficients = ad.taylor(f, 0.0, max(orders))
    terms = [f"{c:+.6g} x^{k}" for k, c in enumerate(coefficients) if abs(c) > 1e-15]
    print("exp(sin x) = " + " ".join(terms) + " + ...")
    polynomials = {n: ad.taylor_polynomial(f, 0.0, n) for n in orders}
    plot.taylor_plot(lambda x: np.exp(np.sin(x)), 0.0, polynomials, out / "taylor_exp_sin.png",
                     xlim=(-4, 4), title="Taylor polynomials of exp(sin x) about x = 0", label="exp(sin x)")

    xs = np.linspace(-3.0, 3.0, 301 if quick else 601)
    fig = plot.figure(size=(7.2, 4.8))
    ax = fig.axes[0]
    floor = 1e-17  # errors at the rounding level, drawn at the bottom of the log scale
    for n, color in zip(orders[1::2], plot.COLORS, strict=False):
        p = polynomials[n]
        error, bound = np.abs(p.error(xs)), p.remainder_bound(xs)
        assert np.all(bound + 1e-14 >= error), n  # the bound holds (up to rounding near x0)
        ax.semilogy(xs, np.maximum(error, floor), color=color, lw=1.6, label=f"order {n}: |f(x) - p(x)|")
        ax.semilogy(xs, np.maximum(bound, floor), "--", color=color, lw=1.2, label=f"order {n}: Lagrange bound")
    ax.set(xlabel="x", ylabel="error", ylim=(floor, 1e3),
           title="exp(sin x) about 0: the true error and the remainder bound")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncols=2, loc="lower right")
    plot.save(fig, out / "taylor_error_bound.png")
    at = 1.5
    print(f"at x = {at}: " + ", ".join(f"order {n} error {abs(float(polynomials[n].error(at))):.2e} "
                                       f"≤ bound {float(polynomials[n].remainder_bound(at)):.2e}"
                                       for n in orders[1::2]))

    log1p = lambda x: ad.log1p(x)
    polynomials = {n: ad.taylor_polynomial(log1p, 0.0, n) for n in (1, 2, 5, 10, 20)}
    plot.taylor_plot(np.log1p, 0.0, polynomials, out / "taylor_log1p.png", xlim=(-0.95, 1.6),
                     title="Taylor polynomials of ln(1 + x) about 0: they converge only for |x| < 1",
                     label="ln(1 + x)")

    x0 = np.array([0.3, -0.2])
    L, Q = ad.linearize(bump, x0), ad.quadratic_approx(bump, x0)
    print(f"at x0 = {x0}: f = {L.f0:.6f}, gradient = {Q.g}, Hessian =\n{Q.H}")
    rng = np.random.default_rng(0)
    direction = rng.normal(size=2)
    direction /= np.linalg.norm(direction)
    distances = np.logspace(-3, 0, 12 if quick else 30)
    exact = np.array([float(bump(ad.tensor(x0 + r * direction))) for r in distances])
    linear_error = np.abs(exact - np.array([float(L(x0 + r * direction)) for r in distances]))
    quadratic_error = np.abs(exact - np.array([float(Q(x0 + r * direction)) for r in distances]))
    slopes = [np.polyfit(np.log(distances[:8]), np.log(e[:8]), 1)[0] for e in (linear_error, quadratic_error)]
    print(f"error slopes on log-log axes: linear {slopes[0]:.2f} (theory 2), "
          f"quadratic {slopes[1]:.2f} (theory 3)")
    for tol in (1e-2, 1e-4):
        print(f"within {tol:g} of f up to a distance of {L.trust_radius(tol):.4f} (linear), "
              f"{Q.trust_radius(tol):.4f} (quadratic) along the axes")

    fig = plot.figure(size=(6.8, 4.8))
    ax = fig.axes[0]
    ax.loglog(distances, linear_error, "o-", ms=3, label=f"linearisation (slope {slopes[0]:.2f})")
    ax.loglog(distances, quadratic_error, "s-", ms=3,
              label=f"quadratic approximation (slope {slopes[1]:.2f})")
    ax.loglog(distances, 0.5 * distances**2, "k:", lw=1, label="reference r², r³")
    ax.loglog(distances, 0.2 * distances**3, "k:", lw=1)
    ax.set(xlabel="distance r = ‖x - x₀‖", ylabel="|f(x) - approximation|",
           title="f = exp(-x² - y²/2) cos(x + 2y): error of the approximations")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    plot.save(fig, out / "approximation_error.png")
    wrote(out / "taylor_exp_sin.png", out / "taylor_error_bound.png", out / "taylor_log1p.png",
          out / "approximation_error.png")


if __name__ == "__main__":
    main()
