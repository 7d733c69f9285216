"""draw_graph(model=...) without nn's classes: anything with named_parameters(), or a mapping of tensors."""

import re

import numpy as np
import pytest

import autodiff as ad
from autodiff.viz import to_dot


def boxes(text):
    """{box label: the DOT text inside it} (graphviz quotes a label only when it must)."""
    return {re.search(r'label=("[^"]*"|\w+)', body).group(1).strip('"'): body
            for body in re.findall(r"subgraph cluster_\w+ \{(.*?)\n\t\}", text, flags=re.S)}


def two_layers():
    rng = np.random.default_rng(0)
    W1 = ad.tensor(rng.normal(size=(3, 2)), requires_grad=True, name="W1")
    b1 = ad.tensor(np.zeros(3), requires_grad=True, name="b1")
    W2 = ad.tensor(rng.normal(size=(1, 3)), requires_grad=True)
    x = ad.tensor(np.ones((4, 2)), name="X")
    out = (ad.tanh(x @ W1.T + b1) @ W2.T).sum()
    return out, W1, b1, W2


def test_a_mapping_of_groups_to_tensors_draws_one_box_per_group():
    out, W1, b1, W2 = two_layers()
    drawn = boxes(to_dot(out, model={"hidden": [W1, b1], "output": [W2]}))
    assert set(drawn) == {"hidden", "output"}
    assert "<b>W1</b>" in drawn["hidden"] and "<b>b1</b>" in drawn["hidden"]
    assert "label=matmul" in drawn["hidden"] and "tanh" not in drawn["hidden"]
    assert "<b>output[0]</b>" in drawn["output"]  # an unnamed tensor is named after its group


def test_a_mapping_of_dotted_names_groups_by_prefix_like_named_parameters():
    out, W1, b1, W2 = two_layers()
    drawn = boxes(to_dot(out, model={"0.weight": W1, "0.bias": b1, "1.weight": W2}))
    assert set(drawn) == {"0", "1"}
    assert "<b>0.weight</b>" in drawn["0"] and "<b>0.bias</b>" in drawn["0"] and "<b>1.weight</b>" in drawn["1"]


def test_an_object_with_named_parameters_only_needs_no_nn_class():
    out, W1, b1, W2 = two_layers()

    class Params:  # duck typing: no named_modules(), no extra_repr()
        def named_parameters(self):
            return [("layer.weight", W1), ("layer.bias", b1)]

    assert set(boxes(to_dot(out, model=Params()))) == {"layer"}


def test_an_nn_module_and_its_named_parameters_draw_the_same_boxes():
    nn = pytest.importorskip("nn")
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    out = model(ad.tensor(np.ones((3, 2)))).sum()
    by_module = boxes(to_dot(out, model=model))
    by_mapping = boxes(to_dot(out, model=dict(model.named_parameters())))
    assert sorted(label.split(":")[0] for label in by_module) == sorted(by_mapping) == ["0", "2"]
    assert all("Linear(in_features=" in label for label in by_module)  # a module's box says what it is


@pytest.mark.parametrize("model, fragment", [
    (object(), "named_parameters"),
    ({"layer": 3.0}, r"model\['layer'\] must be a Tensor or a list of Tensors, got float"),
    ({"layer": [ad.tensor(1.0), "b"]}, "list of Tensors"),
])
def test_anything_else_is_refused_with_what_was_expected(model, fragment):
    with pytest.raises(TypeError, match=fragment):
        to_dot(two_layers()[0], model=model)
