"""Search directions from derivatives, one of each, shared by the functional solvers and the optimizers.

* **Damped Newton**: (H + μI) d = -g with μ ≥ 0 grown until H + μI is positive definite, so d
  is a descent direction (``minimize(method="newton")``, ``optim.Newton``).
* **L-BFGS two-loop**: d = -H g for the inverse-Hessian approximation H built from the last
  (s, y) pairs (``minimize(method="lbfgs")``, ``optim.LBFGS``).
* **Gauss-Newton**: J d ≈ -r in the least-squares sense (``curve_fit``, ``optim.GaussNewton``).
* **Levenberg-Marquardt**: (JᵀJ + μ·diag(JᵀJ)) d = -Jᵀr (``curve_fit``, ``optim.LevenbergMarquardt``;
  the loop that picks μ is ``least_squares.levenberg_marquardt_step``).

All work on flat float64 arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Pair = tuple[np.ndarray, np.ndarray, float]  # (s, y, 1/sᵀy): a step and the change of gradient along it


def damped_newton_direction(hessian: np.ndarray, grad: np.ndarray, damping: float = 0.0,
                            max_tries: int = 60) -> tuple[np.ndarray, float] | None:
    """(d, μ) with (H + μI) d = -g and H + μI positive definite, μ ≥ ``damping``; None if hopeless.

    A Newton step -H⁻¹g is a descent direction only when H is positive definite. Far from a minimum
    it may not be, so μ = ``damping``, then μ₀, 10μ₀, 100μ₀, ... (μ₀ = 10⁻³·max|Hᵢᵢ|; Levenberg's
    idea, Nocedal & Wright Algorithm 3.3) until the Cholesky factorisation of H + μI succeeds.

    >>> import numpy as np
    >>> d, mu = damped_newton_direction(np.diag([2.0, 4.0]), np.array([2.0, 4.0]))
    >>> d, mu
    (array([-1., -1.]), 0.0)
    >>> d, mu = damped_newton_direction(np.diag([-1.0, 1.0]), np.array([1.0, 1.0]))   # indefinite
    >>> bool(mu > 1.0), bool(np.array([1.0, 1.0]) @ d < 0)
    (True, True)
    """
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


def two_loop(grad: np.ndarray, pairs: Sequence[Pair]) -> np.ndarray:
    """-H·g with H the L-BFGS inverse Hessian of the stored (s, y, 1/sᵀy) pairs, oldest first.

    Nocedal & Wright Algorithm 7.4, with H₀ = γI, γ = sᵀy/yᵀy of the newest pair (I with no pairs).

    >>> import numpy as np
    >>> s, y = np.array([1.0, 0.0]), np.array([2.0, 0.0])     # curvature 2 along the first axis
    >>> two_loop(np.array([4.0, 0.0]), [(s, y, 1 / (s @ y))])
    array([-2., -0.])
    """
    q = grad.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        alpha = rho * float(s @ q)
        q -= alpha * y
        alphas.append(alpha)
    if len(pairs):
        s, y, _ = pairs[-1]
        q *= float(s @ y) / float(y @ y)  # H₀ = γI
    for (s, y, rho), alpha in zip(pairs, reversed(alphas), strict=True):
        beta = rho * float(y @ q)
        q += (alpha - beta) * s
    return -q


def gauss_newton_direction(r: np.ndarray, J: np.ndarray) -> np.ndarray:
    """The least-squares solution of J d = -r (minimum norm if J is rank deficient).

    >>> import numpy as np
    >>> gauss_newton_direction(np.array([1.0, 2.0]), np.eye(2))
    array([-1., -2.])
    """
    return np.linalg.lstsq(J, -r, rcond=None)[0]


def levenberg_marquardt_direction(r: np.ndarray, J: np.ndarray, mu: float) -> np.ndarray:
    """(JᵀJ + μD) d = -Jᵀr with D = diag(JᵀJ), solved stably as least squares [J; √(μD)] d ≈ [-r; 0].

    μ → 0 gives the Gauss-Newton step; large μ a short step along -D⁻¹Jᵀr (scaled steepest descent).

    >>> import numpy as np
    >>> levenberg_marquardt_direction(np.array([1.0, 2.0]), np.eye(2), mu=1.0)   # half of Gauss-Newton's
    array([-0.5, -1. ])
    """
    scale = np.sum(J * J, axis=0)
    scale = np.maximum(scale, 1e-12 * max(float(scale.max(initial=0.0)), 1e-300))
    augmented = np.vstack([J, np.diag(np.sqrt(mu * scale))])
    return np.linalg.lstsq(augmented, np.concatenate([-r, np.zeros(J.shape[1])]), rcond=None)[0]
