"""Building a graph picture: which tensors to draw, their boxes, the edges, layers, partials and paths.

``build`` does the work of ``draw_graph`` and also returns what the interactive page needs: the id
of every drawn node and edge, and the explanation the edge partials come from. The graph may have
been released by a plain ``backward()``: what the engine kept of a small graph is put back while
the picture is made (``autodiff.engine.KeptGraph``), so it is drawn whole with every gradient.
Edge partials and path sums come from ``ad.explain`` (the op records' rules, the engine's VJPs).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import engine
from .formula import pretty_name
from .render import GraphPicture
from .tensor import Tensor
from .viz_labels import PATH_COLOR, STYLE, Labels, number, partial_text

EXPLAIN_LIMIT = 2000  # partials and paths are worked out (by ad.explain) for graphs up to this many nodes
RELEASED_NOTE = (r"inputs released by backward()\n(it keeps graphs of at most 1,000 small nodes, 16 KiB);\n"
                 r"draw before backward, or call\nbackward(retain_graph=True), to see it whole")


@dataclass
class Drawing:
    """A built picture and what the page needs to know about it."""

    picture: GraphPicture
    ids: dict[int, str]  # id(tensor) -> its node's id ("t3"; its op's node is "t3op")
    tensors: list[Tensor]  # the drawn tensors, nearest the output first
    edges: list[tuple[str, Tensor | None, Tensor, int]]  # (edge id, input or None (a constant), consumer, position)
    explanation: Any = None
    labels: Labels | None = None
    notes: list[str] = field(default_factory=list)
    path_text: str = ""
    path_value: float | None = None  # ∂y/∂x summed over the highlighted paths (scalar graphs)


def build(root: Tensor | Sequence[Tensor], show_values: bool = True, show_grads: bool = True, rankdir: str = "LR",
          max_nodes: int = 120, model: Any = None, title: str | None = None, show_partials: bool = False,
          path: Any = None, explanation: Any = None) -> Drawing:
    """What ``draw_graph`` draws (see its docstring), with the page's bookkeeping."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be one of 'LR', 'TB', 'RL', 'BT', got {rankdir!r}")
    if not isinstance(max_nodes, (int, np.integer)) or isinstance(max_nodes, bool) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive integer, got {max_nodes!r}")
    roots = [explanation.value] if explanation is not None else as_list(root)
    if not roots or not all(isinstance(r, Tensor) for r in roots):
        raise TypeError("draw_graph needs a Tensor (or a list of Tensors) whose history to draw")
    with reopened(roots):
        return _Builder(roots, show_values, show_grads, rankdir, int(max_nodes), model, title, show_partials,
                        path, explanation).run()


@contextlib.contextmanager
def reopened(roots: list[Tensor]) -> Iterator[list[engine.KeptGraph]]:
    """The graphs a plain backward kept for these outputs, put back for a moment (see engine.KeptGraph)."""
    kept = list({id(k): k for k in (engine.kept_graph(r) for r in roots) if k is not None}.values())
    with contextlib.ExitStack() as stack:
        for k in kept:
            stack.enter_context(k.reopened())
        yield kept


class _Builder:
    def __init__(self, roots: list[Tensor], show_values: bool, show_grads: bool, rankdir: str, max_nodes: int,
                 model: Any, title: str | None, show_partials: bool, path: Any, explanation: Any) -> None:
        self.roots, self.rankdir, self.max_nodes, self.title = roots, rankdir, max_nodes, title
        self.show_partials = show_partials
        self.owners, self.module_labels = module_table(model)
        self.everything = walk(roots, 2**62)
        self.kept, self.hidden = self.everything[:max_nodes], max(0, len(self.everything) - max_nodes)
        self.notes: list[str] = []
        self.explanation = explanation
        if explanation is None and (show_partials or path is not None):
            self.explanation = self._explain()
        gradients: dict[int, Any] = {}
        for k in reopened_graphs(roots):
            gradients.update({key: entry[3] for key, entry in k.entries.items()})
        self.partials: dict[tuple[int, int], tuple[str, Any]] = {}
        rows, names = {}, {}
        if self.explanation is not None:
            rows, names = self._rows(gradients)
        self.labels = Labels(show_values, show_grads, self.owners, gradients, names, rows)
        self.path = self._path(path) if path is not None else None
        self.path_value: float | None = None

    # ----------------------------------------------------------------- explanation
    def _explain(self) -> Any:
        from .explanation import explain  # explanation -> page -> viz_build: a deliberate cycle (pyproject.toml)

        root = self.roots[0]
        if len(self.everything) > EXPLAIN_LIMIT:
            self.notes.append(f"edge partials are shown for graphs of up to {EXPLAIN_LIMIT} tensors")
            return None
        if not root.requires_grad:
            self.notes.append("no partials: the output does not depend on anything that requires grad")
            return None
        try:
            return explain(root, mode="reverse" if root.size == 1 else "forward")
        except Exception as error:  # noqa: BLE001 (a picture without partials beats no picture)
            self.notes.append(f"no partials: {type(error).__name__}: {str(error).splitlines()[0]}")
            return None

    def _rows(self, gradients: dict[int, Any]) -> tuple[dict[int, str], dict[int, str]]:
        """Each drawn tensor's row in the explanation, names for its arguments, its adjoints as gradients,
        and every edge's local partial."""
        e = self.explanation
        rows = {id(t): name for t in self.everything if (name := e.name_of(t)) is not None}
        by_row = {name: key for key, name in rows.items()}
        given = {s.name: s.inputs[0] for s in e.steps if s.op == "input"}
        names = {key: given[name] for key, name in rows.items() if name in given}
        derivative_rows = e.adjoints if e.mode == "reverse" else e.tangents
        for row in derivative_rows:
            if e.mode == "reverse" and row.name in by_row:
                gradients.setdefault(by_row[row.name], row.value)
            for term in row.terms:
                consumer = term.other if e.mode == "reverse" else row.name
                if consumer in by_row:
                    self.partials[(by_row[consumer], term.position)] = (term.partial, term.partial_value)
        return rows, names

    # ----------------------------------------------------------------- paths
    def _find(self, wanted: Any, what: str) -> Tensor:
        if isinstance(wanted, Tensor):
            if any(t is wanted for t in self.kept):
                return wanted
            raise ValueError(f"path: the {what} tensor is not in the picture (it is not part of this graph, or "
                             f"more than max_nodes={self.max_nodes} tensors are nearer the output)")
        found = [t for t in self.kept if wanted in (self.labels.name(t), self.labels.rows.get(id(t)))]
        if len(found) != 1:
            how_many = "no" if not found else "more than one"
            raise ValueError(f"path: {how_many} tensor in the picture is named {wanted!r}")
        return found[0]

    def _path(self, path: Any) -> dict[str, Any]:
        start, end = (path, self.roots[0]) if not isinstance(path, (tuple, list)) else tuple(path)
        x, y = self._find(start, "first"), self._find(end, "second")
        readers: dict[int, list[tuple[Tensor, int]]] = {}
        for t in self.kept:
            for i, a in enumerate(t._inputs or ()):
                if isinstance(a, Tensor):
                    readers.setdefault(id(a), []).append((t, i))
        reach_y = {id(y)}
        for t in sorted(self.kept, key=lambda t: -t._seq):  # consumers are recorded after their inputs
            if id(t) in reach_y:
                reach_y.update(id(a) for a in (t._inputs or ()) if isinstance(a, Tensor))
        if id(x) not in reach_y:
            raise ValueError(f"path: {self._shown(y)} does not depend on {self._shown(x)}")
        from_x, stack = {id(x)}, [x]
        while stack:
            for consumer, _ in readers.get(id(stack.pop()), []):
                if id(consumer) not in from_x and id(consumer) in reach_y:
                    from_x.add(id(consumer))
                    stack.append(consumer)
        edges = {(id(c), i) for key in from_x for c, i in readers.get(key, []) if id(c) in from_x}
        return {"x": x, "y": y, "tensors": from_x, "edges": edges, "readers": readers}

    def _shown(self, t: Tensor) -> str:
        """A tensor's name in the path sum: its own, else y for the output (as explain calls it), else its row."""
        if self.labels.name(t):
            return str(self.labels.name(t))
        if t is self.roots[0]:
            return "y"
        row = self.labels.rows.get(id(t))
        return pretty_name(row) if row else "t"

    def _path_sum(self) -> str:
        """∂y/∂x as the chain rule's sum over paths of products of edge partials, with the numbers."""
        p = self.path
        x, y = p["x"], p["y"]
        head = f"∂{self._shown(y)}/∂{self._shown(x)}"
        paths: list[list[float]] = []
        total = 0.0

        def extend(t: Tensor, factors: list[float]) -> None:
            nonlocal total
            if t is y:
                paths.append(factors)
                total += float(np.prod(factors)) if factors else 1.0
                return
            for consumer, i in p["readers"].get(id(t), []):
                if (id(consumer), i) in p["edges"]:
                    value = self.partials.get((id(consumer), i), ("", None))[1]
                    if value is None or np.size(value) != 1:
                        raise LookupError
                    extend(consumer, [float(np.real(np.asarray(value).reshape(-1)[0])), *factors])

        count = _count_paths(x, y, p)
        if count > 1000:
            return f"{head}: {count} paths from {self._shown(x)} to {self._shown(y)} (highlighted)"
        try:
            extend(x, [])
        except LookupError:
            return f"{head}: every path from {self._shown(x)} to {self._shown(y)} is highlighted " \
                   "(the sum with numbers is shown for scalar graphs)"
        self.path_value = total
        products = [" · ".join(_factor(v) for v in factors) or "1" for factors in paths[:8]]
        more = f" + … ({len(paths) - 8} more)" if len(paths) > 8 else ""
        plural = "s" if len(paths) > 1 else ""
        return (f"{head} = Σ over {len(paths)} path{plural} of the product of the partials on its edges\\n"
                f"= {' + '.join(products)}{more} = {total:.6g}")

    # ----------------------------------------------------------------- the picture
    def run(self) -> Drawing:
        graph = GraphPicture(name="autodiff", graph_attr={
            "rankdir": self.rankdir, "fontname": "Helvetica", "fontsize": "11", "nodesep": "0.25",
            "ranksep": "0.35", "bgcolor": "white"},
            node_attr={"fontname": "Helvetica", "fontsize": "10", "style": "filled", "penwidth": "1"},
            edge_attr={"arrowsize": "0.6", "color": "#555555", "fontname": "Helvetica", "fontsize": "9"})
        ids = {id(t): f"t{i}" for i, t in enumerate(self.kept)}
        root_ids = {id(r) for r in self.roots}
        clusters = assign_clusters(self.kept, self.owners)
        on_path = self.path["tensors"] if self.path else set()
        path_edges = self.path["edges"] if self.path else set()
        boxes: dict[str, list[tuple[str, dict[str, str]]]] = {}
        edges: list[tuple[str, str, dict[str, str]]] = []
        drawn_edges: list[tuple[str, Tensor | None, Tensor, int]] = []
        released = False
        constants = 0
        for t in self.kept:
            node = ids[id(t)]
            box = boxes.setdefault(clusters.get(id(t), ""), [])
            box.append((node, {**self.labels.tensor_node(t, id(t) in root_ids, id(t) in on_path), "id": node}))
            if t._op is None:
                continue
            box.append((node + "op", {**self.labels.op_node(t, id(t) in on_path), "id": node + "op"}))
            edges.append((node + "op", node, {"id": f"e_{node}", **_highlight(id(t) in on_path)}))
            drawn_edges.append((f"e_{node}", None, t, -1))
            if t._inputs is None:  # released by a backward without retain_graph, and not kept
                released = True
                edges.append(("released", node + "op", {"style": "dashed", "color": "#c04040"}))
                continue
            for i, a in enumerate(t._inputs):
                edge_id = f"e_{node}_{i}"
                attrs = {"id": edge_id, **_highlight((id(t), i) in path_edges)}
                if (id(t), i) in self.partials and (self.show_partials or self.path is not None):
                    attrs["label"] = partial_text(*self.partials[(id(t), i)])
                if isinstance(a, Tensor):
                    drawn = id(a) in ids
                    if not drawn:
                        attrs["style"] = "dashed"
                    edges.append((ids[id(a)] if drawn else "hidden", node + "op", attrs))
                    drawn_edges.append((edge_id, a if drawn else None, t, i))
                else:
                    constant = f"c{constants}"
                    constants += 1
                    box.append((constant, {**self.labels.constant_node(a), "id": constant}))
                    edges.append((constant, node + "op", attrs))
                    drawn_edges.append((edge_id, None, t, i))
        for path, nodes in boxes.items():
            if path:
                with graph.subgraph(name=f"cluster_{len(path)}_{path}") as cluster:
                    cluster.attr(label=self.module_labels.get(path, path), style="rounded,filled", fillcolor="#fbf8ef",
                                 color="#c8b27a", fontname="Helvetica", fontsize="11", labeljust="l")
                    for name, attrs in nodes:
                        cluster.node(name, **attrs)
            else:
                for name, attrs in nodes:
                    graph.node(name, **attrs)
        if self.hidden:
            more = f"... {self.hidden} more tensor{'s' * (self.hidden > 1)} not drawn\\n(max_nodes={self.max_nodes})"
            graph.node("hidden", more, shape="box", style="dashed,filled", fillcolor=STYLE["hidden"],
                       fontcolor="#555555")
        if released:
            graph.node("released", RELEASED_NOTE, shape="note", fillcolor=STYLE["released"], fontcolor="#802020")
        for tail, head, attrs in edges:
            graph.edge(tail, head, **attrs)
        path_text = self._path_sum() if self.path else ""
        lines = [self.title or "", path_text, *self.notes]
        if released:
            lines.append("(part of this graph was released by backward(); use backward(retain_graph=True) to keep it)")
        caption = "\\n".join(line for line in lines if line)
        if caption:
            graph.attr(label=caption, labelloc="b", fontsize="11")
        return Drawing(graph, ids, self.kept, drawn_edges, self.explanation, self.labels, self.notes, path_text,
                       self.path_value)


def reopened_graphs(roots: list[Tensor]) -> list[engine.KeptGraph]:
    return list({id(k): k for k in (engine.kept_graph(r) for r in roots) if k is not None}.values())


def _highlight(on: bool) -> dict[str, str]:
    return {"color": PATH_COLOR, "penwidth": "2", "fontcolor": PATH_COLOR} if on else {}


def _factor(value: float) -> str:
    text = number(value)
    return f"({text})" if text.startswith("-") else text


def _count_paths(x: Tensor, y: Tensor, p: dict[str, Any]) -> int:
    counts: dict[int, int] = {id(y): 1}
    order = sorted((t for t in _tensors_on(p, x)), key=lambda t: -t._seq)
    for t in order:
        if t is y:
            continue
        counts[id(t)] = sum(counts.get(id(c), 0) for c, i in p["readers"].get(id(t), []) if (id(c), i) in p["edges"])
    return counts.get(id(x), 0)


def _tensors_on(p: dict[str, Any], x: Tensor) -> list[Tensor]:
    found, stack = {id(x): x}, [x]
    while stack:
        for consumer, _ in p["readers"].get(id(stack.pop()), []):
            if id(consumer) in p["tensors"] and id(consumer) not in found:
                found[id(consumer)] = consumer
                stack.append(consumer)
    return list(found.values())


# ----------------------------------------------------------------------------- walking the graph
def inputs(t: Tensor) -> list[Tensor]:
    return [a for a in (t._inputs or ()) if isinstance(a, Tensor)]


def walk(roots: list[Tensor], max_nodes: int) -> list[Tensor]:
    """Tensors breadth first from the roots (nearest the output first), at most ``max_nodes``."""
    seen = {id(r) for r in roots}
    order = list(dict.fromkeys(roots))
    i = 0
    while i < len(order) and len(order) < max_nodes:
        for a in inputs(order[i]):
            if id(a) not in seen:
                seen.add(id(a))
                order.append(a)
        i += 1
    return order[:max_nodes]


def assign_clusters(kept: list[Tensor], owners: dict[int, tuple[str, str]]) -> dict[int, str]:
    """Which layer box each tensor sits in: a parameter in its layer's box, and so is an op that uses
    a parameter of that layer (or something computed from that layer's parameters alone, like W.T)."""
    if not owners:
        return {}
    clusters: dict[int, str] = {}
    params_only: set[int] = set()  # tensors computed from one layer's parameters alone
    kept_ids = {id(t) for t in kept}
    for t in topological(kept, kept_ids):
        if id(t) in owners:
            clusters[id(t)] = owners[id(t)][0]
            params_only.add(id(t))
            continue
        found = inputs(t)
        layer = next((clusters[id(a)] for a in found if id(a) in params_only), None)
        if layer is None:
            continue
        clusters[id(t)] = layer
        if len(found) == len(t._inputs or ()) and all(id(a) in params_only and clusters[id(a)] == layer
                                                        for a in found):
            params_only.add(id(t))
    return clusters


def topological(kept: list[Tensor], kept_ids: set[int]) -> list[Tensor]:
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
            stack.extend((a, False) for a in inputs(t) if id(a) in kept_ids and id(a) not in done)
    return order


def module_table(model: Any) -> tuple[dict[int, tuple[str, str]], dict[str, str]]:
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
    """(group, name, tensor) for every parameter of ``model`` (see ``module_table``)."""
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


def as_list(roots: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(roots, Tensor):
        return [roots]
    if not isinstance(roots, Iterable):
        raise TypeError("expected a Tensor (or a list of Tensors) whose history to draw, "
                        f"got {type(roots).__name__}")
    return list(roots)
