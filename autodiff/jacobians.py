"""Jacobians of recorded outputs: the one machinery under ``ad.jacobian``, ``ad.hessian`` and optim.

``jacobian_of(output, inputs)`` is to ``ad.jacobian`` what ``ad.gradients`` is to ``ad.grad``: it
differentiates an output that is already recorded with respect to tensors it was computed from
(the parameters a closure closes over, say), with no function to call again. J is built

* by rows (reverse mode): eᵢᵀJ for each output element i, a backward pass with the unit cotangent eᵢ;
* or by columns (the transpose trick of ``jvp``): J eⱼ for each input element j, by differentiating
  the recorded linear map u ↦ uᵀJ with respect to u. A column costs about two rows.

``vectorize`` pushes all the unit vectors through one backward pass with a leading batch axis
instead of a Python loop; ``chunk_size`` caps how many go at once, which bounds the memory at about
chunk_size × (the largest array of the graph): a Hessian of thousands of parameters needs that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .engine import gradients
from .grad_mode import enable_grad
from .ops import concatenate, primitive, reshape, stack, transpose
from .tensor import Tensor

# jacobian_of is for users; the rest is the machinery functional.py's transforms share with it
__all__ = ["jacobian_of"]

# a fresh node that forwards its value and its cotangent unchanged
identity = primitive("identity", lambda x: x, lambda g, out, x: g,  # ∂x/∂x = 1
                     formula="x", partials=("1",), linear=True, public=False)

MODES = ("rev", "fwd", "auto")


def zeros(shape: tuple[int, ...], like: Tensor) -> Tensor:
    """A zero derivative of ``shape`` with ``like``'s dtype (what an unused input gets)."""
    return Tensor._wrap(np.zeros(shape, dtype=like.dtype))


def basis(n: int, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """The n standard basis vectors, each reshaped to ``shape``: a batch of cotangents or tangents."""
    return np.eye(n, dtype=dtype).reshape((n,) + shape)


def derivatives(out: Tensor, xs: Sequence[Tensor], cotangent: Any, create_graph: bool,
                batched: bool = False) -> list[Tensor]:
    """Cotangents of ``xs`` for the output cotangent(s); zeros where out does not depend on an input."""
    batch = tuple(np.shape(cotangent)[:1]) if batched else ()
    if not out.requires_grad:
        return [zeros(batch + x.shape, x) for x in xs]
    grads = gradients(out, list(xs), grad_outputs=cotangent, retain_graph=True, create_graph=create_graph,
                      allow_unused=True, is_grads_batched=batched)
    return [zeros(batch + x.shape, x) if g is None else g for g, x in zip(grads, xs, strict=True)]


def transposed(out: Tensor, xs: Sequence[Tensor]) -> tuple[Tensor | None, list[Tensor | None]]:
    """A dummy cotangent u and, recorded, uᵀ∂out/∂xᵢ for each input (None where out ignores xᵢ)."""
    if not out.requires_grad:
        return None, [None] * len(xs)
    # u's value never matters (uᵀJ is linear in u); recording it as a node lets the second backward
    # pass skip everything recorded before it: f's forward graph leads only to the primals
    with enable_grad():
        u = identity(Tensor(np.zeros_like(out._data), requires_grad=True))
    pulled = gradients(out, list(xs), grad_outputs=u, retain_graph=True, create_graph=True, allow_unused=True)
    return u, [g if g is not None and g.requires_grad else None for g in pulled]


def pushforward(out: Tensor, xs: Sequence[Tensor], tangents: Sequence[Any], create_graph: bool,
                batched: bool = False, pulled: tuple | None = None) -> Tensor:
    """J·v by the transpose trick: u ↦ uᵀJ is linear in u, and its VJP with cotangent v is J v.

    ``pulled`` is ``transposed(out, xs)`` when the caller has it already (one per Jacobian)."""
    u, pulled_back = transposed(out, xs) if pulled is None else pulled
    batch = tuple(np.shape(tangents[0])[:1]) if batched else ()
    used = [(g, t) for g, t in zip(pulled_back, tangents, strict=True) if g is not None]
    if not used:
        return zeros(batch + out.shape, out)
    (result,) = gradients([g for g, _ in used], u, grad_outputs=[t for _, t in used], retain_graph=True,
                          create_graph=create_graph, allow_unused=True, is_grads_batched=batched)
    return zeros(batch + out.shape, out) if result is None else result


def _spans(n: int, chunk_size: int | None) -> list[tuple[int, int]]:
    """[start, stop) ranges covering 0..n, at most chunk_size long (one range when chunk_size is None)."""
    if chunk_size is None or n <= chunk_size:
        return [(0, n)]
    return [(start, min(start + chunk_size, n)) for start in range(0, n, chunk_size)]


def _joined(parts: list[Tensor]) -> Tensor:
    return parts[0] if len(parts) == 1 else concatenate(parts)


def jacobian_rows(out: Tensor, xs: Sequence[Tensor], vectorize: bool, create_graph: bool,
                  chunk_size: int | None = None) -> list[Tensor]:
    """Row by row: one backward pass per output element, or batches of them (``vectorize``)."""
    m = out.size
    seeds = basis(m, out.shape, out.dtype)
    if vectorize:
        parts = [derivatives(out, xs, seeds[a:b], create_graph, batched=True) for a, b in _spans(m, chunk_size)]
        rows = [_joined(list(blocks)) for blocks in zip(*parts, strict=True)]
    else:
        per_row = [derivatives(out, xs, seed, create_graph) for seed in seeds]
        rows = [stack([r[j] for r in per_row]) if m else zeros((0,) + x.shape, x) for j, x in enumerate(xs)]
    return [reshape(r, out.shape + x.shape) for r, x in zip(rows, xs, strict=True)]


def jacobian_columns(out: Tensor, xs: Sequence[Tensor], vectorize: bool, create_graph: bool,
                     chunk_size: int | None = None) -> list[Tensor]:
    """Column by column: J·eⱼ for each input element (the transpose trick, recorded once for all)."""
    u, pulled = transposed(out, xs)
    blocks = []
    for g, x in zip(pulled, xs, strict=True):
        n = x.size
        seeds = basis(n, x.shape, x.dtype)
        if vectorize:
            columns = _joined([pushforward(out, [x], [seeds[a:b]], create_graph, True, (u, [g]))
                               for a, b in _spans(n, chunk_size)])
        else:
            cols = [pushforward(out, [x], [e], create_graph, False, (u, [g])) for e in seeds]
            columns = stack(cols) if n else zeros((0,) + out.shape, out)
        blocks.append(reshape(transpose(reshape(columns, (n, out.size))), out.shape + x.shape))
    return blocks


def check_mode(mode: str, who: str) -> None:
    """Refuse a ``mode`` other than "rev", "fwd" or "auto", naming the caller."""
    if mode not in MODES:
        raise ValueError(f"{who}: mode must be 'rev', 'fwd' or 'auto', got {mode!r}")


def builder(mode: str, out: Tensor, xs: Sequence[Tensor]) -> Any:
    """jacobian_rows or jacobian_columns for ``mode``; "auto" takes rows unless there are more than
    twice as many output elements as input elements (a column costs about two rows)."""
    if mode == "auto":
        mode = "rev" if out.size <= 2 * sum(x.size for x in xs) else "fwd"
    return jacobian_rows if mode == "rev" else jacobian_columns


def check_chunk_size(chunk_size: int | None, who: str) -> None:
    """Refuse a ``chunk_size`` that is not None or a positive int, naming the caller."""
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer))
                                   or chunk_size < 1):
        raise ValueError(f"{who}: chunk_size must be a positive int or None, got {chunk_size!r}")


def jacobian_of(output: Tensor, inputs: Tensor | Sequence[Tensor], mode: str = "auto", vectorize: bool = True,
                chunk_size: int | None = None, create_graph: bool = False) -> tuple[Tensor, ...]:
    """The Jacobian blocks ∂output/∂inputᵢ of an output already recorded, one per input.

    Block i has shape ``output.shape + inputs[i].shape`` (zeros where the output does not depend on
    that input). ``mode``: "rev" (rows), "fwd" (columns), or "auto" (rows unless there are more than
    twice as many output elements as input elements). ``vectorize`` and ``chunk_size`` as in
    ``ad.jacobian``; ``create_graph=True`` records the work so the blocks can be differentiated
    again. The graph of ``output`` is kept (it may be differentiated again).

    >>> import autodiff as ad
    >>> from autodiff.jacobians import jacobian_of
    >>> w = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> b = ad.tensor(0.5, requires_grad=True)
    >>> jacobian_of(w ** 2 * b, [w, b])
    (tensor([[1., 0.],
            [0., 2.]]), tensor([1., 4.]))
    """
    xs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for i, x in enumerate(xs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise TypeError(f"jacobian_of: input {i} must be a Tensor that requires grad")
    check_mode(mode, "jacobian_of")
    check_chunk_size(chunk_size, "jacobian_of")
    return tuple(builder(mode, output, xs)(output, xs, vectorize, create_graph, chunk_size))
