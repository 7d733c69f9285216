"""chi_squared, linear_regression and curve_fit against numpy.polyfit and scipy."""

import numpy as np
import pytest

import autodiff as ad
import optim

RNG = np.random.default_rng(11)


def exp_decay(x, a, k, c):
    return a * ad.exp(-k * x) + c


def gaussian(x, a, mu, s):
    return a * ad.exp(-((x - mu) ** 2) / (2 * s ** 2))


def damped_sine(x, a, gamma, omega, phase):
    return a * ad.exp(-gamma * x) * ad.cos(omega * x + phase)


def assert_covariance_close(pcov, reference, rtol=1e-4):
    """Entries agree to rtol relative to their scale √(Cᵢᵢ Cⱼⱼ) (entries that should be 0 are ~1e-13)."""
    scale = np.sqrt(np.outer(np.diag(reference), np.diag(reference)))
    np.testing.assert_allclose(np.diag(pcov), np.diag(reference), rtol=rtol)
    assert np.all(np.abs(pcov - reference) <= rtol * scale), (pcov, reference)


def _np(model):
    """The same model for scipy: our ops accept plain arrays and return plain arrays."""
    return lambda x, *p: np.asarray(model(x, *p), dtype=float)


X1 = np.linspace(0, 5, 40)
X2 = np.linspace(-3, 5, 60)
X3 = np.linspace(0, 10, 80)
SIG1 = 0.05 + 0.05 * RNG.random(X1.size)
SIG2 = 0.02 + 0.05 * RNG.random(X2.size)
SIG3 = 0.05 + 0.1 * RNG.random(X3.size)
CASES = [
    ("exp_decay", exp_decay, X1, 2.5 * np.exp(-1.3 * X1) + 0.5 + SIG1 * RNG.normal(size=X1.size),
     [1.0, 1.0, 0.0], SIG1),
    ("gaussian", gaussian, X2,
     4.0 * np.exp(-(X2 - 1.2) ** 2 / (2 * 0.8 ** 2)) + SIG2 * RNG.normal(size=X2.size),
     [3.0, 1.0, 1.0], SIG2),
    ("damped_sine", damped_sine, X3,
     2.0 * np.exp(-0.3 * X3) * np.cos(2.0 * X3 + 0.4) + SIG3 * RNG.normal(size=X3.size),
     [1.5, 0.2, 1.9, 0.3], SIG3),
]


@pytest.mark.parametrize("weighted, absolute_sigma", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("name, model, x, y, p0, sigma", CASES, ids=[c[0] for c in CASES])
def test_curve_fit_matches_scipy(name, model, x, y, p0, sigma, weighted, absolute_sigma):
    so = pytest.importorskip("scipy.optimize")
    sigma = sigma if weighted else None
    ref_popt, ref_pcov = so.curve_fit(_np(model), x, y, p0=p0, sigma=sigma, absolute_sigma=absolute_sigma,
                                      xtol=1e-14, ftol=1e-14, gtol=1e-14, maxfev=10000)
    popt, pcov = optim.curve_fit(model, x, y, p0=p0, sigma=sigma, absolute_sigma=absolute_sigma)
    np.testing.assert_allclose(popt, ref_popt, rtol=1e-6)
    assert_covariance_close(pcov, ref_pcov)


@pytest.mark.parametrize("method", ["gauss-newton", "lm"])
def test_methods_agree(method):
    _, model, x, y, p0, sigma = CASES[0]
    reference, _ = optim.curve_fit(model, x, y, p0, sigma=sigma, method="lm")
    popt, pcov, info = optim.curve_fit(model, x, y, p0, sigma=sigma, method=method, full_output=True)
    np.testing.assert_allclose(popt, reference, rtol=1e-9)
    assert info.success and info.path.shape[1] == 3


def test_gradient_descent_fit_gets_close():
    x = np.linspace(0, 1, 20)
    y = 2.0 * x + 1.0 + 0.01 * np.sin(7 * x)
    popt, _ = optim.curve_fit(lambda x, a, b: a * x + b, x, y, [0.0, 0.0], method="gd")
    exact = np.polyfit(x, y, 1)
    np.testing.assert_allclose(popt, exact, rtol=1e-5)


def test_covariance_matrix_sigma_matches_scipy():
    so = pytest.importorskip("scipy.optimize")
    _, model, x, y, p0, sigma = CASES[0]
    cov = np.diag(sigma ** 2) + 0.001 * np.exp(-np.abs(x[:, None] - x[None, :]))
    ref_popt, ref_pcov = so.curve_fit(_np(model), x, y, p0=p0, sigma=cov, xtol=1e-14, ftol=1e-14)
    popt, pcov = optim.curve_fit(model, x, y, p0, sigma=cov)
    np.testing.assert_allclose(popt, ref_popt, rtol=1e-6)
    assert_covariance_close(pcov, ref_pcov)


BOUNDED = [(0, ([0, 0, 0], [10, 1.0, 10])), (1, ([0, 1.3, 0], [3.5, 5, 5])),
           (2, ([0, 0, 0, 0], [10, 0.25, 10, 10]))]


@pytest.mark.parametrize("method", ["lm", "gauss-newton"])
@pytest.mark.parametrize("case, bounds", BOUNDED, ids=["exp_decay", "gaussian", "damped_sine"])
def test_bounded_fit_matches_scipy_trf(case, bounds, method):
    so = pytest.importorskip("scipy.optimize")
    _, model, x, y, p0, sigma = CASES[case]
    p0 = np.clip(p0, *bounds)
    ref_popt, ref_pcov = so.curve_fit(_np(model), x, y, p0=p0, sigma=sigma, bounds=bounds,
                                      xtol=1e-15, ftol=1e-15, gtol=1e-15)
    popt, pcov = optim.curve_fit(model, x, y, p0, sigma=sigma, bounds=bounds, method=method)
    assert np.any(popt == np.asarray(bounds[0])) or np.any(popt == np.asarray(bounds[1]))  # a bound is active
    np.testing.assert_allclose(popt, ref_popt, rtol=1e-6)
    assert_covariance_close(pcov, ref_pcov)


def test_initial_guess_outside_the_bounds_is_refused():
    _, model, x, y, _, _ = CASES[0]
    with pytest.raises(ValueError, match="outside"):
        optim.curve_fit(model, x, y, [1.0, 2.0, 0.0], bounds=([0, 0, 0], [10, 1.0, 10]))


def test_curve_fit_errors():
    with pytest.raises(ValueError, match="values for"):
        optim.curve_fit(lambda x, a: a * ad.ones(3), np.arange(5.0), np.arange(5.0), [1.0])
    with pytest.raises(ValueError, match="positive"):
        optim.curve_fit(lambda x, a: a * x, np.arange(5.0), np.arange(5.0), [1.0], sigma=np.zeros(5))
    with pytest.raises(ValueError, match="unknown least-squares method"):
        optim.curve_fit(lambda x, a: a * x, np.arange(5.0), np.arange(5.0), [1.0], method="newton")


def test_chi_squared_hand_checked():
    assert optim.chi_squared([1.0, 2.0], [0.0, 4.0]) == 5.0
    assert optim.chi_squared([1.0, 2.0], [0.0, 4.0], sigma=2.0) == 1.25
    with pytest.raises(ValueError, match="shape"):
        optim.chi_squared([1.0, 2.0], [1.0])


X_LINE = np.linspace(0, 10, 25)
Y_LINE = 1.7 * X_LINE - 3.0 + RNG.normal(size=X_LINE.size)
S_LINE = 0.5 + RNG.random(X_LINE.size)


def test_linear_regression_matches_polyfit_and_linregress():
    stats = pytest.importorskip("scipy.stats")
    fit = optim.linear_regression(X_LINE, Y_LINE)
    coefficients, cov = np.polyfit(X_LINE, Y_LINE, 1, cov=True)
    np.testing.assert_allclose([fit.slope, fit.intercept], coefficients, rtol=1e-12)
    np.testing.assert_allclose(fit.covariance, cov, rtol=1e-10)
    reference = stats.linregress(X_LINE, Y_LINE)
    np.testing.assert_allclose([fit.slope, fit.intercept, fit.r_value, fit.slope_err, fit.intercept_err],
                               [reference.slope, reference.intercept, reference.rvalue, reference.stderr,
                                reference.intercept_stderr], rtol=1e-10)
    residual = Y_LINE - fit(X_LINE)
    assert fit.chi2 == pytest.approx(residual @ residual) and fit.dof == 23
    assert fit.reduced_chi2 == pytest.approx(fit.chi2 / 23)


def test_weighted_linear_regression_matches_polyfit_and_curve_fit():
    fit = optim.linear_regression(X_LINE, Y_LINE, sigma=S_LINE)
    coefficients, cov = np.polyfit(X_LINE, Y_LINE, 1, w=1 / S_LINE, cov="unscaled")
    np.testing.assert_allclose([fit.slope, fit.intercept], coefficients, rtol=1e-12)
    np.testing.assert_allclose(fit.covariance, cov, rtol=1e-10)
    popt, pcov = optim.curve_fit(lambda x, a, b: a * x + b, X_LINE, Y_LINE, [0.0, 0.0], sigma=S_LINE,
                                 absolute_sigma=True)
    np.testing.assert_allclose(popt, coefficients, rtol=1e-10)
    np.testing.assert_allclose(pcov, cov, rtol=1e-8)
    scaled = optim.linear_regression(X_LINE, Y_LINE, sigma=S_LINE, absolute_sigma=False)
    np.testing.assert_allclose(scaled.covariance, np.polyfit(X_LINE, Y_LINE, 1, w=1 / S_LINE, cov=True)[1],
                               rtol=1e-10)
    assert fit.chi2 == pytest.approx(optim.chi_squared(Y_LINE, fit(X_LINE), S_LINE))


def test_linear_regression_errors():
    with pytest.raises(ValueError, match="equal"):
        optim.linear_regression([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="points"):
        optim.linear_regression([1.0, 2.0], [1.0])


def test_model_that_cuts_the_graph_is_refused():
    with pytest.raises(TypeError, match="Tensor"):
        optim.curve_fit(lambda x, a: np.asarray(a) * np.asarray(x), np.arange(5.0), np.arange(5.0), [1.0])


def test_curve_fit_says_when_p0_does_not_match_the_model():
    x = np.linspace(0.0, 1.0, 10)
    with pytest.raises(ValueError, match=r"p0 has 1 values, but the model takes 2 parameter\(s\) after x \(a, b\)"):
        optim.curve_fit(lambda x, a, b: a * x + b, x, 2 * x + 1, p0=[1.0])
    popt, _ = optim.curve_fit(lambda x, a, b=0.0: a * x + b, x, 2 * x + 1, p0=[1.0, 0.5])  # defaults may be fitted
    np.testing.assert_allclose(popt, [2.0, 1.0], atol=1e-8)
