"""Tensor factories: ``tensor`` and numpy-style constructors (``requires_grad=``, ``rng=`` a Generator or seed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .tensor import ArrayLike, Tensor

Shape = int | Sequence[int]


def tensor(data: ArrayLike, dtype: Any = None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A new tensor holding a copy of ``data`` (float64 for Python floats, float32 stays float32).

    >>> import autodiff as ad
    >>> ad.tensor([1.0, 2.0], requires_grad=True)
    tensor([1., 2.], requires_grad=True)
    """
    source = data.data if isinstance(data, Tensor) else data
    return Tensor(np.array(source, dtype=dtype, copy=True), requires_grad=requires_grad, name=name)


def _new(array: np.ndarray, requires_grad: bool, name: str | None = None) -> Tensor:
    return Tensor(array, requires_grad=requires_grad, name=name)


def _float(dtype: Any) -> np.dtype:
    return np.dtype(np.float64 if dtype is None else dtype)


def _shape(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        return tuple(shape[0])
    return tuple(shape)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of the given shape: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _new(np.zeros(_shape(shape), _float(dtype)), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of the given shape: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _new(np.ones(_shape(shape), _float(dtype)), requires_grad)


def full(shape: Shape, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``."""
    return _new(np.full(shape, fill_value, _float(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix."""
    return _new(np.eye(n, m, dtype=_float(dtype)), requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop) (numpy's dtype rule: integers stay integers)."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return _new(values.astype(dtype) if dtype is not None else values, requires_grad)


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``num`` evenly spaced values from start to stop inclusive."""
    return _new(np.linspace(start, stop, num, dtype=_float(dtype)), requires_grad)


def zeros_like(x: ArrayLike, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype) of x."""
    return _new(np.zeros_like(np.asarray(x), dtype=dtype), requires_grad)


def ones_like(x: ArrayLike, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype) of x."""
    return _new(np.ones_like(np.asarray(x), dtype=dtype), requires_grad)


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         rng: np.random.Generator | int | None = None) -> Tensor:
    """Uniform [0, 1) samples; ``rng`` is a numpy Generator or a seed.

    >>> import autodiff as ad
    >>> ad.rand(2, rng=0).shape
    (2,)
    """
    return _new(_rng(rng).random(_shape(shape)).astype(_float(dtype)), requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          rng: np.random.Generator | int | None = None) -> Tensor:
    """Standard normal samples; ``rng`` is a numpy Generator or a seed."""
    return _new(_rng(rng).standard_normal(_shape(shape)).astype(_float(dtype)), requires_grad)
