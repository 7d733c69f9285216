"""Activation layers: ReLU, LeakyReLU, Tanh, Sigmoid, GELU, Softmax, LogSoftmax (no parameters)."""

from __future__ import annotations

from typing import Any

import autodiff as ad
from autodiff import Tensor

from .. import functional as F
from ..module import Module


class ReLU(Module):
    """max(x, 0).

    >>> import autodiff as ad, nn
    >>> nn.ReLU()(ad.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def forward(self, x: Any) -> Tensor:
        return ad.relu(x)


class LeakyReLU(Module):
    """x for x > 0, negative_slope·x otherwise.

    >>> import autodiff as ad, nn
    >>> nn.LeakyReLU(0.1)(ad.tensor([-1.0, 2.0]))
    tensor([-0.1,  2. ])
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """tanh x.

    >>> import autodiff as ad, nn
    >>> nn.Tanh()(ad.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, x: Any) -> Tensor:
        return ad.tanh(x)


class Sigmoid(Module):
    """1 / (1 + e⁻ˣ), computed without overflow.

    >>> import autodiff as ad, nn
    >>> nn.Sigmoid()(ad.tensor([0.0, -1e4]))
    tensor([0.5, 0. ])
    """

    def forward(self, x: Any) -> Tensor:
        return ad.sigmoid(x)


class GELU(Module):
    """x·Φ(x) (exact, with erf) or its tanh approximation (``approximate="tanh"``, faster).

    >>> import autodiff as ad, nn
    >>> nn.GELU()(ad.tensor([0.0, 10.0]))
    tensor([ 0., 10.])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}" if self.approximate != "none" else ""


class Softmax(Module):
    """exp(x) / Σ exp(x) along ``dim`` (default the last axis), without overflow.

    >>> import autodiff as ad, nn
    >>> nn.Softmax()(ad.tensor([[1e4, 1e4]]))
    tensor([[0.5, 0.5]])
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Tensor:
        return ad.softmax(x, axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log softmax(x) along ``dim``: x - logsumexp(x), finite for any logits.

    >>> import autodiff as ad, nn
    >>> nn.LogSoftmax()(ad.tensor([[0.0, -1e4]])).data.round(3).tolist()
    [[0.0, -10000.0]]
    """

    def forward(self, x: Any) -> Tensor:
        return ad.log_softmax(x, axis=self.dim)
