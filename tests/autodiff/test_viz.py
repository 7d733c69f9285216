"""Graph pictures: the DOT text's structure, styles, released graphs, collapsing, layer boxes, rendering."""

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autodiff as ad
from autodiff.viz import DotNotFoundError, draw_graph, retain_grads, save_graph, to_dot

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


def parse_dot(text):
    """{node id: attribute text} and [(tail, head)] from the DOT that graphviz writes (one item a line)."""
    nodes, edges = {}, []
    for line in text.splitlines():
        edge = re.match(r"\s*(\w+) -> (\w+)", line)
        node = re.match(r"\s*(\w+) \[(.*)\]\s*$", line)
        if edge:
            edges.append((edge.group(1), edge.group(2)))
        elif node and node.group(1) not in ("graph", "node", "edge"):
            nodes[node.group(1)] = node.group(2)
    return nodes, edges


def node_with(nodes, fragment):
    found = [n for n, attrs in nodes.items() if fragment in attrs]
    assert len(found) == 1, (fragment, found)
    return found[0]


def tiny():
    x = ad.tensor(1.5, requires_grad=True, name="x")
    y = ad.tensor(-2.0, requires_grad=True, name="y")
    return x, y, x * y + ad.sin(x)


def test_dot_of_a_tiny_expression_has_the_right_nodes_edges_and_labels():
    x, y, f = tiny()
    nodes, edges = parse_dot(to_dot(f))
    ops = {name: node_with(nodes, f"label={name} ") for name in ("multiply", "sin", "add")}
    xs, ys = node_with(nodes, "<b>x</b>"), node_with(nodes, "<b>y</b>")
    tensors = [n for n, attrs in nodes.items() if "shape=box" in attrs]
    assert len(tensors) == 5 and len(nodes) == 8  # x, y, x*y, sin x, the sum; three ops
    assert len(edges) == 8
    assert {(xs, ops["multiply"]), (ys, ops["multiply"]), (xs, ops["sin"])} <= set(edges)
    product = next(head for tail, head in edges if tail == ops["multiply"])
    sine = next(head for tail, head in edges if tail == ops["sin"])
    assert {(product, ops["add"]), (sine, ops["add"])} <= set(edges)
    (out,) = [head for tail, head in edges if tail == ops["add"]]
    assert "penwidth=2.5" in nodes[out]  # the output stands out
    assert f"{np.sin(1.5) - 3.0:.4g}" in nodes[out]  # its value


def test_values_and_gradients_are_shown_on_request():
    x, y, f = tiny()
    retain_grads(f)
    f.backward(retain_graph=True)
    nodes, _ = parse_dot(to_dot(f))
    assert f"grad {-2.0 + np.cos(1.5):.4g}" in nodes[node_with(nodes, "<b>x</b>")]  # df/dx = y + cos x
    assert "grad 1.5" in nodes[node_with(nodes, "<b>y</b>")]
    assert sum("grad 1<" in attrs for attrs in nodes.values()) == 3  # the sum and both its summands
    plain = to_dot(f, show_values=False, show_grads=False)
    assert "grad" not in plain and "1.5" not in plain


def test_leaves_parameters_constants_intermediates_and_ops_look_different():
    class Parameter(ad.Tensor):  # nn.Parameter is recognised by its class name
        __slots__ = ()

    w = Parameter(np.ones(2), requires_grad=True)
    x = ad.tensor([1.0, 2.0], requires_grad=True, name="x")
    data = ad.tensor([3.0, 4.0], name="data")
    out = ((w * x + data) * 2.0).sum()
    nodes, _ = parse_dot(to_dot(out))
    fills = {kind: re.search(r'fillcolor="(#\w+)"', nodes[node_with(nodes, fragment)]).group(1)
             for kind, fragment in [("parameter", "<i>parameter</i>"), ("input", "<b>x</b>"),
                                    ("constant", "<b>data</b>"), ("op", "label=add"),
                                    ("output", "penwidth=2.5")]}
    assert len(set(fills.values())) == 5
    assert "label=2" in to_dot(out)  # the Python constant is drawn beside its op


def test_a_graph_too_big_to_keep_is_drawn_released_with_a_note_saying_how_to_keep_it():
    x = ad.tensor(np.linspace(0.0, 1.0, 3000), requires_grad=True, name="x")  # 24 KB a node: over KEEP_BYTES
    f = (ad.sin(x) * x).sum()
    f.backward()
    text = to_dot(f)
    nodes, edges = parse_dot(text)
    assert "released" in nodes and "retain_graph=True" in nodes["released"] and "1,000 small nodes" in nodes["released"]
    assert ("released", node_with(nodes, "label=sum ")) in edges
    assert "retain_graph=True" in text.split("label=")[-1]  # in the caption too
    g = (ad.sin(x) * x).sum()
    g.backward(retain_graph=True)
    assert "released" not in to_dot(g)


def test_a_small_graph_is_drawn_whole_after_a_plain_backward():
    x, y, f = tiny()
    f.backward()
    nodes, edges = parse_dot(to_dot(f))
    assert "released" not in nodes and len(edges) == 8
    assert f"grad {-2.0 + np.cos(1.5):.4g}" in nodes[node_with(nodes, "<b>x</b>")]
    assert sum("grad 1<" in attrs for attrs in nodes.values()) == 3  # the output, and both summands


def test_max_nodes_keeps_the_tensors_nearest_the_output_and_sums_up_the_rest():
    x = ad.tensor(0.1, requires_grad=True, name="x")
    h = x
    for _ in range(50):
        h = ad.tanh(h)
    nodes, edges = parse_dot(to_dot(h, max_nodes=10))
    assert sum("shape=box" in attrs and "dashed" not in attrs for attrs in nodes.values()) == 10
    assert "41 more tensors" in nodes["hidden"] and "max_nodes=10" in nodes["hidden"]
    assert sum(tail == "hidden" for tail, _ in edges) == 1
    assert "<b>x</b>" not in to_dot(h, max_nodes=10)


def test_a_long_chain_is_walked_without_recursion():
    h = x = ad.tensor(0.5, requires_grad=True)
    for _ in range(5000):
        h = h * 1.0
    assert "4881 more tensors" in to_dot(h)  # 5001 tensors, 120 drawn
    retain_grads(h)
    h.backward()
    assert x.grad.item() == 1.0


class FakeLinear:
    """Duck-typed like nn.Linear: named_parameters(), extra_repr()."""

    def __init__(self, n_in, n_out, rng):
        self.weight = ad.tensor(rng.normal(size=(n_out, n_in)), requires_grad=True)
        self.bias = ad.tensor(np.zeros(n_out), requires_grad=True)

    def __call__(self, x):
        return x @ self.weight.T + self.bias

    def extra_repr(self):
        return f"in_features={self.weight.shape[1]}, out_features={self.weight.shape[0]}"

    def named_parameters(self):
        return [("weight", self.weight), ("bias", self.bias)]


class FakeMLP:
    def __init__(self, rng):
        self.layers = [FakeLinear(2, 3, rng), FakeLinear(3, 1, rng)]

    def __call__(self, x):
        return self.layers[1](ad.tanh(self.layers[0](x)))

    def named_modules(self):
        return [("", self)] + [(str(i), layer) for i, layer in enumerate(self.layers)]

    def named_parameters(self):
        return [(f"{i}.{n}", p) for i, layer in enumerate(self.layers) for n, p in layer.named_parameters()]


def clusters_of(text):
    """{cluster label: the node lines inside it}."""
    result = {}
    for block in re.findall(r"subgraph (cluster_\w+) \{(.*?)\n\t\}", text, flags=re.S):
        label = re.search(r'label="([^"]*)"', block[1]).group(1)
        result[label] = block[1]
    return result


def test_model_layers_become_labelled_boxes_holding_their_parameters_and_ops():
    model = FakeMLP(np.random.default_rng(0))
    out = model(ad.tensor(np.ones((4, 2)), name="X")).sum()
    text = to_dot(out, model=model)
    boxes = clusters_of(text)
    assert set(boxes) == {"0: FakeLinear(in_features=2, out_features=3)",
                          "1: FakeLinear(in_features=3, out_features=1)"}
    first = boxes["0: FakeLinear(in_features=2, out_features=3)"]
    for fragment in ("<b>0.weight</b>", "<b>0.bias</b>", "label=transpose", "label=matmul", "label=add"):
        assert fragment in first
    assert "tanh" not in "".join(boxes.values()) and "<b>X</b>" not in "".join(boxes.values())
    assert "1.weight" in boxes["1: FakeLinear(in_features=3, out_features=1)"]


def test_a_real_nn_model_is_drawn_with_one_box_per_linear_layer():
    import nn

    if not hasattr(nn, "Linear") or not hasattr(nn, "Sequential"):
        pytest.skip("nn.Linear / nn.Sequential have not landed yet")
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    out = model(ad.tensor(np.ones((3, 2)))).sum()
    boxes = clusters_of(to_dot(out, model=model))
    assert len(boxes) == 2 and all("Linear" in label for label in boxes)
    assert all("weight</b>" in body and "bias</b>" in body for body in boxes.values())


@pytest.mark.parametrize("kwargs, error, fragment", [
    ({"rankdir": "sideways"}, ValueError, "rankdir"),
    ({"max_nodes": 0}, ValueError, "max_nodes"),
    ({"model": object()}, TypeError, "named_parameters"),
])
def test_bad_arguments_are_refused(kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        draw_graph(tiny()[2], **kwargs)


def test_root_must_be_a_tensor():
    with pytest.raises(TypeError, match="Tensor"):
        draw_graph(3.0)


def test_names_are_escaped():
    x = ad.tensor(1.0, requires_grad=True, name='<b>&"q"')
    text = to_dot(x * 2.0)
    assert "&lt;b&gt;&amp;&quot;q&quot;" in text


@needs_dot
def test_dot_renders_the_dot_text_to_svg(tmp_path):
    x, y, f = tiny()
    retain_grads(f)
    f.backward(retain_graph=True)
    svg = subprocess.run(["dot", "-Tsvg"], input=to_dot(f, title="f = x*y + sin x"), capture_output=True,
                         text=True, check=True).stdout
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = "".join(root.itertext())
    assert "multiply" in texts and "sin" in texts and "grad" in texts
    written = save_graph(draw_graph(f), tmp_path / "graph.svg")
    assert ET.parse(written).getroot().tag.endswith("svg")
    png = save_graph(draw_graph(f), tmp_path / "graph.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_without_dot_svg_is_drawn_by_the_built_in_renderer(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    x, y, f = tiny()
    graph = draw_graph(f)
    svg = graph.pipe(format="svg")
    assert b"built-in layout" in svg and ET.fromstring(svg).tag.endswith("svg")
    assert ET.parse(save_graph(graph, tmp_path / "g.svg")).getroot().tag.endswith("svg")
    assert save_graph(graph, tmp_path / "g.dot").read_text().startswith("digraph")
    with pytest.raises(DotNotFoundError, match="apt-get install graphviz"):
        graph.pipe(format="plain")  # a format only Graphviz writes
    with pytest.raises(ValueError, match="format"):
        save_graph(graph, tmp_path / "g.txt")
    bundle = graph._repr_mimebundle_()
    assert ET.fromstring(bundle["image/svg+xml"]).tag.endswith("svg")


def test_without_dot_png_and_pdf_come_from_matplotlib(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("PATH", str(tmp_path))
    graph = draw_graph(tiny()[2])
    assert save_graph(graph, tmp_path / "g.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert save_graph(graph, tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    written = graph.render(tmp_path / "rendered", format="svg")
    assert written.endswith("rendered.svg") and ET.parse(written).getroot().tag.endswith("svg")


def test_without_dot_or_matplotlib_png_says_how_to_get_either(tmp_path, monkeypatch):
    import autodiff.plot

    monkeypatch.setenv("PATH", str(tmp_path))

    def no_matplotlib(*args, **kwargs):
        raise ImportError("no matplotlib here")

    monkeypatch.setattr(autodiff.plot, "layout_picture", no_matplotlib)
    with pytest.raises(DotNotFoundError, match="matplotlib.*graphviz"):
        save_graph(draw_graph(tiny()[2]), tmp_path / "g.png")


@needs_dot
def test_the_picture_shows_inline_in_jupyter():
    bundle = draw_graph(tiny()[2])._repr_mimebundle_()
    assert ET.fromstring(bundle["image/svg+xml"]).tag.endswith("svg")
