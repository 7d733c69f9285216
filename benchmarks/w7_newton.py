"""W7: Newton's method against gradient descent: iterations and time to ‖∇f‖∞ ≤ 1e-8.

On the 2-d Rosenbrock function from (-1.2, 1) and on L2-regularised logistic regression (500
points, 5 features). Ours is ``optim.minimize`` (derivatives by AD); the reference is the same two
algorithms hand-written in numpy with analytic derivatives (gradient descent with Armijo
backtracking from twice the last step; Newton with Cholesky damping and Armijo from α = 1), so the
time ratio is the price of automatic derivatives per iteration. There is no peer here: the solvers
are this project's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .config import NUMPY, OURS, OURS_JIT, Config
from .report import Result
from .timing import compare

TOL = 1e-8


# ----------------------------------------------------------------------------- the two problems
def rosenbrock_problem() -> dict[str, Any]:
    def f(x):  # works on Tensors (ours) and arrays
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    def fgh(x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        a, b = x
        grad = np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
        hessian = np.array([[2 - 400 * b + 1200 * a * a, -400 * a], [-400 * a, 200.0]])
        return float(f(x)), grad, hessian

    return {"name": "Rosenbrock 2-d", "f": f, "fgh": fgh, "x0": np.array([-1.2, 1.0])}


def logistic_problem(n: int = 500, features: int = 5, l2: float = 1e-2, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features))
    labels = np.sign(x @ rng.standard_normal(features) + 0.5 * rng.standard_normal(n))

    def f(w):  # mean log(1 + exp(-y·xᵀw)) + λ/2 ‖w‖²
        import autodiff as ad

        return ad.softplus(-labels * (x @ w)).mean() + 0.5 * l2 * (w * w).sum()

    def fgh(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        margin = -labels * (x @ w)
        value = float(np.mean(np.logaddexp(0.0, margin)) + 0.5 * l2 * w @ w)
        p = 0.5 * (1.0 + np.tanh(0.5 * margin))  # σ(margin), without overflow
        grad = x.T @ (-labels * p) / n + l2 * w
        hessian = (x.T * (p * (1 - p))) @ x / n + l2 * np.eye(features)
        return value, grad, hessian

    return {"name": f"logistic regression {n}x{features}", "f": f, "fgh": fgh, "x0": np.zeros(features)}


# ----------------------------------------------------------------------------- hand-written solvers
def _armijo(fgh: Callable, x: np.ndarray, d: np.ndarray, f0: float, g0: np.ndarray,
            alpha: float) -> tuple[float, float, np.ndarray, np.ndarray] | None:
    slope = float(g0 @ d)
    for _ in range(50):
        value, grad, hessian = fgh(x + alpha * d)
        if value <= f0 + 1e-4 * alpha * slope:
            return alpha, value, grad, hessian
        alpha *= 0.5
    return None


def numpy_gd(fgh: Callable, x0: np.ndarray, maxiter: int) -> tuple[np.ndarray, int]:
    x, (value, grad, _) = x0.copy(), fgh(x0)
    alpha, nit = 1.0, 0
    while nit < maxiter and np.max(np.abs(grad)) > TOL:
        found = _armijo(fgh, x, -grad, value, grad, min(2 * alpha, 1e6))
        if found is None:
            break
        alpha, value, new_grad, _ = found
        x, grad, nit = x - alpha * grad, new_grad, nit + 1
    return x, nit


def numpy_newton(fgh: Callable, x0: np.ndarray, maxiter: int) -> tuple[np.ndarray, int]:
    x, (value, grad, hessian) = x0.copy(), fgh(x0)
    n, nit = x.size, 0
    while nit < maxiter and np.max(np.abs(grad)) > TOL:
        mu, scale = 0.0, max(float(np.max(np.abs(np.diag(hessian)))), 1e-8)
        while True:  # H + μI positive definite
            try:
                factor = np.linalg.cholesky(hessian + mu * np.eye(n))
                break
            except np.linalg.LinAlgError:
                mu = max(10 * mu, 1e-3 * scale)
        d = np.linalg.solve(factor.T, np.linalg.solve(factor, -grad))
        found = _armijo(fgh, x, d, value, grad, 1.0)
        if found is None:
            break
        alpha, value, grad, hessian = found
        x, nit = x + alpha * d, nit + 1
    return x, nit


def run(config: Config) -> Result:
    maxiter = 500 if config.quick else 100_000
    result = Result("W7", f"Newton vs gradient descent: iterations and time to ‖∇f‖∞ <= {TOL:g}",
                    reference=None)
    try:
        from optim import minimize
    except ImportError as error:
        minimize = None
        result.skip(OURS, f"optim.minimize is not available ({error})")
    for problem in (rosenbrock_problem(), logistic_problem()):
        for method, solver in (("newton", numpy_newton), ("gd", numpy_gd)):
            label = f"{problem['name']}, {'Newton' if method == 'newton' else 'gradient descent'}"
            runs: dict[str, Callable[[], Any]] = {
                f"{NUMPY}: {label}": lambda p=problem, s=solver: s(p["fgh"], p["x0"], maxiter)}
            if minimize is not None:
                runs[f"{OURS}: {label}"] = lambda p=problem, m=method: minimize(
                    p["f"], p["x0"], method=m, tol=TOL, maxiter=maxiter)
                runs[f"{OURS_JIT}: {label}"] = lambda p=problem, m=method: minimize(
                    p["f"], p["x0"], method=m, tol=TOL, maxiter=maxiter, jit=True)
            iterations = {}
            for name, fn in runs.items():
                found = fn()
                nit = found[1] if name.startswith(NUMPY) else found.nit
                converged = (found.success if not name.startswith(NUMPY)
                             else np.max(np.abs(problem["fgh"](found[0])[1])) <= TOL)
                iterations[name] = nit
                result.value(f"{name} iterations", nit, "iter", reference=None,
                             note="" if converged else f"did not reach {TOL:g}")
            slow = max(iterations.values()) > 1000  # one timed run each is enough for seconds-long runs
            samples = compare(runs, 1 if config.quick or slow else 5, 0.0, max_number=1)
            for name in runs:
                result.time(name, samples[name], unit="ms",
                            reference=None if name.startswith(NUMPY) else f"{NUMPY}: {label}")
            if len(runs) == 3:
                ref_name = f"{NUMPY}: {label}"
                per_ref = result.get(ref_name, "ms").stats["median"] / max(iterations[ref_name], 1)
                for ours in (OURS, OURS_JIT):
                    name = f"{ours}: {label}"
                    per = result.get(name, "ms").stats["median"] / max(iterations[name], 1)
                    result.note(f"{label}: {per * 1e3:.0f} µs per iteration ({ours}) vs {per_ref * 1e3:.0f} "
                                f"(numpy), {per / per_ref:.1f}x")
    return result
