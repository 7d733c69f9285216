"""The backward pass: reverse topological order over the recorded graph, cotangents summed per node.

Iterative (Kahn's algorithm: count each node's consumers, then pop the nodes whose consumers have
all been processed), so a chain of a million ops needs no recursion. Without ``create_graph`` every
VJP runs on plain numpy arrays; with it, on Tensors, so the backward pass is itself recorded.
Unless ``retain_graph`` is set, each node drops its inputs once it has been processed: intermediate
arrays are freed during the backward pass, and a second backward says the graph is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import GraphFreedError, InPlaceError, ShapeError
from .grad_mode import ANOMALY, enable_grad, no_grad
from .ops.core import check_finite, unbroadcast
from .tensor import MUTATIONS, Tensor


def backward(root: Tensor, gradient: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into ``.grad`` of every leaf that requires grad (``Tensor.backward``)."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad: no input of the computation had "
            "requires_grad=True (or it ran under no_grad())"
        )
    cotangent = _initial_cotangent(root, gradient, create_graph, 0, "backward()")
    _run([root], [cotangent], retain_graph or create_graph, create_graph, None, 0)


def gradients(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
              grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
              allow_unused: bool = False, is_grads_batched: bool = False) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than stored in ``.grad``.

    Like PyTorch's ``autograd.grad``: ``grad_outputs`` are the cotangents of the outputs (default 1
    for one-element outputs); ``create_graph=True`` records the computation so the result can be
    differentiated again; ``is_grads_batched=True`` treats the first axis of each grad_output as a
    batch of cotangents and pushes them all through one backward pass (vectorised Jacobians).

    >>> import autodiff as ad
    >>> x = ad.tensor(3.0, requires_grad=True)
    >>> (dx,) = ad.gradients(x ** 3, x, create_graph=True)
    >>> dx, ad.gradients(dx, x)[0]
    (tensor(27., grad_fn=<multiply>), tensor(18.))
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray, float, int)):
        grad_outputs = [grad_outputs] * len(outputs) if len(outputs) == 1 or grad_outputs is None else None
    if grad_outputs is None or len(grad_outputs) != len(outputs):
        raise ValueError(f"gradients: expected one grad_output per output ({len(outputs)})")
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"gradients: input {i} is a {type(x).__name__}, expected a Tensor")
        if not x.requires_grad:
            raise RuntimeError(f"gradients: input {i} does not require grad; create it with requires_grad=True")
    nb = 1 if is_grads_batched else 0
    roots, cotangents = [], []
    for i, (y, gy) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(y, Tensor) or not y.requires_grad:
            if allow_unused:
                continue
            raise RuntimeError(f"gradients: output {i} does not depend on any input that requires grad")
        roots.append(y)
        cotangents.append(_initial_cotangent(y, gy, create_graph, nb, "gradients()"))
    wanted = {id(x): None for x in inputs}
    found = _run(roots, cotangents, create_graph if retain_graph is None else retain_graph,
                 create_graph, wanted, nb) if roots else wanted
    results = []
    for i, x in enumerate(inputs):
        g = found[id(x)]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"gradients: input {i} was not used to compute the outputs; pass allow_unused=True "
                "to get None for it"
            )
        results.append(None if g is None else _as_tensor(_cast(g, x.dtype)))
    return tuple(results)


def _initial_cotangent(root: Tensor, gradient: Any, create_graph: bool, nb: int, who: str) -> Any:
    if gradient is None:
        if root.data.size != 1 or nb:
            raise RuntimeError(
                f"{who} on an output of shape {root.shape} needs the cotangent: pass gradient= "
                "(an array of that shape), or reduce the output to a scalar first (e.g. .sum())"
            )
        gradient = np.ones_like(root.data)
    elif isinstance(gradient, Tensor):
        gradient = gradient if create_graph else gradient.data
    else:
        gradient = np.array(gradient, dtype=root.dtype)
    shape = tuple(np.shape(gradient.data if isinstance(gradient, Tensor) else gradient))
    if shape[nb:] != root.shape:
        raise ShapeError(f"{who}: the cotangent has shape {shape}, expected the output's shape {root.shape}"
                         + (" after a leading batch axis" if nb else ""))
    if create_graph and not isinstance(gradient, Tensor):
        gradient = Tensor._wrap(gradient)
    return gradient


def _count_consumers(roots: list[Tensor]) -> dict[int, int]:
    consumers: dict[int, int] = {}
    stack = list(roots)
    while stack:
        t = stack.pop()
        inputs = t._inputs
        if inputs is None:
            if t._op is not None:
                raise GraphFreedError(
                    f"backward through the graph a second time: the values saved by {t._op.name!r} were "
                    "released by the previous backward; pass retain_graph=True to the first backward "
                    "if you need to go through the graph again"
                )
            continue
        for a in inputs:
            if isinstance(a, Tensor) and a.requires_grad:
                key = id(a)
                if key in consumers:
                    consumers[key] += 1
                else:
                    consumers[key] = 1
                    stack.append(a)
    return consumers


def _run(roots: list[Tensor], cotangents: list, retain_graph: bool, create_graph: bool,
         wanted: dict[int, Any] | None, nb: int) -> dict[int, Any]:
    consumers = _count_consumers(roots)
    pending: dict[int, Any] = {}
    shared: set[int] = {id(g) for g in cotangents}
    ready = []
    for root, g in zip(roots, cotangents):
        key = id(root)
        pending[key] = pending[key] + g if key in pending else g
        if consumers.get(key, 0) == 0 and all(r is not root for r in ready):
            ready.append(root)
    anomaly = ANOMALY.enabled
    clock = MUTATIONS.clock
    pop_ready, push_ready, pop_pending, get_pending = ready.pop, ready.append, pending.pop, pending.get
    with enable_grad() if create_graph else no_grad():
        while ready:
            t = pop_ready()
            g = pop_pending(id(t))
            op = t._op
            if t._hooks is not None:  # hooks, or retain_grad() on a non-leaf
                g = _run_hooks(t, g, create_graph)
                if t._retains_grad and wanted is None and op is not None:
                    _accumulate(t, g, shared)
            if wanted is not None:
                if id(t) in wanted:
                    wanted[id(t)] = g
            elif op is None:  # a leaf
                _accumulate(t, g, shared)
            if op is None:
                continue
            inputs = t._inputs
            if t._stamp != clock:  # something was changed in place since t was made
                _check_unchanged(t)
            params = t._params
            vjps = op.vjps
            if create_graph:
                out, args = t, inputs
            else:
                out, args = t.data, t._input_data
            i = -1
            for a in inputs:
                i += 1
                if not isinstance(a, Tensor) or not a.requires_grad:
                    continue
                vjp = vjps[i]
                if vjp is None:
                    raise RuntimeError(f"{op.name!r} is not differentiable with respect to its input {i}")
                gi = vjp(g, out, *args, **params) if params else vjp(g, out, *args)
                if gi is g:
                    shared.add(id(gi))
                shape = a.data.shape
                if gi.shape != shape:
                    gi = unbroadcast(gi, shape, nb) if not nb or gi.shape[nb:] != shape else gi
                if anomaly:
                    check_finite(gi, f"backward of {op.name!r} (cotangent of its input {i})")
                key = id(a)
                previous = get_pending(key)
                pending[key] = gi if previous is None else previous + gi
                remaining = consumers[key] - 1
                if remaining:
                    consumers[key] = remaining
                else:
                    push_ready(a)
            if not retain_graph:
                t._inputs = t._input_data = None
    return wanted if wanted is not None else {}


def _check_unchanged(t: Tensor) -> None:
    stamp = t._stamp
    if t._version > stamp or any(isinstance(a, Tensor) and a._version > stamp for a in t._inputs):
        raise InPlaceError(
            f"an input or the output of {t._op.name!r} was changed in place after the graph saved it, "
            "so its gradient would be wrong; avoid the in-place change (or work on a copy)"
        )


def _run_hooks(t: Tensor, g: Any, create_graph: bool) -> Any:
    for hook in list(t._hooks):
        result = hook(g if isinstance(g, Tensor) else Tensor._wrap(g))
        if result is not None:
            result_data = result.data if isinstance(result, Tensor) else np.asarray(result)
            if result_data.shape != np.shape(g.data if isinstance(g, Tensor) else g):
                raise ShapeError(f"a hook returned a gradient of shape {result_data.shape}, expected {t.shape}")
            g = result if create_graph and isinstance(result, Tensor) else result_data
    return g


def _cast(g: Any, dtype: np.dtype) -> Any:
    if g.dtype != dtype and np.issubdtype(dtype, np.inexact):
        return g.astype(dtype)
    return g


def _as_tensor(g: Any) -> Tensor:
    return g if isinstance(g, Tensor) else Tensor._wrap(g)


def _accumulate(t: Tensor, g: Any, shared: set[int]) -> None:
    """Add g into t.grad. Stored gradients own their memory: no two tensors share a grad array.

    ``shared`` holds the ids of cotangents that a VJP passed through unchanged (add, reshape's
    base...), which other nodes may hold too: those are copied, fresh results are stored as they are.
    """
    g = _cast(g, t.dtype)
    if isinstance(g, Tensor):  # create_graph: keep the graph of the gradient
        t.grad = g if t.grad is None else t.grad + g
    elif t.grad is None:
        private = type(g) is np.ndarray and g.base is None and id(g) not in shared
        t.grad = Tensor._wrap(g if private else np.array(g, copy=True))
    elif t.grad.requires_grad:  # a recorded gradient from an earlier create_graph backward
        t.grad = t.grad + g
    else:
        t.grad.data = t.grad.data + g
