"""Ops for neural networks that deserve their own numerically stable primitive: softmax, log_softmax."""

from __future__ import annotations

import numpy as np

from . import series
from .core import normalize_axes
from .elementwise import exp
from .record import primitive, public_op


def _softmax_forward(x, axis=-1):
    x = np.asarray(x)
    shifted = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))  # ufunc methods: no wrappers
    return shifted / np.add.reduce(shifted, axis=axis, keepdims=True)


def _log_softmax_forward(x, axis=-1):
    x = np.asarray(x)
    shifted = x - np.maximum.reduce(x, axis=axis, keepdims=True)
    return shifted - np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))


def _softmax_vjp(g, out, x, axis=-1):  # ∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ - sⱼ)  ⇒  s ⊙ (g - Σ g s)
    (axis,) = normalize_axes(axis, x.ndim, "softmax")
    return out * (g - (g * out).sum(axis=axis, keepdims=True))


def _log_softmax_vjp(g, out, x, axis=-1):  # ∂(log s)ᵢ/∂xⱼ = δᵢⱼ - sⱼ  ⇒  g - s Σ g
    (axis,) = normalize_axes(axis, x.ndim, "log_softmax")
    return g - exp(out) * g.sum(axis=axis, keepdims=True)


softmax = primitive(
    "softmax", _softmax_forward, _softmax_vjp,
    formula="softmax(x, axis=axis)", vjp_rules=("out * (g - np.sum(g * out, axis=axis))",),
    tangent="out * (dx - np.sum(out * dx, axis=axis))", jet=series.softmax, method=True,
    doc="exp(x) / Σ exp(x) along ``axis``, without overflow.\n\n>>> softmax([0.0, 0.0])\narray([0.5, 0.5])",
)
log_softmax = primitive(
    "log_softmax", _log_softmax_forward, _log_softmax_vjp,
    formula="log_softmax(x, axis=axis)", vjp_rules=("g - np.exp(out) * np.sum(g, axis=axis)",),
    tangent="dx - np.sum(np.exp(out) * dx, axis=axis)", jet=series.log_softmax, method=True,
    doc="x - logsumexp(x) along ``axis``: log-probabilities, finite even for logits of ±1e4.",
)


# ----------------------------------------------------------------------------- linear layer
def _linear_forward(x, weight, bias=None):
    out = np.matmul(x, np.swapaxes(weight, -1, -2))  # W is (out, in), as PyTorch stores it
    if bias is not None:
        out += bias  # out is fresh: add in place
    return out


def _linear_vjp_x(g, out, x, weight, bias=None):  # ∂(x Wᵀ + b)/∂x: g W
    return g @ weight


def _linear_vjp_weight(g, out, x, weight, bias=None):  # ∂/∂W: gᵀ x, summed over x's leading axes
    nb = g.ndim - out.ndim  # leading batch axes of cotangents (vectorised Jacobians)
    g_rows = g.reshape(g.shape[:nb] + (-1, g.shape[-1]))
    return g_rows.mT @ x.reshape(-1, x.shape[-1])  # (out, in), contiguous: no copy when stored as .grad


def _linear_vjp_bias(g, out, x, weight, bias=None):  # ∂/∂b: g (the engine sums the leading axes)
    return g


def _linear_jet(node, x, weight, bias=None):  # x Wᵀ + b: bilinear in (x, W), plus b
    product = series.bilinear(lambda a, w: np.matmul(a, np.swapaxes(w, -1, -2)), x, weight)
    return product if bias is None else product + series.align(product, bias)[1]


_linear = primitive(
    "linear", _linear_forward, _linear_vjp_x, _linear_vjp_weight, _linear_vjp_bias,
    inputs=("x", "weight", "bias"), formula="x @ weight.T + bias",
    vjp_rules=("g @ weight", "g.T @ x", "np.sum(g, axis=0)"), tangent="dx @ weight.T + x @ dweight.T + dbias",
    jet=_linear_jet, public=False,
)


@public_op(_linear)
def linear(x, weight, bias=None):
    """x Wᵀ + b with W of shape (out, in) (PyTorch's layout), as one op: its weight gradient is
    computed directly in W's layout, with no transposed copy.

    >>> linear(np.ones((2, 3)), np.ones((4, 3)), np.zeros(4)).shape
    (2, 4)
    """
    return _linear(x, weight, bias)
