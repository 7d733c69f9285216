"""ad.graph_page: one self-contained HTML page, its data, Jupyter's inline page, and the --html options."""

import json
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autodiff as ad
from autodiff.cli import main
from autodiff.page import graph_page


def page_data(document):
    found = re.search(r'<script type="application/json" id="ad-data">(.*?)</script>', document, flags=re.S)
    return json.loads(found.group(1))


def baydin(x1, x2):
    return ad.log(x1) + x1 * x2 - ad.sin(x2)


def test_the_page_is_one_file_that_needs_no_network():
    document = graph_page(ad.explain(baydin, 2.0, 5.0))
    assert document.startswith("<!DOCTYPE html>") and document.rstrip().endswith("</html>")
    assert not re.search(r'(src|href)="(https?:)?//', document)  # nothing fetched
    assert "<script src" not in document and "<link rel=\"stylesheet\"" not in document
    svg = document[document.index("<svg"):document.index("</svg>") + 6]
    ET.fromstring(svg)  # the picture is well-formed XML
    for control in ("ad-reset", "ad-back", "ad-play", "ad-forward"):
        assert f'id="{control}"' in document


def test_its_steps_are_the_primal_then_the_adjoint_trace_and_its_result_is_ad_grad():
    e = ad.explain(baydin, 2.0, 5.0)
    data = page_data(graph_page(e))
    steps = data["steps"]
    assert len(steps) == len(e.steps) + len(e.adjoints)
    assert [s["kind"] for s in steps] == ["primal"] * len(e.steps) + ["adjoint"] * len(e.adjoints)
    assert steps[3]["formula"] == "v₂ = v₋₁ · v₀" and steps[3]["value"] == "10"
    assert steps[3]["node"] and len(steps[3]["near"]) == 2 and len(steps[3]["edges"]) == 3
    last = steps[-1]  # v̄₋₁ = v̄₂ · v₀ + v̄₁ · (1 / v₋₁): two consumers, two partials, two edges
    assert last["formula"].startswith("v̄₋₁ =") and len(last["terms"]) == 2 and len(last["edges"]) == 2
    assert any("∂v₁/∂v₋₁ = 1 / v₋₁" in t["partial"] and t["number"] == "0.5" for t in last["terms"])
    grads = ad.grad(baydin, argnums=(0, 1))(2.0, 5.0)
    assert [item["value"] for item in data["result"]["items"]] == [float(g) for g in grads]
    assert [item["label"] for item in data["result"]["items"]] == ["∂y/∂x₁", "∂y/∂x₂"]
    for node in {s["node"] for s in steps} | {n for s in steps for n in s["near"]}:
        assert node in data["nodes"] and any("gradient" in line for line in data["nodes"][node]["lines"])


def test_forward_mode_pages_walk_the_tangents():
    e = ad.explain(baydin, 2.0, 5.0, mode="forward")
    data = page_data(graph_page(e))
    assert data["steps"][-1]["kind"] == "tangent" and data["result"]["items"][0]["label"] == "ẏ"
    assert data["result"]["items"][0]["value"] == pytest.approx(5.5)


def test_a_page_of_a_graph_after_a_plain_backward_still_steps():
    x = ad.tensor(2.0, requires_grad=True, name="x")
    y = ad.tensor(3.0, requires_grad=True, name="y")
    f = x * y + ad.sin(x)
    f.backward()
    data = page_data(graph_page(f))
    assert data["steps"] and data["result"]["items"][0]["value"] == 3 + math.cos(2.0)
    assert f._inputs is None  # still released
    big = ad.tensor(np.linspace(0, 1, 5000), requires_grad=True)
    g = (ad.sin(big) * big).sum()
    g.backward()  # too big to keep
    data = page_data(graph_page(g))
    assert not data["steps"] and "retain_graph=True" in " ".join(data["notes"])


def test_array_graphs_and_arguments_are_checked(tmp_path):
    W = ad.tensor(np.ones((3, 2)), requires_grad=True, name="W")
    out = ad.tanh(ad.tensor(np.arange(3.0)) @ W)  # not a scalar: forward mode
    written = tmp_path / "page.html"
    document = graph_page(out, path=written, title="tanh(x W)")
    assert written.read_text(encoding="utf-8") == document and "<title>tanh(x W)</title>" in document
    assert page_data(document)["steps"][-1]["kind"] == "tangent"
    with pytest.raises(TypeError, match="Tensor or an Explanation"):
        graph_page(3.0)
    with pytest.raises(ValueError, match="cannot embed"):
        graph_page(out, pictures=[tmp_path / "notes.txt"])


def test_pictures_are_embedded(tmp_path):
    picture = tmp_path / "loss.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    document = graph_page(ad.explain(baydin, 2.0, 5.0), pictures=[(picture, "the loss")])
    assert 'src="data:image/png;base64,iVBORw0KGgpmYWtl"' in document and "<figcaption>the loss" in document


def test_names_and_formulas_are_escaped():
    x = ad.tensor(1.0, requires_grad=True, name="</script><b>x")
    document = graph_page(x * 2.0, title="<i>t</i>")
    assert "</script><b>" not in document and "<i>t</i>" not in document
    assert page_data(document)["nodes"]  # the JSON still reads back


def test_jupyter_shows_the_page_inline_and_the_tables_under_it():
    html = ad.explain(baydin, 2.0, 5.0)._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "&lt;svg" in html and 'sandbox="allow-scripts"' in html
    assert "<table>" in html  # the tables, for viewers that do not run the page


def test_graph_and_explain_write_pages_from_the_command_line(tmp_path, capsys):
    assert main(["graph", "x*y + sin(x)", "--at", "x=2,y=3", "--html", str(tmp_path / "g.html"), "--partials",
                 "--path", "x"]) == 0
    assert main(["explain", "log(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5", "--html", str(tmp_path / "e.html")]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'g.html'}" in out and f"wrote {tmp_path / 'e.html'}" in out
    assert "digraph" not in out  # with --html and no -o the DOT text is not printed
    data = page_data((tmp_path / "e.html").read_text(encoding="utf-8"))
    assert data["result"]["items"][0]["value"] == 5.5
    with pytest.raises(SystemExit):
        main(["graph", "x", "--at", "x=1", "--html", str(tmp_path / "g.txt")])
    assert ".html" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["graph", "x*y", "--at", "x=1,y=2", "--path", "z"])
    assert "--path z" in capsys.readouterr().err
