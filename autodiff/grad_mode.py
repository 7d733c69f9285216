"""Recording switches: grad mode (thread-local) and anomaly detection.

``no_grad`` / ``enable_grad`` change grad mode for the current thread only, like PyTorch: a
``no_grad`` block in one thread never stops another thread from recording.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any


class _GradMode(threading.local):
    enabled = True


GRAD_MODE = _GradMode()


class _Anomaly:
    enabled = False


ANOMALY = _Anomaly()


class _Transforms(threading.local):
    """How many function transforms (grad, jacobian, ...) are calling the user's function right now in
    this thread. While one is, turning a Tensor that requires grad into a Python number or a plain
    array would silently cut the derivative, so ``Tensor`` refuses it (``ConcretizationError``)."""

    depth = 0


TRANSFORMS = _Transforms()


class _Tracing(threading.local):
    """Whether ``ad.jit`` is recording a function in this thread. While it is, every op whose inputs
    include a traced tensor (one that requires grad, or one a traced op made) is recorded, even when
    nothing requires grad, so that the replayed program recomputes it rather than a baked-in value."""

    active = False


TRACING = _Tracing()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded (this thread).

    >>> import autodiff as ad
    >>> with ad.no_grad():
    ...     ad.is_grad_enabled()
    False
    """
    return GRAD_MODE.enabled


class _GradModeSwitch:
    """Set grad mode for this thread inside a ``with`` block (a class: entering it must be cheap)."""

    __slots__ = ("enabled", "previous")

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        self.previous = GRAD_MODE.enabled
        GRAD_MODE.enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        GRAD_MODE.enabled = self.previous

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Use as a decorator, as in PyTorch: ``@ad.no_grad()`` runs the whole function in that mode."""
        enabled = self.enabled

        @functools.wraps(function)
        def in_grad_mode(*args: Any, **kwargs: Any) -> Any:
            with _GradModeSwitch(enabled):  # a fresh switch per call: calls may nest or recurse
                return function(*args, **kwargs)

        return in_grad_mode


def _grad_mode(enabled: bool) -> _GradModeSwitch:
    return _GradModeSwitch(enabled)


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager: stop recording operations in this thread (inference, parameter updates).

    >>> import autodiff as ad
    >>> w = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> with ad.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    >>> @ad.no_grad()
    ... def predict(v):
    ...     return v * w
    >>> predict(1.0).requires_grad
    False
    """
    return _grad_mode(False)


def enable_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager: record operations again inside a ``no_grad`` block (this thread)."""
    return _grad_mode(True)


def set_grad_enabled(enabled: bool) -> contextlib.AbstractContextManager[None]:
    """Context manager: set grad mode to ``enabled`` for this thread."""
    return _grad_mode(bool(enabled))


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Context manager: raise as soon as an op's forward or backward produces NaN or inf.

    The error names the op, the direction (forward or backward) and, for backward, the input
    whose cotangent went bad. It costs an ``isfinite`` check per op, so use it for debugging only.

    >>> import autodiff as ad
    >>> x = ad.tensor([0.0], requires_grad=True)
    >>> with ad.detect_anomaly():
    ...     ad.log(x)
    Traceback (most recent call last):
    ...
    autodiff.errors.AnomalyError: forward of 'log' produced non-finite values (1 of 1 entries are nan or inf)
    """
    previous = ANOMALY.enabled
    ANOMALY.enabled = True
    try:
        yield
    finally:
        ANOMALY.enabled = previous
