"""Non-linear curve fitting: a Gaussian fitted to a histogram, with uncertainties.

Samples from a normal distribution are binned; each bin count N has a Poisson error √N. The model
A exp(-(x - μ)²/(2s²)) is not linear in μ and s, so optim.curve_fit minimises χ² with
Levenberg-Marquardt, taking ∂model/∂(A, μ, s) by automatic differentiation. The covariance of the
parameters is (JᵀJ)⁻¹ at the optimum (absolute_sigma: the errors √N are the real errors).

    python examples/08_gaussian_fit.py --out out/gaussian_fit
"""

import numpy as np
from _common import options, wrote

import autodiff as ad
import optim
from autodiff import plot


def gaussian(x, amplitude, mean, width):
    return amplitude * ad.exp(-((x - mean) ** 2) / (2 * width**2))


def main() -> None:
    out, quick = options(__doc__.splitlines()[0], "gaussian_fit")
    rng = np.random.default_rng(3)
    true_mean, true_width, n = 1.5, 0.8, 2000 if quick else 5000
    samples = rng.normal(true_mean, true_width, n)
    counts, edges = np.histogram(samples, bins=30, range=(-1.5, 4.5))
    centres = (edges[:-1] + edges[1:]) / 2
    keep = counts > 0  # √N is no error estimate for an empty bin
    x, y, sigma = centres[keep], counts[keep].astype(float), np.sqrt(counts[keep])

    guess = [y.max(), x[np.argmax(y)], 1.0]
    popt, pcov = optim.curve_fit(gaussian, x, y, p0=guess, sigma=sigma, absolute_sigma=True)
    errors = np.sqrt(np.diag(pcov))
    expected_amplitude = n * (edges[1] - edges[0]) / (np.sqrt(2 * np.pi) * true_width)
    best = lambda xs: np.asarray(gaussian(ad.tensor(xs), *popt).data)
    chi2 = optim.chi_squared(y, best(x), sigma)
    dof = len(x) - 3
    for name, value, error, truth in zip(("amplitude A", "mean μ", "width s"), popt, errors,
                                         (expected_amplitude, true_mean, true_width), strict=True):
        pull = (value - truth) / error
        print(f"{name:>12} = {value:9.4f} ± {error:.4f}   (truth {truth:.4f}, pull {pull:+.2f})")
    print(f"χ² = {chi2:.1f} for {dof} degrees of freedom")
    print(f"correlation matrix:\n{np.round(pcov / np.outer(errors, errors), 3)}")

    xs = np.linspace(-1.5, 4.5, 400)
    lines = [f"{name} = {v:.3f} ± {e:.3f}" for name, v, e in zip(("A", "μ", "s"), popt, errors, strict=True)]
    note = "\n".join(lines) + f"\nχ²/dof = {chi2:.1f}/{dof}"
    plot.fit_plot(x, y, sigma, {"Gaussian fit": (xs, best(xs))}, out / "gaussian_fit.png",
                  title=f"Gaussian fitted to a histogram of {n} samples (errors √N)", xlabel="x",
                  ylabel="counts per bin", model=best, note=note)
    wrote(out / "gaussian_fit.png")


if __name__ == "__main__":
    main()
