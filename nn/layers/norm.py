"""Normalisation and regularisation layers: BatchNorm1d, LayerNorm, Dropout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autodiff import Tensor

from .. import functional as F
from .. import init
from ..module import Module, Parameter


class BatchNorm1d(Module):
    """Per-channel normalisation of (N, C) or (N, C, L): batch statistics in training, running ones in eval.

    Buffers ``running_mean``, ``running_var`` and ``num_batches_tracked`` follow PyTorch (running
    variance unbiased, ``momentum=None`` for a cumulative average); ``weight`` starts at 1, ``bias`` at 0.

    >>> import autodiff as ad, nn
    >>> bn = nn.BatchNorm1d(3)
    >>> bn(ad.randn(8, 3, rng=0)).shape, bn.running_mean.shape
    ((8, 3), (3,))
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype: Any = np.float64) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    _input_ndims: tuple[int, ...] = (2, 3)
    _input_shapes = "(N, C) or (N, C, L)"

    def forward(self, x: Any) -> Tensor:
        name = f"{type(self).__name__}({self.num_features})"
        if np.ndim(x) not in self._input_ndims:
            raise ValueError(f"{name} expects an input of shape {self._input_shapes}, got {np.shape(x)}")
        if np.shape(x)[1] != self.num_features:
            raise ValueError(f"{name} got an input with {np.shape(x)[1]} channels (shape {np.shape(x)})")
        use_batch_statistics = self.training or self.running_mean is None
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch_statistics, self.momentum, self.eps, self.num_batches_tracked)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class BatchNorm2d(BatchNorm1d):
    """Per-channel normalisation of images (N, C, H, W), statistics over N, H and W; see BatchNorm1d.

    >>> import autodiff as ad, nn
    >>> nn.BatchNorm2d(3)(ad.randn(4, 3, 5, 5, rng=0)).shape
    (4, 3, 5, 5)
    """

    _input_ndims = (4,)
    _input_shapes = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalise over its last axes (``normalized_shape``), then scale (``weight``) and shift (``bias``).

    >>> import autodiff as ad, nn
    >>> nn.LayerNorm(4)(ad.randn(2, 4, rng=0)).data.mean(axis=-1).round(6).tolist()
    [0.0, 0.0]
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, dtype: Any = np.float64) -> None:
        super().__init__()
        single = isinstance(normalized_shape, (int, np.integer))
        shape = (normalized_shape,) if single else tuple(normalized_shape)
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class Dropout(Module):
    """In training, zero each entry with probability p and scale the rest by 1/(1-p); the identity in eval.

    ``rng`` (a Generator or seed) makes the masks reproducible; by default the nn generator
    (``nn.manual_seed``) is used.

    >>> import autodiff as ad, nn
    >>> drop = nn.Dropout(0.5, rng=0).eval()
    >>> drop(ad.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, rng: Any = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = p
        self.rng = init.as_rng(rng) if rng is not None else None

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"
