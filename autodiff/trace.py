"""The recorded ops of a computation in evaluation order: a Wengert list (``explain`` and ``jit`` read it).

A recorded tensor is its own graph node: it keeps its op's record, its inputs (Tensors or constants)
and the op's static parameters. ``nodes_before`` walks back from the outputs through every Tensor
input, whether or not it requires grad, and returns the recorded nodes in the order they were made
(their record numbers), which is an order in which each node comes after everything it reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .errors import GraphFreedError
from .tensor import Tensor


def nodes_before(outputs: Iterable[Tensor], stop: Sequence[Tensor] = ()) -> tuple[list[Tensor], list[Tensor]]:
    """(recorded nodes, leaves) that the outputs depend on: nodes in the order they were made, leaves in
    the order they are first read.

    The walk does not go past the tensors in ``stop`` (they count as leaves). A node whose inputs were
    released by a backward pass raises ``GraphFreedError``.
    """
    stopped = {id(t) for t in stop}
    nodes: dict[int, Tensor] = {}
    leaves: dict[int, Tensor] = {}
    pending = [t for t in outputs if isinstance(t, Tensor)]
    while pending:
        t = pending.pop()
        key = id(t)
        if key in nodes or key in leaves:
            continue
        if t._op is None or key in stopped:
            leaves[key] = t
            continue
        if t._inputs is None:
            raise GraphFreedError(
                f"the graph was released by backward() (at the op {t._op.name!r}); record it again, or "
                "call backward(retain_graph=True) if you need the graph afterwards"
            )
        nodes[key] = t
        pending.extend(a for a in t._inputs if isinstance(a, Tensor))
    by_order = sorted(nodes.values(), key=lambda t: t._seq)
    first_read: dict[int, Tensor] = {}  # leaves in the order the computation first reads them
    for node in by_order:
        for a in node._inputs:
            if isinstance(a, Tensor) and id(a) in leaves:
                first_read.setdefault(id(a), a)
    first_read.update(leaves)  # an output that is itself a leaf
    return by_order, list(first_read.values())
