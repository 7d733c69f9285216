"""chi2_fit: a χ² fit with the whole answer, every derivative by automatic differentiation.

The fit minimises χ²(p) = Σᵢ ((yᵢ - f(xᵢ; p))/σᵢ)² with the least-squares solver of
least_squares.py (Levenberg-Marquardt by default), J = ∂f/∂p by AD, and then says how good it is:
the covariance (JᵀJ)⁻¹ and what it means (_covariance.py), χ²/dof and its p-value, pulls,
confidence intervals and bands (fit_result.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff as ad
from autodiff import Tensor

from ._derivatives import value_and_jacobian
from .fit_result import FitResult, build_result
from .least_squares import check_bounds, solve_least_squares
from .regression import check_parameter_count, residual_weight


def _finite(name: str, values: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(values.ravel()))
    if bad.size:
        raise ValueError(f"chi2_fit: {name} has {bad.size} value(s) that are NaN or infinite (the first at flat "
                         f"index {bad[0]}: {values.ravel()[bad[0]]}); remove or mask those points")


def parameter_names(model: Callable[..., Any], count: int) -> list[str]:
    """The names of ``model(x, a, b, ...)``'s parameters after x (p0, p1, ... when they cannot be read).

    >>> parameter_names(lambda t, n0, tau: n0, 2), parameter_names(print, 2)
    (['n0', 'tau'], ['p0', 'p1'])
    """
    try:
        parameters = list(inspect.signature(model).parameters.values())
    except (TypeError, ValueError):
        return [f"p{i}" for i in range(count)]
    names = [p.name for p in parameters[1:] if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names[:count] if len(names) >= count else [f"p{i}" for i in range(count)]


def chi2_fit(model: Callable[..., Any], x: Any, y: Any, p0: Any, sigma: Any = None, absolute_sigma: bool = True,
             method: str = "lm", bounds: Any = None, maxiter: int | None = None) -> FitResult:
    """Fit y ≈ model(x, *p) by minimising χ² = Σ ((yᵢ - f(xᵢ; p))/σᵢ)², and report how good the fit is.

    ``model(x, a, b, ...)`` is written with autodiff ops (``ad.exp``, not ``np.exp``): x comes as a
    constant Tensor, each parameter as a scalar Tensor, so J = ∂f/∂p comes from automatic
    differentiation. ``sigma`` is the standard error of each y (a number, an array like y, or
    their m×m covariance matrix). ``method`` is "lm" (Levenberg-Marquardt), "gauss-newton" or "gd";
    ``bounds = (lower, upper)`` keeps the parameters in a box; ``maxiter`` caps the solver's
    iterations (default 200·(n + 1) for n parameters, scipy's budget; 20000 for "gd").

    The covariance of the parameters is (JᵀJ)⁻¹ for the Jacobian of the weighted residuals at the
    optimum, and ``absolute_sigma`` says what σ mean:

    * ``absolute_sigma=True`` (the default): σ are the real standard errors, e.g. √N for Poisson
      counts or a calibrated instrument's errors. The parameters' errors follow from them alone;
      χ²/dof and the p-value then test the model (a bad fit does not inflate the errors: it
      shows as a small p-value). Intervals use the normal quantile.
    * ``absolute_sigma=False``: σ are only relative weights (the same unknown noise on every
      point, or errors known up to a factor). The scale is estimated from the scatter: cov is
      multiplied by χ²/dof, and intervals use the Student t quantile with dof degrees of freedom.
    * ``sigma=None``: every point has the same unknown error, estimated from the residuals (as
      with ``absolute_sigma=False``); there is no p-value, and the report says so.

    The result (a :class:`FitResult`) has ``params errors cov corr chi2 dof chi2_red p_value
    residuals pulls ci(level) cond nit success message predict(x) predict_band(x, level)``;
    ``print(result)`` shows a lab-report table. ``success`` is honest: a start where the model
    does not change with its parameters (a peak far from the data) is a failure, not a converged
    fit. Parameters the data do not determine (flat, or a rank-deficient JᵀJ) get infinite
    errors and nan covariances, and when JᵀJ is ill-conditioned (scale-free cond above 1e10) the
    nearly degenerate combination of parameters is named: each of these warns (``FitWarning``)
    and is written in ``message`` and the report.

    >>> import numpy as np, autodiff as ad, optim
    >>> x = np.linspace(0.0, 4.0, 9)
    >>> y = 3.0 * np.exp(-0.7 * x) + 0.01 * np.array([1, -1, 1, -1, 1, -1, 1, -1, 1])
    >>> fit = optim.chi2_fit(lambda x, a, k: a * ad.exp(-k * x), x, y, p0=[1.0, 1.0], sigma=0.01)
    >>> np.round(fit.params, 3), np.round(fit.errors, 4), fit.dof, round(fit.p_value, 3)
    (array([3.005, 0.701]), array([0.0088, 0.0035]), 7, 0.275)
    """
    x_values = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=float)
    y_values = np.asarray(y.data if isinstance(y, Tensor) else y, dtype=float).ravel()
    p0 = np.atleast_1d(np.asarray(p0, dtype=float))
    if p0.ndim != 1 or p0.size == 0:
        raise ValueError(f"chi2_fit: p0 must be a flat list of at least one starting value, got shape {p0.shape}")
    if not isinstance(absolute_sigma, (bool, np.bool_)):
        raise TypeError(f"chi2_fit: absolute_sigma must be True or False, got {absolute_sigma!r}")
    _finite("x", x_values)
    _finite("y", y_values)
    _finite("p0", p0)
    m, n = y_values.size, p0.size
    if x_values.ndim == 1 and x_values.size != m:
        raise ValueError(f"chi2_fit: x has {x_values.size} points, y has {m}")
    if m < n:
        raise ValueError(f"chi2_fit: {m} data points cannot determine {n} parameters")
    check_parameter_count(model, n, "chi2_fit")
    if sigma is not None:
        _finite("sigma", np.asarray(sigma, dtype=float))
    weight = residual_weight(sigma, m)
    names = parameter_names(model, n)
    xt = Tensor(x_values)

    def prediction(p: Tensor) -> Tensor:
        out = model(xt, *[p[i] for i in range(n)])
        if not isinstance(out, Tensor):
            raise TypeError(f"the model returned a {type(out).__name__}, expected a Tensor built from autodiff ops "
                            "(e.g. ad.exp, not np.exp), so that it can be differentiated")
        if out.size != m:
            raise ValueError(f"the model returned {out.size} values for {m} data points")
        return out.reshape(-1)

    def weighted(values: Any) -> Any:
        return values / weight if weight.ndim == 1 else Tensor(weight) @ values

    with ad.no_grad():
        start = np.asarray(prediction(Tensor(p0)).data)
    if not np.all(np.isfinite(start)):
        i = int(np.flatnonzero(~np.isfinite(start))[0])
        raise ValueError(f"chi2_fit: the model is not finite at p0: f(x[{i}]) = {start[i]}; choose a p0 where it is")
    box = check_bounds(bounds, p0)
    budget = maxiter or (200 * (n + 1) if method != "gd" else 20000)
    solved = solve_least_squares(lambda p: value_and_jacobian(lambda q: weighted(prediction(q) - y_values), p,
                                                              p0.shape),
                                 p0, method=method, bounds=box, maxiter=budget)
    message = solved.message
    if message.startswith("flat start"):  # the solver numbers its variables; the report names them
        for i, name in reversed(list(enumerate(names))):
            message = message.replace(f"x[{i}]", name)
        message = message.replace("x0", "p0")
    params = np.array(solved.x, dtype=float)
    with ad.no_grad():
        fitted = np.asarray(prediction(Tensor(params)).data, dtype=float)
    scale = float(np.linalg.norm(np.abs(weighted(np.abs(y_values) + np.abs(fitted))) if weight.ndim == 1
                                 else np.abs(weight) @ (np.abs(y_values) + np.abs(fitted))))
    return build_result(params, solved.jac, y_values - fitted, -np.asarray(solved.fun), names, scale,
                        sigma_given=sigma is not None, absolute_sigma=absolute_sigma, nit=solved.nit,
                        success=solved.success, message=message, method=method, model=model,
                        title=f"χ² fit of {_model_name(model)}, {', '.join(names)})")


def _model_name(model: Callable[..., Any]) -> str:
    """'decay(t' for ``def decay(t, n0, tau)``: the model's name and its first argument (x for a lambda)."""
    name = getattr(model, "__name__", "model")
    try:
        first = next(iter(inspect.signature(model).parameters))
    except (TypeError, ValueError, StopIteration):
        first = "x"
    return f"{name if name.isidentifier() else 'model'}({first}"
