"""Non-linear curve fitting: a Gaussian fitted to a histogram, with uncertainties and a fit report.

Samples from a normal distribution are binned; each bin count N has a Poisson error √N. The model
A exp(-(x - μ)²/(2s²)) is not linear in μ and s, so optim.chi2_fit minimises χ² with
Levenberg-Marquardt, taking ∂model/∂(A, μ, s) by automatic differentiation, and prints the report:
values, errors, 95% intervals, χ²/dof and its p-value, correlations. The covariance of the
parameters is (JᵀJ)⁻¹ at the optimum with absolute_sigma=True: the errors √N are the real errors,
so a bad fit would show as a small p-value instead of inflating the errors. The picture shades the
model's 95% confidence band (from the AD Jacobian and the covariance) and shows the pulls.

A poor start is part of the lesson: started with the peak far from the data (p0 = [1, -3, 0.1]),
the model does not change with any parameter at the data points, and the fit says it never moved
instead of pretending to converge.

    python examples/08_gaussian_fit.py --out out/gaussian_fit
"""

import warnings

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
    result = optim.chi2_fit(gaussian, x, y, p0=guess, sigma=sigma, absolute_sigma=True)
    print(result)
    expected_amplitude = n * (edges[1] - edges[0]) / (np.sqrt(2 * np.pi) * true_width)
    truths = (expected_amplitude, true_mean, true_width)
    print("\ntruth:", ", ".join(f"{name} {t:.4f} (pull {(v - t) / e:+.2f})" for name, t, v, e in
                                zip(result.names, truths, result.params, result.errors, strict=True)))

    with warnings.catch_warnings(record=True):  # the warning's text is in the report below
        warnings.simplefilter("always")
        poor = optim.chi2_fit(gaussian, x, y, p0=[1.0, -3.0, 0.1], sigma=sigma)
    print(f"\nfrom a poor start p0 = [1, -3, 0.1]: success={poor.success}, nit={poor.nit}, "
          f"errors={poor.errors}\n  {poor.message}")

    xs = np.linspace(-1.5, 4.5, 400)
    lines = [f"{name} = {v:.3f} ± {e:.3f}" for name, v, e in zip(("A", "μ", "s"), result.params, result.errors,
                                                                 strict=True)]
    note = "\n".join(lines) + f"\nχ²/dof = {result.chi2:.1f}/{result.dof}, p = {result.p_value:.2f}"
    plot.fit_plot(x, y, sigma, {"Gaussian fit": (xs, result.predict(xs))}, out / "gaussian_fit.png",
                  title=f"Gaussian fitted to a histogram of {n} samples (errors √N)", xlabel="x",
                  ylabel="counts per bin", note=note, band=(xs, *result.predict_band(xs, 0.95)),
                  pulls=result.pulls)
    wrote(out / "gaussian_fit.png")


if __name__ == "__main__":
    main()
