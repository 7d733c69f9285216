"""SVG from DOT text without Graphviz: the built-in renderer (``autodiff.layout`` places the nodes).

It draws what ``draw_graph`` uses, in the shapes and styles Graphviz gives them: boxes (rounded,
dashed), ellipses, notes, plain text, HTML-like labels of rows (bold, italic, coloured, sized
text), edge labels, clusters with their labels, the graph's caption, fill and pen colours and
widths. Its SVG is laid out like Graphviz's (``<g class="node" id=...><title>name</title>...``), so
the interactive page treats both alike. Text is measured with Helvetica's widths.

>>> svg = to_svg(dot.parse('digraph { a [shape=box label="x"]; a -> b }'))
>>> svg.startswith("<?xml") and svg.count('class="node"'), svg.count('class="edge"')
(2, 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from . import dotparse as dot
from .layout import Item, Layout, Link, layout

# Helvetica's advance widths (thousandths of an em) for the printable ASCII characters, from its AFM file
_HELVETICA = [int(w) for w in (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 556 "
    "278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 667 778 722 667 "
    "611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 556 222 222 500 222 833 "
    "556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584").split()]
FONT = "Helvetica,Arial,sans-serif"
_BOXES = {"box", "rect", "rectangle", "square", "note", "tab", "folder", "component", "record", "Mrecord"}
_PLAIN = {"plaintext", "plain", "none", "underline"}
_POINTS = 72.0  # Graphviz's sizes are in inches


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width in points of ``text`` set in Helvetica at ``size`` points."""
    total = 0
    for c in text:
        code = ord(c)
        if 32 <= code < 127:
            total += _HELVETICA[code - 32]
        elif 0x300 <= code < 0x370:  # combining accents (v̄) take no room
            continue
        elif 0x2070 <= code < 0x20A0:  # super- and subscript digits
            total += 360
        else:
            total += 600
    return total * size / 1000 * (1.06 if bold else 1.0)


class _Node:
    """A node's label lines and its size, shape and style."""

    def __init__(self, node: dot.DotNode) -> None:
        attrs = node.attrs
        self.name, self.attrs = node.name, attrs
        self.shape = attrs.get("shape", "ellipse")
        self.size = float(attrs.get("fontsize", 14))
        self.lines = dot.label_lines(node)
        self.style = {s.strip() for s in attrs.get("style", "").split(",") if s.strip()}
        text_w = max((self.line_width(line) for line in self.lines), default=0.0)
        text_h = sum(self.line_height(line) for line in self.lines)
        min_w = float(attrs.get("width", 0.75)) * _POINTS
        min_h = float(attrs.get("height", 0.5)) * _POINTS
        if self.shape in _BOXES or self.shape in _PLAIN:
            margin = (0, 0) if self.shape == "plain" else (16, 8)
            self.width = max(text_w + margin[0], 0 if self.shape == "plain" else min_w)
            self.height = max(text_h + margin[1], 0 if self.shape == "plain" else min_h)
        else:  # an ellipse around the text's box
            self.width = max((text_w + 16) * math.sqrt(2), min_w)
            self.height = max((text_h + 8) * math.sqrt(2), min_h)

    def span_size(self, span: dot.Span) -> float:
        return span.size or self.size

    def line_width(self, line: list[dot.Span]) -> float:
        return sum(text_width(s.text, self.span_size(s), s.bold) for s in line) + 3 * (len(line) - 1)

    def line_height(self, line: list[dot.Span]) -> float:
        return 1.2 * max(self.span_size(s) for s in line)

    def clip(self, centre: tuple[float, float], toward: tuple[float, float]) -> tuple[float, float]:
        """Where the line from the centre toward a point leaves the node's outline."""
        (x, y), (tx, ty) = centre, toward
        dx, dy = tx - x, ty - y
        if dx == 0 and dy == 0:
            return centre
        w, h = self.width / 2, self.height / 2
        if self.shape in _BOXES or self.shape in _PLAIN:
            scale = min(w / abs(dx) if dx else math.inf, h / abs(dy) if dy else math.inf)
        else:
            scale = 1 / math.sqrt((dx / w) ** 2 + (dy / h) ** 2)
        return x + dx * min(scale, 1.0), y + dy * min(scale, 1.0)


@dataclass
class Scene:
    """A graph laid out: its nodes (with their sizes), the layout, edge and cluster labels, the caption."""

    graph: dot.DotGraph
    nodes: dict[str, _Node]
    placed: Layout
    edge_labels: list[tuple[list[list[dot.Span]], float]]
    cluster_sizes: dict[str, float]
    caption: list[list[dot.Span]]
    caption_size: float
    width: float
    height: float
    dx: float  # where the layout's origin is in the picture
    dy: float


def arrange(graph: dot.DotGraph) -> Scene:
    """Measure every label and lay the graph out."""
    gattrs = graph.attrs
    nodes = {name: _Node(node) for name, node in graph.nodes.items()}
    cluster_sizes = {name: float(c.attrs.get("fontsize", 14)) for name, c in graph.clusters.items()}
    cluster_labels = {}
    for name, c in graph.clusters.items():
        lines = dot.label_lines(label=c.attrs.get("label", ""))
        size = cluster_sizes[name]
        cluster_labels[name] = (max((_width(line, size) for line in lines), default=0.0) + 16, 1.2 * size * len(lines))
    links, edge_labels = [], []
    for edge in graph.edges:
        lines = dot.label_lines(label=edge.attrs.get("label", ""))
        size = float(edge.attrs.get("fontsize", 14))
        edge_labels.append((lines, size))
        label = (max(_width(line, size) for line in lines) + 4, 1.2 * size * len(lines)) if lines else None
        links.append(Link(edge.tail, edge.head, label))
    placed = layout([Item(n.name, n.width, n.height, graph.nodes[n.name].cluster) for n in nodes.values()], links,
                    gattrs.get("rankdir", "TB"), nodesep=float(gattrs.get("nodesep", 0.25)) * _POINTS,
                    ranksep=float(gattrs.get("ranksep", 0.5)) * _POINTS,
                    cluster_parents={name: c.parent for name, c in graph.clusters.items()},
                    cluster_labels=cluster_labels)
    caption = dot.label_lines(label=gattrs.get("label", ""))
    caption_size = float(gattrs.get("fontsize", 14))
    caption_h = 1.2 * caption_size * len(caption) + (6 if caption else 0)
    caption_w = max((_width(line, caption_size) for line in caption), default=0.0)
    margin = 4.0
    width = max(placed.width, caption_w) + 2 * margin
    height = placed.height + caption_h + 2 * margin
    top = caption_h if gattrs.get("labelloc", "b") == "t" else 0.0
    return Scene(graph, nodes, placed, edge_labels, cluster_sizes, caption, caption_size, width, height,
                 margin + max(0.0, (caption_w - placed.width) / 2), margin + top)


def caption_lines(scene: Scene) -> list[tuple[float, float, list[dot.Span]]]:
    """(x, baseline, line) of every line of the caption, centred (at the top or the bottom)."""
    size = scene.caption_size
    top = scene.graph.attrs.get("labelloc", "b") == "t"
    y = (4 + 1.2 * size * 0.8) if top else (scene.height - 4 - 1.2 * size * len(scene.caption) + 0.8 * size)
    found = []
    for line in scene.caption:
        found.append((scene.width / 2, y, line))
        y += 1.2 * size
    return found


def edge_curve(scene: Scene, k: int) -> tuple[list[list[tuple[float, float]]], list[tuple[float, float]]]:
    """Edge k as cubic Bézier segments (clipped at the nodes) and its arrowhead's three corners."""
    edge, route = scene.graph.edges[k], scene.placed.routes[k]
    points = list(route)
    points[0] = scene.nodes[edge.tail].clip(points[0], points[1])
    points[-1] = scene.nodes[edge.head].clip(points[-1], points[-2])
    across = scene.placed.rankdir in ("LR", "RL")
    arrow = 10 * float(edge.attrs.get("arrowsize", 1))
    segments = []
    for a, b in zip(points, points[1:]):
        reach = 0.5 * ((b[0] - a[0]) if across else (b[1] - a[1]))
        c1 = (a[0] + reach, a[1]) if across else (a[0], a[1] + reach)
        c2 = (b[0] - reach, b[1]) if across else (b[0], b[1] - reach)
        segments.append([a, c1, c2, b])
    end, before = segments[-1][3], segments[-1][2]
    if before == end:
        before = segments[-1][0]
    length = math.dist(before, end) or 1.0
    ux, uy = (end[0] - before[0]) / length, (end[1] - before[1]) / length
    base = (end[0] - ux * arrow, end[1] - uy * arrow)
    segments[-1][3] = base
    if math.dist(segments[-1][2], end) < arrow:
        segments[-1][2] = base
    wing = arrow * 0.35
    head = [end, (base[0] - uy * wing, base[1] + ux * wing), (base[0] + uy * wing, base[1] - ux * wing)]
    return segments, head


def to_svg(graph: dot.DotGraph) -> str:
    """The SVG picture of a parsed DOT graph."""
    scene = arrange(graph)
    gattrs = graph.attrs
    width, height = scene.width, scene.height
    out = Writer(scene.dx, scene.dy)
    out.raw('<?xml version="1.0" encoding="UTF-8" standalone="no"?>')
    out.raw(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}pt" height="{height:.0f}pt" '
            f'viewBox="0.00 0.00 {width:.2f} {height:.2f}">')
    out.raw("<!-- drawn by autodiff's built-in layout: Graphviz's dot program was not found -->")
    out.raw(f'<g id="graph0" class="graph"><title>{escape(graph.name)}</title>')
    background = escape(gattrs.get("bgcolor", "white"))
    out.raw(f'<rect x="0" y="0" width="{width:.2f}" height="{height:.2f}" fill="{background}"/>')
    for i, (name, outline) in enumerate(scene.placed.clusters.items(), start=1):
        out.cluster(i, graph.clusters[name], outline, scene.cluster_sizes[name])
    for k in range(len(graph.edges)):
        out.edge(k, scene)
    for i, node in enumerate(scene.nodes.values(), start=1):
        out.node(i, node, scene.placed.positions[node.name])
    for x, y, line in caption_lines(scene):
        out.text(x - out.dx, y - out.dy, line, scene.caption_size, "middle", gattrs.get("fontcolor", "black"))
    out.raw("</g>\n</svg>")
    return "\n".join(out.parts) + "\n"


def _width(line: list[dot.Span], size: float) -> float:
    return sum(text_width(s.text, s.size or size, s.bold) for s in line) + 3 * (len(line) - 1)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


class Writer:
    """SVG elements, shifted by (dx, dy)."""

    def __init__(self, dx: float, dy: float) -> None:
        self.dx, self.dy = dx, dy
        self.parts: list[str] = []

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def at(self, x: float, y: float) -> tuple[str, str]:
        return _number(x + self.dx), _number(y + self.dy)

    def text(self, x: float, y: float, line: list[dot.Span], size: float, anchor: str, color: str,
             halo: bool = False) -> None:
        sx, sy = self.at(x, y)
        extra = ' stroke="white" stroke-width="3" paint-order="stroke"' if halo else ""
        spans = []
        for i, span in enumerate(line):
            style = []
            if span.bold:
                style.append('font-weight="bold"')
            if span.italic:
                style.append('font-style="italic"')
            if span.color:
                style.append(f'fill="{escape(span.color)}"')
            if span.size and span.size != size:
                style.append(f'font-size="{_number(span.size)}"')
            text = escape((" " if i else "") + span.text)
            spans.append(f"<tspan {' '.join(style)}>{text}</tspan>" if style else text)
        self.raw(f'<text xml:space="preserve" text-anchor="{anchor}" x="{sx}" y="{sy}" font-family="{FONT}" '
                 f'font-size="{_number(size)}" fill="{escape(color)}"{extra}>{"".join(spans)}</text>')

    def cluster(self, i: int, cluster: dot.DotCluster, outline: list[tuple[float, float]], size: float) -> None:
        attrs = cluster.attrs
        style = {s.strip() for s in attrs.get("style", "").split(",")}
        fill = attrs.get("fillcolor", attrs.get("color", "lightgrey")) if "filled" in style else "none"
        join = ' stroke-linejoin="round" stroke-width="1"' if "rounded" in style else ""
        self.raw(f'<g id="{escape(attrs.get("id", f"clust{i}"))}" class="cluster">'
                 f"<title>{escape(cluster.name)}</title>")
        self.raw(f'<polygon points="{" ".join(",".join(self.at(*p)) for p in outline)}" fill="{escape(fill)}" '
                 f'stroke="{escape(attrs.get("pencolor", attrs.get("color", "black")))}"{join}/>')
        x0, y0 = outline[0]
        right = max((x for x, y in outline if abs(y - y0) < 1e-6), default=x0)
        just = attrs.get("labeljust", "c")
        anchor, x = {"l": ("start", x0 + 8), "r": ("end", right - 8)}.get(just, ("middle", (x0 + right) / 2))
        y = y0 + 6 + size
        for line in dot.label_lines(label=attrs.get("label", "")):
            self.text(x, y, line, size, anchor, attrs.get("fontcolor", "black"))
            y += 1.2 * size
        self.raw("</g>")

    def node(self, i: int, node: _Node, centre: tuple[float, float]) -> None:
        attrs, style = node.attrs, node.style
        if "invis" in style:
            return
        classes = " ".join(["node", attrs.get("class", "")]).strip()
        self.raw(f'<g id="{escape(attrs.get("id", f"node{i}"))}" class="{escape(classes)}">'
                 f"<title>{escape(node.name)}</title>")
        x, y = centre
        w, h = node.width, node.height
        color = attrs.get("color", "black")
        fill = attrs.get("fillcolor", attrs.get("color", "lightgrey")) if "filled" in style else "none"
        stroke = f'stroke="{escape(color)}" stroke-width="{_number(_pen(attrs, style))}"{_dashes(style)}'
        if node.shape in _PLAIN:
            if fill != "none":
                sx, sy = self.at(x - w / 2, y - h / 2)
                self.raw(f'<rect x="{sx}" y="{sy}" width="{_number(w)}" height="{_number(h)}" '
                         f'fill="{escape(fill)}" stroke="none"/>')
        elif node.shape == "note":
            fold = 6
            corners = [(x - w / 2, y - h / 2), (x + w / 2 - fold, y - h / 2), (x + w / 2, y - h / 2 + fold),
                       (x + w / 2, y + h / 2), (x - w / 2, y + h / 2)]
            points = " ".join(",".join(self.at(*p)) for p in corners)
            self.raw(f'<polygon points="{points}" fill="{escape(fill)}" {stroke}/>')
        elif node.shape in _BOXES:
            sx, sy = self.at(x - w / 2, y - h / 2)
            rounded = ' rx="5"' if "rounded" in style else ""
            self.raw(f'<rect x="{sx}" y="{sy}" width="{_number(w)}" height="{_number(h)}"{rounded} '
                     f'fill="{escape(fill)}" {stroke}/>')
        else:
            sx, sy = self.at(x, y)
            self.raw(f'<ellipse cx="{sx}" cy="{sy}" rx="{_number(w / 2)}" ry="{_number(h / 2)}" '
                     f'fill="{escape(fill)}" {stroke}/>')
        heights = [node.line_height(line) for line in node.lines]
        baseline = y - sum(heights) / 2
        for line, line_h in zip(node.lines, heights):
            size = max(node.span_size(s) for s in line)
            self.text(x, baseline + 0.8 * line_h, line, size, "middle", attrs.get("fontcolor", "black"))
            baseline += line_h
        self.raw("</g>")

    def edge(self, k: int, scene: Scene) -> None:
        edge = scene.graph.edges[k]
        attrs = edge.attrs
        style = {s.strip() for s in attrs.get("style", "").split(",")}
        if "invis" in style or edge.tail == edge.head:
            return
        color = attrs.get("color", "black")
        classes = " ".join(["edge", attrs.get("class", "")]).strip()
        self.raw(f'<g id="{escape(attrs.get("id", f"edge{k + 1}"))}" class="{escape(classes)}">'
                 f"<title>{escape(edge.tail)}&#45;&gt;{escape(edge.head)}</title>")
        segments, head = edge_curve(scene, k)
        path = "M" + ",".join(self.at(*segments[0][0])) + "".join(
            "C" + " ".join(",".join(self.at(*p)) for p in segment[1:]) for segment in segments)
        pen = f'stroke-width="{_number(_pen(attrs, style))}"'
        self.raw(f'<path fill="none" stroke="{escape(color)}" {pen}{_dashes(style)} d="{path}"/>')
        self.raw(f'<polygon fill="{escape(color)}" stroke="{escape(color)}" {pen} '
                 f'points="{" ".join(",".join(self.at(*p)) for p in head)}"/>')
        lines, size = scene.edge_labels[k]
        for x, y, line in label_lines_at(scene, k):
            self.text(x, y, line, size, "middle", attrs.get("fontcolor", "black"), halo=True)
        self.raw("</g>")


def label_lines_at(scene: Scene, k: int) -> list[tuple[float, float, list[dot.Span]]]:
    """(x, baseline, line) of edge k's label lines, in layout coordinates."""
    lines, size = scene.edge_labels[k]
    if not lines:
        return []
    at = scene.placed.labels[k]
    route = scene.placed.routes[k]
    x, y = at if at is not None else route[len(route) // 2]
    y -= 1.2 * size * (len(lines) - 1) / 2 - 0.35 * size
    found = []
    for line in lines:
        found.append((x, y, line))
        y += 1.2 * size
    return found


def _pen(attrs: dict[str, str], style: set[str]) -> float:
    return float(attrs.get("penwidth", 2 if "bold" in style else 1))


def _dashes(style: set[str]) -> str:
    if "dashed" in style:
        return ' stroke-dasharray="5,2"'
    if "dotted" in style:
        return ' stroke-dasharray="1,5"'
    return ""
