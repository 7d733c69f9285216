"""Propagation of errors: g from a pendulum's length and period, by AD against a Monte Carlo.

A pendulum of length L = 0.500 ± 0.002 m swings with period T = 1.419 ± 0.005 s, so g = 4π²L/T².
What is the error on g? The linear rule σ_g² = J Σ Jᵀ needs the partial derivatives ∂g/∂L and
∂g/∂T, here by automatic differentiation (ad.propagate_uncertainty); order=2 adds the Hessian's
terms for Gaussian errors. A Monte Carlo draws (L, T) many times and looks at the spread of g. With
small relative errors all agree; as σ_T grows, 1/T² skews g: the linear rule misses the shift of
the mean, which the second-order terms catch, while the spread outgrows both rules (its next terms
need the third derivatives).

    python examples/11_error_propagation.py --out out/error_propagation
"""

import numpy as np
from _common import options, wrote

import autodiff as ad
from autodiff import plot

LENGTH, PERIOD = 0.500, 1.419  # m, s
SIGMA_LENGTH, SIGMA_PERIOD = 0.002, 0.005


def gravity(v):
    """g = 4π²L/T² for v = (L, T); written with autodiff ops, so J and H come by AD."""
    return 4 * np.pi**2 * v[0] / v[1] ** 2


def monte_carlo(cov: np.ndarray, samples: int, rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    """g for `samples` Gaussian draws of (L, T), its mean and standard deviation."""
    draws = rng.multivariate_normal([LENGTH, PERIOD], cov, size=samples)
    g = 4 * np.pi**2 * draws[:, 0] / draws[:, 1] ** 2
    return g, float(g.mean()), float(g.std(ddof=1))


def main() -> None:
    out, quick = options(__doc__.splitlines()[0], "error_propagation")
    samples = 100_000 if quick else 1_000_000
    rng = np.random.default_rng(11)
    cov = np.diag([SIGMA_LENGTH**2, SIGMA_PERIOD**2])

    J = ad.jacobian(gravity)(np.array([LENGTH, PERIOD])).numpy()
    budget = (J * np.sqrt(np.diag(cov))) ** 2  # each input's share of σ_g²
    print(f"g = 4π²L/T² at L = {LENGTH} ± {SIGMA_LENGTH} m, T = {PERIOD} ± {SIGMA_PERIOD} s")
    print(f"∂g/∂L = {J[0]:.4f} s⁻², ∂g/∂T = {J[1]:.4f} m s⁻³ (by AD); error budget: "
          f"L {budget[0] / budget.sum():.0%}, T {budget[1] / budget.sum():.0%} of σ_g²\n")

    g_samples, mc_mean, mc_std = monte_carlo(cov, samples, rng)
    rows = [("linear (AD)", *ad.propagate_uncertainty(gravity, [LENGTH, PERIOD], cov)),
            ("second order (AD)", *ad.propagate_uncertainty(gravity, [LENGTH, PERIOD], cov, order=2))]
    print(f"{'method':<22}{'g (m/s²)':>12}{'σ_g (m/s²)':>13}")
    for name, mean, variance in rows:
        print(f"{name:<22}{mean:>12.5f}{np.sqrt(variance):>13.5f}")
    standard_error = mc_std / np.sqrt(samples)
    print(f"{f'Monte Carlo ({samples:,})':<22}{mc_mean:>12.5f}{mc_std:>13.5f}   (± {standard_error:.5f} on the mean)")

    # larger timing errors: where the linear rule stops being enough
    relative = np.linspace(0.005, 0.12, 8 if quick else 16)
    linear, second, sampled = [], [], []
    for r in relative:
        wide = np.diag([SIGMA_LENGTH**2, (r * PERIOD) ** 2])
        linear.append(ad.propagate_uncertainty(gravity, [LENGTH, PERIOD], wide))
        second.append(ad.propagate_uncertainty(gravity, [LENGTH, PERIOD], wide, order=2))
        sampled.append(monte_carlo(wide, samples // 4, rng)[1:])
    print(f"\nwith σ_T = {relative[-1]:.0%} of T: mean g linear {linear[-1][0]:.3f}, second order {second[-1][0]:.3f}, "
          f"Monte Carlo {sampled[-1][0]:.3f}; σ_g {np.sqrt(linear[-1][1]):.3f}, {np.sqrt(second[-1][1]):.3f}, "
          f"{sampled[-1][1]:.3f}")

    fig = plot.figure(ncols=2, size=(11.5, 4.4))
    left, right = fig.axes
    left.hist(g_samples, bins=120, density=True, color="#cccccc", label=f"Monte Carlo, {samples:,} draws")
    xs = np.linspace(g_samples.min(), g_samples.max(), 400)
    for (name, mean, variance), style in zip(rows, ("-", "--"), strict=True):
        density = np.exp(-0.5 * (xs - mean) ** 2 / variance) / np.sqrt(2 * np.pi * variance)
        left.plot(xs, density, style, lw=1.6, label=f"{name}: {mean:.4f} ± {np.sqrt(variance):.4f}")
    left.set(xlabel="g (m/s²)", ylabel="density", title="g = 4π²L/T² from L = 0.500(2) m, T = 1.419(5) s")
    left.legend(fontsize=8)
    percent = 100 * relative
    right.plot(percent, [np.sqrt(v) for _, v in linear], "o-", ms=3, label="σ_g, linear")
    right.plot(percent, [np.sqrt(v) for _, v in second], "s--", ms=3, label="σ_g, second order")
    right.plot(percent, [s for _, s in sampled], "k:", lw=1.5, label="σ_g, Monte Carlo")
    right.plot(percent, [m - 9.80 for m, _ in linear], "o-", ms=3, alpha=0.5, label="mean g - 9.80, linear")
    right.plot(percent, [m - 9.80 for m, _ in second], "s--", ms=3, alpha=0.5, label="mean g - 9.80, second order")
    right.plot(percent, [m - 9.80 for m, _ in sampled], "k-.", lw=1, label="mean g - 9.80, Monte Carlo")
    right.set(xlabel="σ_T / T (%)", ylabel="m/s²", title="larger timing errors: the mean shifts, the spread skews")
    right.grid(alpha=0.3)
    right.legend(fontsize=7)
    plot.save(fig, out / "error_propagation.png")
    wrote(out / "error_propagation.png")


if __name__ == "__main__":
    main()
