"""Image layers: Conv2d (weight (out, in, kh, kw) as PyTorch), MaxPool2d, and Flatten."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor

from .. import functional as F
from .. import init
from ..module import Module, Parameter


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


class Conv2d(Module):
    """2-D convolution (cross-correlation) of (N, C_in, H, W) images with ``stride`` and zero ``padding``.

    ``padding`` is an int, an (h, w) pair, ``"valid"`` (none) or ``"same"`` (stride 1, odd kernels).
    ``weight`` is (out_channels, in_channels, kh, kw) and ``bias`` (out_channels,), initialised as
    PyTorch does (kaiming_uniform a=√5 over fan_in = in_channels·kh·kw).

    >>> import autodiff as ad, nn
    >>> conv = nn.Conv2d(1, 4, kernel_size=3, padding=1, rng=0)
    >>> conv(ad.zeros(2, 1, 8, 8)).shape
    (2, 4, 8, 8)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] | str = 0, bias: bool = True,
                 dtype: Any = np.float64, rng: Any = None) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(F.conv_padding(padding, self.kernel_size, self.stride), "padding")
        rng = init.as_rng(rng)
        self.weight = Parameter(np.empty((out_channels, in_channels) + self.kernel_size, dtype=dtype))
        init.kaiming_uniform_(self.weight, a=5**0.5, rng=rng)
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
            init.default_bias_(self.bias, in_channels * self.kernel_size[0] * self.kernel_size[1], rng)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        text += f", stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        return text + ("" if self.bias is not None else ", bias=False")


class MaxPool2d(Module):
    """Maximum over kernel_size windows; ``stride`` defaults to ``kernel_size``, ``padding`` pads with -inf.

    >>> import autodiff as ad, nn
    >>> nn.MaxPool2d(2)(ad.zeros(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, x: Any) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` (by default all but the batch axis) into one.

    >>> import autodiff as ad, nn
    >>> nn.Flatten()(ad.zeros(2, 3, 4)).shape
    (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Any) -> Tensor:
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
