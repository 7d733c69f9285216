"""χ² linear regression with error bars: the best line, its uncertainties, and what the Hessian says.

Each point yᵢ has its own error σᵢ. The best line minimises χ²(a, b) = Σ ((yᵢ - a xᵢ - b)/σᵢ)².
optim.linear_regression solves this in closed form and prints the whole report: values, errors,
95% intervals, χ²/dof and its p-value, correlations. optim.chi2_fit, the general fit (Levenberg-
Marquardt, derivatives by AD), finds the same line. We check that the gradient of χ² (by AD) is
zero there and that the covariance of (a, b) is 2 H⁻¹ with H the Hessian of χ² (also by AD). The
contour χ² = χ²_min + 1 projects onto the ±1σ error of each parameter; χ²_min + 2.3 encloses 68%
of the joint probability. The fit picture shades the 95% confidence band of the line.

    python examples/07_chi2_regression.py --out out/chi2
"""

import numpy as np
from _common import options, wrote

import autodiff as ad
import optim
from autodiff import plot


def main() -> None:
    out, quick = options(__doc__.splitlines()[0], "chi2_regression")
    rng = np.random.default_rng(7)
    x = np.linspace(0.5, 10, 12)
    sigma = rng.uniform(0.4, 1.5, x.size)
    y = 1.7 * x + 3.0 + sigma * rng.standard_normal(x.size)

    fit = optim.linear_regression(x, y, sigma=sigma)  # σ are real measurement errors: absolute_sigma=True
    print(fit)
    print(f"\ntruth: slope 1.7, intercept 3.0; pulls of the truth: "
          f"{(fit.slope - 1.7) / fit.slope_err:+.2f}, {(fit.intercept - 3.0) / fit.intercept_err:+.2f}")
    general = optim.chi2_fit(lambda x, slope, intercept: slope * x + intercept, x, y, p0=[1.0, 0.0], sigma=sigma)
    differences = np.max(np.abs(general.params - fit.params)), np.max(np.abs(general.errors - fit.errors))
    print(f"chi2_fit (Levenberg-Marquardt, {general.nit} iterations) agrees: params differ by {differences[0]:.1e}, "
          f"errors by {differences[1]:.1e}")

    def chi2(p):
        return (((y - p[0] * x - p[1]) / sigma) ** 2).sum()

    best = np.array([fit.slope, fit.intercept])
    H = ad.hessian(chi2)(best).data
    print(f"gradient of χ² at the fit (AD): {ad.grad(chi2)(best).data}")
    print(f"covariance 2 H⁻¹ from the AD Hessian:\n{2 * np.linalg.inv(H)}\nclosed form:\n{fit.covariance}")

    xs = np.linspace(0, 10.5, 100)
    note = (f"a = {fit.slope:.3f} ± {fit.slope_err:.3f}\nb = {fit.intercept:.3f} ± {fit.intercept_err:.3f}\n"
            f"χ²/dof = {fit.chi2:.1f}/{fit.dof}, p = {fit.p_value:.2f}")
    plot.fit_plot(x, y, sigma, {"best fit": (xs, fit(xs)), "truth: 1.7 x + 3": (xs, 1.7 * xs + 3.0)},
                  out / "fit.png", title="Weighted least squares (χ²) straight line", model=fit, note=note,
                  band=(xs, *fit.predict_band(xs, 0.95)), pulls=fit.pulls)

    n = 80 if quick else 200
    a = fit.slope + 4 * fit.slope_err * np.linspace(-1, 1, n)
    b = fit.intercept + 4 * fit.intercept_err * np.linspace(-1, 1, n)
    A, B = np.meshgrid(a, b)
    surface = (((y[:, None, None] - A * x[:, None, None] - B) / sigma[:, None, None]) ** 2).sum(axis=0)
    fig = plot.figure(size=(6.4, 5.2))
    ax = fig.axes[0]
    filled = ax.contourf(A, B, surface - fit.chi2, levels=np.linspace(0, 16, 17), cmap="Blues_r",
                         extend="max")
    fig.colorbar(filled, ax=ax, label="χ² - χ²_min")
    lines = ax.contour(A, B, surface - fit.chi2, levels=[1.0, 2.3, 6.18], colors=["k", "#d62728", "#ff7f0e"])
    ax.clabel(lines, fmt={1.0: "Δχ²=1", 2.3: "68%", 6.18: "95%"}, fontsize=8)
    ax.errorbar(fit.slope, fit.intercept, xerr=fit.slope_err, yerr=fit.intercept_err, fmt="o", color="k",
                capsize=3, label="best fit ± 1σ")
    ax.plot(1.7, 3.0, "*", color="#d62728", ms=12, label="truth")
    ax.set(xlabel="slope a", ylabel="intercept b", title="χ² landscape of (slope, intercept)")
    ax.legend(loc="upper right")
    plot.save(fig, out / "chi2_landscape.png")
    wrote(out / "fit.png", out / "chi2_landscape.png")


if __name__ == "__main__":
    main()
