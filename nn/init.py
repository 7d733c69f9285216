"""Weight initialisation, PyTorch's formulas (fan-in/fan-out, gains), filling tensors in place.

Each function takes the tensor and an optional ``rng`` (a numpy Generator or a seed); without one
it draws from this module's default generator, which ``nn.manual_seed(seed)`` resets.

PyTorch's defaults, which the layers use: ``Linear`` and ``Conv2d`` weights
``kaiming_uniform_(w, a=√5)``, i.e. U(-1/√fan_in, 1/√fan_in), and biases U(-1/√fan_in, 1/√fan_in);
``Embedding`` N(0, 1); norm layers weight 1, bias 0.

>>> import nn, autodiff as ad
>>> w = ad.zeros(3, 4)
>>> _ = nn.init.xavier_uniform_(w, rng=0)
>>> bool((abs(w.data) <= (6 / 7) ** 0.5).all())
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autodiff import Tensor, no_grad

_DEFAULT = {"rng": np.random.default_rng()}


def manual_seed(seed: int) -> None:
    """Reseed the generator used when no ``rng`` is given (initialisation, Dropout)."""
    _DEFAULT["rng"] = np.random.default_rng(seed)


def default_rng() -> np.random.Generator:
    """The generator used when no ``rng`` is given."""
    return _DEFAULT["rng"]


def as_rng(rng: Any = None) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed, or None (the default generator)."""
    if rng is None:
        return _DEFAULT["rng"]
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table): relu √2, tanh 5/3, leaky_relu √(2/(1+a²)).

    >>> round(calculate_gain("relu"), 4)
    1.4142
    """
    if nonlinearity in ("linear", "conv1d", "conv2d", "sigmoid", "identity"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}; expected linear, sigmoid, tanh, relu, "
                     "leaky_relu or selu")


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: (in, out) for (out, in); times kh·kw for (out, in, kh, kw)."""
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    with no_grad():
        tensor.copy_(values.astype(tensor.dtype, copy=False))
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, rng: Any = None) -> Tensor:
    """Fill with U(a, b).

    >>> import autodiff as ad
    >>> bool((uniform_(ad.zeros(3), 2.0, 3.0, rng=0).data >= 2.0).all())
    True
    """
    return _fill(tensor, as_rng(rng).uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, rng: Any = None) -> Tensor:
    """Fill with N(mean, std²).

    >>> import autodiff as ad
    >>> round(float(normal_(ad.zeros(10000), 1.0, 0.1, rng=0).data.mean()), 2)
    1.0
    """
    return _fill(tensor, as_rng(rng).normal(mean, std, size=tensor.shape))


def constant_(tensor: Tensor, value: float) -> Tensor:
    return _fill(tensor, np.full(tensor.shape, value))


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, rng: Any = None) -> Tensor:
    """Glorot: U(-b, b) with b = gain·√(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(tensor.shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, rng: Any = None) -> Tensor:
    """Glorot: N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(tensor.shape)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(tensor.shape)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     rng: Any = None) -> Tensor:
    """He: U(-b, b) with b = gain·√(3 / fan); ``a=√5`` gives PyTorch's Linear/Conv default 1/√fan_in."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, rng)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    rng: Any = None) -> Tensor:
    """He: N(0, σ²) with σ = gain / √fan."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), rng)


def default_bias_(bias: Tensor, fan_in: int, rng: Any = None) -> Tensor:
    """PyTorch's default bias for Linear and Conv2d: U(-1/√fan_in, 1/√fan_in)."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform_(bias, -bound, bound, rng)


# the names without the trailing underscore (older PyTorch spelling) do the same thing
uniform, normal, constant, zeros, ones = uniform_, normal_, constant_, zeros_, ones_
xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal = (
    xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_)
