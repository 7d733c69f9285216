"""Pictures of computation graphs: ``draw_graph`` gives a ``graphviz.Digraph``, ``to_dot`` its DOT text.

Each tensor is a box (its name, shape, value when small, gradient when known) and each op that made a
tensor is an ellipse between its inputs and its output. Inputs that require grad are blue, parameters
gold, constants grey, the output has a thick border. Given ``model=`` (an ``nn.Module``, or a
mapping of group names to tensors), the parameters and the ops that use them sit in one labelled box
per layer, so a network's graph reads like its architecture. Building the picture needs only the
``graphviz`` Python package; rendering it (``.render()``, ``.pipe()``, display in Jupyter) needs
Graphviz's ``dot`` program.

A backward pass without ``retain_graph=True`` releases each node's inputs to free memory; such a graph
is drawn as far as it is still known, with a note saying how to keep it.

>>> import autodiff as ad
>>> x = ad.tensor(2.0, requires_grad=True, name="x")
>>> y = ad.sin(x) * x
>>> print(to_dot(y).count("->"))  # x -> sin -> sin x, then x and sin x -> multiply -> y
5
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from .tensor import Tensor

DEFAULT_MAX_NODES = 120
GRAPH_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "dot", "gv")  # suffixes save_graph writes (dot, gv: text)
SMALL = 6  # arrays with at most this many entries show their values; larger ones show their range

_STYLE = {  # fill colours by kind of node
    "parameter": "#ffe29a", "input": "#cfe6ff", "constant": "#eeeeee", "intermediate": "#ffffff",
    "op": "#e4d9ff", "released": "#ffd6d6", "hidden": "#f4f4f4",
}
_RELEASED_NOTE = r"inputs released by backward();\ncall backward(retain_graph=True)\nto draw the whole graph"
_INSTALL_DOT = (
    "rendering a graph needs Graphviz's `dot` program, which was not found on PATH. Install the "
    "graphviz system package (Debian/Ubuntu: sudo apt-get install graphviz; Fedora: sudo dnf install "
    "graphviz; macOS: brew install graphviz; conda: conda install graphviz). Without it, "
    "ad.to_dot(...) still gives the DOT text, which any Graphviz viewer can show."
)


class DotNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's ``dot`` program and it is not installed (the message says how)."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, _INSTALL_DOT)


class GraphPicture(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering errors say how to install ``dot`` when it is missing."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise (error if isinstance(error, DotNotFoundError) else DotNotFoundError()) from error

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise (error if isinstance(error, DotNotFoundError) else DotNotFoundError()) from error


def draw_graph(root: Tensor | Sequence[Tensor], show_values: bool = True, show_grads: bool = True,
               rankdir: str = "LR", max_nodes: int = DEFAULT_MAX_NODES, model: Any = None,
               title: str | None = None) -> graphviz.Digraph:
    """The computation graph that produced ``root`` (a Tensor or a list of them) as a Digraph.

    Args:
        root: the output(s) whose history to draw.
        show_values: show each tensor's value (all entries up to 6, else its range).
        show_grads: show ``.grad`` where backward stored one (leaves, and tensors that called
            ``retain_grad()``; see ``retain_grads``).
        rankdir: graphviz layout direction: "LR" (left to right), "TB", "RL" or "BT".
        max_nodes: draw at most this many tensors, those nearest the output; the rest are summed
            up in one "... more" node.
        model: an ``nn.Module`` (anything with ``named_parameters()``): its parameters are named by
            their dotted names and grouped, with the ops that use them, in one box per layer. Or a
            mapping: ``{"encoder": [W, b], ...}`` (one box per key) or ``{"0.weight": W, ...}``.
        title: a caption under the picture.

    >>> import autodiff as ad
    >>> w = ad.tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> loss = (w * w).sum()
    >>> graph = draw_graph(loss)
    >>> type(graph).__mro__[1].__name__, "w" in graph.source
    ('Digraph', True)
    """
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be one of 'LR', 'TB', 'RL', 'BT', got {rankdir!r}")
    if not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive integer, got {max_nodes!r}")
    roots = _as_list(root)
    if not roots or not all(isinstance(r, Tensor) for r in roots):
        raise TypeError("draw_graph needs a Tensor (or a list of Tensors) whose history to draw")
    owners, module_labels = _module_table(model)
    drawing = _Drawing(show_values, show_grads, owners)
    kept, hidden = _walk(roots, int(max_nodes))
    clusters = _assign_clusters(kept, owners)

    graph = GraphPicture(name="autodiff", graph_attr={
        "rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11", "nodesep": "0.25",
        "ranksep": "0.35", "bgcolor": "white"},
        node_attr={"fontname": "Helvetica", "fontsize": "10", "style": "filled", "penwidth": "1"},
        edge_attr={"arrowsize": "0.6", "color": "#555555"})
    ids = {id(t): f"t{i}" for i, t in enumerate(kept)}
    root_ids = {id(r) for r in roots}
    boxes: dict[str, list[tuple[str, dict[str, str]]]] = {}  # cluster path -> its nodes
    edges: list[tuple[str, str, dict[str, str]]] = []
    released = False
    constants = 0
    for t in kept:
        node = ids[id(t)]
        box = boxes.setdefault(clusters.get(id(t), ""), [])
        box.append((node, drawing.tensor_node(t, id(t) in root_ids)))
        if t._op is None:
            continue
        box.append((node + "op", drawing.op_node(t)))
        edges.append((node + "op", node, {}))
        if t._inputs is None:  # freed by a backward without retain_graph
            released = True
            edges.append(("released", node + "op", {"style": "dashed", "color": "#c04040"}))
            continue
        for a in t._inputs:
            if isinstance(a, Tensor):
                drawn = id(a) in ids
                style = {} if drawn else {"style": "dashed"}
                edges.append((ids[id(a)] if drawn else "hidden", node + "op", style))
            else:
                constant = f"c{constants}"
                constants += 1
                box.append((constant, drawing.constant_node(a)))
                edges.append((constant, node + "op", {}))
    for path, nodes in boxes.items():
        if path:
            with graph.subgraph(name=f"cluster_{len(path)}_{path}") as cluster:
                cluster.attr(label=module_labels.get(path, path), style="rounded,filled", fillcolor="#fbf8ef",
                             color="#c8b27a", fontname="Helvetica", fontsize="11", labeljust="l")
                for name, attrs in nodes:
                    cluster.node(name, **attrs)
        else:
            for name, attrs in nodes:
                graph.node(name, **attrs)
    if hidden:
        more = f"... {hidden} more tensor{'s' * (hidden > 1)} not drawn\\n(max_nodes={max_nodes})"
        graph.node("hidden", more, shape="box", style="dashed,filled", fillcolor=_STYLE["hidden"],
                   fontcolor="#555555")
    if released:
        graph.node("released", _RELEASED_NOTE, shape="note", fillcolor=_STYLE["released"],
                   fontcolor="#802020")
    for tail, head, attrs in edges:
        graph.edge(tail, head, **attrs)
    caption = title or ""
    if released:
        caption += ("\\n" if caption else "") + "(part of this graph was released by backward(); "\
                   "use backward(retain_graph=True) to keep it)"
    if caption:
        graph.attr(label=caption, labelloc="b", fontsize="11")
    return graph


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
    for t in _walk(_as_list(root), 2**62)[0]:
        t.retain_grad()


def save_graph(graph: graphviz.Digraph, path: str | Path) -> Path:
    """Write a graph picture; the format comes from the suffix (.svg .png .pdf, or .dot/.gv for text).

    Rendering raises ``DotNotFoundError`` (with install instructions) when ``dot`` is missing.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in GRAPH_FORMATS:
        raise ValueError(f"cannot tell the picture format from {path.name!r}; use "
                         + ", ".join("." + f for f in GRAPH_FORMATS))
    if suffix in ("dot", "gv"):
        path.write_text(graph.source, encoding="utf-8")
        return path
    picture = graph if isinstance(graph, GraphPicture) else GraphPicture(body=graph.body)
    path.write_bytes(picture.pipe(format=suffix))
    return path


# ----------------------------------------------------------------------------- walking the graph
def _inputs(t: Tensor) -> list[Tensor]:
    return [a for a in (t._inputs or ()) if isinstance(a, Tensor)]


def _walk(roots: list[Tensor], max_nodes: int) -> tuple[list[Tensor], int]:
    """Tensors breadth first from the roots (nearest the output first), and how many did not fit."""
    seen = {id(r) for r in roots}
    order = list(dict.fromkeys(roots))
    i = 0
    while i < len(order):
        for a in _inputs(order[i]):
            if id(a) not in seen:
                seen.add(id(a))
                order.append(a)
        i += 1
    return order[:max_nodes], max(0, len(order) - max_nodes)


def _assign_clusters(kept: list[Tensor], owners: dict[int, tuple[str, str]]) -> dict[int, str]:
    """Which layer box each tensor sits in: a parameter in its layer's box, and so is an op that uses
    a parameter of that layer (or something computed from that layer's parameters alone, like W.T)."""
    if not owners:
        return {}
    clusters: dict[int, str] = {}
    params_only: set[int] = set()  # tensors computed from one layer's parameters alone
    kept_ids = {id(t) for t in kept}
    for t in _topological(kept, kept_ids):
        if id(t) in owners:
            clusters[id(t)] = owners[id(t)][0]
            params_only.add(id(t))
            continue
        inputs = _inputs(t)
        layer = next((clusters[id(a)] for a in inputs if id(a) in params_only), None)
        if layer is None:
            continue
        clusters[id(t)] = layer
        if len(inputs) == len(t._inputs or ()) and all(id(a) in params_only and clusters[id(a)] == layer
                                                         for a in inputs):
            params_only.add(id(t))
    return clusters


def _topological(kept: list[Tensor], kept_ids: set[int]) -> list[Tensor]:
    """Kept tensors with every input before the tensors computed from it (iterative post-order)."""
    order: list[Tensor] = []
    done: set[int] = set()
    for start in kept:
        stack = [(start, False)]
        while stack:
            t, expanded = stack.pop()
            if id(t) in done:
                continue
            if expanded:
                done.add(id(t))
                order.append(t)
                continue
            stack.append((t, True))
            stack.extend((a, False) for a in _inputs(t) if id(a) in kept_ids and id(a) not in done)
    return order


def _module_table(model: Any) -> tuple[dict[int, tuple[str, str]], dict[str, str]]:
    """id(parameter) -> (its group's path, its name); and a label for every group.

    ``model`` is anything with ``named_parameters()`` (an ``nn.Module``: the groups are its layers,
    labelled from ``named_modules()`` and ``extra_repr()`` when it has them), or a mapping whose
    values are tensors (dotted names, grouped by prefix as ``named_parameters`` would be) or
    lists of tensors (a group each). No class of nn is needed: autodiff imports no nn.
    """
    if model is None:
        return {}, {}
    named = _named_tensors(model)
    modules = dict(model.named_modules()) if hasattr(model, "named_modules") else {}
    owners: dict[int, tuple[str, str]] = {}
    for group, qualified, tensor in named:
        owners.setdefault(id(tensor), (group, qualified))
    labels = {}
    for path in {path for path, _ in owners.values()}:
        module = modules.get(path)
        if module is None:
            labels[path] = path
            continue
        settings = module.extra_repr() if hasattr(module, "extra_repr") else ""
        labels[path] = f"{path + ': ' if path else ''}{type(module).__name__}({settings})"
    return owners, labels


def _named_tensors(model: Any) -> list[tuple[str, str, Tensor]]:
    """(group, name, tensor) for every parameter of ``model`` (see ``_module_table``)."""
    if hasattr(model, "named_parameters"):
        pairs: Iterable[tuple[str, Any]] = model.named_parameters()
    elif isinstance(model, Mapping):
        pairs = model.items()
    else:
        raise TypeError("model must have named_parameters() (an nn.Module) or map names to tensors or lists of "
                        f"tensors, got {type(model).__name__}")
    named = []
    for key, value in pairs:
        if isinstance(value, Tensor):
            named.append((key.rpartition(".")[0], key, value))
            continue
        group = list(value) if isinstance(value, Iterable) else [value]
        if not all(isinstance(t, Tensor) for t in group):
            raise TypeError(f"model[{key!r}] must be a Tensor or a list of Tensors, got {type(value).__name__}")
        named.extend((key, t.name or f"{key}[{i}]", t) for i, t in enumerate(group))
    return named


# ----------------------------------------------------------------------------- labels
class _Drawing:
    def __init__(self, show_values: bool, show_grads: bool, owners: dict[int, tuple[str, str]]) -> None:
        self.show_values = show_values
        self.show_grads = show_grads
        self.owners = owners

    def kind(self, t: Tensor) -> str:
        if not t.is_leaf:
            return "intermediate"
        if id(t) in self.owners or any(c.__name__ == "Parameter" for c in type(t).__mro__):
            return "parameter"
        return "input" if t.requires_grad else "constant"

    def tensor_node(self, t: Tensor, is_root: bool) -> dict[str, str]:
        kind = self.kind(t)
        name = self.owners[id(t)][1] if id(t) in self.owners else t.name
        rows = []
        if name:
            rows.append(f"<b>{html.escape(str(name))}</b>")
        elif kind != "intermediate":
            rows.append(f"<i>{kind}</i>")
        rows.append(f'<font point-size="9">{html.escape(_shape_text(t))}</font>')
        if self.show_values:
            rows.append(html.escape(_values_text("", t.data)))
        if self.show_grads and t.grad is not None:
            grad = t.grad.data if isinstance(t.grad, Tensor) else np.asarray(t.grad)
            rows.append(f'<font color="#b02020">{html.escape(_values_text("grad ", grad))}</font>')
        table = "".join(f"<tr><td>{row}</td></tr>" for row in rows)
        table = f'<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{table}</table>'
        attrs = {"label": f"<{table}>",
                 "shape": "box", "style": "rounded,filled" if kind == "parameter" else "filled",
                 "fillcolor": _STYLE[kind]}
        if kind == "constant":
            attrs["color"] = "#999999"
            attrs["fontcolor"] = "#555555"
        if is_root:
            attrs["penwidth"] = "2.5"
        return attrs

    def op_node(self, t: Tensor) -> dict[str, str]:
        name = getattr(t._op, "name", type(t._op).__name__)
        params = t._params if isinstance(t._params, dict) else {}
        shown = {k: v for k, v in params.items() if v is not None and v is not False}  # skip defaults
        settings = ", ".join(f"{k}={_short(v)}" for k, v in shown.items())
        label = f"{name}({settings})" if settings else name
        return {"label": label, "shape": "ellipse", "fillcolor": _STYLE["op"], "fontsize": "10",
                "height": "0.3"}

    def constant_node(self, value: Any) -> dict[str, str]:
        return {"label": _values_text("", np.asarray(value)) if self.show_values else "constant",
                "shape": "plaintext", "style": "", "fontcolor": "#555555", "fontsize": "9"}


def _shape_text(t: Tensor) -> str:
    shape = "scalar" if t.ndim == 0 else "×".join(str(n) for n in t.shape)
    dtype = "" if t.dtype == np.float64 else f" {t.dtype}"
    return shape + dtype


def _values_text(prefix: str, array: np.ndarray) -> str:
    if array.size == 0:
        return prefix + "[]"
    if array.size <= SMALL:
        text = np.array2string(array.reshape(-1) if array.ndim > 1 else array, separator=", ",
                               formatter={"float_kind": _number})
        return prefix + (text if array.ndim <= 1 else text + f" ({array.ndim}-d)")
    if not np.issubdtype(array.dtype, np.number):
        return prefix + f"{array.size} entries"
    return prefix + f"in [{_number(np.min(array))}, {_number(np.max(array))}]"


def _number(value: float) -> str:
    return f"{value + 0.0:.4g}"  # + 0.0 turns -0.0 into 0


def _short(value: Any) -> str:
    text = repr(value.tolist() if isinstance(value, np.ndarray) and value.size <= SMALL else value)
    return text if len(text) <= 24 else text[:21] + "..."


def _as_list(roots: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(roots, Tensor):
        return [roots]
    if not isinstance(roots, Iterable):
        raise TypeError("expected a Tensor (or a list of Tensors) whose history to draw, "
                        f"got {type(roots).__name__}")
    return list(roots)
