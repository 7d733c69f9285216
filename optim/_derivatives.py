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
        raise TypeError(f"{what} returned a {type(y).__name__}, expected a Tensor built from autodiff ops "
                        "(numpy functions and float() cut the graph, so there would be no derivative)")
    if not np.issubdtype(y.dtype, np.floating):
        raise TypeError(f"{what} must return floating-point values, got dtype={y.dtype}")
    return xt, y


def _scalar(y: Tensor, what: str) -> None:
    if y.size != 1:
        raise ValueError(f"{what} must return a scalar (one element), got shape {y.shape}")


def _flat_grad(y: Tensor, xt: Tensor) -> Tensor | None:
    if not y.requires_grad:
        return None
    (g,) = ad.gradients(y.reshape(()), xt, allow_unused=True)
    return None if g is None else g.reshape(-1)


def value_and_grad(f: Callable[..., Any], x: np.ndarray, shape: tuple[int, ...]) -> tuple[float, np.ndarray]:
    """f(x) and ∇f(x) (flat) for a scalar function f of a Tensor of the given shape."""
    xt, y = _call(f, x, shape, "the objective")
    _scalar(y, "the objective")
    g = _flat_grad(y, xt)
    return float(y.data.reshape(())), np.zeros(x.size) if g is None else np.array(g.data, dtype=float)


def value(f: Callable[..., Any], x: np.ndarray, shape: tuple[int, ...]) -> float:
    """f(x) alone, recording nothing (line searches that need no slope)."""
    with ad.no_grad():
        y = f(Tensor(x.reshape(shape)))
    if not isinstance(y, Tensor):
        raise TypeError(f"the objective returned a {type(y).__name__}, expected a Tensor built from "
                        "autodiff ops")
    _scalar(y, "the objective")
    return float(y.data.reshape(()))


def value_grad_hessian(f: Callable[..., Any], x: np.ndarray,
                       shape: tuple[int, ...]) -> tuple[float, np.ndarray, np.ndarray]:
    """f(x), ∇f(x) and the Hessian ∇²f(x) (n×n, flat coordinates)."""
    xt, y = _call(f, x, shape, "the objective")
    _scalar(y, "the objective")
    grad, hessian = flat_gradient_and_hessian(y, [xt])
    return float(y.data.reshape(())), grad, hessian


def jacobian_of(out: Tensor, inputs: list[Tensor]) -> np.ndarray:
    """∂out/∂(inputs, flattened and concatenated) as an (m, n) array, for a recorded ``out``.

    Few outputs: one batched backward pass with the m unit cotangents (rows). Many outputs
    and few inputs (the residuals of a fit): J v for the n unit vectors v, by differentiating
    the linear map u ↦ Jᵀu (a recorded VJP) with respect to u (columns).
    """
    flat = out.reshape(-1)
    m = flat.size
    sizes = [x.size for x in inputs]
    n = sum(sizes)
    if not flat.requires_grad or n == 0:
        return np.zeros((m, n))
    if m <= 2 * n:
        rows = _batched_vjps(flat, inputs, m)
        blocks = [np.zeros((m, size)) if r is None else r.reshape(m, size)
                  for r, size in zip(rows, sizes, strict=True)]
        return np.concatenate(blocks, axis=1)
    u = Tensor(np.zeros(m, dtype=flat.dtype), requires_grad=True)
    pieces = ad.gradients(flat, inputs, grad_outputs=u, create_graph=True, allow_unused=True)
    jtu = ad.concatenate([Tensor(np.zeros(size)) if piece is None else piece.reshape(-1)
                          for piece, size in zip(pieces, sizes, strict=True)])
    if not jtu.requires_grad:  # Jᵀu recorded nothing: out is constant in the inputs
        return np.zeros((m, n))
    (columns,) = _batched_vjps(jtu, [u], n)
    return np.zeros((m, n)) if columns is None else columns.T


CHUNK = 256  # unit cotangents per batched backward pass: bounds memory at CHUNK × (largest array)


def _batched_vjps(out: Tensor, inputs: list[Tensor], m: int) -> list[np.ndarray | None]:
    """eᵢᵀ ∂out/∂input for every unit vector eᵢ (i < m), as one (m, *input.shape) array per input."""
    eye = np.eye(m, dtype=out.dtype)
    chunks: list[tuple] = []
    for start in range(0, m, CHUNK):
        last = start + CHUNK >= m
        chunks.append(ad.gradients(out, inputs, grad_outputs=eye[start: start + CHUNK], is_grads_batched=True,
                                   retain_graph=not last, allow_unused=True))
    return [None if parts[0] is None else np.concatenate([np.asarray(p.data, dtype=float) for p in parts])
            for parts in zip(*chunks, strict=True)]


def flat_gradient_and_hessian(loss: Tensor, inputs: list[Tensor]) -> tuple[np.ndarray, np.ndarray]:
    """∇loss and ∇²loss with respect to the inputs, flattened and concatenated (n and n×n)."""
    n = sum(x.size for x in inputs)
    if not loss.requires_grad:
        return np.zeros(n), np.zeros((n, n))
    pieces = ad.gradients(loss.reshape(()), inputs, create_graph=True, allow_unused=True)
    grad = ad.concatenate([Tensor(np.zeros(x.size)) if piece is None else piece.reshape(-1)
                           for piece, x in zip(pieces, inputs, strict=True)])
    return np.array(grad.data, dtype=float), jacobian_of(grad, inputs)


def value_and_jacobian(F: Callable[..., Any], x: np.ndarray,
                       shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """F(x) flattened (m,) and its Jacobian ∂F/∂x (m×n, flat coordinates)."""
    xt, y = _call(F, x, shape, "the function")
    return np.array(y.data, dtype=float).reshape(-1), jacobian_of(y, [xt])
