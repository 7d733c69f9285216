"""Pictures of computation graphs: ``draw_graph`` gives a ``graphviz.Digraph``, ``to_dot`` its DOT text.

Each tensor is a box (its name, shape, value when small, gradient when known) and each op that made a
tensor is an ellipse between its inputs and its output. Inputs that require grad are blue, parameters
gold, constants grey, the output has a thick border. Given ``model=`` (an ``nn.Module``, or a
mapping of group names to tensors), the parameters and the ops that use them sit in one labelled box
per layer, so a network's graph reads like its architecture. ``show_partials=True`` labels every
edge with its local partial ∂(consumer)/∂(input), and ``path=(x, y)`` highlights every path from x
to y and writes the chain rule's sum over those paths under the picture.

Building the picture needs only the ``graphviz`` Python package. Rendering it (``.pipe()``,
``.render()``, ``save_graph``, display in Jupyter) uses Graphviz's ``dot`` program when it is
installed and otherwise the built-in renderer (``autodiff.render``): SVG on every machine, PNG, PDF
and JPEG with matplotlib.

After a plain ``backward()``, a small graph is drawn whole, with the gradient of every node (the
engine keeps it beside the released graph: ``autodiff.engine.KEEP_NODES``); a bigger one is drawn
as far as it is still known, with a note saying how to keep it.

>>> import autodiff as ad
>>> x = ad.tensor(2.0, requires_grad=True, name="x")
>>> y = ad.sin(x) * x
>>> print(to_dot(y).count("->"))  # x -> sin -> sin x, then x and sin x -> multiply -> y
5
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import graphviz

from .render import DotNotFoundError, GraphPicture
from .tensor import Tensor
from .viz_build import as_list, build, walk
from .viz_labels import SMALL

__all__ = ["DEFAULT_MAX_NODES", "GRAPH_FORMATS", "SMALL", "DotNotFoundError", "GraphPicture", "draw_graph",
           "retain_grads", "save_graph", "to_dot"]

DEFAULT_MAX_NODES = 120
GRAPH_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "dot", "gv")  # suffixes save_graph writes (dot, gv: text)


def draw_graph(root: Tensor | Sequence[Tensor], show_values: bool = True, show_grads: bool = True,
               rankdir: str = "LR", max_nodes: int = DEFAULT_MAX_NODES, model: Any = None,
               title: str | None = None, show_partials: bool = False, path: Any = None) -> GraphPicture:
    """The computation graph that produced ``root`` (a Tensor or a list of them) as a Digraph.

    Args:
        root: the output(s) whose history to draw.
        show_values: show each tensor's value (all entries up to 6, else its range).
        show_grads: show gradients: ``.grad`` where backward stored one, and after a plain
            ``backward()`` of a small graph every node's (``retain_grads`` keeps them for any size).
        rankdir: graphviz layout direction: "LR" (left to right), "TB", "RL" or "BT".
        max_nodes: draw at most this many tensors, those nearest the output; the rest are summed
            up in one "... more" node.
        model: an ``nn.Module`` (anything with ``named_parameters()``): its parameters are named by
            their dotted names and grouped, with the ops that use them, in one box per layer. Or a
            mapping: ``{"encoder": [W, b], ...}`` (one box per key) or ``{"0.weight": W, ...}``.
        title: a caption under the picture.
        show_partials: label each edge into an op with the local partial ∂(output)/∂(input) of that
            op: its number when both are scalars, else its rule (the VJP for arrays), as
            ``ad.explain`` writes them (tensors then also show their row, ``v₃``, in its tables).
        path: ``(x, y)`` (tensors, or their names; ``x`` alone means ``(x, root)``): highlight every
            path from x to y, and for scalar graphs write ∂y/∂x under the picture as the chain
            rule's sum over those paths of the products of their edges' partials, with the numbers.

    >>> import autodiff as ad
    >>> w = ad.tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> loss = (w * w).sum()
    >>> graph = draw_graph(loss)
    >>> type(graph).__mro__[1].__name__, "w" in graph.source
    ('Digraph', True)
    >>> x = ad.tensor(3.0, requires_grad=True, name="x")
    >>> print(draw_graph(x * x, path=x).source.split("label=")[-1])  # two paths: x is read twice
    "∂y/∂x = Σ over 2 paths of the product of the partials on its edges\\n= 3 + 3 = 6" labelloc=b
    }
    <BLANKLINE>
    """
    return build(root, show_values, show_grads, rankdir, max_nodes, model, title, show_partials, path).picture


def to_dot(root: Tensor | Sequence[Tensor], **options: Any) -> str:
    """The DOT text of ``draw_graph(root, **options)``; needs no Graphviz program.

    >>> import autodiff as ad
    >>> x = ad.tensor(3.0, requires_grad=True, name="x")
    >>> to_dot(x ** 2).startswith("digraph autodiff {")
    True
    """
    return draw_graph(root, **options).source


def retain_grads(root: Tensor | Sequence[Tensor]) -> None:
    """Ask every intermediate tensor behind ``root`` to keep its ``.grad`` in the next backward.

    Call it before ``backward`` to see the gradient at every node of the picture.

    >>> import autodiff as ad
    >>> x = ad.tensor(2.0, requires_grad=True)
    >>> h = x * 3
    >>> retain_grads(h ** 2)
    >>> (h ** 2).backward()
    >>> h.grad
    tensor(12.)
    """
    for t in walk(as_list(root), 2**62):
        t.retain_grad()


def save_graph(graph: graphviz.Digraph, path: str | Path) -> Path:
    """Write a graph picture; the format comes from the suffix (.svg .png .pdf .jpg, or .dot/.gv for text).

    Uses Graphviz's ``dot`` when it is installed; otherwise SVG comes from the built-in renderer
    and PNG, PDF and JPEG need matplotlib (``DotNotFoundError`` says how to install either).
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in GRAPH_FORMATS:
        raise ValueError(f"cannot tell the picture format from {path.name!r}; use "
                         + ", ".join("." + f for f in GRAPH_FORMATS))
    if suffix in ("dot", "gv"):
        path.write_text(graph.source, encoding="utf-8")
        return path
    picture = graph if isinstance(graph, GraphPicture) else GraphPicture(body=list(graph.body),
                                                                         graph_attr=dict(graph.graph_attr),
                                                                         node_attr=dict(graph.node_attr),
                                                                         edge_attr=dict(graph.edge_attr))
    path.write_bytes(picture.pipe(format=suffix))
    return path
