"""Dense layers: Linear (x Wᵀ + b, W stored (out, in) as PyTorch does), Embedding, Identity."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor

from .. import functional as F
from .. import init
from ..module import Module, Parameter


class Linear(Module):
    """y = x Wᵀ + b with ``weight`` (out_features, in_features) and ``bias`` (out_features,).

    Initialised as PyTorch does: W ~ kaiming_uniform(a=√5) = U(-1/√in, 1/√in), b ~ U(-1/√in, 1/√in).
    ``rng`` (a Generator or seed) makes the initialisation reproducible; ``dtype`` float32 is faster.

    >>> import autodiff as ad, nn
    >>> layer = nn.Linear(3, 2, rng=0)
    >>> layer.weight.shape, layer(ad.ones(5, 3)).shape
    ((2, 3), (5, 2))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = np.float64,
                 rng: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        rng = init.as_rng(rng)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        init.kaiming_uniform_(self.weight, a=5**0.5, rng=rng)
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
            init.default_bias_(self.bias, in_features, rng)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


class Embedding(Module):
    """A lookup table: integer indices (any shape) -> rows of ``weight`` (num_embeddings, embedding_dim).

    Initialised N(0, 1) as in PyTorch.

    >>> import nn
    >>> nn.Embedding(10, 4, rng=0)([[1, 2, 3]]).shape
    (1, 3, 4)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype: Any = np.float64,
                 rng: Any = None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
        init.normal_(self.weight, 0.0, 1.0, rng)

    def forward(self, indices: Any) -> Tensor:
        return F.embedding(indices, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Identity(Module):
    """Returns its input unchanged (a placeholder layer).

    >>> import nn
    >>> nn.Identity()(3.0)
    3.0
    """

    def forward(self, x: Any) -> Any:
        return x
