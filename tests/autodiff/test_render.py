"""The built-in renderer (no Graphviz): reading DOT, the layered layout, SVG and matplotlib pictures."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autodiff as ad
from autodiff import dotparse, layout, render, svg
from autodiff.viz import draw_graph

SVG = "{http://www.w3.org/2000/svg}"


def test_dot_reader_follows_what_graphviz_writes():
    text = draw_graph(ad.tanh(ad.tensor(1.0, requires_grad=True, name='a "b"') * 2.0), title="t\\nu").source
    graph = dotparse.parse(text)
    assert graph.name == "autodiff" and graph.attrs["rankdir"] == "LR" and graph.attrs["label"] == "t\\nu"
    assert len(graph.nodes) == 6 and len(graph.edges) == 5  # a, a*2, tanh; two ops; the constant 2
    named = [n for n in graph.nodes.values() if "a &quot;b&quot;" in n.attrs["label"]]
    assert len(named) == 1
    lines = dotparse.label_lines(named[0])
    assert lines[0][0].text == 'a "b"' and lines[0][0].bold and lines[1][0].size == 9
    assert graph.nodes["t0"].attrs["fontname"] == "Helvetica"  # the node defaults apply


@pytest.mark.parametrize("text, message", [
    ("digraph { a -> subgraph s { b } }", "subgraphs"),
    ("digraph { a:p -> b }", "ports"),
    ("digraph { a -> b ", "not closed"),
    ("graph { a [label=<x> }", "expected"),
    ("tree { }", "digraph"),
])
def test_dot_reader_refuses_what_it_does_not_follow(text, message):
    with pytest.raises(dotparse.DotSyntaxError, match=message):
        dotparse.parse(text)


def test_plain_labels_break_lines_and_name_the_node():
    graph = dotparse.parse('digraph { a [label="one\\ntwo\\l"]; b }')
    assert [[s.text for s in line] for line in dotparse.label_lines(graph.nodes["a"])] == [["one"], ["two"]]
    assert [[s.text for s in line] for line in dotparse.label_lines(graph.nodes["b"])] == [["b"]]


def boxes_overlap(a, b):
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_layout_ranks_follow_the_edges_and_nodes_never_overlap(rankdir):
    rng = np.random.default_rng(1)
    items = [layout.Item(f"n{i}", float(rng.uniform(20, 90)), float(rng.uniform(15, 40))) for i in range(30)]
    links = [layout.Link(f"n{j}", f"n{i}") for i in range(1, 30) for j in rng.choice(i, size=min(i, 2), replace=False)]
    placed = layout.layout(items, links, rankdir=rankdir)
    axis, sign = {"LR": (0, 1), "RL": (0, -1), "TB": (1, 1), "BT": (1, -1)}[rankdir]
    for link in links:
        assert sign * (placed.positions[link.head][axis] - placed.positions[link.tail][axis]) > 0
    corners = {it.name: (placed.positions[it.name][0] - it.width / 2, placed.positions[it.name][1] - it.height / 2,
                         placed.positions[it.name][0] + it.width / 2, placed.positions[it.name][1] + it.height / 2)
               for it in items}
    names = list(corners)
    assert not [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if boxes_overlap(corners[a], corners[b])]
    assert all(-1e-9 <= x0 and -1e-9 <= y0 and x1 <= placed.width + 1e-9 and y1 <= placed.height + 1e-9
               for x0, y0, x1, y1 in corners.values())


def test_layout_survives_cycles_self_loops_and_an_empty_graph():
    placed = layout.layout([layout.Item(n, 30, 20) for n in "abc"],
                           [layout.Link("a", "b"), layout.Link("b", "c"), layout.Link("c", "a"), layout.Link("a", "a")])
    assert len(placed.routes) == 4 and len(placed.positions) == 3
    assert layout.layout([], []).positions == {}


def test_isotonic_placement_keeps_order_and_separation():
    xs = layout._place([5.0, 0.0, 10.0, 10.0], [1.0, 1.0, 1.0, 8.0], [0.0, 2.0, 2.0, 3.0])
    assert all(b - a >= gap - 1e-12 for a, b, gap in zip(xs, xs[1:], [2.0, 2.0, 3.0]))
    assert xs[3] == pytest.approx(10.0, abs=0.5)  # the heavy node stays nearest where it wants to be


def network():
    rng = np.random.default_rng(0)
    W1 = ad.tensor(rng.normal(size=(2, 3)), requires_grad=True, name="W1")
    W2 = ad.tensor(rng.normal(size=(3, 1)), requires_grad=True, name="W2")
    out = (ad.tanh(ad.tensor(np.ones((4, 2)), name="X") @ W1) @ W2).sum()
    return out, {"layer 1": [W1], "layer 2": [W2]}


def test_svg_has_every_node_and_edge_with_its_id_text_and_styles():
    out, model = network()
    out.backward()
    text = render.render(draw_graph(out, model=model, title="net", show_partials=True).source, "svg").decode()
    root = ET.fromstring(text)
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g")}
    nodes = [g for g in groups.values() if g.get("class") == "node"]
    edges = [g for g in groups.values() if g.get("class") == "edge"]
    clusters = [g for g in groups.values() if g.get("class") == "cluster"]
    assert len(nodes) == 11 and len(edges) == 10 and len(clusters) == 2
    assert {"t0", "t0op", "e_t0", "e_t0_0"} <= set(groups)
    words = " ".join(root.itertext())
    assert "W1" in words and "grad" in words and "layer 2" in words and "net" in words and "v̄₃ @ v₀ᵀ" in words
    assert any(r.get("rx") for r in root.iter(f"{SVG}rect"))  # parameters are rounded boxes


def test_png_pdf_and_jpeg_come_from_matplotlib():
    pytest.importorskip("matplotlib")
    source = draw_graph(network()[0]).source
    assert render.render(source, "png").startswith(b"\x89PNG")
    assert render.render(source, "pdf").startswith(b"%PDF")
    assert render.render(source, "jpg").startswith(b"\xff\xd8")
    with pytest.raises(render.DotNotFoundError):
        render.render(source, "plain")


def test_text_widths_follow_helvetica():
    assert svg.text_width("iiii", 10) < svg.text_width("MMMM", 10)
    assert svg.text_width("v̄₃", 10) == pytest.approx(svg.text_width("v", 10) + 3.6)  # the accent takes no room
    assert svg.text_width("ab", 10, bold=True) > svg.text_width("ab", 10)
