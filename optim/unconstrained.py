"""``optim.minimize``: unconstrained minimisation of f(x) for an array x, gradients by AD.

Methods (the course's tour of optimisation, simplest first):

* ``"gd"``: gradient descent, x ← x - α∇f, with a fixed ``lr`` or Armijo backtracking (default).
* ``"momentum"``: heavy ball, v ← βv - lr·∇f, x ← x + v.
* ``"newton"``: x ← x - α(∇²f + μI)⁻¹∇f, the Hessian by AD, μ grown until positive definite,
  α by backtracking. Quadratic convergence near a minimum.
* ``"bfgs"``: a dense inverse-Hessian approximation built from gradient differences, strong Wolfe.
* ``"lbfgs"``: the same from the last ``history`` pairs only (two-loop recursion), O(n·m) memory.

Every method records the iterates in ``result.path`` (for plotting) and stops when
‖∇f‖∞ ≤ tol, when it stops making progress, or after ``maxiter`` iterations.
"""

from __future__ import annotations

import math
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff as ad

from ._derivatives import value, value_and_grad, value_grad_hessian
from .directions import damped_newton_direction, two_loop
from .linesearch import LineSearchResult, ValueGrad, armijo, strong_wolfe
from .results import OptimizeResult


class _Problem:
    """The objective on flat vectors, counting evaluations (with ``jit``: compiled by ``ad.jit``)."""

    def __init__(self, f: Callable[[Any], Any], shape: tuple[int, ...], jit: bool = False) -> None:
        self.f, self.shape, self.nfev = f, shape, 0
        self.compiled = _compiled(f, shape) if jit else None

    def fg(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.nfev += 1
        with np.errstate(all="ignore"):
            return self.compiled.fg(x) if self.compiled else value_and_grad(self.f, x, self.shape)

    def f_only(self, x: np.ndarray) -> tuple[float, None]:
        """f(x) without its gradient (for backtracking when the next iterate recomputes it anyway)."""
        self.nfev += 1
        with np.errstate(all="ignore"):
            return (self.compiled.f(x) if self.compiled else value(self.f, x, self.shape)), None

    def fgh(self, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        self.nfev += 1
        with np.errstate(all="ignore"):
            return self.compiled.fgh(x) if self.compiled else value_grad_hessian(self.f, x, self.shape)


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # f -> {shape: _Compiled}


def _compiled(f: Callable[[Any], Any], shape: tuple[int, ...]) -> _Compiled:
    """The compiled derivatives of f, kept while f lives: a second minimize of f replays its traces."""
    try:
        by_shape = _COMPILED.setdefault(f, {})
    except TypeError:  # f cannot be weakly referenced (a builtin): compile for this call only
        return _Compiled(f, shape)
    if shape not in by_shape:
        by_shape[shape] = _Compiled(f, shape)
    return by_shape[shape]


class _Compiled:
    """f, its gradient and Hessian on flat vectors, each traced once by ``ad.jit`` and replayed."""

    def __init__(self, f: Callable[[Any], Any], shape: tuple[int, ...]) -> None:
        g = lambda x: f(x.reshape(shape))  # noqa: E731 (f of the flat vector)
        self._f = ad.jit(g)
        self._fg = ad.jit(ad.value_and_grad(g))
        self._fgh = ad.jit(lambda x: (*ad.value_and_grad(g)(x), ad.hessian(g)(x)))

    def f(self, x: np.ndarray) -> float:
        return float(self._f(x).data)

    def fg(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = self._fg(x)
        return float(value.data), grad.data

    def fgh(self, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        value, grad, hessian = self._fgh(x)
        return float(value.data), grad.data, hessian.data


METHODS = ("gd", "momentum", "newton", "bfgs", "lbfgs")


def minimize(f: Callable[[Any], Any], x0: Any, method: str = "bfgs", tol: float = 1e-8, maxiter: int = 1000,
             callback: Callable[[np.ndarray], Any] | None = None, jit: bool = False,
             **options: Any) -> OptimizeResult:
    """Minimise a scalar function ``f`` of one array, starting from ``x0``.

    ``f`` takes a Tensor shaped like ``x0`` and returns a scalar Tensor, built from autodiff ops.
    ``method``: ``"gd"`` (options ``lr=None``: backtracking; a number: fixed step),
    ``"momentum"`` (``lr=1e-2, beta=0.9``), ``"newton"``, ``"bfgs"``, ``"lbfgs"`` (``history=10``).
    Stops when the largest gradient component is ≤ ``tol``. ``callback(x)`` runs after each
    iteration; returning True stops the solver. ``jit=True`` compiles f and its derivatives with
    ``ad.jit`` (traced once, replayed at every iterate: the same iterates, faster on small problems;
    f must then avoid Python control flow on the values of x).

    >>> import numpy as np, autodiff as ad, optim
    >>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    >>> result = optim.minimize(rosen, [-1.2, 1.0], method="newton")
    >>> result.success, np.round(result.x, 8), result.nit
    (True, array([1., 1.]), 21)
    >>> result.path.shape
    (22, 2)
    """
    method = method.lower() if isinstance(method, str) else method  # scipy's spelling "BFGS" works too
    if method not in METHODS:
        raise ValueError(f"minimize: unknown method {method!r}; expected one of {', '.join(METHODS)}")
    x = np.array(x0, dtype=float)
    shape = x.shape
    problem = _Problem(f, shape, jit)
    solver = {"gd": _gradient_descent, "momentum": _momentum, "newton": _newton,
              "bfgs": _bfgs, "lbfgs": _lbfgs}[method]
    known = {"gd": {"lr", "c1"}, "momentum": {"lr", "beta"}, "newton": {"c1"},
             "bfgs": {"c1", "c2"}, "lbfgs": {"c1", "c2", "history"}}[method]
    unknown = set(options) - known
    if unknown:
        raise TypeError(f"minimize(method={method!r}): unknown option(s) {sorted(unknown)}; "
                        f"it takes {sorted(known)}")
    state = _Run(problem, x.reshape(-1), tol, maxiter, callback)
    if state.finished is None:
        solver(state, **options)
    return state.result(shape)


class _Run:
    """The bookkeeping shared by the solvers: current point, path, stopping tests."""

    def __init__(self, problem: _Problem, x: np.ndarray, tol: float, maxiter: int,
                 callback: Callable[[np.ndarray], Any] | None) -> None:
        self.problem, self.tol, self.maxiter, self.callback = problem, tol, maxiter, callback
        self.x = x
        self.fun, self.grad = problem.fg(x)
        self.path = [x.copy()]
        self.nit = 0
        self.finished: tuple[bool, str] | None = None
        if not (math.isfinite(self.fun) and np.all(np.isfinite(self.grad))):
            self.finished = (False, "f or its gradient is not finite at x0")
        elif self.converged():
            self.finished = (True, "gradient below tol at x0")

    def converged(self) -> bool:
        return float(np.max(np.abs(self.grad), initial=0.0)) <= self.tol

    def running(self) -> bool:
        if self.finished is None and self.nit >= self.maxiter:
            self.finished = (False, f"maximum number of iterations ({self.maxiter}) reached")
        return self.finished is None

    def accept(self, x: np.ndarray, fun: float, grad: np.ndarray) -> None:
        """Move to a new iterate; decide whether to stop."""
        step = float(np.max(np.abs(x - self.x), initial=0.0))
        previous = self.fun
        self.x, self.fun, self.grad = x, fun, grad
        self.nit += 1
        self.path.append(x.copy())
        if not (math.isfinite(fun) and np.all(np.isfinite(grad))):
            self.finished = (False, "f or its gradient became non-finite (diverged)")
        elif self.converged():
            self.finished = (True, "gradient below tol")
        elif step <= 1e-15 * (1 + float(np.max(np.abs(x), initial=0.0))) and fun >= previous:
            self.finished = (False, "no progress: the step is below machine precision (is tol attainable at "
                                    "this scale of f and x?)")
        # the callback sees every iterate, the last one too (as scipy's does)
        if self.callback is not None and self.callback(x.reshape(self.problem.shape).copy()) is True \
                and self.finished is None:
            self.finished = (False, "stopped by callback")

    def fail(self, message: str) -> None:
        self.finished = (False, message)

    def result(self, shape: tuple[int, ...]) -> OptimizeResult:
        success, message = self.finished if self.finished is not None else (False, "not run")
        return OptimizeResult(x=self.x.reshape(shape), fun=self.fun, grad=self.grad.reshape(shape), nit=self.nit,
                              nfev=self.problem.nfev, success=success, message=message,
                              path=np.array(self.path).reshape((len(self.path),) + shape))


def _gradient_descent(run: _Run, lr: float | None = None, c1: float = 1e-4) -> None:
    alpha = 1.0
    while run.running():
        d = -run.grad
        if lr is not None:
            x = run.x + lr * d
            run.accept(x, *run.problem.fg(x))
            continue
        search = armijo(run.problem.fg, run.x, d, run.fun, run.grad, alpha0=min(2 * alpha, 1e6), c1=c1)
        if not search.success:
            return run.fail("line search failed: " + search.message)
        alpha = search.alpha
        run.accept(run.x + alpha * d, search.fun, search.grad)


def _momentum(run: _Run, lr: float = 1e-2, beta: float = 0.9) -> None:
    velocity = np.zeros_like(run.x)
    while run.running():
        velocity = beta * velocity - lr * run.grad
        x = run.x + velocity
        run.accept(x, *run.problem.fg(x))


def damped_newton_step(value: ValueGrad, x: np.ndarray, fun: float, grad: np.ndarray, hessian: np.ndarray,
                       damping: float = 0.0, alpha0: float = 1.0, c1: float = 1e-4,
                       max_backtracks: int = 50) -> tuple[LineSearchResult, np.ndarray, float] | None:
    """One damped Newton iteration: ``(search, d, μ)``, or None if no μ makes ∇²f + μI positive definite.

    d solves (∇²f + μI) d = -∇f with μ ≥ ``damping`` grown until the matrix is positive definite;
    then Armijo backtracking from α = ``alpha0`` on ``value(z) -> (f(z), _)``. The step of
    ``minimize(method="newton")`` and of ``optim.Newton``.

    >>> import numpy as np
    >>> f = lambda z: (float(z @ z), None)
    >>> search, d, mu = damped_newton_step(f, np.array([3.0]), 9.0, np.array([6.0]), np.array([[2.0]]))
    >>> search.alpha, d, mu               # the exact minimiser in one step
    (1.0, array([-3.]), 0.0)
    """
    found = damped_newton_direction(hessian, grad, damping=damping)
    if found is None:
        return None
    d, mu = found
    return armijo(value, x, d, fun, grad, alpha0=alpha0, c1=c1, maxiter=max_backtracks), d, mu


def _newton(run: _Run, c1: float = 1e-4) -> None:
    fun, grad, hessian = run.problem.fgh(run.x)
    while run.running():
        step = damped_newton_step(run.problem.f_only, run.x, run.fun, run.grad, hessian, c1=c1)
        if step is None:
            return run.fail("the Hessian is not finite or cannot be made positive definite")
        search, d, _ = step
        if not search.success:
            # the Newton decrement -∇f·d/2 predicts the decrease still available; below f's rounding
            # no step can show a decrease, and x is as good as it gets
            if -float(run.grad @ d) / 2 <= 1e-12 * max(abs(run.fun), 1e-300):
                run.finished = (True, "converged to rounding: the predicted decrease is below f's precision")
                return None
            return run.fail("line search failed: " + search.message)
        x = run.x + search.alpha * d
        fun, grad, hessian = run.problem.fgh(x)
        run.accept(x, fun, grad)


def _initial_step(run: _Run, previous_fun: float | None, d: np.ndarray) -> float:
    """scipy's first trial step: aim for the decrease of the last iteration, never more than 1."""
    slope = float(run.grad @ d)
    if previous_fun is None:
        previous_fun = run.fun + float(np.linalg.norm(run.grad)) / 2
    if slope >= 0:
        return 1.0
    guess = 1.01 * 2 * (run.fun - previous_fun) / slope
    return min(1.0, guess) if guess > 0 else 1.0


def _search(run: _Run, d: np.ndarray, previous_fun: float | None, c1: float, c2: float) -> LineSearchResult:
    search = strong_wolfe(run.problem.fg, run.x, d, run.fun, run.grad,
                          alpha0=_initial_step(run, previous_fun, d), c1=c1, c2=c2)
    return search


def _quasi_newton(run: _Run, c1: float, c2: float, direction: Callable[[np.ndarray], np.ndarray],
                  update: Callable[[np.ndarray, np.ndarray, float], None], reset: Callable[[], None]) -> None:
    """The loop BFGS and L-BFGS share: d = -H∇f, a strong Wolfe step, then update H from (s, y)."""
    previous_fun = None
    while run.running():
        d = direction(run.grad)
        if not float(run.grad @ d) < 0:  # lost positive definiteness: restart from steepest descent
            reset()
            d = -run.grad
        search = _search(run, d, previous_fun, c1, c2)
        if search.alpha == 0.0:
            return run.fail("line search failed: " + search.message)
        s = search.alpha * d
        y = search.grad - run.grad
        previous_fun = run.fun
        run.accept(run.x + s, search.fun, search.grad)
        sy = float(s @ y)
        if sy > 1e-12 * float(np.linalg.norm(s) * np.linalg.norm(y)):  # else the curvature test failed
            update(s, y, sy)


def _bfgs(run: _Run, c1: float = 1e-4, c2: float = 0.9) -> None:
    # H₀ = I, not rescaled (as scipy): with an overlong first guess every line search interpolates,
    # which is much faster on ill-conditioned problems than accepting short unit steps
    n = run.x.size
    inverse = [np.eye(n)]

    def update(s: np.ndarray, y: np.ndarray, sy: float) -> None:
        rho = 1.0 / sy
        h = inverse[0]
        hy = h @ y
        # H ← (I - ρsyᵀ) H (I - ρysᵀ) + ρssᵀ, expanded
        inverse[0] = (h - rho * (np.outer(s, hy) + np.outer(hy, s))
                      + (rho * rho * float(y @ hy) + rho) * np.outer(s, s))

    def reset() -> None:
        inverse[0] = np.eye(n)

    _quasi_newton(run, c1, c2, lambda g: -inverse[0] @ g, update, reset)


def _lbfgs(run: _Run, c1: float = 1e-4, c2: float = 0.9, history: int = 10) -> None:
    pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=history)
    _quasi_newton(run, c1, c2, lambda g: two_loop(g, pairs),
                  lambda s, y, sy: pairs.append((s, y, 1.0 / sy)), pairs.clear)
