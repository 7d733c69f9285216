"""Ops for neural networks that deserve their own numerically stable primitive: softmax, log_softmax."""

from __future__ import annotations

import numpy as np

from .core import normalize_axes, primitive
from .elementwise import exp


def _softmax_forward(x, axis=-1):
    x = np.asarray(x)
    shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def _log_softmax_forward(x, axis=-1):
    x = np.asarray(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _softmax_vjp(g, out, x, axis=-1):  # ∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ - sⱼ)  ⇒  s ⊙ (g - Σ g s)
    (axis,) = normalize_axes(axis, np.ndim(x), "softmax")
    return out * (g - (g * out).sum(axis=axis, keepdims=True))


def _log_softmax_vjp(g, out, x, axis=-1):  # ∂(log s)ᵢ/∂xⱼ = δᵢⱼ - sⱼ  ⇒  g - s Σ g
    (axis,) = normalize_axes(axis, np.ndim(x), "log_softmax")
    return g - exp(out) * g.sum(axis=axis, keepdims=True)


softmax = primitive(
    "softmax", _softmax_forward, _softmax_vjp,
    doc="exp(x) / Σ exp(x) along ``axis``, without overflow.\n\n>>> softmax([0.0, 0.0])\narray([0.5, 0.5])",
)
log_softmax = primitive(
    "log_softmax", _log_softmax_forward, _log_softmax_vjp,
    doc="x - logsumexp(x) along ``axis``: log-probabilities, finite even for logits of ±1e4.",
)
