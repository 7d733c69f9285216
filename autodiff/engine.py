"""The backward pass: reverse topological order over the recorded graph, cotangents summed per node.

Iterative: every recorded tensor carries a sequence number, and a node's consumers are always
recorded after it, so popping nodes newest-first from a heap (as PyTorch does) visits them in
reverse topological order with no separate sorting pass, and a chain of a million ops needs no
recursion. While just one node is pending (along a chain) it goes next without touching the heap.
Without ``create_graph`` every VJP runs on plain numpy arrays; with it, on Tensors, so the backward
pass is itself recorded.
Unless ``retain_graph`` is set, each node drops its inputs once it has been processed: intermediate
arrays are freed during the backward pass, and a second backward says the graph is gone.

A small graph (at most ``KEEP_NODES`` nodes of at most ``KEEP_NODE_BYTES`` each, whose values and
gradients take at most ``KEEP_BYTES`` in all) is released just the same, but what it released is also
kept beside it, with each node's gradient, until its output is dropped (or ``KEEP_GRAPHS`` newer
graphs are kept): pictures (``ad.draw_graph``) then show the whole graph after a plain
``backward()``, as micrograd does, while a second backward still raises ``GraphFreedError``.
Training graphs are over the size within a few nodes, and from then on the pass runs as before.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import weakref
from collections.abc import Iterator, Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from .errors import GraphFreedError, InPlaceError, ShapeError
from .grad_mode import ANOMALY, GRAD_MODE
from .ops.core import check_finite, unbroadcast
from .tensor import MUTATIONS, Tensor

# A node keeps its pending cotangent in a slot, so two passes through one graph at the same time
# (threads sharing a retained graph) would mix their cotangents: backward passes take turns.
_ONE_PASS_AT_A_TIME = threading.RLock()


# A plain backward keeps what it released of graphs up to this size, for pictures (see KeptGraph).
# 1,000 scalar nodes with their gradients take 16,000 bytes. A training step's graph has a node
# over KEEP_NODE_BYTES within its first nodes (W1: the second), after which keeping costs one test
# per node: measured, W1's step lost 2.5% while its first six nodes were kept, 0.5% now.
KEEP_NODES = 1000
KEEP_NODE_BYTES = 1024  # a node's gradient: 128 float64 numbers (and its value as much again)
KEEP_BYTES = 16 * 1024
# With their Python objects, 1,000 kept scalar nodes take 0.7 MB (measured): a loop that stores every
# step's loss would hold all its graphs, so only the newest few are kept (older ones are released).
KEEP_GRAPHS = 16


class KeptGraph:
    """What a plain ``backward()`` released of a small graph, kept for pictures until its output dies.

    ``entries`` maps id(node) -> (node, its inputs, the arrays its op saw, its gradient). The
    output itself is held weakly (``root``): when it is dropped, so is this record. The nodes stay
    released (``_inputs`` is None), so a second backward and ``ad.explain`` still say the graph is
    gone; ``reopened()`` puts the inputs back for a moment, for code that reads a graph (no backward).
    """

    __slots__ = ("root", "entries")

    def __init__(self, root: weakref.ref, entries: dict[int, tuple]) -> None:
        self.root = root
        self.entries = entries

    def inputs(self, t: Tensor) -> tuple | None:
        entry = self.entries.get(id(t))
        return None if entry is None else entry[1]

    def gradient(self, t: Tensor) -> np.ndarray | None:
        """The cotangent backward computed for the node ``t`` (its ``.grad``, had it retained one)."""
        entry = self.entries.get(id(t))
        return None if entry is None else entry[3]

    @contextlib.contextmanager
    def reopened(self) -> Iterator[None]:
        """Inside: the nodes have their inputs again, as if the graph had been retained (no backward
        may run through it: the backward passes wait)."""
        root = self.root()
        with _ONE_PASS_AT_A_TIME:
            nodes = [(root if node is None else node, inputs, data) for node, inputs, data, _ in self.entries.values()]
            try:
                for node, inputs, data in nodes:
                    node._inputs, node._input_data = inputs, data
                yield
            finally:
                for node, _, _ in nodes:
                    node._inputs = node._input_data = None


_KEPT: dict[int, KeptGraph] = {}  # id(output) -> what backward kept of its graph


def kept_graph(t: Tensor) -> KeptGraph | None:
    """The record a plain backward kept of the small graph that ``t`` belongs to (None if there is none)."""
    key = id(t)
    for kept in list(_KEPT.values()):
        if key in kept.entries:
            return kept
    return None


def _keep(root: Tensor, processed: dict[int, tuple]) -> None:
    """Record a small graph's released parts beside it (gradient arrays copied: a .grad may share their
    memory; numpy scalars cannot change). The record holds the output weakly: it dies with it."""
    key = id(root)
    entries = processed
    for node_id, (node, inputs, data, g) in entries.items():
        if node is root or type(g) is np.ndarray:
            entries[node_id] = (None if node is root else node, inputs, data,
                                np.array(g, copy=True) if type(g) is np.ndarray else g)
    _KEPT[key] = KeptGraph(weakref.ref(root, functools.partial(_forget, key)), entries)
    for older in list(_KEPT)[:-KEEP_GRAPHS]:  # the oldest first (a dict keeps the order of insertion)
        _KEPT.pop(older, None)


def _forget(key: int, _: Any) -> None:
    _KEPT.pop(key, None)


class KeptGraphs(threading.local):
    """``keep_graphs()``'s switch and a count of ``backward()`` calls, for this thread."""

    enabled = False
    backward_calls = 0  # did a closure call backward()? compare the count before and after it


KEPT_GRAPHS = KeptGraphs()


@contextlib.contextmanager
def keep_graphs() -> Iterator[None]:
    """Inside: every ``backward()`` of this thread keeps its graph, as with ``retain_graph=True``.

    For code that runs someone else's closure and differentiates its result again: optim's Newton
    family given a PyTorch-style closure (``opt.zero_grad(); loss = ...; loss.backward(); return
    loss``) needs the loss's graph after that backward. Tested in tests/optim/test_closures.py (not
    as a doctest: a doctest run of this file alone loads a second copy of the module, whose switch
    the engine's first copy does not see).
    """
    previous = KEPT_GRAPHS.enabled
    KEPT_GRAPHS.enabled = True
    try:
        yield
    finally:
        KEPT_GRAPHS.enabled = previous


def backward(root: Tensor, gradient: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into ``.grad`` of every leaf that requires grad (``Tensor.backward``)."""
    kept = KEPT_GRAPHS
    kept.backward_calls += 1
    retain_graph = retain_graph or kept.enabled
    if not root.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad: no input of the computation had "
            "requires_grad=True (or it ran under no_grad())"
        )
    cotangent = _initial_cotangent(root, gradient, create_graph, 0, "backward()")
    with _ONE_PASS_AT_A_TIME:
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
    # when every input was made by an op, nodes recorded before the oldest of them cannot lead to one
    horizon = min(x._seq for x in inputs) if all(x._op is not None for x in inputs) else 0
    with _ONE_PASS_AT_A_TIME:
        found = _run(roots, cotangents, create_graph if retain_graph is None else retain_graph,
                     create_graph, wanted, nb, horizon) if roots else wanted
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
        if root._data.size != 1 or nb:
            raise RuntimeError(
                f"{who} on an output of shape {root.shape} needs the cotangent: pass gradient= "
                "(an array of that shape), or reduce the output to a scalar first (e.g. .sum())"
            )
        gradient = np.ones_like(root._data)
    elif isinstance(gradient, Tensor) and create_graph:
        pass  # recorded: the cotangent may itself depend on inputs
    else:  # a copy: a .grad may end up holding this very array
        gradient = np.array(gradient._data if isinstance(gradient, Tensor) else gradient, dtype=root.dtype)
    shape = tuple(np.shape(gradient._data if isinstance(gradient, Tensor) else gradient))
    if shape[nb:] != root.shape:
        raise ShapeError(f"{who}: the cotangent has shape {shape}, expected the output's shape {root.shape}"
                         + (" after a leading batch axis" if nb else ""))
    if create_graph and not isinstance(gradient, Tensor):
        gradient = Tensor._wrap(gradient)
    return gradient


def _run(roots: list[Tensor], cotangents: list, retain_graph: bool, create_graph: bool,
         wanted: dict[int, Any] | None, nb: int, horizon: int = 0) -> dict[int, Any]:
    """Push cotangents from ``roots`` to every input they depend on.

    Nodes are processed newest first (by ``_seq``, the order they were recorded in): a node's
    consumers were all recorded after it, so when it is popped its cotangent is complete. A node's
    cotangent waits in its ``_pending`` slot; leaves' cotangents wait in a dict and are settled
    at the end, once every contribution has arrived (hooks then see the total). ``wanted`` (id -> None) collects
    cotangents instead of accumulating into ``.grad``; ``nb`` counts leading batch axes. Nodes
    recorded before ``horizon`` cannot lead to anything wanted and are not visited (nor are leaves,
    when a horizon is given).
    """
    heap: list[tuple[int, Tensor]] = []
    # The one pending node, while there is just one (a chain): it goes next without the heap.
    chained: Tensor | None = None
    leaf_pending: dict[int, Any] = {}
    leaves: list[Tensor] = []
    stored: set[int] = set()  # the arrays given to a .grad in this pass (none may be given twice)
    # a plain backward keeps a small graph's released parts for pictures, while it stays small
    processed: dict[int, tuple] | None = {} if not retain_graph and wanted is None else None
    processed_bytes = 0  # of the gradients; the values take as much again
    keep_bytes, keep_nodes, node_bytes = KEEP_BYTES // 2, KEEP_NODES, KEEP_NODE_BYTES
    for root, g in zip(roots, cotangents):
        _deliver(root, g, heap, leaf_pending, leaves)
    anomaly = ANOMALY.enabled
    clock = MUTATIONS.clock
    previous_mode = GRAD_MODE.enabled
    GRAD_MODE.enabled = create_graph  # the backward pass is recorded only for create_graph
    try:
        while True:
            if chained is not None:
                t, chained = chained, None
            elif heap:
                t = heappop(heap)[1]
            else:
                break
            g = t._pending
            t._pending = None
            op = t._op
            inputs = t._inputs
            if inputs is None:
                raise GraphFreedError(
                    f"backward through the graph a second time: the values saved by {op.name!r} were "
                    "released by the previous backward; pass retain_graph=True to the first backward "
                    "if you need to go through the graph again"
                )
            if t._hooks is not None:  # hooks, or retain_grad()
                g = _run_hooks(t, g, create_graph)
                if t._retains_grad and wanted is None:
                    _accumulate(t, g, stored)
            if wanted is not None and id(t) in wanted:
                wanted[id(t)] = g
            if t._stamp != clock:  # something was changed in place since t was made
                _check_unchanged(t)
            params = t._params
            vjps = op.vjps
            if create_graph:
                out, args = t, inputs
            else:
                out, args = t._data, t._input_data
            for i in t._positions:
                a = inputs[i]
                if horizon and (a._op is None or a._seq < horizon):
                    continue  # cannot lead to anything wanted
                vjp = vjps[i]
                gi = vjp(g, out, *args, **params) if params else vjp(g, out, *args)
                shape = a._data.shape
                if gi.shape != shape:
                    gi = unbroadcast(gi, shape, nb) if not nb or gi.shape[nb:] != shape else gi
                if anomaly:
                    check_finite(gi, f"backward of {op.name!r} (cotangent of its input {i})")
                if a._op is None:  # a leaf
                    key = id(a)
                    previous = leaf_pending.get(key)
                    if previous is None:
                        leaf_pending[key] = gi
                        leaves.append(a)
                    else:
                        leaf_pending[key] = previous + gi
                else:
                    previous = a._pending
                    if previous is None:
                        a._pending = gi
                        if chained is None and not heap:
                            chained = a
                        else:
                            if chained is not None:
                                heappush(heap, (-chained._seq, chained))
                                chained = None
                            heappush(heap, (-a._seq, a))
                    else:
                        a._pending = previous + gi
            if not retain_graph:
                if processed is not None:
                    size = g.nbytes
                    processed_bytes += size
                    if size > node_bytes or processed_bytes > keep_bytes or len(processed) >= keep_nodes:
                        processed = None  # too big to keep: released as it goes, like any graph
                    else:
                        processed[id(t)] = (t, inputs, t._input_data, g)
                t._inputs = t._input_data = None
        for leaf in leaves:
            g = leaf_pending[id(leaf)]
            if leaf._hooks is not None:
                g = _run_hooks(leaf, g, create_graph)
            if wanted is None:
                _accumulate(leaf, g, stored)
            elif id(leaf) in wanted:
                wanted[id(leaf)] = g
        if processed and roots[0]._op is not None:
            _keep(roots[0], processed)
    finally:
        GRAD_MODE.enabled = previous_mode
        for _, t in heap:  # after an error: no cotangent may linger for the next backward
            t._pending = None
        if chained is not None:
            chained._pending = None
    return wanted if wanted is not None else {}


def _deliver(t: Tensor, g: Any, heap: list, leaf_pending: dict[int, Any], leaves: list[Tensor]) -> None:
    """Hand a root's cotangent to the pass (roots may repeat: their cotangents add up)."""
    if t._op is None:
        key = id(t)
        if key in leaf_pending:
            leaf_pending[key] = leaf_pending[key] + g
        else:
            leaf_pending[key] = g
            leaves.append(t)
    elif t._pending is not None:
        t._pending = t._pending + g
    else:
        t._pending = g
        heappush(heap, (-t._seq, t))


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
            result_data = result._data if isinstance(result, Tensor) else np.asarray(result)
            if result_data.shape != np.shape(g._data if isinstance(g, Tensor) else g):
                raise ShapeError(f"a hook returned a gradient of shape {result_data.shape}, expected {t.shape}")
            g = result if create_graph and isinstance(result, Tensor) else result_data
    return g


def _cast(g: Any, dtype: np.dtype) -> Any:
    if g.dtype != dtype and np.issubdtype(dtype, np.inexact):
        return g.astype(dtype)
    return g


def _as_tensor(g: Any) -> Tensor:
    return g if isinstance(g, Tensor) else Tensor._wrap(g)


def _accumulate(t: Tensor, g: Any, stored: set[int]) -> None:
    """Add g into t.grad. Stored gradients own their memory: no two tensors share a grad array.

    A cotangent is stored as it is when it owns its memory and no other ``.grad`` of this pass got
    it (``add`` hands one array to both its inputs); otherwise it is copied.
    """
    g = _cast(g, t.dtype)
    if isinstance(g, Tensor):  # create_graph: keep the graph of the gradient
        t.grad = g if t.grad is None else t.grad + g
    elif t.grad is None:
        private = type(g) is np.ndarray and g.base is None and id(g) not in stored
        g = g if private else np.array(g, copy=True)
        stored.add(id(g))
        t.grad = Tensor._wrap(g)
    elif t.grad.requires_grad:  # a recorded gradient from an earlier create_graph backward
        t.grad = t.grad + g
    else:
        t.grad.data = t.grad.data + g
