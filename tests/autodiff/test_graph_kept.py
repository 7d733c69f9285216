"""The whole graph after a plain backward(): small graphs are kept beside the released graph, for pictures.

micrograd's lecture flow (a neuron o = tanh(x1 w1 + x2 w2 + b), o.backward(), draw o) must show every
node with its value and gradient; a second backward and ad.explain still say the graph is gone; graphs
over the size are released as before; the kept record dies with the output.
"""

import gc
import re
import weakref

import numpy as np
import pytest

import autodiff as ad
from autodiff import engine
from autodiff.viz import to_dot


def neuron():
    """Karpathy's micrograd lecture: o = tanh(x1 w1 + x2 w2 + b) with b chosen so that o = 1/sqrt(2)."""
    x1 = ad.tensor(2.0, requires_grad=True, name="x1")
    x2 = ad.tensor(0.0, requires_grad=True, name="x2")
    w1 = ad.tensor(-3.0, requires_grad=True, name="w1")
    w2 = ad.tensor(1.0, requires_grad=True, name="w2")
    b = ad.tensor(6.8813735870195432, requires_grad=True, name="b")
    x1w1 = x1 * w1
    x1w1.name = "x1*w1"
    x2w2 = x2 * w2
    x2w2.name = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.name = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.name = "n"
    o = ad.tanh(n)
    o.name = "o"
    return o


def boxes(dot_text):
    """{bold name: the text of its box} from the DOT of a picture."""
    found = {}
    for line in dot_text.splitlines():
        name = re.search(r"<b>([^<]+)</b>", line)
        if name and "label=<" in line:
            found[name.group(1).replace("&amp;", "&")] = re.sub(r"<[^>]+>", " ", line)
    return found


def test_the_micrograd_lecture_picture_after_a_plain_backward():
    o = neuron()
    o.backward()
    text = to_dot(o)
    assert "released" not in text
    found = boxes(text)
    expected = {  # the lecture's numbers: value, gradient
        "x1": (2.0, -1.5), "w1": (-3.0, 1.0), "x2": (0.0, 0.5), "w2": (1.0, 0.0), "b": (6.881, 0.5),
        "x1*w1": (-6.0, 0.5), "x2*w2": (0.0, 0.5), "x1*w1 + x2*w2": (-6.0, 0.5), "n": (0.8814, 0.5),
        "o": (0.7071, 1.0),
    }
    assert set(expected) <= set(found)
    for name, (value, grad) in expected.items():
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", found[name].split("scalar", 1)[1])]
        assert numbers[0] == pytest.approx(value, abs=1e-3), name
        assert numbers[1] == pytest.approx(grad, abs=1e-12), name
    assert text.count("label=multiply") == 2 and text.count("label=add") == 2 and "label=tanh" in text


def test_a_second_backward_and_explain_still_say_the_graph_is_gone():
    o = neuron()
    o.backward()
    with pytest.raises(ad.GraphFreedError, match="retain_graph=True"):
        o.backward()
    with pytest.raises(ad.GraphFreedError, match="retain_graph"):
        ad.explain(o)
    to_dot(o)  # drawing puts the kept inputs back for a moment only
    assert o._inputs is None
    with pytest.raises(ad.GraphFreedError):
        ad.gradients(o, [o])


def test_the_kept_record_dies_with_the_output():
    x = ad.tensor(0.3, requires_grad=True)
    h = ad.sin(x) * 2.0
    middle = weakref.ref(h)
    out = ad.exp(h)
    del h
    out.backward()
    assert middle() is not None and engine.kept_graph(out) is not None  # kept for pictures
    key = id(out)
    gc.disable()
    try:
        del out
        assert middle() is None and key not in engine._KEPT
    finally:
        gc.enable()


def chain(n, size=1):
    x = ad.tensor(np.full(size, 0.5) if size > 1 else 0.5, requires_grad=True)
    h = x
    for _ in range(n):
        h = h * 1.0001
    return x, (h.sum() if size > 1 else h)


def test_the_size_limit_is_1000_scalar_nodes():
    assert engine.KEEP_NODES >= 1000 and engine.KEEP_NODE_BYTES >= 8 and engine.KEEP_BYTES >= 16_000
    _, kept = chain(999)  # 999 multiplies: 999 nodes (16 KB with their gradients)
    kept.backward()
    assert engine.kept_graph(kept) is not None and len(engine.kept_graph(kept).entries) == 999
    _, too_many = chain(1001)
    too_many.backward()
    assert engine.kept_graph(too_many) is None
    assert "released" in to_dot(too_many)
    _, too_big = chain(10, size=2000)  # 16 KB values a node: over KEEP_BYTES
    too_big.backward()
    assert engine.kept_graph(too_big) is None and "1,000 small nodes, 16 KiB" in to_dot(too_big)
    _, one_big_node = chain(3, size=200)  # 1.6 KB a node: over KEEP_NODE_BYTES (128 numbers)
    one_big_node.backward()
    assert engine.kept_graph(one_big_node) is None
    _, small_arrays = chain(3, size=100)  # 800 bytes a node: kept
    small_arrays.backward()
    assert engine.kept_graph(small_arrays) is not None


def test_only_a_plain_backward_keeps_a_graph():
    x, out = chain(3)
    out.backward(retain_graph=True)  # retained: nothing to keep beside it
    assert engine.kept_graph(out) is None and out._inputs is not None
    x, out = chain(3)
    ad.gradients(out, x)  # the transforms' backward passes keep nothing
    assert engine.kept_graph(out) is None
    with engine.keep_graphs():
        x, out = chain(3)
        out.backward()
    assert engine.kept_graph(out) is None and out._inputs is not None  # keep_graphs() retains, as before
    ad.gradients(out, x)


def test_reopened_puts_the_inputs_back_and_takes_them_away_again():
    o = neuron()
    o.backward()
    kept = engine.kept_graph(o)
    with kept.reopened():
        e = ad.explain(o)
        assert [round(float(g), 12) for g in e.gradient] == [-1.5, 1.0, 0.5, 0.0, 0.5]
    assert o._inputs is None
    assert float(kept.gradient(o)) == 1.0


def test_only_the_newest_graphs_are_kept():
    """A loop that stores every step's loss must not hold every step's graph."""
    losses = []
    for _ in range(engine.KEEP_GRAPHS + 5):
        _, out = chain(5)
        out.backward()
        losses.append(out)
    kept = [engine.kept_graph(out) is not None for out in losses]
    assert kept == [False] * 5 + [True] * engine.KEEP_GRAPHS
    assert "released" in to_dot(losses[0]) and "released" not in to_dot(losses[-1])
