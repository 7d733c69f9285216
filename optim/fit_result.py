"""What a χ² fit returns: the parameters, how well they are known, how good the fit is, and a report.

``FitResult`` is made by :func:`optim.chi2_fit` and :func:`optim.linear_regression`. Its numbers:

* ``params``, ``errors`` = √diag(cov), ``cov``, ``corr`` = cov/(errors errorsᵀ);
* ``chi2`` = Σ pullsᵢ² with the σ as given, ``dof`` = points - parameters, ``chi2_red`` = χ²/dof,
  ``p_value`` = P(χ²_dof ≥ χ²) (nan when no σ was given: the χ² of unit weights tests nothing);
* ``residuals`` = y - f(x), ``pulls`` = residuals in units of the errors the fit used
  (σ, or σ·√(χ²/dof) when the errors are scaled from the scatter);
* ``cond`` = the condition number of JᵀJ (J the Jacobian of the weighted residuals),
  ``cond_scaled`` the same with every parameter in units of its own effect (scale-free, the one
  the warnings use);
* ``nit``, ``success``, ``message`` (why the solver stopped, and every warning the fit gave).

``ci(level)``, ``predict(x)`` and ``predict_band(x, level)`` use them; ``print(result)`` shows the
lab-report table.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autodiff as ad
from autodiff import Tensor

from ._covariance import analyse, correlation
from ._derivatives import value_and_jacobian
from ._quantiles import chi2_sf, normal_quantile, student_t_quantile


class FitWarning(RuntimeWarning):
    """A fit's parameters are not all determined: a flat start, a rank-deficient or ill-conditioned JᵀJ."""


@dataclass(repr=False)
class FitResult:
    """The result of a χ² fit (see the module docstring for every field), printed as a report.

    >>> import numpy as np, autodiff as ad, optim
    >>> x = np.array([0.0, 1.0, 2.0, 3.0])
    >>> r = optim.chi2_fit(lambda x, a, b: a * x + b, x, [1.1, 2.9, 5.2, 6.9], p0=[1, 0], sigma=0.2)
    >>> np.round(r.params, 3), np.round(r.errors, 3), r.dof
    (array([1.97, 1.07]), array([0.089, 0.167]), 2)
    >>> np.round(r.ci(0.95), 3)          # normal quantile 1.96: σ are absolute
    array([[1.795, 2.145],
           [0.742, 1.398]])
    """

    params: np.ndarray
    errors: np.ndarray
    cov: np.ndarray
    corr: np.ndarray
    chi2: float
    dof: int
    chi2_red: float
    p_value: float
    residuals: np.ndarray
    pulls: np.ndarray
    cond: float
    nit: int
    success: bool
    message: str
    names: tuple[str, ...] = ()
    scaled: bool = False  # the errors are scaled from the residuals (no σ, or absolute_sigma=False)
    sigma_given: bool = True
    cond_scaled: float = math.nan
    warnings: tuple[str, ...] = ()
    method: str = "lm"
    model: Callable[..., Any] | None = field(default=None, repr=False)
    title: str = "χ² fit"

    # ------------------------------------------------------------------ intervals and predictions
    def quantile(self, level: float = 0.95) -> float:
        """The two-sided quantile q behind ``ci`` and ``predict_band``, P(|T| ≤ q) = level: Student t with
        ``dof`` degrees of freedom when the errors are scaled from the residuals, normal when σ are absolute.

        >>> import optim
        >>> x, y = [0.0, 1.0, 2.0, 3.0, 4.0], [0.1, 0.9, 2.2, 2.9, 4.1]
        >>> round(optim.linear_regression(x, y, sigma=0.1).quantile(0.95), 4)     # normal
        1.96
        >>> round(optim.linear_regression(x, y).quantile(0.95), 4)                # t with 3 dof
        3.1824
        """
        if not 0.0 < level < 1.0:
            raise ValueError(f"a confidence level must be between 0 and 1, got {level}")
        if not self.scaled:
            return normal_quantile(0.5 + level / 2)
        return student_t_quantile(0.5 + level / 2, self.dof) if self.dof > 0 else math.nan

    def quantile_name(self) -> str:
        """Which quantile the intervals use, as the report states it: "normal" or "Student t, <dof> dof"."""
        return f"Student t, {self.dof} dof" if self.scaled else "normal"

    def ci(self, level: float = 0.95) -> np.ndarray:
        """Confidence intervals of the parameters, shape (n, 2): params ∓ q·errors.

        q is the two-sided ``level`` quantile: Student t with ``dof`` degrees of freedom when the
        errors are estimated from the scatter (no σ, or ``absolute_sigma=False``), the normal
        quantile when σ are absolute (1.96 for 95%). An undetermined parameter's interval is
        (-inf, inf).

        >>> import numpy as np, optim
        >>> fit = optim.linear_regression([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0], sigma=0.1)
        >>> np.round(fit.ci(0.95), 4)       # (slope, intercept) ∓ 1.96 errors
        array([[ 0.9123,  1.0877],
               [-0.164 ,  0.164 ]])
        """
        half = self.quantile(level) * self.errors
        return np.column_stack([self.params - half, self.params + half])

    def _model(self) -> Callable[..., Any]:
        if self.model is None:
            raise ValueError("this FitResult has no model to evaluate")
        return self.model

    def predict(self, x: Any) -> np.ndarray:
        """The fitted model at ``x``: f(x; params), as an array.

        >>> import numpy as np, optim
        >>> fit = optim.linear_regression([0.0, 1.0, 2.0], [1.0, 3.0, 5.0])
        >>> fit.predict([3.0, 4.0])
        array([7., 9.])
        """
        model = self._model()
        with ad.no_grad():
            out = model(Tensor(np.asarray(x, dtype=float)), *[Tensor(p) for p in self.params])
        return np.array(out.data if isinstance(out, Tensor) else out, dtype=float)

    def predict_band(self, x: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """The model's confidence band at ``x``: ``(lower, upper)`` = f(x) ∓ q·σ_f(x).

        σ_f² = diag(J cov Jᵀ) with J = ∂f(x; p)/∂p by automatic differentiation (the linear
        propagation of the parameters' covariance), q the quantile of ``ci``. Draw it with
        ``ax.fill_between(x, *result.predict_band(x))``.

        >>> import numpy as np, optim
        >>> fit = optim.linear_regression([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0], sigma=0.1)
        >>> lower, upper = fit.predict_band([1.5], level=0.682689492137)  # ±1σ: σ_f = 0.1/√4 at the centre
        >>> np.round(upper - lower, 6)
        array([0.1])
        """
        xs = np.asarray(x, dtype=float)
        model = self._model()
        n = self.params.size

        def at(p: Tensor) -> Tensor:
            return model(Tensor(xs), *[p[i] for i in range(n)]).reshape(-1)

        value, jac = value_and_jacobian(at, np.asarray(self.params, dtype=float), (n,))
        with np.errstate(invalid="ignore"):
            variance = np.einsum("ij,jk,ik->i", jac, self.cov, jac)
        half = self.quantile(level) * np.sqrt(np.maximum(variance, 0.0))
        shape = np.shape(self.predict(xs))
        return (value - half).reshape(shape), (value + half).reshape(shape)

    # ------------------------------------------------------------------ the report
    def __repr__(self) -> str:
        return (f"{type(self).__name__}(success={self.success}, params={np.array2string(self.params, precision=6)}, "
                f"errors={np.array2string(self.errors, precision=3)}, chi2={self.chi2:.6g}, dof={self.dof}, "
                f"p_value={self.p_value:.4g})")

    def __str__(self) -> str:
        return report(self)


def _decimals(error: float) -> int | None:
    """Decimals that show the second significant digit of ``error`` (None if the error is not a positive number)."""
    if not (math.isfinite(error) and error > 0):
        return None
    return max(0, 1 - math.floor(math.log10(error)))


def _number(value: float, decimals: int | None) -> str:
    """``value`` to ``decimals`` places; scientific when that would be long or the value is huge."""
    if not math.isfinite(value):
        return str(value)
    if decimals is None:
        return f"{value:.6g}"
    if decimals <= 8 and abs(value) < 1e7:
        return f"{value:.{decimals}f}"
    significant = max(1, (math.floor(math.log10(abs(value))) if value else 0) + decimals)
    return f"{value:.{min(significant, 15)}e}"


def report(fit: FitResult, level: float = 0.95) -> str:
    """The lab-report text of a fit (``str(fit)``): status, the parameter table with ``level`` intervals,
    χ²/dof and p-value, how the errors were obtained, the correlations, the conditioning, every warning.

    Values and interval ends are rounded to the second significant digit of their error.

    >>> import optim
    >>> fit = optim.linear_regression([0.0, 1.0, 2.0, 3.0], [0.1, 0.9, 2.2, 2.9], sigma=0.1)
    >>> print(report(fit, level=0.6827).splitlines()[3])
    parameter  value  error  68% interval (normal, ±1.000σ)
    """
    n, points = fit.params.size, fit.residuals.size
    names = list(fit.names) if len(fit.names) == n else [f"p{i}" for i in range(n)]
    status = "converged" if fit.success else "FAILED"
    how = fit.message.splitlines()[0] if fit.message else ""
    lines = [f"{fit.title}: {points} points, {n} parameters, {fit.dof} degrees of freedom",
             f"{status}: {how}" if fit.method == "closed form" else
             f"{status} after {fit.nit} iterations ({fit.method}): {how}", ""]
    q = fit.quantile(level)
    interval = f"{level:.0%} interval ({fit.quantile_name()}, ±{q:.3f}σ)"
    rows = [["parameter", "value", "error", interval]]
    for name, value, error, (lo, hi) in zip(names, fit.params, fit.errors, fit.ci(level), strict=True):
        decimals = _decimals(error)
        rows.append([name, _number(value, decimals), _number(error, decimals),
                     f"[{_number(lo, decimals)}, {_number(hi, decimals)}]"])
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        lines.append("  ".join([row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2]),
                                row[3]]).rstrip())
    lines.append("")
    if fit.sigma_given:
        lines.append(f"χ²/dof = {fit.chi2:.4g}/{fit.dof} = {fit.chi2_red:.4g},  p-value = {fit.p_value:.3g}"
                     "  (P(χ² ≥ this) if the model and σ are right)")
    else:
        lines.append(f"residual variance s² = Σ residuals²/dof = {fit.chi2_red:.4g}  (no σ given: no p-value, "
                     "χ²/dof is 1 by construction)")
    if not fit.sigma_given:
        lines.append(f"errors: no σ given, so they are estimated from the scatter of the residuals "
                     f"(σ = s = {math.sqrt(fit.chi2_red):.3g} for every point); intervals use the t quantile")
    elif fit.scaled:
        lines.append(f"errors: scaled from the residuals by √(χ²/dof) = {math.sqrt(fit.chi2_red):.3g} "
                     "(absolute_sigma=False: σ are relative weights); intervals use the t quantile")
    else:
        lines.append("errors: from the stated σ (absolute_sigma=True), not rescaled by χ²/dof; "
                     "intervals use the normal quantile")
    if n > 1:
        lines.append("correlations:")
        width = max(len(name) for name in names)
        for i, name in enumerate(names):
            lines.append(f"  {name.ljust(width)}  " + " ".join(f"{c:+.3f}" if np.isfinite(c) else "   nan"
                                                                 for c in fit.corr[i, : i + 1]))
    lines.append(f"cond(JᵀJ) = {fit.cond:.3g} (scale-free, parameters in units of their effect: "
                 f"{fit.cond_scaled:.3g})")
    for warning in fit.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def build_result(params: np.ndarray, jac: np.ndarray, residuals: np.ndarray, weighted_residuals: np.ndarray,
                 names: list[str], data_scale: float, *, sigma_given: bool, absolute_sigma: bool, nit: int,
                 success: bool, message: str, method: str, model: Callable[..., Any], title: str) -> FitResult:
    """A FitResult from the solution ``params``, the weighted Jacobian ``jac`` there, the residuals y - f and
    the weighted residuals (y - f)/σ; warns (``FitWarning``) about every parameter the data do not determine."""
    m, n = jac.shape
    dof = m - n
    chi2 = float(weighted_residuals @ weighted_residuals)
    chi2_red = chi2 / dof if dof > 0 else math.nan
    scaled = not (sigma_given and absolute_sigma)
    found = analyse(jac, params, names, data_scale)
    notes = list(found.notes)
    if found.flat.all():  # nothing is determined: not a fit, whatever the solver's tests said
        success = False
        if nit == 0:
            message = ("the fit never moved: the model is flat at p0, it does not change with any parameter at the "
                       "data points (e.g. a peak far from the data), so every error is inf; start closer")
            notes = [message]
    cov = found.cov
    if scaled:
        if dof > 0:
            cov = cov * chi2_red
        else:
            cov = np.full((n, n), np.inf)
            notes.append("no degrees of freedom left (as many parameters as points): errors estimated from the "
                         "scatter are infinite")
    errors = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        pulls = weighted_residuals / math.sqrt(chi2_red) if scaled else weighted_residuals
    for note in notes:
        warnings.warn(note, FitWarning, stacklevel=3)
    return FitResult(params=params, errors=errors, cov=cov, corr=correlation(cov), chi2=chi2, dof=dof,
                     chi2_red=chi2_red, p_value=chi2_sf(chi2, dof) if sigma_given else math.nan,
                     residuals=np.asarray(residuals, dtype=float), pulls=np.asarray(pulls, dtype=float),
                     cond=found.cond, nit=nit, success=bool(success),
                     message="\n".join(dict.fromkeys([message, *notes])), names=tuple(names), scaled=scaled,
                     sigma_given=sigma_given, cond_scaled=found.cond_scaled, warnings=tuple(notes), method=method,
                     model=model, title=title)
