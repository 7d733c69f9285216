"""``graph_page``: one self-contained HTML page that steps through a derivative on its computation graph.

The page holds the graph as SVG (Graphviz's ``dot`` when installed, else the built-in renderer),
the explanation's rows as data, and a little plain JavaScript (``autodiff/static/page.js``, no
library, nothing fetched): Step back / Step forward / Play / Reset walk the primal trace and then
the adjoint (or tangent) trace, highlighting the active node and its edges, while a panel shows the
current row (its formula, the local partials, the numbers). Hovering a node shows its name, shape,
value and gradient. It works opened from disk, with no network.

>>> import autodiff as ad
>>> html = graph_page(ad.explain(lambda x, y: x * y + ad.sin(x), 2.0, 3.0))
>>> html.startswith("<!DOCTYPE html>") and "<svg" in html and "Step forward" in html
True
"""

from __future__ import annotations

import base64
import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .errors import GraphFreedError
from .explain_render import derivative_rows, primal_rows
from .formula import pretty_name, summary
from .tensor import Tensor
from .trace import nodes_before
from .viz_build import Drawing, build, module_table, reopened
from .viz_labels import shape_text, values_text

STATIC = "static"


def static_text(name: str) -> str:
    """A file of the package's static folder (the page's script and style, the server's page)."""
    return resources.files("autodiff").joinpath(STATIC, name).read_text(encoding="utf-8")


def graph_page(root_or_explanation: Any, path: str | Path | None = None, *, title: str | None = None,
               model: Any = None, rankdir: str = "LR", pictures: Any = ()) -> str:
    """One self-contained interactive HTML page of a computation graph and its derivative.

    Args:
        root_or_explanation: an ``Explanation`` (``ad.explain(f, *args)``), or a Tensor whose graph to
            show (explained here: reverse mode for a scalar output, forward mode otherwise). A graph
            released by ``backward()`` is shown as far as it is known, without the steps.
        path: also write the page there.
        title: the page's heading (default: the point, or the output).
        model: group parameters by layer, as ``draw_graph(model=...)`` does.
        rankdir: the graph's direction ("LR", "TB", "RL", "BT").
        pictures: more pictures for the page, as paths (PNG, SVG, JPEG; embedded) or (path, caption).

    Returns the HTML text.

    >>> import autodiff as ad
    >>> x = ad.tensor(2.0, requires_grad=True, name="x")
    >>> "∂y/∂x" in graph_page(x * x)
    True
    """
    explanation, root, notes = _explanation(root_or_explanation, model)
    drawing = build(root, rankdir=rankdir, model=model, show_partials=explanation is not None,
                    explanation=explanation)
    data = page_data(drawing, notes)
    heading = title or data["title"]
    document = render_page(heading, graph_svg(drawing), data, _pictures(pictures))
    if path is not None:
        Path(path).write_text(document, encoding="utf-8")
    return document


def _explanation(given: Any, model: Any = None) -> tuple[Any, Tensor, list[str]]:
    """(the explanation or None, the root to draw, notes for the page). The inputs are named as the picture
    names them (a layer's dotted names, a tensor's own name), else x1, x2..."""
    from .explanation import Explanation, explain  # an Explanation shows itself as this page: a deliberate cycle

    if isinstance(given, Explanation):
        return given, given.value, []
    if not isinstance(given, Tensor):
        raise TypeError(f"graph_page needs a Tensor or an Explanation (ad.explain(...)), got {type(given).__name__}")
    if not given.requires_grad:
        return None, given, ["Nothing to step through: the output does not depend on anything that requires grad."]
    try:
        with reopened([given]):  # a small graph released by a plain backward is kept beside it
            owners = module_table(model)[0]
            leaves = [leaf for leaf in nodes_before([given])[1] if leaf.requires_grad]
            names = [owners[id(x)][1] if id(x) in owners else x.name or f"x{i + 1}" for i, x in enumerate(leaves)]
            return explain(given, mode="reverse" if given.size == 1 else "forward", names=names), given, []
    except GraphFreedError:
        return None, given, ["backward() released this graph, so its steps cannot be shown: build the page before "
                             "backward, or call backward(retain_graph=True)."]


def graph_svg(drawing: Drawing) -> str:
    """The picture as SVG text to put inside a page (no XML prolog)."""
    svg = drawing.picture.pipe(format="svg", encoding="utf-8")
    return svg[svg.index("<svg"):]


def page_data(drawing: Drawing, notes: list[str] | None = None) -> dict[str, Any]:
    """What the page's script needs: the steps, the result, and what to show when a node is hovered."""
    e = drawing.explanation
    labels = drawing.labels
    node_of = {row: drawing.ids[key] for key, row in labels.rows.items() if key in drawing.ids}
    edge_of = {(id(consumer), position): edge for edge, _, consumer, position in drawing.edges}
    nodes = {}
    for t in drawing.tensors:
        node = drawing.ids[id(t)]
        row = labels.rows.get(id(t))
        name = labels.name(t)
        heading = " ".join(part for part in (name, pretty_name(row) if row else None) if part) or labels.kind(t)
        lines = [f"shape {shape_text(t)}", values_text("value ", t.data)]
        grad = labels.gradient(t)
        lines.append(values_text("gradient ", grad) if grad is not None else "gradient: not computed")
        nodes[node] = {"title": heading, "lines": lines}
        if t._op is not None:
            nodes[node + "op"] = {"title": f"op {t._op.name}", "lines": [f"makes {heading}"]}
    data: dict[str, Any] = {"title": "", "steps": [], "result": None, "nodes": nodes,
                            "notes": list(notes or []) + list(drawing.notes)}
    if e is None:
        root = drawing.tensors[0]
        data["title"] = f"{labels.name(root) or 'output'} = {values_text('', root.data)}"
        return data
    by_row = {row: t for t in drawing.tensors if (row := labels.rows.get(id(t)))}
    steps = []
    for step, (label, formula, value) in zip(e.steps, primal_rows(e)):
        node_name = step.name if step.name != "y" else (step.inputs[0] if step.inputs else None)
        t = by_row.get(node_name)
        reads = [node_of[r] for r in step.inputs if r in node_of] if step.op not in ("input", "output") else []
        edges = []
        if t is not None and t._op is not None and step.op not in ("input", "output"):
            edges = [edge_of[(id(t), i)] for i in range(len(t._inputs or ())) if (id(t), i) in edge_of]
            edges.append(edge_of.get((id(t), -1)))
        steps.append({"kind": "primal", "section": "Primal trace", "label": label,
                      "formula": f"{label} {formula}", "numbers": "", "value": value, "terms": [],
                      "node": node_of.get(node_name), "near": reads, "edges": [x for x in edges if x]})
    mode = e.mode
    for row, (symbol, symbolic, numeric, value) in zip(e.adjoints if mode == "reverse" else e.tangents,
                                                      derivative_rows(e)):
        near, edges, terms = [], [], []
        for term in row.terms:
            consumer = by_row.get(term.other if mode == "reverse" else row.name)
            other = node_of.get(term.other)
            if other:
                near.append(other)
            if consumer is not None and (id(consumer), term.position) in edge_of:
                edges.append(edge_of[(id(consumer), term.position)])
            out, wrt = (term.other, row.name) if mode == "reverse" else (row.name, term.other)
            elementwise = consumer is not None and consumer._op.partials is not None
            shown = (f"∂{pretty_name(out)}/∂{pretty_name(wrt)} = {term.partial}" if elementwise
                     else f"{'VJP' if mode == 'reverse' else 'JVP'} of {pretty_name(out)}: {term.partial}")
            terms.append({"partial": shown,
                          "number": summary(term.partial_value) if term.partial_value is not None else ""})
        section = "Adjoint trace (reverse mode)" if mode == "reverse" else "Tangent trace (forward mode)"
        steps.append({"kind": "adjoint" if mode == "reverse" else "tangent", "section": section,
                      "label": symbol, "formula": f"{symbol} {symbolic}", "numbers": numeric, "value": value,
                      "terms": terms, "node": node_of.get(row.name), "near": near, "edges": edges})
    data["steps"] = steps
    data["result"] = _result(e)
    inputs = [s for s in e.steps if s.op == "input"]
    data["title"] = "at " + ", ".join(f"{pretty_name(name)} = {summary(s.value)}"
                                      for name, s in zip(e.input_names, inputs))
    return data


def _result(e: Any) -> dict[str, Any]:
    if e.mode == "reverse":
        items = [{"label": f"∂y/∂{pretty_name(name)}", "text": _exact(g.data), "value": _value(g.data)}
                 for name, g in zip(e.input_names, e.gradient)]
        return {"title": "Gradient (the adjoints of the inputs)", "items": items}
    return {"title": "Directional derivative", "items": [{"label": "ẏ", "text": _exact(e.derivative.data),
                                                          "value": _value(e.derivative.data)}]}


def _exact(value: Any) -> str:
    """A number in full (repr: it reads back to the same float), or an array's summary."""
    array = np.asarray(value)
    if array.size == 1 and np.isrealobj(array):
        return repr(float(array.reshape(-1)[0]))
    return summary(array)


def _value(value: Any) -> float | None:
    array = np.asarray(value)
    return float(array.reshape(-1)[0]) if array.size == 1 and np.isrealobj(array) else None


def _pictures(pictures: Any) -> list[tuple[str, str]]:
    """(data URI, caption) for each picture to embed."""
    kinds = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
    found = []
    for item in pictures:
        path, caption = (item if isinstance(item, (tuple, list)) else (item, Path(item).stem.replace("_", " ")))
        path = Path(path)
        kind = kinds.get(path.suffix.lower())
        if kind is None:
            raise ValueError(f"graph_page: cannot embed {path.name}; pictures are .png, .svg, .jpg or .jpeg")
        found.append((f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}", str(caption)))
    return found


def script_json(data: Any) -> str:
    """JSON to put inside a <script> element (``<`` escaped, so no text can close the element)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, default=str).replace("<", "\\u003c")


def render_page(heading: str, svg: str, data: dict[str, Any], pictures: list[tuple[str, str]]) -> str:
    """The page's HTML, with its style and script inlined."""
    figures = "".join(f'<figure><img src="{uri}" alt="{html.escape(caption)}"><figcaption>{html.escape(caption)}'
                      f"</figcaption></figure>" for uri, caption in pictures)
    template = static_text("page.html")
    parts = {"TITLE": html.escape(heading), "STYLE": static_text("page.css"), "SVG": svg,
             "PICTURES": f'<section class="ad-pictures">{figures}</section>' if figures else "",
             "DATA": script_json(data), "SCRIPT": static_text("page.js")}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], template)


def notebook_html(explanation: Any) -> str:
    """How an Explanation shows in Jupyter: its page in a frame, and its tables (for viewers that run no script)."""
    from .explain_render import as_html

    try:
        page = inline_frame(graph_page(explanation))
    except Exception as error:  # noqa: BLE001 (the tables still show when the picture cannot be made)
        page = f"<p>(no interactive page: {html.escape(f'{type(error).__name__}: {error}')})</p>"
    return f"{page}<details><summary>The tables</summary>{as_html(explanation)}</details>"


def inline_frame(document: str, height: int = 620) -> str:
    """A page inside an iframe (for Jupyter: its script and style stay inside)."""
    return (f'<iframe srcdoc="{html.escape(document, quote=True)}" style="width: 100%; height: {height}px; '
            f'border: 1px solid #ddd; border-radius: 4px" sandbox="allow-scripts"></iframe>')
