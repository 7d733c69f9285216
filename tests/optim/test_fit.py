"""optim.chi2_fit and its FitResult against scipy (issue 14's "How it is checked").

On four fixed data sets (a line, an exponential decay on a constant, a Gaussian peak on a linear
background, and the ill-conditioned sum of two nearly equal exponentials) ``params`` and ``cov``
match ``scipy.optimize.curve_fit`` to 1e-6 relative, for absolute σ, relative σ and no σ. scipy gets
the hand-written Jacobian, so the oracle has no finite-difference error. ``p_value`` matches
``scipy.stats.chi2.sf``, ``ci`` the t (or normal) quantile intervals, ``predict_band`` the band from
the hand-written Jacobian. A flat start fails honestly; degenerate parameters warn and are named.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autodiff as ad
import optim

so = pytest.importorskip("scipy.optimize")
stats = pytest.importorskip("scipy.stats")


def line(x, a, b):
    return a * x + b


def decay(x, a, k, c):
    return a * ad.exp(-k * x) + c


def peak(x, a, mu, s, b0, b1):
    return a * ad.exp(-(x - mu) ** 2 / (2 * s ** 2)) + b0 + b1 * x


def two_exponentials(x, a1, k1, a2, k2):
    return a1 * ad.exp(-k1 * x) + a2 * ad.exp(-k2 * x)


def line_jac(x, a, b):
    return np.column_stack([x, np.ones_like(x)])


def decay_jac(x, a, k, c):
    e = np.exp(-k * x)
    return np.column_stack([e, -a * x * e, np.ones_like(x)])


def peak_jac(x, a, mu, s, b0, b1):
    g = np.exp(-(x - mu) ** 2 / (2 * s ** 2))
    return np.column_stack([g, a * g * (x - mu) / s ** 2, a * g * (x - mu) ** 2 / s ** 3, np.ones_like(x), x])


def two_exponentials_jac(x, a1, k1, a2, k2):
    e1, e2 = np.exp(-k1 * x), np.exp(-k2 * x)
    return np.column_stack([e1, -a1 * x * e1, e2, -a2 * x * e2])


def numpy_model(model):
    return lambda x, *p: np.asarray(model(x, *p), dtype=float)  # the ops take and give plain arrays


RNG = np.random.default_rng(2024)
XL = np.linspace(0, 10, 25)
SL = 0.5 + RNG.random(XL.size)
YL = 1.7 * XL - 3.0 + SL * RNG.normal(size=XL.size)
XD = np.linspace(0, 6, 40)
SD = 0.03 + 0.04 * RNG.random(XD.size)
YD = 2.5 * np.exp(-0.8 * XD) + 0.4 + SD * RNG.normal(size=XD.size)
XP = np.linspace(-4, 6, 80)
SP = 0.1 + 0.1 * RNG.random(XP.size)
YP = np.asarray(peak(XP, 3.0, 1.2, 0.7, 0.5, 0.05)) + SP * RNG.normal(size=XP.size)
RNG2 = np.random.default_rng(1)  # rates 1 and 1.07: cond(JᵀJ) ≈ 2.5e10 at the optimum
XE = np.linspace(0, 5, 60)
SE = 1e-5 * (1 + RNG2.random(XE.size))
YE = np.asarray(two_exponentials(XE, 1.0, 1.0, 1.0, 1.07)) + SE * RNG2.normal(size=XE.size)

DATA = {  # name: model, its Jacobian by hand, x, y, σ, p0
    "linear": (line, line_jac, XL, YL, SL, [1.0, 0.0]),
    "exponential decay": (decay, decay_jac, XD, YD, SD, [1.0, 1.0, 0.0]),
    "gaussian peak on background": (peak, peak_jac, XP, YP, SP, [2.0, 1.0, 1.0, 0.0, 0.0]),
    "two nearly equal exponentials": (two_exponentials, two_exponentials_jac, XE, YE, SE, [1.1, 0.95, 0.9, 1.09]),
}
SIGMAS = [("absolute sigma", True, True), ("relative sigma", True, False), ("no sigma", False, True)]


def fit(name, with_sigma=True, absolute_sigma=True):
    model, _, x, y, sigma, p0 = DATA[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optim.FitWarning)
        return optim.chi2_fit(model, x, y, p0, sigma=sigma if with_sigma else None, absolute_sigma=absolute_sigma)


def scipy_fit(name, with_sigma=True, absolute_sigma=True):
    model, jac, x, y, sigma, p0 = DATA[name]
    return so.curve_fit(numpy_model(model), x, y, p0, sigma=sigma if with_sigma else None,
                        absolute_sigma=absolute_sigma and with_sigma, jac=jac, xtol=1e-15, ftol=1e-15, gtol=1e-15,
                        maxfev=100000)


@pytest.mark.parametrize("label, with_sigma, absolute_sigma", SIGMAS, ids=[s[0] for s in SIGMAS])
@pytest.mark.parametrize("name", list(DATA))
def test_params_and_covariance_match_scipy(name, label, with_sigma, absolute_sigma):
    result = fit(name, with_sigma, absolute_sigma)
    popt, pcov = scipy_fit(name, with_sigma, absolute_sigma)
    assert result.success
    np.testing.assert_allclose(result.params, popt, rtol=1e-6)
    np.testing.assert_allclose(result.cov, pcov, rtol=1e-6)
    np.testing.assert_allclose(result.errors, np.sqrt(np.diag(pcov)), rtol=1e-6)
    np.testing.assert_allclose(result.corr, pcov / np.outer(result.errors, result.errors), rtol=1e-6, atol=1e-12)
    assert result.scaled == (not (with_sigma and absolute_sigma))


@pytest.mark.parametrize("name", list(DATA))
def test_chi2_p_value_residuals_and_pulls(name):
    model, _, x, y, sigma, _ = DATA[name]
    result = fit(name)
    f = np.asarray(model(x, *result.params))
    np.testing.assert_allclose(result.residuals, y - f, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.pulls, (y - f) / sigma, rtol=1e-9, atol=1e-9)
    assert result.chi2 == pytest.approx(float(np.sum(((y - f) / sigma) ** 2)), rel=1e-10)
    assert result.dof == x.size - result.params.size and result.chi2_red == pytest.approx(result.chi2 / result.dof)
    assert result.p_value == pytest.approx(stats.chi2.sf(result.chi2, result.dof), rel=1e-10)
    scaled = fit(name, absolute_sigma=False)  # σ as relative weights: pulls in units of σ·√(χ²/dof)
    np.testing.assert_allclose(scaled.pulls, (y - f) / sigma / math.sqrt(result.chi2_red), rtol=1e-6, atol=1e-9)
    unweighted = fit(name, with_sigma=False)
    assert math.isnan(unweighted.p_value)  # no σ: no test of the fit


@pytest.mark.parametrize("level", [0.6827, 0.95, 0.99])
@pytest.mark.parametrize("label, with_sigma, absolute_sigma", SIGMAS, ids=[s[0] for s in SIGMAS])
def test_confidence_intervals_use_the_t_or_normal_quantile(level, label, with_sigma, absolute_sigma):
    result = fit("exponential decay", with_sigma, absolute_sigma)
    if result.scaled:
        q, name = stats.t.ppf(0.5 + level / 2, result.dof), f"Student t, {result.dof} dof"
    else:
        q, name = stats.norm.ppf(0.5 + level / 2), "normal"
    expected = np.column_stack([result.params - q * result.errors, result.params + q * result.errors])
    np.testing.assert_allclose(result.ci(level), expected, rtol=1e-10)
    assert result.quantile_name() == name and name in str(result)
    with pytest.raises(ValueError, match="between 0 and 1"):
        result.ci(95)


@pytest.mark.parametrize("name", ["linear", "exponential decay", "gaussian peak on background"])
def test_predict_and_band_from_the_jacobian(name):
    model, jac, x, _, _, _ = DATA[name]
    result = fit(name, absolute_sigma=False)
    xs = np.linspace(x.min() - 1, x.max() + 1, 33)
    np.testing.assert_allclose(result.predict(xs), np.asarray(model(xs, *result.params)), rtol=1e-12)
    J = jac(xs, *result.params)
    sigma_f = np.sqrt(np.einsum("ij,jk,ik->i", J, result.cov, J))
    q = stats.t.ppf(0.975, result.dof)
    lower, upper = result.predict_band(xs, 0.95)
    np.testing.assert_allclose(lower, result.predict(xs) - q * sigma_f, rtol=1e-9)
    np.testing.assert_allclose(upper, result.predict(xs) + q * sigma_f, rtol=1e-9)


def test_the_ill_conditioned_fit_warns_and_names_the_combination():
    model, _, x, y, sigma, p0 = DATA["two nearly equal exponentials"]
    with pytest.warns(optim.FitWarning, match=r"ill-conditioned.*δa1 : δk1 : δa2 : δk2 ≈ 1 : [-0-9.e]+ : -1 :"):
        result = optim.chi2_fit(model, x, y, p0, sigma=sigma)
    assert result.success and result.cond_scaled > 1e10 and result.cond > 1e10
    assert np.all(np.isfinite(result.cov))  # large but meaningful: scipy's numbers, tested above
    assert "ill-conditioned" in result.message and "warning: ill-conditioned" in str(result)
    assert abs(result.corr[0, 2]) > 0.999  # the amplitudes trade against each other


def test_a_well_conditioned_fit_is_silent_even_in_awkward_units():
    """The warning is scale-free: the same peak in units where one parameter is 10⁶ times another does not warn."""
    x = XP * 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("error", optim.FitWarning)
        result = optim.chi2_fit(peak, x, YP * 1e3, [2e3, 1e-3, 1e-3, 0.0, 0.0], sigma=SP * 1e3)
    assert result.success and result.cond > 1e10 and result.cond_scaled < 1e3 and not result.warnings


def test_the_flat_start_gaussian_fails_honestly():
    """Issue 14: p0 = [1, -3, 0.1] puts the peak far from the data; it used to be nit 0, success True and a
    covariance of 1e99-1e106 without a word."""
    x = np.linspace(-1.0, 4.0, 40)
    y = 5.0 * np.exp(-(x - 1.5) ** 2 / (2 * 0.6 ** 2)) + 0.2 * np.random.default_rng(0).normal(size=x.size)

    def gaussian(x, a, mu, s):
        return a * ad.exp(-(x - mu) ** 2 / (2 * s ** 2))

    for sigma in (0.2, None):
        with pytest.warns(optim.FitWarning, match="the fit never moved: the model is flat at p0"):
            result = optim.chi2_fit(gaussian, x, y, [1.0, -3.0, 0.1], sigma=sigma)
        assert not result.success and result.nit == 0
        assert result.message.startswith("the fit never moved")
        assert not np.any(np.isfinite(result.cov)) and np.all(np.isinf(result.errors))
        assert np.all(np.isinf(result.ci())) and "FAILED after 0 iterations" in str(result)
    with pytest.raises(RuntimeError, match="flat start"):  # curve_fit, on the same solver, no longer returns 1e99s
        optim.curve_fit(gaussian, x, y, [1.0, -3.0, 0.1])
    good = optim.chi2_fit(gaussian, x, y, [4.0, 1.0, 1.0], sigma=0.2)  # a start near the peak is fine
    assert good.success and np.all(np.isfinite(good.errors))


def test_rank_deficient_model_names_the_combination_and_keeps_the_others():
    """f = a·b·x + c depends on a and b only through their product: a, b undetermined, c still known."""
    x = np.linspace(0.0, 1.0, 20)
    y = 2.0 * x + 1.0 + 0.01 * np.cos(7 * x)
    with pytest.warns(optim.FitWarning, match=r"rank-deficient.*combinations of a, b; moving them as δa : δb"):
        result = optim.chi2_fit(lambda x, a, b, c: a * b * x + c, x, y, [1.0, 1.5, 0.0], sigma=0.01)
    assert np.all(np.isinf(result.errors[:2])) and np.isfinite(result.errors[2])
    reference = optim.chi2_fit(lambda x, ab, c: ab * x + c, x, y, [1.5, 0.0], sigma=0.01)
    assert result.params[0] * result.params[1] == pytest.approx(reference.params[0], rel=1e-9)
    assert result.errors[2] == pytest.approx(reference.errors[1], rel=1e-6)  # c is uncorrelated with the null direction


def test_a_parameter_the_model_stops_depending_on_is_undetermined():
    """An amplitude fitted to zero leaves its rate undetermined: infinite error, nan covariances, a warning."""
    x = np.linspace(0.0, 3.0, 30)
    y = np.full(x.size, 2.0)
    with pytest.warns(optim.FitWarning, match="does not change with k"):
        result = optim.chi2_fit(lambda x, c, a, k: c + a * ad.exp(-k * x), x, y, [1.0, 0.0, 1.0], sigma=0.1)
    assert np.isinf(result.errors[2]) and np.isfinite(result.errors[0])
    assert np.isnan(result.cov[0, 2]) and np.isnan(result.corr[1, 2])


def test_report_reads_like_a_lab_report():
    text = str(fit("exponential decay"))
    for fragment in ("χ² fit of decay(x, a, k, c): 40 points, 3 parameters, 37 degrees of freedom",
                     "converged after", "parameter", "value", "error", "95% interval (normal, ±1.960σ)",
                     "χ²/dof =", "p-value =", "from the stated σ (absolute_sigma=True)", "correlations:",
                     "cond(JᵀJ)"):
        assert fragment in text, fragment
    lines = text.splitlines()
    row = next(line for line in lines if line.startswith("k "))
    result = fit("exponential decay")
    value, error = row.split()[1:3]
    assert float(value) == pytest.approx(result.params[1], abs=float(error)) and float(error) == pytest.approx(
        result.errors[1], rel=0.05)
    assert "scaled from the residuals by √(χ²/dof)" in str(fit("exponential decay", absolute_sigma=False))
    unweighted = str(fit("exponential decay", with_sigma=False))
    assert "no σ given" in unweighted and "Student t, 37 dof" in unweighted and "p-value =" not in unweighted
    assert repr(result).startswith("FitResult(success=True, params=[")


def test_methods_bounds_and_a_covariance_matrix_sigma():
    model, _, x, y, sigma, p0 = DATA["exponential decay"]
    reference = optim.chi2_fit(model, x, y, p0, sigma=sigma)
    newton = optim.chi2_fit(model, x, y, p0, sigma=sigma, method="gauss-newton")
    np.testing.assert_allclose(newton.params, reference.params, rtol=1e-9)
    bounds = ([0, 0, 0], [10, 0.7, 10])  # the rate's upper bound is active
    bounded = optim.chi2_fit(model, x, y, p0=[1.0, 0.5, 0.0], sigma=sigma, bounds=bounds)
    popt, pcov = so.curve_fit(numpy_model(model), x, y, p0=[1.0, 0.5, 0.0], sigma=sigma, bounds=bounds,
                              absolute_sigma=True, xtol=1e-15, ftol=1e-15, gtol=1e-15)
    assert bounded.params[1] == 0.7
    np.testing.assert_allclose(bounded.params, popt, rtol=1e-6)
    covariance = np.diag(sigma ** 2)  # the same errors as a diagonal covariance matrix give the same fit
    matrix = optim.chi2_fit(model, x, y, p0, sigma=covariance)
    np.testing.assert_allclose(matrix.params, reference.params, rtol=1e-9)
    np.testing.assert_allclose(matrix.cov, reference.cov, rtol=1e-7)
    assert matrix.p_value == pytest.approx(reference.p_value, rel=1e-7)


def test_linear_regression_is_a_fit_result_with_its_old_fields():
    result = optim.linear_regression(XL, YL, sigma=SL)
    general = fit("linear")
    assert isinstance(result, optim.FitResult) and isinstance(result, optim.LinearFit)
    np.testing.assert_allclose(result.params, general.params, rtol=1e-10)
    np.testing.assert_allclose(result.cov, general.cov, rtol=1e-10)
    assert result.p_value == pytest.approx(general.p_value, rel=1e-10)
    assert (result.slope, result.intercept) == tuple(result.params)
    assert (result.slope_err, result.intercept_err) == tuple(result.errors)
    assert result.covariance is result.cov and result.reduced_chi2 == result.chi2_red
    np.testing.assert_allclose(result(XL), result.predict(XL), rtol=1e-12)
    np.testing.assert_allclose(result.ci(), general.ci(), rtol=1e-10)
    text = str(result)
    assert "straight line" in text and "solved in closed form" in text and "slope" in text
