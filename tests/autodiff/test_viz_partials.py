"""Edge partials and the chain rule over paths in graph pictures (draw_graph(show_partials=True, path=...))."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.expr import parse
from autodiff.viz import draw_graph, to_dot
from autodiff.viz_build import build
from tests.autodiff.test_explain import formulas


def edge_labels(text):
    """{edge id: label} of the edges that carry one."""
    found = {}
    for line in text.splitlines():
        if "->" in line and "label=" in line:
            label = re.search(r'label=("[^"]*"|\S+)', line).group(1).strip('"')
            found[re.search(r"id=(\w+)", line).group(1)] = label
    return found


def test_scalar_edges_show_the_numbers_of_the_local_partials():
    x = ad.tensor(1.5, requires_grad=True, name="x")
    y = ad.tensor(-2.0, requires_grad=True, name="y")
    f = x * y + ad.sin(x)
    labels = edge_labels(to_dot(f, show_partials=True))
    # ids: t0 = f (add), t1 = x*y, t2 = sin x; e_<node>_<input position>
    assert labels == {"e_t0_0": "1", "e_t0_1": "1", "e_t1_0": "-2", "e_t1_1": "1.5",
                      "e_t2_0": f"{math.cos(1.5):.4g}"}
    assert "label=" not in "".join(line for line in to_dot(f).splitlines() if "->" in line)  # off by default


def test_array_edges_show_the_rules_and_boxes_their_rows():
    W = ad.tensor(np.ones((3, 2)), requires_grad=True, name="W")
    x = ad.tensor(np.arange(3.0), requires_grad=True, name="x")
    loss = ad.tanh(x @ W).sum()
    text = to_dot(loss, show_partials=True)
    labels = set(edge_labels(text).values())
    assert "1 − v₂²" in labels  # tanh's partial, elementwise
    assert {"v̄₁ @ v₀ᵀ", "v₋₁ᵀ @ v̄₁"} <= labels  # matmul's VJPs, with the adjoint of its output
    assert "v₋₁" in text and "v₀" in text  # the rows of ad.explain's tables, beside the names


def test_a_path_is_highlighted_and_its_chain_rule_sum_written_under_the_picture():
    x = ad.tensor(1.5, requires_grad=True, name="x")
    y = ad.tensor(-2.0, requires_grad=True, name="y")
    f = x * y + ad.sin(x)
    drawing = build(f, path=(x, f))
    text = drawing.picture.source
    caption = text.split("label=")[-1]
    assert "∂y/∂x = Σ over 2 paths" in caption
    assert f"= 1 · -2 + 1 · {math.cos(1.5):.4g}".replace("-2", "(-2)") in caption
    assert drawing.path_value == pytest.approx(-2.0 + math.cos(1.5), rel=1e-15)
    red = [line for line in text.splitlines() if "->" in line and "#d62728" in line]
    assert len(red) == 7  # x -> multiply -> x*y -> add, x -> sin -> sin x -> add, add -> f
    assert not any("t4 ->" in line for line in red)  # y is not on a path from x
    assert "path" not in to_dot(f)  # no path, no sum
    assert draw_graph(f, path="x").source.split("label=")[-1] == caption  # by name; y defaults to the output


def test_path_errors_say_what_is_wrong():
    x = ad.tensor(1.0, requires_grad=True, name="x")
    y = ad.tensor(2.0, requires_grad=True, name="y")
    h = x * 2.0
    f = h + y
    with pytest.raises(ValueError, match="not in the picture"):
        draw_graph(f, path=(ad.tensor(1.0, requires_grad=True), f))
    with pytest.raises(ValueError, match="does not depend"):
        draw_graph(f, path=(y, h))
    with pytest.raises(ValueError, match="named 'nope'"):
        draw_graph(f, path="nope")


def test_array_paths_are_highlighted_without_numbers():
    x = ad.tensor(np.ones(3), requires_grad=True, name="x")
    loss = (ad.exp(x) * x).sum()
    caption = to_dot(loss, path=x).split("label=")[-1]
    assert "highlighted" in caption and "scalar graphs" in caption


@settings(max_examples=60, deadline=None)
@given(text=formulas(), point=st.tuples(*[st.floats(0.15, 0.85)] * 3))
def test_the_sum_over_paths_is_the_gradient(text, point):
    expression = parse(text)
    names = expression.variables
    if not names:
        return
    inputs = [ad.tensor(point[i], requires_grad=True, name=n) for i, n in enumerate(names)]
    with np.errstate(all="ignore"):
        out = expression(*inputs)
        if not isinstance(out, ad.Tensor) or out is inputs[0] or not out.requires_grad:
            return
        grads = ad.gradients(out, inputs, retain_graph=True, allow_unused=True)
        for x, g in zip(inputs, grads):
            if g is None or not np.isfinite(float(g)) or not any(t is x for t in _tensors(out)):
                continue
            value = build(out, path=(x, out)).path_value
            if value is not None and np.isfinite(value):
                np.testing.assert_allclose(value, float(g), rtol=1e-12, atol=1e-13)


def _tensors(out):
    from autodiff.viz_build import walk

    return walk([out], 2**62)
