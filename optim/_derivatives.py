"""The solvers' view of derivatives: flat float64 arrays in and out, computed by autodiff.

A thin adapter over the engine's one Jacobian machinery (``autodiff.jacobians.jacobian_of``, the
same that ``ad.jacobian`` and ``ad.hessian`` use): it calls the user's function on a Tensor of the
user's shape, checks what came back (with messages in optim's terms), and flattens the blocks
into the (m, n) matrices the solvers use. Second derivatives come from recording the first
backward pass (``create_graph=True``) and pushing unit cotangents through it in batches of at
most ``CHUNK``: a few batched backward passes, not n.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autodiff as ad
from autodiff import Tensor
from autodiff.jacobians import jacobian_of

CHUNK = 256  # unit cotangents per batched backward pass: bounds memory at CHUNK × (largest array)


def call(f: Callable[..., Any], x: np.ndarray, shape: tuple[int, ...], what: str) -> tuple[Tensor, Tensor]:
    """f on a fresh leaf holding x (reshaped), recorded; refuses results that cannot be differentiated."""
    xt = Tensor(x.reshape(shape), requires_grad=True)
    with ad.enable_grad():
        y = f(xt)
    return xt, checked(y, what)


def checked(y: Any, what: str) -> Tensor:
    if not isinstance(y, Tensor):
        raise TypeError(f"{what} returned a {type(y).__name__}, expected a Tensor built from autodiff ops "
                        "(numpy functions and float() cut the graph, so there would be no derivative)")
    if not np.issubdtype(y.dtype, np.floating):
        raise TypeError(f"{what} must return floating-point values, got dtype={y.dtype}")
    return y


def scalar(y: Tensor, what: str) -> float:
    if y.size != 1:
        raise ValueError(f"{what} must return a scalar (one element), got shape {y.shape}")
    return float(y.data.reshape(()))


def flat_gradient(y: Tensor, inputs: Sequence[Tensor], create_graph: bool = False) -> Tensor | None:
    """∇y w.r.t. the inputs, flattened and concatenated (a Tensor); None if y depends on none of them."""
    if not y.requires_grad:
        return None
    pieces = ad.gradients(y.reshape(()), list(inputs), create_graph=create_graph, allow_unused=True)
    if all(piece is None for piece in pieces):
        return None
    flat = [Tensor(np.zeros(x.size)) if piece is None else piece.reshape(-1) for piece, x in zip(pieces, inputs,
                                                                                                  strict=True)]
    return flat[0] if len(flat) == 1 else ad.concatenate(flat)


def flat_jacobian(out: Tensor, inputs: Sequence[Tensor]) -> np.ndarray:
    """∂out/∂(inputs, flattened and concatenated) as an (m, n) array, for a recorded ``out``.

    Rows by batched backward passes when there are few outputs; columns by the transpose trick
    when there are many outputs and few inputs (the residuals of a fit): ``jacobian_of``'s "auto".
    """
    m = out.size
    n = sum(x.size for x in inputs)
    if not out.requires_grad or n == 0:
        return np.zeros((m, n))
    blocks = jacobian_of(out, list(inputs), mode="auto", chunk_size=CHUNK)
    return np.concatenate([np.asarray(b.data, dtype=float).reshape(m, x.size) for b, x in zip(blocks, inputs,
                                                                                               strict=True)],
                          axis=1)


def flat_gradient_and_hessian(loss: Tensor, inputs: Sequence[Tensor]) -> tuple[np.ndarray, np.ndarray]:
    """∇loss and ∇²loss with respect to the inputs, flattened and concatenated (n and n×n)."""
    n = sum(x.size for x in inputs)
    grad = flat_gradient(loss, inputs, create_graph=True)
    if grad is None:
        return np.zeros(n), np.zeros((n, n))
    return np.array(grad.data, dtype=float), flat_jacobian(grad, inputs)


def value(f: Callable[..., Any], x: np.ndarray, shape: tuple[int, ...]) -> float:
    """f(x) alone, recording nothing (line searches that need no slope)."""
    with ad.no_grad():
        y = f(Tensor(x.reshape(shape)))
    return scalar(checked(y, "the objective"), "the objective")


def value_and_grad(f: Callable[..., Any], x: np.ndarray, shape: tuple[int, ...]) -> tuple[float, np.ndarray]:
    """f(x) and ∇f(x) (flat) for a scalar function f of a Tensor of the given shape."""
    xt, y = call(f, x, shape, "the objective")
    fun = scalar(y, "the objective")
    g = flat_gradient(y, [xt])
    return fun, np.zeros(x.size) if g is None else np.array(g.data, dtype=float)


def value_grad_hessian(f: Callable[..., Any], x: np.ndarray,
                       shape: tuple[int, ...]) -> tuple[float, np.ndarray, np.ndarray]:
    """f(x), ∇f(x) and the Hessian ∇²f(x) (n×n, flat coordinates)."""
    xt, y = call(f, x, shape, "the objective")
    fun = scalar(y, "the objective")
    grad, hessian = flat_gradient_and_hessian(y, [xt])
    return fun, grad, hessian


def value_and_jacobian(F: Callable[..., Any], x: np.ndarray,
                       shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """F(x) flattened (m,) and its Jacobian ∂F/∂x (m×n, flat coordinates)."""
    xt, y = call(F, x, shape, "the function")
    return np.array(y.data, dtype=float).reshape(-1), flat_jacobian(y, [xt])
