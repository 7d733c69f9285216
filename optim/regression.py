"""Regression: chi-squared, the closed-form straight-line fit, and non-linear curve fitting.

χ² = Σ ((yᵢ - f(xᵢ))/σᵢ)² measures misfit in units of the measurement errors σᵢ. A straight line
minimising it has a closed form (``linear_regression``, whose result is a ``FitResult`` like
``chi2_fit``'s); a general model f(x; p) is fitted by Levenberg-Marquardt (or Gauss-Newton, or
gradient descent) with the Jacobian ∂f/∂p computed by automatic differentiation: ``curve_fit``
returns scipy's ``(popt, pcov)``, ``optim.chi2_fit`` (fit.py) the whole report.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autodiff import Tensor

from ._covariance import correlation
from ._derivatives import value_and_jacobian
from .fit_result import FitResult, build_result
from .least_squares import check_bounds, solve_least_squares


def chi_squared(y: Any, y_model: Any, sigma: Any = None) -> float:
    """χ² = Σ ((y - y_model)/σ)² (σ = 1 when not given).

    >>> import optim
    >>> optim.chi_squared([1.0, 2.0, 3.0], [1.0, 2.5, 2.0], sigma=[1.0, 0.5, 1.0])
    2.0
    """
    y = np.asarray(y, dtype=float)
    y_model = np.asarray(y_model.data if isinstance(y_model, Tensor) else y_model, dtype=float)
    if y.shape != y_model.shape:
        raise ValueError(f"chi_squared: y has shape {y.shape}, y_model has shape {y_model.shape}")
    residual = y - y_model
    if sigma is not None:
        residual = residual / positive_sigma(sigma, y.shape)
    return float(np.sum(residual ** 2))


def positive_sigma(sigma: Any, shape: tuple[int, ...]) -> np.ndarray:
    """σ broadcast to the data's shape; every σ must be a positive number.

    >>> positive_sigma(0.5, (3,))
    array([0.5, 0.5, 0.5])
    """
    sigma = np.asarray(sigma, dtype=float)
    try:
        sigma = np.broadcast_to(sigma, shape)
    except ValueError:
        raise ValueError(f"sigma has shape {sigma.shape}, expected the data's shape {shape}") from None
    bad = np.flatnonzero(~(sigma > 0).ravel())
    if bad.size:
        raise ValueError(f"every sigma must be positive: {bad.size} are not (the first: sigma[{bad[0]}] = "
                         f"{sigma.ravel()[bad[0]]})")
    return sigma


@dataclass(repr=False)
class LinearFit(FitResult):
    """A straight-line fit y = slope·x + intercept: a ``FitResult`` with params (slope, intercept).

    Also, as before: ``slope``, ``intercept``, ``slope_err``, ``intercept_err``, ``covariance``
    (= ``cov``, the 2×2 covariance of (slope, intercept), the order of ``numpy.polyfit``),
    ``reduced_chi2`` (= ``chi2_red``), ``r_value`` (the correlation coefficient of x and y), and
    calling the fit evaluates the line.
    """

    r_value: float = math.nan

    @property
    def slope(self) -> float:
        """The fitted slope, ``params[0]``."""
        return float(self.params[0])

    @property
    def intercept(self) -> float:
        """The fitted intercept, ``params[1]``."""
        return float(self.params[1])

    @property
    def slope_err(self) -> float:
        """The slope's standard error, ``errors[0]``."""
        return float(self.errors[0])

    @property
    def intercept_err(self) -> float:
        """The intercept's standard error, ``errors[1]``."""
        return float(self.errors[1])

    @property
    def covariance(self) -> np.ndarray:
        """The 2×2 covariance of (slope, intercept): ``cov``."""
        return self.cov

    @property
    def reduced_chi2(self) -> float:
        """χ²/dof: ``chi2_red``."""
        return self.chi2_red

    def __call__(self, x: Any) -> np.ndarray:
        """The line at x: slope·x + intercept (as ``predict``)."""
        return self.slope * np.asarray(x, dtype=float) + self.intercept


def line(x: Any, slope: Any, intercept: Any) -> Any:
    """The straight line slope·x + intercept (the model of ``linear_regression``).

    >>> line(2.0, 3.0, 1.0)
    7.0
    """
    return slope * x + intercept


def linear_regression(x: Any, y: Any, sigma: Any = None, absolute_sigma: bool = True) -> LinearFit:
    """The weighted least-squares line through (x, y), in closed form, with the report of ``chi2_fit``.

    With weights w = 1/σ², S = Σw, Sx = Σwx, Sy = Σwy, Sxx = Σwx², Sxy = Σwxy, Δ = S·Sxx - Sx²::

        slope = (S·Sxy - Sx·Sy)/Δ,  intercept = (Sxx·Sy - Sx·Sxy)/Δ
        var(slope) = S/Δ,  var(intercept) = Sxx/Δ,  cov = -Sx/Δ

    With σ given (and ``absolute_sigma``), the covariance is that of the stated errors; without σ
    (or with ``absolute_sigma=False``) it is scaled by χ²/(n - 2), the errors estimated from the
    scatter, as ``numpy.polyfit(..., cov=True)`` and ``scipy.stats.linregress`` do. The result is
    a :class:`FitResult` (params = (slope, intercept), errors, p-value, ``ci``, ``predict_band``,
    ``print(fit)``), which keeps the fields it always had: ``slope intercept slope_err
    intercept_err covariance chi2 reduced_chi2 dof r_value``.

    >>> import optim
    >>> fit = optim.linear_regression([0.0, 1.0, 2.0, 3.0], [1.0, 3.1, 4.9, 7.0])
    >>> round(fit.slope, 6), round(fit.intercept, 6), round(fit.chi2, 6)
    (1.98, 1.03, 0.018)
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"linear_regression: x has {x.size} points, y has {y.size}")
    n = x.size
    if n < 2:
        raise ValueError(f"linear_regression needs at least 2 points, got {n}")
    for name, values in (("x", x), ("y", y)):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"linear_regression: {name} has NaN or infinite values (the first at index "
                             f"{int(np.flatnonzero(~np.isfinite(values))[0])}); remove those points")
    sd = np.ones(n) if sigma is None else positive_sigma(sigma, (n,))
    w = 1.0 / sd ** 2
    s, sx, sy = w.sum(), w @ x, w @ y
    sxx, sxy = w @ (x * x), w @ (x * y)
    delta = s * sxx - sx * sx
    if not delta > 1e-14 * s * sxx:
        raise ValueError("linear_regression: all x values are equal, so the slope is undetermined")
    slope = (s * sxy - sx * sy) / delta
    intercept = (sxx * sy - sx * sxy) / delta
    residuals = y - slope * x - intercept
    jac = -np.column_stack([x, np.ones(n)]) / sd[:, None]  # ∂((f - y)/σ)/∂(slope, intercept)
    scale = float(np.linalg.norm((np.abs(y) + np.abs(y - residuals)) / sd))
    general = build_result(np.array([slope, intercept]), jac, residuals, residuals / sd, ["slope", "intercept"],
                           scale, sigma_given=sigma is not None, absolute_sigma=absolute_sigma, nit=0, success=True,
                           message="solved in closed form (weighted least squares)", method="closed form", model=line,
                           title="straight line y = slope·x + intercept")
    cov = np.array([[s, -sx], [-sx, sxx]]) / delta  # the closed form (the SVD of the general case agrees to rounding)
    if general.scaled:
        cov = cov * general.chi2_red if general.dof > 0 else general.cov  # no dof: inf, as build_result says
    fields = {f: getattr(general, f) for f in general.__dataclass_fields__}
    fields.update(cov=cov, errors=np.sqrt(np.diag(cov)), corr=correlation(cov))
    xc, yc = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(xc @ xc) * float(yc @ yc))
    r_value = float(xc @ yc) / denominator if denominator > 0 else 0.0
    return LinearFit(**fields, r_value=r_value)


def curve_fit(model: Callable[..., Any], xdata: Any, ydata: Any, p0: Any, sigma: Any = None,
              absolute_sigma: bool = False, method: str = "lm", bounds: Any = None,
              maxiter: int | None = None, full_output: bool = False) -> tuple[np.ndarray, np.ndarray] | tuple:
    """Fit ``ydata ≈ model(xdata, *p)`` by least squares; returns ``(popt, pcov)`` like scipy's.

    ``model(x, p0, p1, ...)`` is an ordinary function of Tensors (``x`` is given as a constant
    Tensor, each parameter as a scalar Tensor), so ∂model/∂p comes from automatic
    differentiation. ``sigma`` (the errors of ydata, or their covariance matrix) weights the
    residuals: r = (model - y)/σ. ``pcov`` is (JᵀJ)⁻¹ for the Jacobian J of the weighted
    residuals at the optimum, multiplied by χ²/(n - p) unless ``absolute_sigma`` (scipy's
    convention). ``method``: "lm" (Levenberg-Marquardt), "gauss-newton" or "gd";
    ``bounds = (lower, upper)`` keeps the parameters in a box. ``full_output=True`` also returns
    the solver's result (iterations, message, path).

    >>> import numpy as np, autodiff as ad, optim
    >>> x = np.linspace(0, 4, 20)
    >>> y = 3.0 * np.exp(-0.7 * x)
    >>> popt, pcov = optim.curve_fit(lambda x, a, k: a * ad.exp(-k * x), x, y, p0=[1.0, 1.0])
    >>> np.round(popt, 8)
    array([3. , 0.7])
    """
    x = Tensor(np.asarray(xdata.data if isinstance(xdata, Tensor) else xdata, dtype=float))
    y = np.asarray(ydata, dtype=float).ravel()
    p0 = np.atleast_1d(np.asarray(p0, dtype=float)).ravel()
    if p0.size == 0:
        raise ValueError("curve_fit needs at least one parameter in p0")
    check_parameter_count(model, p0.size, "curve_fit")
    weight = residual_weight(sigma, y.size)

    def residuals(p: Tensor) -> Tensor:
        prediction = model(x, *[p[i] for i in range(p0.size)])
        if not isinstance(prediction, Tensor):
            raise TypeError(f"the model returned a {type(prediction).__name__}, expected a Tensor built from "
                            "autodiff ops (e.g. ad.exp, not np.exp), so that it can be differentiated")
        if prediction.size != y.size:
            raise ValueError(f"the model returned {prediction.size} values for {y.size} data points")
        difference = prediction.reshape(-1) - y
        return difference / weight if weight.ndim == 1 else Tensor(weight) @ difference

    box = check_bounds(bounds, p0)
    result = solve_least_squares(lambda p: value_and_jacobian(residuals, p, p0.shape), p0, method=method,
                                 bounds=box, maxiter=maxiter or (200 if method != "gd" else 20000))
    if not result.success:
        raise RuntimeError(f"curve_fit did not converge ({method}): {result.message}")
    pcov = _covariance(result.jac, float(result.fun @ result.fun), y.size, absolute_sigma)
    return (result.x, pcov, result) if full_output else (result.x, pcov)


def residual_weight(sigma: Any, m: int) -> np.ndarray:
    """σ as a vector (divide by it) or, for a covariance matrix C = LLᵀ, the whitening matrix L⁻¹."""
    if sigma is None:
        return np.ones(m)
    sigma = np.asarray(sigma, dtype=float)
    if sigma.ndim == 2:
        if sigma.shape != (m, m):
            raise ValueError(f"a covariance-matrix sigma must have shape {(m, m)}, got {sigma.shape}")
        try:
            lower = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            raise ValueError("the covariance matrix sigma is not positive definite") from None
        return np.linalg.inv(lower)
    return positive_sigma(sigma, (m,))


def _covariance(jac: np.ndarray, chi2: float, m: int, absolute_sigma: bool) -> np.ndarray:
    """scipy's pcov: the pseudo-inverse of JᵀJ via the SVD of J, scaled by χ²/(m - n) if not absolute."""
    n = jac.shape[1]
    _, s, vt = np.linalg.svd(jac, full_matrices=False)
    keep = s > np.finfo(float).eps * max(jac.shape) * (s[0] if s.size else 0.0)
    s, vt = s[keep], vt[keep]
    pcov = (vt.T / s ** 2) @ vt
    if not absolute_sigma:
        pcov = pcov * (chi2 / (m - n)) if m > n else np.full((n, n), np.inf)
    return pcov


def check_parameter_count(model: Callable[..., Any], count: int, who: str) -> None:
    """p0 must give one value per parameter of ``model(x, p0, p1, ...)`` (when that can be read)."""
    try:
        parameters = list(inspect.signature(model).parameters.values())
    except (TypeError, ValueError):
        return
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    needed = [p for p in positional[1:] if p.default is p.empty]
    if not len(needed) <= count <= len(positional) - 1:
        names = ", ".join(p.name for p in positional[1:])
        raise ValueError(f"{who}: p0 has {count} values, but the model takes {len(positional) - 1} "
                         f"parameter(s) after x ({names})")
