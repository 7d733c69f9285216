"""Write the README's pictures of graphs and pages: ``python docs/make_pictures.py`` (from the project folder).

* docs/graph_neuron.svg and docs/graph_neuron_builtin.svg: micrograd's neuron after a plain backward, with its
  edge partials and the path from x1, drawn by Graphviz's dot and by the built-in renderer;
* docs/page_step.png: an exported ``ad.graph_page`` stepped into the adjoint trace (needs Chromium and playwright);
* docs/serve.png: ``autodiff serve`` after typing a formula and moving a slider (the same).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

import autodiff as ad  # noqa: E402
from autodiff import dotparse, serve, svg  # noqa: E402


def neuron() -> tuple[ad.Tensor, ad.Tensor]:
    x1 = ad.tensor(2.0, requires_grad=True, name="x1")
    x2 = ad.tensor(0.0, requires_grad=True, name="x2")
    w1 = ad.tensor(-3.0, requires_grad=True, name="w1")
    w2 = ad.tensor(1.0, requires_grad=True, name="w2")
    b = ad.tensor(6.8813735870195432, requires_grad=True, name="b")
    n = x1 * w1 + x2 * w2 + b
    n.name = "n"
    o = ad.tanh(n)
    o.name = "o"
    o.backward()
    return o, x1


def graphs() -> None:
    o, x1 = neuron()
    graph = ad.draw_graph(o, show_partials=True, path=x1, title="o = tanh(x1·w1 + x2·w2 + b), after o.backward()")
    if shutil.which("dot"):
        (DOCS / "graph_neuron.svg").write_bytes(graph.pipe(format="svg"))
    (DOCS / "graph_neuron_builtin.svg").write_text(svg.to_svg(dotparse.parse(graph.source)), encoding="utf-8")


def screenshots() -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright is not installed: no screenshots")
        return
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no Chromium: no screenshots")
        return
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        written = Path(folder) / "page.html"
        e = ad.explain(lambda x1, x2: ad.log(x1) + x1 * x2 - ad.sin(x2), 2.0, 5.0)
        ad.graph_page(e, written, title="f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂ (Baydin et al.)")
        page.goto(written.as_uri())
        for _ in range(len(e.steps) + len(e.adjoints)):
            page.click("#ad-forward")
        page.screenshot(path=str(DOCS / "page_step.png"))
        server = serve.make_server("127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            page.set_viewport_size({"width": 1280, "height": 1000})
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            page.wait_for_selector("#ad-slider-y")
            page.fill("#ad-formula-input", "x*y + sin(x)")
            page.focus("#ad-slider-x")
            page.keyboard.press("PageUp")
            page.wait_for_timeout(1500)
            for _ in range(7):
                page.click("#ad-forward")
            page.screenshot(path=str(DOCS / "serve.png"))
        finally:
            server.shutdown()
            server.evaluator.stop()
        browser.close()


if __name__ == "__main__":
    graphs()
    screenshots()
    print("wrote the pictures in", DOCS)
