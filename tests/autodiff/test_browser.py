"""The interactive page and `autodiff serve` in a real headless Chromium (Debian's chromium, driven by playwright).

Skipped when either is missing: CI installs both (.ci/run). playwright's own browser download is not
used; the system Chromium is (NOTES.md: ``--no-sandbox --disable-gpu``).
"""

import re
import shutil
import threading

import numpy as np
import pytest

import autodiff as ad
from autodiff import serve
from autodiff.page import graph_page

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (Debian: apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh tab that records console errors and uncaught exceptions (``tab.errors``)."""
    tab = browser.new_page(viewport={"width": 1300, "height": 900})
    tab.errors = []
    tab.on("console", lambda message: tab.errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    tab.close()


def step_to_the_end(tab):
    count = 0
    while tab.is_enabled("#ad-forward"):
        tab.click("#ad-forward")
        count += 1
    return count


def result_values(tab):
    return [float(v) for v in tab.locator(".ad-result-value").all_inner_texts()]


def baydin(x1, x2):
    return ad.log(x1) + x1 * x2 - ad.sin(x2)


def test_an_exported_page_steps_to_the_gradient_opened_from_disk(page, tmp_path):
    e = ad.explain(baydin, 2.0, 5.0)
    written = tmp_path / "page.html"
    graph_page(e, path=written)
    page.goto(written.as_uri())
    assert page.is_disabled("#ad-back") and not page.is_visible("#ad-result")
    page.click("#ad-forward")
    page.click("#ad-forward")
    assert page.locator("svg g.node.ad-active").count() >= 1  # the active node is highlighted
    assert page.inner_text("#ad-formula").startswith("v₀ = x₂")
    steps = step_to_the_end(page) + 2
    assert steps == len(e.steps) + len(e.adjoints)
    assert page.inner_text("#ad-counter") == f"{steps} / {steps}"
    assert page.locator("svg g.edge.ad-edge").count() == 2  # v̄₋₁ sums over its two consumers
    assert "∂v₁/∂v₋₁ = 1 / v₋₁" in page.inner_text("#ad-terms")
    grads = ad.grad(baydin, argnums=(0, 1))(2.0, 5.0)
    assert result_values(page) == [float(g) for g in grads]  # displayed in full: exactly ad.grad
    page.click("#ad-back")
    assert not page.is_visible("#ad-result")
    page.click("#ad-reset")
    assert page.locator("svg g.node.ad-active").count() == 0
    assert page.errors == []


def test_play_and_hover(page, tmp_path):
    x = ad.tensor(2.0, requires_grad=True, name="x")
    y = ad.tensor(3.0, requires_grad=True, name="y")
    f = x * y + ad.sin(x)
    f.backward()  # a plain backward: the small graph is kept, so the page still steps
    written = tmp_path / "page.html"
    graph_page(f, path=written)
    page.goto(written.as_uri())
    page.click("#ad-play")
    page.wait_for_selector("#ad-result:not([hidden])", timeout=30_000)
    assert result_values(page) == [3 + np.cos(2.0), 2.0]
    node = page.locator("svg g.node").filter(has_text="x").first
    node.hover()
    tooltip = page.inner_text("#ad-tooltip")
    assert "value 2" in tooltip and "gradient" in tooltip and "shape scalar" in tooltip
    page.keyboard.press("Home")
    assert page.inner_text("#ad-counter").startswith("0 /")
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#ad-counter").startswith("1 /")
    assert page.errors == []


@pytest.fixture(scope="module")
def server():
    srv = serve.make_server("127.0.0.1", 0, time_limit=5.0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()
    srv.evaluator.stop()


def gradient_of(tab, name):
    row = tab.locator("#ad-gradient tr").filter(has_text=f"∂f/∂{name}")
    return float(row.locator("td").inner_text())


def test_serve_a_formula_and_move_a_slider(page, server):
    page.goto(server)
    page.fill("#ad-formula-input", "x*y + sin(x)")
    page.wait_for_selector("#ad-slider-y")
    expect(page.locator("#ad-f-value")).to_have_text(re.compile(r"^1\.84"))  # x = y = 1
    page.focus("#ad-slider-x")
    page.keyboard.press("PageUp")  # one tenth of the slider's range: x from 1 to 2
    expect(page.locator("#ad-number-x")).to_have_value("2")
    expect(page.locator("#ad-f-value")).to_have_text(re.compile(r"^2\.909"))
    expected = ad.grad(lambda x, y: x * y + ad.sin(x), argnums=(0, 1))(2.0, 1.0)
    assert gradient_of(page, "x") == pytest.approx(float(expected[0]), rel=1e-9)
    assert gradient_of(page, "y") == pytest.approx(float(expected[1]), rel=1e-9)
    assert page.locator("#ad-graph svg g.node").count() >= 5
    step_to_the_end(page)
    assert result_values(page) == [float(g) for g in expected]
    assert page.errors == []


def test_serve_refuses_hostile_formulas_in_the_page(page, server):
    page.goto(server)
    page.wait_for_selector("#ad-slider-x")
    for formula, refusal in [("__import__('os').system('ls')", "attribute access"),
                             ("x; import os", "cannot use the formula"),
                             ("(" * 300 + "x" + ")" * 300, "nested parentheses"),  # cut to 500 by the box
                             ("open('/etc/passwd')", "open")]:
        page.fill("#ad-formula-input", formula)
        expect(page.locator("#ad-error")).to_be_visible()
        expect(page.locator("#ad-error")).to_contain_text(refusal)
    page.fill("#ad-formula-input", "exp(x)")
    expect(page.locator("#ad-error")).to_be_hidden()
    assert "1 + 1·(x - 1)" not in page.inner_text("#ad-summary")  # the Taylor line is about x = 1
    assert "Taylor" in page.inner_text("#ad-summary")
    # The refusals are HTTP 4xx answers, which Chromium logs as failed resources; nothing else may be logged.
    unexpected = [e for e in page.errors if not ("Failed to load resource" in e and ("422" in e or "413" in e))]
    assert unexpected == []
