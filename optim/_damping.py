"""Damped Newton directions: add μ·I to the Hessian until it is positive definite.

A Newton step -H⁻¹g is a descent direction only when H is positive definite. Far from a
minimum it may not be, so we try μ = 0, then μ = μ₀, 10μ₀, 100μ₀, ... (Levenberg's idea;
Nocedal & Wright, Algorithm 3.3) until the Cholesky factorisation of H + μI succeeds.
"""

from __future__ import annotations

import numpy as np


def damped_newton_direction(hessian: np.ndarray, grad: np.ndarray, damping: float = 0.0,
                            max_tries: int = 60) -> tuple[np.ndarray, float] | None:
    """(d, μ) with (H + μI) d = -g and H + μI positive definite, μ ≥ ``damping``; None if hopeless."""
    n = grad.size
    if not (np.all(np.isfinite(hessian)) and np.all(np.isfinite(grad))):
        return None
    hessian = 0.5 * (hessian + hessian.T)
    scale = max(float(np.max(np.abs(np.diag(hessian)))) if n else 0.0, 1e-8)
    mu = damping
    for _ in range(max_tries):
        try:
            factor = np.linalg.cholesky(hessian + mu * np.eye(n))
        except np.linalg.LinAlgError:
            mu = max(10.0 * mu, 1e-3 * scale)
            continue
        step = np.linalg.solve(factor.T, np.linalg.solve(factor, -grad))
        if np.all(np.isfinite(step)):
            return step, mu
        mu = max(10.0 * mu, 1e-3 * scale)
    return None
