"""nn.functional: the layers and activations as plain functions of tensors (PyTorch's names).

Everything here is composed from the engine's differentiable ops (or is one of them), so every
function has gradients of any order. The losses live in :mod:`nn.losses` and are re-exported here.

>>> import autodiff as ad
>>> from nn import functional as F
>>> F.relu(ad.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import autodiff as ad
from autodiff import Tensor
from autodiff.errors import ShapeError
from autodiff.ops import conv2d as _conv2d
from autodiff.ops import max_pool2d as _max_pool2d

from .init import as_rng
from .losses import (
    bce_loss,
    bce_with_logits_loss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    cross_entropy_loss,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)

relu = ad.relu
tanh = ad.tanh
sigmoid = ad.sigmoid
softplus = ad.softplus
softmax = ad.softmax
log_softmax = ad.log_softmax


# ----------------------------------------------------------------------------- layers as functions
def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x Wᵀ + b with W of shape (out, in), as PyTorch stores it.

    >>> import autodiff as ad
    >>> linear(ad.ones(2, 3), ad.ones(4, 3), ad.zeros(4)).shape
    (2, 4)
    """
    if np.shape(x)[-1:] != np.shape(weight)[-1:]:  # say it in the layer's terms, not matmul's
        raise ShapeError(f"linear: the input has shape {np.shape(x)}, but the weight {np.shape(weight)} = (out, in) "
                         f"expects {np.shape(weight)[-1]} features on the last axis")
    return ad.ops.linear(x, weight, bias)  # one op: W's gradient comes out in W's (out, in) layout


def conv_padding(padding: int | tuple[int, int] | str, kernel_size: tuple[int, int],
                 stride: int | tuple[int, int] = 1) -> int | tuple[int, int]:
    """Resolve ``"valid"`` (no padding) and ``"same"`` (output size = input size, stride 1, odd kernels).

    >>> conv_padding("same", (3, 5))
    (1, 2)
    """
    if not isinstance(padding, str):
        return padding
    if padding == "valid":
        return 0
    if padding != "same":
        raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    if stride not in (1, (1, 1)) or any(k % 2 == 0 for k in kernel_size):
        raise ValueError(f"padding='same' needs stride 1 and odd kernel sizes, got stride {stride} and kernel "
                         f"{tuple(kernel_size)}; give the padding as numbers instead")
    return kernel_size[0] // 2, kernel_size[1] // 2


def conv2d(x: Any, weight: Any, bias: Any = None, stride: int | tuple[int, int] = 1,
           padding: int | tuple[int, int] | str = 0) -> Tensor:
    """2-D cross-correlation of x (N, C, H, W) with weight (O, C, kh, kw), plus bias (O,).

    ``padding`` is zeros on each side: an int, an (h, w) pair, ``"valid"`` or ``"same"``.

    >>> import autodiff as ad
    >>> conv2d(ad.ones(1, 2, 5, 5), ad.ones(3, 2, 3, 3), padding="same").shape
    (1, 3, 5, 5)
    """
    padding = conv_padding(padding, tuple(np.shape(weight)[-2:]), stride)
    out = _conv2d(x, weight, stride=stride, padding=padding)
    return out if bias is None else out + ad.reshape(bias, (-1, 1, 1))


def max_pool2d(x: Any, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
               padding: int | tuple[int, int] = 0) -> Tensor:
    """Maximum over windows of x (N, C, H, W); ``stride`` defaults to ``kernel_size``.

    >>> import autodiff as ad
    >>> max_pool2d(ad.ones(1, 1, 4, 4), 2).shape
    (1, 1, 2, 2)
    """
    return _max_pool2d(x, kernel_size, stride=stride, padding=padding)


def flatten(x: Any, start_axis: int = 1, end_axis: int = -1) -> Tensor:
    """Merge axes ``start_axis..end_axis`` into one (by default all but the batch axis).

    >>> import autodiff as ad
    >>> flatten(ad.zeros(2, 3, 4)).shape
    (2, 12)
    """
    shape = tuple(np.shape(x))
    ndim = len(shape)
    start, end = start_axis % ndim if ndim else 0, end_axis % ndim if ndim else 0
    new_shape = shape[:start] + (math.prod(shape[start: end + 1]),) + shape[end + 1:]
    return ad.reshape(x, new_shape)


def dropout(x: Any, p: float = 0.5, training: bool = True, rng: Any = None) -> Tensor:
    """Zero each entry with probability p and scale the rest by 1/(1-p); the identity when not training.

    >>> import autodiff as ad
    >>> dropout(ad.ones(4), p=0.5, training=False)
    tensor([1., 1., 1., 1.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x if isinstance(x, Tensor) else ad.tensor(x)
    dtype = np.result_type(np.asarray(x.data if isinstance(x, Tensor) else x).dtype, np.float32)
    if p == 1.0:
        return ad.multiply(x, np.zeros(np.shape(x), dtype=dtype))
    keep = as_rng(rng).random(np.shape(x)) >= p
    return ad.multiply(x, keep.astype(dtype) * dtype.type(1.0 / (1.0 - p)))


def batch_norm(x: Any, running_mean: Tensor | None, running_var: Tensor | None, weight: Any = None,
               bias: Any = None, training: bool = False, momentum: float | None = 0.1, eps: float = 1e-5,
               num_batches_tracked: Tensor | None = None) -> Tensor:
    """Normalise x (N, C, ...) per channel C: batch statistics when training, running ones otherwise.

    (N, C) and (N, C, L) are BatchNorm1d's inputs, (N, C, H, W) BatchNorm2d's; the statistics are
    taken over every axis but the channel axis.

    In training mode the running statistics are updated in place (no gradient): ``running =
    (1 - momentum)·running + momentum·batch`` with the unbiased batch variance, or the cumulative
    average when ``momentum`` is None, exactly as PyTorch does.

    >>> import autodiff as ad
    >>> y = batch_norm(ad.tensor([[1.0], [3.0]]), None, None, training=True)
    >>> y.data.round(3).ravel().tolist()
    [-1.0, 1.0]
    """
    ndim = np.ndim(x)
    if ndim < 2:
        raise ShapeError(f"batch_norm expects an input of shape (N, C, ...), got {np.shape(x)}")
    axes = (0,) + tuple(range(2, ndim))
    channel_shape = (-1,) + (1,) * (ndim - 2)
    if training:
        count = math.prod(np.shape(x)[a] for a in axes)
        if count < 2:
            raise ValueError(f"batch_norm in training mode needs more than one value per channel, got input "
                             f"of shape {np.shape(x)}")
        mean = ad.mean(x, axis=axes, keepdims=True)
        centered = x - mean
        var = ad.mean(centered * centered, axis=axes, keepdims=True)
        if running_mean is not None and running_var is not None:
            _update_running(running_mean, running_var, num_batches_tracked, _data(mean).reshape(-1),
                            _data(var).reshape(-1) * (count / (count - 1)), momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in evaluation mode needs running_mean and running_var")
        centered = x - ad.reshape(running_mean, channel_shape)
        var = ad.reshape(running_var, channel_shape)
    out = centered * (var + eps) ** -0.5
    if weight is not None:
        out = out * ad.reshape(weight, channel_shape)
    if bias is not None:
        out = out + ad.reshape(bias, channel_shape)
    return out


def _update_running(running_mean: Tensor, running_var: Tensor, num_batches_tracked: Tensor | None,
                    mean: np.ndarray, var: np.ndarray, momentum: float | None) -> None:
    if num_batches_tracked is not None:
        num_batches_tracked.data = num_batches_tracked.data + 1
    if momentum is None:  # cumulative moving average
        factor = 1.0 / float(num_batches_tracked.data) if num_batches_tracked is not None else 1.0
    else:
        factor = momentum
    running_mean.data = ((1 - factor) * running_mean.data + factor * mean).astype(running_mean.dtype)
    running_var.data = ((1 - factor) * running_var.data + factor * var).astype(running_var.dtype)


def layer_norm(x: Any, normalized_shape: int | Sequence[int], weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes of each sample, then scale and shift.

    >>> import autodiff as ad
    >>> layer_norm(ad.tensor([[1.0, 3.0]]), 2).data.round(3).tolist()
    [[-1.0, 1.0]]
    """
    single = isinstance(normalized_shape, (int, np.integer))
    shape = (normalized_shape,) if single else tuple(normalized_shape)
    if tuple(np.shape(x)[np.ndim(x) - len(shape):]) != shape:
        raise ShapeError(f"layer_norm: the input's last axes {np.shape(x)} do not match "
                         f"normalized_shape {shape}")
    axes = tuple(range(-len(shape), 0))
    mean = ad.mean(x, axis=axes, keepdims=True)
    centered = x - mean
    var = ad.mean(centered * centered, axis=axes, keepdims=True)
    out = centered * (var + eps) ** -0.5
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(indices: Any, weight: Any) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by integer ``indices`` (any shape).

    >>> import autodiff as ad
    >>> embedding([[0, 2]], ad.eye(3)).shape
    (1, 2, 3)
    """
    index = np.asarray(_data(indices))
    if not np.issubdtype(index.dtype, np.integer):
        raise TypeError(f"embedding indices must be integers, got dtype {index.dtype}")
    rows = np.shape(weight)[0]
    if index.size and (index.min() < -rows or index.max() >= rows):
        raise IndexError(f"embedding index out of range: indices span [{index.min()}, {index.max()}] "
                         f"but there are {rows} embeddings")
    return ad.getitem(weight, index)


# ----------------------------------------------------------------------------- activations
def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, negative_slope·x elsewhere.

    >>> import autodiff as ad
    >>> leaky_relu(ad.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2,  3. ])
    """
    return ad.where(ad.greater(x, 0), x, ad.multiply(x, negative_slope))


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x·Φ(x) (Φ the standard normal CDF); ``approximate="tanh"`` uses the tanh formula (faster).

    Φ(x) = ½·erfc(-x/√2) rather than ½·(1 + erf(x/√2)): the same value, without the cancellation
    that loses relative accuracy for negative x (and rounds to 0 below x ≈ -8.3; gelu(-10) ≈ -7.6e-23).

    >>> import autodiff as ad
    >>> round(gelu(ad.tensor(1.0)).item(), 6)
    0.841345
    >>> f"{gelu(ad.tensor(-10.0)).item():.4e}"
    '-7.6199e-23'
    """
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + ad.tanh(inner))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * ad.erfc(x * -math.sqrt(0.5))


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


__all__ = [
    "linear", "conv2d", "max_pool2d", "flatten", "dropout", "batch_norm", "layer_norm", "embedding",
    "relu", "tanh", "sigmoid", "softplus", "leaky_relu", "gelu", "softmax", "log_softmax",
    "mse_loss", "l1_loss", "cross_entropy", "cross_entropy_loss", "nll_loss", "binary_cross_entropy",
    "bce_loss", "binary_cross_entropy_with_logits", "bce_with_logits_loss", "huber_loss",
]
