"""Values, gradients, Hessians and Jacobians of functions of one flat array, by reverse-mode AD.

The solvers work on flat float64 vectors; these helpers call the user's function on a Tensor of
the user's shape and return plain numpy arrays. Second derivatives come from recording the first
backward pass (``create_graph=True``) and pushing all n unit cotangents through it at once
(``is_grads_batched=True``): one batched backward pass, not n.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff as ad
from autodiff import Tensor


def _call(f: Callable[..., Any], x: np.ndarray, shape: tuple[int, ...], what: str) -> tuple[Tensor, Tensor]:
    xt = Tensor(x.reshape(shape), requires_grad=True)
    with ad.enable_grad():
        y = f(xt)
    if not isinstance(y, Tensor):
        y = Tensor(np.asarray(y, dtype=float))
    if not np.issubdtype(y.dtype, np.floating):
        raise TypeError(f"{what} must return floating-point values, got dtype={y.dtype}")
    return xt, y


def _scalar(y: Tensor, what: str) -> None:
    if y.size != 1:
        raise ValueError(f"{what} must return a scalar (one element), got shape {y.shape}")


def _flat_grad(y: Tensor, xt: Tensor, create_graph: bool = False) -> Tensor | None:
    if not y.requires_grad:
        return None
    (g,) = ad.gradients(y.reshape(()), xt, create_graph=create_graph, allow_unused=True)
    return None if g is None else g.reshape(-1)


def value_and_grad(f: Callable[..., Any], x: np.ndarray, shape: tuple[int, ...]) -> tuple[float, np.ndarray]:
    """f(x) and ∇f(x) (flat) for a scalar function f of a Tensor of the given shape."""
    xt, y = _call(f, x, shape, "the objective")
    _scalar(y, "the objective")
    g = _flat_grad(y, xt)
    return float(y.data.reshape(())), np.zeros(x.size) if g is None else np.array(g.data, dtype=float)


def value_grad_hessian(f: Callable[..., Any], x: np.ndarray,
                       shape: tuple[int, ...]) -> tuple[float, np.ndarray, np.ndarray]:
    """f(x), ∇f(x) and the Hessian ∇²f(x) (n×n, flat coordinates)."""
    xt, y = _call(f, x, shape, "the objective")
    _scalar(y, "the objective")
    n = x.size
    g = _flat_grad(y, xt, create_graph=True)
    if g is None:
        return float(y.data.reshape(())), np.zeros(n), np.zeros((n, n))
    hessian = _rows(g, xt, n)
    return float(y.data.reshape(())), np.array(g.data, dtype=float), hessian


def _rows(out: Tensor, xt: Tensor, n: int) -> np.ndarray:
    """The Jacobian of a flat ``out`` (m,) with respect to xt (flat n), one batched backward pass."""
    m = out.size
    if not out.requires_grad:
        return np.zeros((m, n))
    (rows,) = ad.gradients(out, xt, grad_outputs=np.eye(m, dtype=out.dtype), is_grads_batched=True,
                           allow_unused=True)
    return np.zeros((m, n)) if rows is None else np.array(rows.data, dtype=float).reshape(m, n)


def value_and_jacobian(F: Callable[..., Any], x: np.ndarray,
                       shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """F(x) flattened (m,) and its Jacobian ∂F/∂x (m×n, flat coordinates)."""
    xt, y = _call(F, x, shape, "the function")
    values = np.array(y.data, dtype=float).reshape(-1)
    n = x.size
    if not y.requires_grad:
        return values, np.zeros((values.size, n))
    flat = y.reshape(-1)
    if values.size <= 2 * n:
        return values, _rows(flat, xt, n)
    # many outputs, few inputs (residuals of a fit): J v for the n unit vectors v, by
    # differentiating the linear map u ↦ Jᵀu (a recorded VJP) with respect to u
    u = Tensor(np.zeros(values.size, dtype=y.dtype), requires_grad=True)
    (jtu,) = ad.gradients(flat, xt, grad_outputs=u, create_graph=True, allow_unused=True)
    if jtu is None:
        return values, np.zeros((values.size, n))
    jtu = jtu.reshape(-1)
    if not jtu.requires_grad:  # Jᵀu recorded nothing: F is constant in x
        return values, np.zeros((values.size, n))
    (columns,) = ad.gradients(jtu, u, grad_outputs=np.eye(n, dtype=y.dtype), is_grads_batched=True,
                              allow_unused=True)
    return values, np.zeros((values.size, n)) if columns is None else np.array(columns.data, dtype=float).T
