"""What the solvers return: one small base with the same field names everywhere.

Every functional solver (``minimize``, ``newton_raphson``, ``lagrange``, the least-squares solver
under ``curve_fit``) returns a :class:`SolverResult` subclass: ``x`` the point it stopped at,
``fun`` the objective there (a number, or the residual/function values), ``nit`` iterations,
``success``, a ``message`` saying why it stopped, and ``path`` (every iterate, ``path[0]`` = x0,
for plots). Subclasses add what their problem has (``grad``, ``jac``, ``multipliers``...) and, where
the course speaks of roots, the aliases ``root`` and ``converged``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(repr=False)
class SolverResult:
    """``x``, ``fun`` = the objective at x, ``nit`` iterations, ``success``, ``message``, ``path``.

    >>> import numpy as np
    >>> from optim.results import SolverResult
    >>> SolverResult(x=np.array([1.0]), fun=0.0, nit=3, success=True, message="done", path=np.zeros((4, 1)))
    SolverResult(success=True, message='done', x=array([1.]), fun=0.0, nit=3)
    """

    x: Any
    fun: Any
    nit: int
    success: bool
    message: str
    path: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        shown = ["success", "message"] + [f.name for f in dataclasses.fields(self)
                                          if f.repr and f.name not in ("success", "message")]
        return f"{type(self).__name__}({', '.join(f'{name}={getattr(self, name)!r}' for name in shown)})"


@dataclass(repr=False)
class OptimizeResult(SolverResult):
    """What ``minimize`` found: ``x``, ``fun`` = f(x), ``grad`` = ∇f(x), iterations ``nit``,
    evaluations ``nfev``, ``success`` and a ``message`` saying why it stopped, and ``path``: every
    iterate (``path[0]`` is x0), shape (nit + 1, *x.shape)."""

    grad: np.ndarray = field(repr=False)
    nfev: int


@dataclass(repr=False)
class RootResult(SolverResult):
    """``x`` (a float for scalar problems; also ``root``), ``fun`` = f(x), ``success`` (also
    ``converged``), iterations ``nit``, a ``message``, and ``path``: every iterate, x0 first."""

    @property
    def root(self) -> Any:
        """The root found: the course's name for ``x``."""
        return self.x

    @property
    def converged(self) -> bool:
        """Whether Newton-Raphson converged: the course's name for ``success``."""
        return self.success


@dataclass(repr=False)
class LeastSquaresResult(SolverResult):
    """The least-squares solution ``x``, the residuals ``fun`` = r(x) and the Jacobian ``jac`` = ∂r/∂x
    there (what error estimates need: cov ≈ (JᵀJ)⁻¹), ``cost`` = ½‖r‖², ``nit``, evaluations
    ``nfev``, ``success`` (true only when a convergence test passed), ``message``, ``path``."""

    jac: np.ndarray = field(repr=False)
    cost: float
    nfev: int


@dataclass(repr=False)
class LagrangeResult(SolverResult):
    """The point ``x``, the ``multipliers`` λ (∇f = Σλᵢ∇gᵢ), ``fun`` = f(x), ``classification``
    ("minimum", "maximum", "saddle", "degenerate" if the second-order test is inconclusive, or
    "isolated" if the constraints leave no free direction), the ``bordered_hessian``
    [[0, Jg], [Jgᵀ, ∇²ₓL]], ``success``, ``nit``, ``message`` and the ``path`` of x."""

    multipliers: np.ndarray
    classification: str
    bordered_hessian: np.ndarray = field(repr=False)
