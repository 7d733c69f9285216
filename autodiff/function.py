"""User-defined ops: subclass ``Function`` with static ``forward(ctx, ...)`` and ``backward(ctx, grad)``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ShapeError, TracingError
from .grad_mode import GRAD_MODE, TRACING, no_grad
from .ops.core import data_of
from .ops.record import Op
from .tensor import Tensor


class Context:
    """What ``forward`` leaves for ``backward``: ``save_for_backward(*tensors)`` and any attributes."""

    def __init__(self) -> None:
        self.saved_tensors: tuple[Tensor, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        self.saved_tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)


class _FunctionVJPs:
    """Calls the user's backward once per backward pass and hands out one gradient per input."""

    def __init__(self, function: type[Function], ctx: Context) -> None:
        self.function = function
        self.ctx = ctx
        self.cache: tuple[Any, tuple] | None = None  # (the cotangent, its gradients); holding g keeps
        # its id from being reused by the next pass's cotangent, which would hand out stale gradients

    def __getitem__(self, i: int):
        def vjp(g: Any, out: Any, *inputs: Any) -> Any:
            if self.cache is None or self.cache[0] is not g:
                grads = self.function.backward(self.ctx, g if isinstance(g, Tensor) else Tensor._wrap(g))
                grads = grads if isinstance(grads, tuple) else (grads,)
                if len(grads) != len(inputs):
                    raise RuntimeError(f"{self.function.__name__}.backward returned {len(grads)} gradients, "
                                       f"expected one per input of forward ({len(inputs)})")
                self.cache = (g, grads)
            grad = self.cache[1][i]
            if grad is None:
                raise RuntimeError(
                    f"{self.function.__name__}.backward returned None for input {i}, which requires grad")
            batch = np.shape(data_of(g))[: np.ndim(data_of(g)) - np.ndim(data_of(out))]  # vectorised Jacobians
            shape, expected = np.shape(data_of(grad)), batch + np.shape(data_of(inputs[i]))
            if shape != expected and not _broadcasts_to(shape, expected):
                raise ShapeError(f"{self.function.__name__}.backward returned a gradient of shape {shape} "
                                 f"for input {i}, which has shape {expected}")
            return grad if isinstance(g, Tensor) else data_of(grad)

        return vjp


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


class Function:
    """Base class for custom differentiable ops (PyTorch's ``autograd.Function``).

    >>> import autodiff as ad
    >>> class Cube(ad.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return grad * 3 * x ** 2   # d x³/dx = 3x²
    >>> x = ad.tensor(2.0, requires_grad=True)
    >>> Cube.apply(x).backward()
    >>> x.grad
    tensor(12.)

    ``forward`` runs without recording; ``backward`` gets the output's cotangent as a Tensor and
    returns one gradient per input. Written with autodiff ops, it is differentiable again under
    ``create_graph=True``.
    """

    @staticmethod
    def forward(ctx: Context, *args: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: Tensor) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        if TRACING.active and any(isinstance(a, Tensor) and (a.requires_grad or a._op is not None) for a in args):
            raise TracingError(f"ad.jit cannot replay the custom Function {cls.__name__!r}: its forward and "
                               "backward may read values that a replay would not update; call it outside jit")
        ctx = Context()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args)
        out = data_of(out)
        if any(ctx.needs_input_grad) and GRAD_MODE.enabled:
            op = Op(cls.__name__, cls.forward, _FunctionVJPs(cls, ctx))
            positions = tuple(i for i, needed in enumerate(ctx.needs_input_grad) if needed)
            return Tensor._record(out, op, args, [data_of(a) for a in args], {}, positions)
        return Tensor._wrap(out)
