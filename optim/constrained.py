"""Lagrange multipliers: stationary points of f(x) subject to equality constraints g(x) = 0.

At a constrained extremum ∇f = Σ λᵢ∇gᵢ and g = 0: the stationary points of the Lagrangian
L(x, λ) = f(x) - λ·g(x) in (x, λ) together. We solve ∇L = 0 with Newton-Raphson, the Jacobian of
∇L (the Hessian of L in (x, λ)) coming from automatic differentiation.

Whether the point is a minimum, a maximum or a saddle on the constraint surface is read from the
second-order conditions: the Hessian ∇²ₓL restricted to the tangent space {d : Jg d = 0}. This is
equivalent to the signs of the bordered Hessian's leading minors, but more robust numerically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autodiff as ad
from autodiff import Tensor

from ._derivatives import value_and_grad, value_and_jacobian, value_grad_hessian
from .results import LagrangeResult
from .roots import newton_raphson


def lagrange(f: Callable[[Any], Any], constraints: Callable[[Any], Any] | Sequence[Callable[[Any], Any]],
             x0: Any, multipliers0: Any = None, tol: float = 1e-10, maxiter: int = 50) -> LagrangeResult:
    """Find a stationary point of ``f`` subject to ``constraints(x) = 0``, starting from ``x0``.

    ``constraints`` is one function returning a scalar or a vector of constraint values, or a
    list of scalar functions. ``multipliers0`` defaults to the least-squares solution of
    ∇f(x0) = Jg(x0)ᵀλ. Which stationary point is found depends on the start.

    >>> import optim
    >>> result = optim.lagrange(lambda v: v[0] * v[1], lambda v: v[0] + v[1] - 10, x0=[1.0, 2.0])
    >>> result.x, result.multipliers, result.classification
    (array([5., 5.]), array([5.]), 'maximum')
    """
    x0 = np.array(x0, dtype=float).reshape(-1)
    n = x0.size
    g = _constraint_function(constraints)
    values, _ = value_and_jacobian(g, x0, (n,))
    k = values.size
    if k == 0:
        raise ValueError("lagrange needs at least one constraint")
    if k >= n + 1:
        raise ValueError(f"lagrange: {k} constraints on {n} unknowns leave no freedom to optimise")
    if multipliers0 is None:
        multipliers0 = _least_squares_multipliers(f, g, x0, n)
    multipliers0 = np.array(multipliers0, dtype=float).reshape(-1)
    if multipliers0.size != k:
        raise ValueError(f"lagrange: {k} constraints but {multipliers0.size} initial multipliers")

    def lagrangian(z: Tensor) -> Tensor:
        x, lam = z[:n], z[n:]
        return f(x) - (lam * g(x)).sum()

    def stationarity(z: Tensor) -> Tensor:  # ∇L(x, λ) = (∇f - Jgᵀλ, -g)
        (grad,) = ad.gradients(lagrangian(z), z, create_graph=True)
        return grad

    solution = newton_raphson(stationarity, np.concatenate([x0, multipliers0]), tol=tol, maxiter=maxiter)
    z = np.asarray(solution.root, dtype=float)
    x, multipliers = z[:n], z[n:]
    bordered, classification = _classify(lagrangian, g, z, n, k)
    fun = float(value_and_grad(f, x, (n,))[0])
    return LagrangeResult(x=x, fun=fun, nit=solution.nit, success=solution.success, message=solution.message,
                          path=solution.path[:, :n], multipliers=multipliers, classification=classification,
                          bordered_hessian=bordered)


def _constraint_function(constraints: Any) -> Callable[[Tensor], Tensor]:
    if callable(constraints):
        return lambda x: _as_vector(constraints(x))
    functions = list(constraints)
    if not functions or not all(callable(c) for c in functions):
        raise TypeError("constraints must be a function or a non-empty list of functions")
    return lambda x: ad.concatenate([_as_vector(c(x)) for c in functions])


def _as_vector(value: Any) -> Tensor:
    value = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=float))
    return value.reshape(-1)


def _least_squares_multipliers(f, g, x0: np.ndarray, n: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        _, grad = value_and_grad(f, x0, (n,))
        _, jac = value_and_jacobian(g, x0, (n,))
        if not (np.all(np.isfinite(grad)) and np.all(np.isfinite(jac))):
            return np.zeros(jac.shape[0])
        return np.linalg.lstsq(jac.T, grad, rcond=None)[0]


def _classify(lagrangian, g, z: np.ndarray, n: int, k: int) -> tuple[np.ndarray, str]:
    """The bordered Hessian and the signs of ∇²ₓL on the tangent space of the constraints."""
    with np.errstate(all="ignore"):
        _, _, hessian = value_grad_hessian(lagrangian, z, z.shape)
        _, jac = value_and_jacobian(g, z[:n], (n,))
    hxx = hessian[:n, :n]
    bordered = np.block([[np.zeros((k, k)), jac], [jac.T, hxx]])
    if not (np.all(np.isfinite(hxx)) and np.all(np.isfinite(jac))):
        return bordered, "degenerate"
    _, singular, vt = np.linalg.svd(jac)
    rank = int(np.sum(singular > 1e-10 * max(float(singular.max(initial=0.0)), 1e-300)))
    tangent = vt[rank:].T  # an orthonormal basis of {d : Jg d = 0}
    if tangent.shape[1] == 0:
        return bordered, "isolated"
    curvature = np.linalg.eigvalsh(tangent.T @ (0.5 * (hxx + hxx.T)) @ tangent)
    scale = max(float(np.max(np.abs(hxx))), 1.0)
    if np.all(curvature > 1e-9 * scale):
        return bordered, "minimum"
    if np.all(curvature < -1e-9 * scale):
        return bordered, "maximum"
    if np.any(curvature > 1e-9 * scale) and np.any(curvature < -1e-9 * scale):
        return bordered, "saddle"
    return bordered, "degenerate"
