"""A machine without Graphviz's `dot` (hidden from PATH): the command line, the demo and Jupyter still draw SVG.

Each test runs this checkout in a fresh Python process whose PATH holds no `dot`, as on a machine where
only `pip install -e ".[dev]"` ran. The installed package must carry the page's static files.
"""

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_dot(tmp_path):
    """An environment whose PATH has python but no dot, importing this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(bin_dir),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    probe = subprocess.run([sys.executable, "-c", "import shutil; print(shutil.which('dot'))"], env=env,
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "None"
    return env


def run(env, cwd, *argv):
    done = subprocess.run([sys.executable, "-m", "autodiff.cli", *argv], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_graph_writes_valid_svg_without_dot(no_dot, tmp_path):
    done = run(no_dot, tmp_path, "graph", "sin(x) * y + x**2", "--at", "x=1,y=2", "-o", "g.svg", "--partials")
    root = ET.parse(tmp_path / "g.svg").getroot()
    assert root.tag.endswith("svg") and "built-in layout" in done.stderr
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"]
    assert len(groups) == 11  # x, y, sin x, sin x·y, x², f; four ops; the exponent 2
    assert "grad" in "".join(root.itertext())


def test_demo_writes_graph_svg_and_its_page_without_dot(no_dot, tmp_path):
    pytest.importorskip("matplotlib")
    run(no_dot, tmp_path, "demo", "--epochs", "2", "--dataset", "moons", "--out", "demo")
    assert ET.parse(tmp_path / "demo" / "graph.svg").getroot().tag.endswith("svg")
    page = (tmp_path / "demo" / "index.html").read_text(encoding="utf-8")
    assert "built-in layout" in page and "ad-forward" in page


def test_a_notebook_shows_the_graph_as_svg_without_dot(no_dot, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    for key, value in no_dot.items():
        monkeypatch.setenv(key, value)  # the kernel inherits this environment
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import shutil\nimport autodiff as ad\nprint(shutil.which('dot'), ad.__file__)"),
        nbformat.v4.new_code_cell("x = ad.tensor(2.0, requires_grad=True, name='x')\ny = ad.tanh(x * x)\n"
                                  "y.backward()\nad.draw_graph(y)"),
        nbformat.v4.new_code_cell("ad.explain(lambda a, b: a * b + ad.sin(a), 2.0, 3.0)"),
    ])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = notebook.cells[0].outputs[0]["text"]
    assert printed.startswith("None ") and str(ROOT) in printed
    (graph,) = [o for o in notebook.cells[1].outputs if o["output_type"] == "execute_result"]
    svg = graph["data"]["image/svg+xml"]
    assert ET.fromstring(svg).tag.endswith("svg") and "built-in layout" in svg and "grad" in svg
    (explained,) = [o for o in notebook.cells[2].outputs if o["output_type"] == "execute_result"]
    assert explained["data"]["text/html"].startswith("<iframe srcdoc=")
    json.dumps(notebook)  # the outputs are plain JSON, as a saved notebook holds them


def test_the_package_carries_the_pages_static_files(tmp_path):
    pytest.importorskip("setuptools")
    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ and egg-info behind
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("autodiff", "nn", "optim"):
        shutil.copytree(ROOT / name, source / name, ignore=junk)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(source)], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {done.stderr[-300:]}")
    (wheel,) = tmp_path.glob("autodiff-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("page.html", "page.js", "page.css", "serve.html", "serve.js"):
        assert f"autodiff/static/{name}" in names
