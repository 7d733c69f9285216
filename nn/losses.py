"""Losses, as functions and as modules, with ``reduction="mean"|"sum"|"none"`` (PyTorch's formulas).

The classification losses never exponentiate a raw logit: cross-entropy is ``-Σ t·log_softmax(z)``
and binary cross-entropy on logits is ``softplus(z) - t·z``, so logits of ±1e4 give finite losses
and gradients. ``BCELoss`` on probabilities clamps its logarithms at -100, as PyTorch does.

>>> import autodiff as ad, nn
>>> logits = ad.tensor([[1e4, -1e4], [0.0, 0.0]], requires_grad=True)
>>> loss = nn.CrossEntropyLoss()(logits, [0, 1])
>>> round(loss.item(), 6)
0.346574
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autodiff as ad
from autodiff import Tensor
from autodiff.errors import ShapeError

from .module import Module

REDUCTIONS = ("mean", "sum", "none")
_LOG_FLOOR = math.exp(-100.0)  # BCELoss clamps log p at -100, as PyTorch does


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return ad.mean(loss)
    if reduction == "sum":
        return ad.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _target(target: Any, like: Any, name: str) -> Any:
    """The target as a constant (or a Tensor if it is one) with the same shape as the input."""
    if not isinstance(target, Tensor):
        dtype = np.asarray(like.data if isinstance(like, Tensor) else like).dtype
        target = np.asarray(target, dtype=dtype if np.issubdtype(dtype, np.floating) else np.float64)
    if tuple(np.shape(target)) != tuple(np.shape(like)):
        raise ShapeError(f"{name}: the input has shape {np.shape(like)} but the target has shape "
                         f"{np.shape(target)}; they must match (reshape one, e.g. target.reshape(-1, 1))")
    return target


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (input - target)².

    >>> mse_loss(ad.tensor([1.0, 3.0]), [0.0, 0.0])
    tensor(5.)
    """
    diff = input - _target(target, input, "mse_loss")
    return _reduce(diff * diff, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error |input - target|.

    >>> l1_loss(ad.tensor([1.0, -3.0]), [0.0, 0.0])
    tensor(2.)
    """
    return _reduce(ad.abs(input - _target(target, input, "l1_loss")), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """½d² where |d| < delta, delta·(|d| - ½delta) elsewhere (d = input - target).

    >>> huber_loss(ad.tensor([0.5, 3.0]), [0.0, 0.0], reduction="none")
    tensor([0.125, 2.5  ])
    """
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    diff = input - _target(target, input, "huber_loss")
    size = ad.abs(diff)
    loss = ad.where(ad.less(size, delta), 0.5 * diff * diff, delta * (size - 0.5 * delta))
    return _reduce(loss, reduction)


def _class_axis(input: Any) -> int:
    return 1 if np.ndim(input) >= 2 else 0


def _one_hot(labels: np.ndarray, classes: int, axis: int, dtype: np.dtype, name: str) -> np.ndarray:
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise IndexError(f"{name}: class labels must be in [0, {classes - 1}], got values from "
                         f"{labels.min()} to {labels.max()}")
    one_hot = np.eye(classes, dtype=dtype)[labels]  # (..., K)
    return one_hot if axis == one_hot.ndim - 1 else np.moveaxis(one_hot, -1, axis)


def _class_targets(input: Any, target: Any, name: str) -> np.ndarray | Tensor:
    """Integer labels as one-hot rows along the class axis; class probabilities pass through. Labels
    given as a Tensor (traced by ``ad.jit``) become one-hot rows by ops, so they are never read."""
    shape = tuple(np.shape(input))
    dtype = input.dtype if isinstance(input, Tensor) else np.asarray(input).dtype
    axis = 1 if len(shape) >= 2 else 0
    target_dtype = target.dtype if isinstance(target, Tensor) else np.asarray(target).dtype
    target_shape = tuple(np.shape(target))
    if np.issubdtype(target_dtype, np.integer) or target_dtype == np.bool_:
        expected = shape[:axis] + shape[axis + 1:]
        if target_shape != expected:
            raise ShapeError(f"{name}: input of shape {shape} needs integer labels of shape {expected}, "
                             f"got {target_shape}")
        if isinstance(target, Tensor):  # [label == k] for each class k, along the class axis
            classes = np.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - axis - 1))
            labels = ad.expand_dims(target, axis)
            valid = ad.logical_and(labels >= 0, labels < shape[axis])  # a label out of range: NaN, not 0
            return ad.where(valid, ad.astype(ad.equal(labels, classes), dtype), np.nan)
        return _one_hot(np.asarray(target).astype(np.intp), shape[axis], axis, dtype, name)
    if target_shape != shape:
        raise ShapeError(f"{name}: input of shape {shape} needs integer labels of shape "
                         f"{shape[:axis] + shape[axis + 1:]} or class probabilities of shape "
                         f"{shape}, got {target_shape} (dtype {target_dtype})")
    return target if isinstance(target, Tensor) else np.asarray(target).astype(dtype, copy=False)


def cross_entropy(input: Any, target: Any, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """-Σₖ tₖ log softmax(z)ₖ over the class axis (axis 1 of (N, K, ...), or the only axis of (K,)).

    ``target`` is integer class labels (shape of the input without the class axis) or class
    probabilities (the input's shape). ``label_smoothing`` ε mixes the target with the uniform
    distribution: t = (1 - ε)·t + ε/K.

    >>> round(cross_entropy(ad.tensor([[0.0, 0.0]]), [1]).item(), 6)
    0.693147
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    axis = _class_axis(input)
    targets = _class_targets(input, target, "cross_entropy")
    if label_smoothing:
        targets = targets * (1.0 - label_smoothing) + label_smoothing / np.shape(input)[axis]
    loss = -ad.sum(targets * ad.log_softmax(input, axis=axis), axis=axis)
    return _reduce(loss, reduction)


def nll_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """-log p of the true class, given log-probabilities (N, K) and integer labels (N,).

    >>> round(nll_loss(ad.log(ad.tensor([[0.5, 0.5]])), [0]).item(), 6)
    0.693147
    """
    axis = _class_axis(input)
    targets = _class_targets(input, target, "nll_loss")
    return _reduce(-ad.sum(targets * input, axis=axis), reduction)


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """-(t·log p + (1-t)·log(1-p)) for probabilities p, each log clamped at -100.

    >>> round(binary_cross_entropy(ad.tensor([0.5]), [1.0]).item(), 6)
    0.693147
    """
    target = _target(target, input, "binary_cross_entropy")
    p = np.asarray(input)
    if p.size and not (p.min() >= 0.0 and p.max() <= 1.0):  # also refuses NaN, as PyTorch does
        raise ValueError(f"binary_cross_entropy: the input must be probabilities in [0, 1], got values from "
                         f"{p.min():g} to {p.max():g}; for logits use BCEWithLogitsLoss")
    log_p = ad.log(ad.clip(input, _LOG_FLOOR, None))
    log_not_p = ad.log(ad.clip(1.0 - input, _LOG_FLOOR, None))
    return _reduce(-(target * log_p + (1.0 - target) * log_not_p), reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of sigmoid(z), computed stably as softplus(z) - t·z.

    With ``pos_weight`` w (weight of the positive class): (1-t)·z + (1+(w-1)t)·softplus(-z).

    >>> round(binary_cross_entropy_with_logits(ad.tensor([1e4, -1e4]), [1.0, 0.0]).item(), 6)
    0.0
    """
    target = _target(target, input, "binary_cross_entropy_with_logits")
    if pos_weight is None:
        loss = ad.softplus(input) - target * input
    else:
        loss = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * ad.softplus(-input)
    return _reduce(loss, reduction)


# the snake-case spellings of the class names
cross_entropy_loss = cross_entropy
bce_loss = binary_cross_entropy
bce_with_logits_loss = binary_cross_entropy_with_logits


# ----------------------------------------------------------------------------- modules
class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    """Mean squared error; see :func:`mse_loss`.

    >>> MSELoss()(ad.tensor([1.0, 3.0]), [0.0, 0.0])
    tensor(5.)
    """

    def forward(self, input: Any, target: Any) -> Tensor:
        return mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error; see :func:`l1_loss`."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear above; see :func:`huber_loss`."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Any, target: Any) -> Tensor:
        return huber_loss(input, target, self.reduction, self.delta)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits with integer labels or class probabilities; see :func:`cross_entropy`.

    >>> round(CrossEntropyLoss(label_smoothing=0.1)(ad.tensor([[2.0, 0.0]]), [0]).item(), 4)
    0.2269
    """

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Tensor:
        return cross_entropy(input, target, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities; see :func:`nll_loss`."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return nll_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities (after a Sigmoid); see :func:`binary_cross_entropy`."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return binary_cross_entropy(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, numerically stable; see :func:`binary_cross_entropy_with_logits`."""

    def __init__(self, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.pos_weight = pos_weight

    def forward(self, input: Any, target: Any) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, self.reduction, self.pos_weight)
