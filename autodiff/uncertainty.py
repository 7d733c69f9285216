"""Propagation of uncertainty through a function, with every derivative from AD: propagate_uncertainty.

If x has mean x₀ and covariance Σ, then y = f(x) ≈ f(x₀) + J·(x - x₀) + ½(x - x₀)ᵀH(x - x₀) with J and
H (one Hessian per output) at x₀. The linear term gives the textbook rule ("the law of propagation of
uncertainty", GUM §5.1.2) Σ_y = J Σ Jᵀ, mean f(x₀); for Gaussian x the quadratic term adds, exactly
for quadratic f, mean_i += ½ tr(Hᵢ Σ) and cov_ij += ½ tr(Hᵢ Σ Hⱼ Σ) (the third moments of a Gaussian
vanish and Cov(dᵀA d, dᵀB d) = 2 tr(AΣBΣ)).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import ShapeError
from .functional import hessian, jacobian
from .tensor import Tensor


def _as_array(value: Any, name: str) -> np.ndarray:
    data = value.data if isinstance(value, Tensor) else value
    try:
        array = np.array(data, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"propagate_uncertainty: {name} must be real numbers ({error})") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"propagate_uncertainty: {name} has nan or inf entries")
    return array


def _covariance(cov: Any, std: Any, n: int, scalar: bool) -> np.ndarray:
    """The (n, n) covariance of x from ``cov`` or ``std``, checked."""
    if (cov is None) == (std is None):
        raise TypeError("propagate_uncertainty: give the covariance of x as cov, or the standard deviations of "
                        "independent inputs as std (exactly one of the two)")
    if std is not None:
        std = _as_array(std, "std")
        if std.shape != (() if scalar else (n,)):
            raise ShapeError(f"propagate_uncertainty: std has shape {std.shape}; it needs x's shape "
                             f"{() if scalar else (n,)} (one standard deviation per entry of x)")
        if np.any(std < 0):
            raise ValueError("propagate_uncertainty: standard deviations must be >= 0")
        return np.diag(np.atleast_1d(std) ** 2)
    cov = _as_array(cov, "cov")
    if scalar and cov.shape in ((), (1,), (1, 1)):
        cov = cov.reshape(1, 1)
    elif cov.shape != (n, n):
        hint = (" (a vector: pass standard deviations as std=..., or cov=np.diag(std**2))"
                if cov.shape == (n,) else "")
        raise ShapeError(f"propagate_uncertainty: cov has shape {cov.shape}; it must be the ({n}, {n}) covariance "
                         f"matrix of x{hint}")
    asymmetry = np.max(np.abs(cov - cov.T), initial=0.0)
    scale = np.max(np.abs(cov), initial=0.0)
    if asymmetry > 1e-10 * scale:
        raise ValueError(f"propagate_uncertainty: cov is not symmetric (largest |cov - cov.T| is {asymmetry:.3g})")
    smallest = np.linalg.eigvalsh(cov).min()
    if smallest < -1e-10 * scale:
        raise ValueError(f"propagate_uncertainty: cov is not positive semidefinite (an eigenvalue is {smallest:.3g})")
    return cov


def propagate_uncertainty(f: Callable[..., Any], x: Any, cov: Any = None, order: int = 1, *,
                          std: Any = None) -> tuple[Any, Any]:
    """The mean and covariance of ``f(x)`` when x is uncertain, from f's derivatives at x.

    ``order=1``: mean = f(x), Σ_y = J Σ Jᵀ with J the Jacobian of f at x (by ``ad.jacobian``), the
    usual propagation of errors (exact for linear f). ``order=2`` adds the second-order terms for
    Gaussian x: mean_i += ½ tr(Hᵢ Σ), Σ_y,ij += ½ tr(Hᵢ Σ Hⱼ Σ), with Hᵢ the Hessian of output i.
    Both are exact for quadratic f. For other f the mean is then right to O(σ⁴), but the covariance
    term leaves out terms of the same order from the third derivatives (Jᵢ·∂³fⱼ·σ⁴: 1% of the
    variance of e^(x/2) at σ = 0.3), so trust the second-order covariance where f is close to
    quadratic over the spread of x, and check it by sampling otherwise.

    Args:
        f: maps x (a scalar or a 1-D vector of n entries) to a scalar or a 1-D vector of m entries,
            written with autodiff ops.
        x: the mean of the inputs.
        cov: their covariance: an (n, n) symmetric positive semidefinite matrix (for a scalar x, its
            variance). A vector is refused, since it could mean variances or standard deviations:
        std: keyword-only, instead of ``cov``: the standard deviations of independent inputs (x's shape).
        order: 1 (linear) or 2 (with the Hessian terms).

    Returns:
        ``(mean, cov)`` as numpy values: mean has f(x)'s shape; cov is (m, m), or the variance
        (a 0-d value) when f returns a scalar.

    >>> import autodiff as ad
    >>> mean, variance = ad.propagate_uncertainty(lambda v: v[0] * v[1], [2.0, 3.0], std=[0.1, 0.2])
    >>> float(mean), round(float(variance), 12)  # (3·0.1)² + (2·0.2)²
    (6.0, 0.25)
    >>> mean, variance = ad.propagate_uncertainty(lambda t: t ** 2, 3.0, 0.25, order=2)
    >>> float(mean), float(variance)  # E[x²] = 9 + 0.25; Var x² = 4·9·0.25 + 2·0.25²
    (9.25, 9.125)
    """
    if order not in (1, 2) or isinstance(order, bool):
        raise ValueError(f"propagate_uncertainty: order must be 1 or 2, got {order!r}")
    point = _as_array(x, "x")
    if point.ndim > 1:
        raise ShapeError(f"propagate_uncertainty: x must be a scalar or a vector, got shape {point.shape}; "
                         "flatten it (and reshape inside f)")
    n = max(point.size, 1)
    sigma = _covariance(cov, std, n, point.ndim == 0)
    value = f(Tensor(point))
    mean = _as_array(value, "f(x)") if not isinstance(value, Tensor) else np.array(value.data, dtype=np.float64)
    if mean.ndim > 1:
        raise ShapeError(f"propagate_uncertainty: f must return a scalar or a vector, got shape {mean.shape}")
    m = max(mean.size, 1)
    J = np.asarray(jacobian(f)(point).data, dtype=np.float64).reshape(m, n)
    result = J @ sigma @ J.T
    if order == 2:
        H = np.asarray(hessian(f)(point).data, dtype=np.float64).reshape(m, n, n)
        H_sigma = H @ sigma  # Hᵢ Σ
        mean = mean + 0.5 * np.trace(H_sigma, axis1=1, axis2=2).reshape(mean.shape)
        result = result + 0.5 * np.einsum("iab,jba->ij", H_sigma, H_sigma)
    result = 0.5 * (result + result.T)  # symmetric to the last bit
    if mean.ndim == 0:
        return mean[()], result[0, 0]
    return mean, result
