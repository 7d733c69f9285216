"""The README's examples run as written and print what they say, so they cannot rot.

Every ```python block of README.md runs on its own, as a reader would paste it: in a fresh namespace
(nothing imported or defined for it) and in a temporary directory (blocks write files). It runs one
statement at a time, so what each line prints is known: ``PRINTS`` holds, for every line that prints,
the text its comment shows, which its output must contain. ``CLAIMS`` then checks the values the
block's comments state, on the names the block defined, against closed forms or numpy.

In the ```bash blocks, every ``autodiff ...`` command parses, the formula commands (graph, check,
taylor, minimize) run, and the other commands name scripts, modules and extras that exist.

A block or command is skipped only when an optional program or package it needs is missing
(the ``graphviz`` package, matplotlib).
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import math
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def fenced_blocks(language: str) -> list[tuple[int, str]]:
    """(first line number, code) of every ```language block of the README."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M):
        blocks.append((text.count("\n", 0, match.start()) + 2, match.group(1)))
    return blocks


PYTHON_BLOCKS = fenced_blocks("python")
PYTHON_LINES = [(line + i, text) for line, code in PYTHON_BLOCKS for i, text in enumerate(code.splitlines())]

# a line that prints (a fragment of it) -> text that both its comment and its output contain
PRINTS = {
    "print(x.grad)": "tensor([1.1815685 , 1.10532923, 1.02465287])",
    "print(ad.gradients(dx.sum(), x))": "(tensor([ 6., 12., 18.]),)",
    "print(ad.grad(ad.grad(ad.grad(ad.sin)))(0.0))": "tensor(-1.)",
    "print(model)": "354",  # parameters: 2·16+16 + 16·16+16 + 16·2+2
    "print(r.x, r.nit, r.path.shape)": "[1. 1.] 21 (22, 2)",
    "print(optim.newton_raphson(": "0.739085",
    "print(s.x, s.multipliers, s.classification)": "[5. 5.] [5.] maximum",
    "print(popt.round(2))": "[3.  0.7]",
    "print(ad.to_dot(loss))": "digraph autodiff {",
    'print(record.formula, "|", record.partials[0])': "np.tanh(x) | 1 - out**2",
    "print(e)": "Gradient: ∂y/∂x₁ = 5.5, ∂y/∂x₂ = 1.71634",
    "print(step(w, x, y)[0], step.cache_info().hits)": "tensor(1.) 1",
    "print(step.program(w, x, y).splitlines()[0])": "def program(a0, a1, a2):",
}

# a block (a fragment of it) -> code checking what its comments state, run after it on its names
CLAIMS = {
    'ad.graph_page(o, "neuron.html")': """
assert abs(o.item() - 2 ** -0.5) < 1e-12 and o._inputs is None  # released, yet drawn whole
caption = graph.source.split("label=")[-1]
assert "∂o/∂x1 = Σ over 1 path" in caption and "= -1.5" in caption
for value in ("grad -1.5", "grad 0.5", "grad 1<", "grad 0<"):
    assert value in graph.source, value
assert Path("neuron.svg").read_text().lstrip().startswith("<?xml")
assert "ad-forward" in Path("neuron.html").read_text(encoding="utf-8")
with __import__("pytest").raises(ad.GraphFreedError):
    o.backward()
""",
    "print(x.grad)": """
t = np.tanh(np.array([1.0, 2.0, 3.0]))
np.testing.assert_allclose(x.grad.numpy(), t + np.array([1.0, 2.0, 3.0]) * (1 - t ** 2))  # d(x tanh x)/dx
""",
    "record = ad.tanh.op": """
import numpy as np
z = ad.tensor([-0.5, 0.3], requires_grad=True)
ad.tanh(z).sum().backward()
np.testing.assert_allclose(z.grad.numpy(), 1 - np.tanh([-0.5, 0.3]) ** 2)
assert record.vjps[0](1.0, np.tanh(0.3), 0.3) == 1 - np.tanh(0.3) ** 2  # the VJP the text describes
assert z.tanh().grad_fn is record and np.tanh(z).grad_fn is record
""",
    "ad.hvp(f, (x0,), (v,))": """
a, b, c3 = x0
np.testing.assert_allclose(np.asarray(df), [-2 * (1 - a) - 400 * a * (b - a ** 2),
                                            200 * (b - a ** 2) - 2 * (1 - b) - 400 * b * (c3 - b ** 2),
                                            200 * (c3 - b ** 2)])
hessian = np.array([[2 - 400 * (b - a ** 2) + 800 * a ** 2, -400 * a, 0],
                    [-400 * a, 202 - 400 * (c3 - b ** 2) + 800 * b ** 2, -400 * b],
                    [0, -400 * b, 200]])
np.testing.assert_allclose(np.asarray(H), hessian)
np.testing.assert_allclose(np.asarray(Hv), hessian @ v)
np.testing.assert_allclose(np.asarray(J), [[b, a, 0], [0, 0, np.cos(c3)]])  # shape (2, 3)
np.testing.assert_allclose(np.asarray(c)[:5], [1, 1, 0.5, 0, -1 / 8], atol=1e-14)  # e^sin t = 1 + t + t²/2 - t⁴/8
np.testing.assert_allclose(np.asarray(L.f0), [a * b, np.sin(c3)])
np.testing.assert_allclose(np.asarray(L.J), np.asarray(J))
np.testing.assert_allclose(np.asarray(Q.H), hessian)
np.testing.assert_allclose(np.asarray(Q.g), np.asarray(df))
assert callable(L) and callable(Q) and np.isclose(float(Q.f0), float(f(x0)))
central = np.asarray(study.errors["central"])  # the V: large at both ends, small in between
bottom = int(np.argmin(central))
assert 0 < bottom < len(central) - 1 and central[bottom] < 1e-6 * min(central[0], central[-1])
""",
    "nn.datasets.make_moons(1000": """
assert history["loss"][-1] < history["loss"][0]
np.testing.assert_array_equal(nn.load("moons.npz")["0.weight"], model.state_dict()["0.weight"])
""",
    "optim.minimize(rosen": """
np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-8)
assert r.nit == 21 and r.path.shape == (22, 2)
root = optim.newton_raphson(lambda x: ad.cos(x) - x, 1.0)
assert root.success and abs(math.cos(float(root.root)) - float(root.root)) < 1e-12
assert not optim.newton_raphson(lambda x: x ** 2 + 1, 1.0).success  # no real root: it cycles
np.testing.assert_allclose(s.x, [5.0, 5.0])
np.testing.assert_allclose(np.ravel(s.multipliers), [5.0])
assert s.classification == "maximum"
np.testing.assert_allclose(popt, [3.0, 0.7], atol=0.01)
assert pcov.shape == (2, 2) and np.all(np.linalg.eigvalsh(pcov) > 0)
slope, intercept = np.polyfit(x, y, 1)
assert math.isclose(fit.slope, slope) and math.isclose(fit.intercept, intercept)
assert fit.covariance.shape == (2, 2) and fit.chi2 > 0 and math.isclose(fit.reduced_chi2, fit.chi2 / (len(x) - 2))
""",
    "ad.draw_graph(loss, model=model)": """
assert Path("network.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
""",
}


def lines_with(fragment: str) -> list[int]:
    return [number for number, text in PYTHON_LINES if fragment in text]


def blocks_with(fragment: str) -> list[int]:
    return [i for i, (_, code) in enumerate(PYTHON_BLOCKS) if fragment in code]


def run_block(line: int, code: str, namespace: dict) -> dict[int, str]:
    """Run a block (README lines from ``line``) one statement at a time: README line -> what it printed."""
    tree = ast.parse(code)
    ast.increment_lineno(tree, line - 1)  # tracebacks name the README's own lines
    printed: dict[int, str] = {}
    for statement in tree.body:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            exec(compile(ast.Module([statement], type_ignores=[]), str(README), "exec"), namespace)
        printed[statement.lineno] = printed.get(statement.lineno, "") + out.getvalue()
    return printed


def test_readme_has_python_examples():
    assert len(PYTHON_BLOCKS) >= 5


@pytest.mark.parametrize("fragment", list(PRINTS))
def test_every_print_check_belongs_to_exactly_one_line_and_its_comment_says_it(fragment):
    lines = [text for _, text in PYTHON_LINES if fragment in text]
    assert len(lines) == 1, f"README: {fragment!r} is on {len(lines)} lines"
    comment = lines[0].partition("#")[2]
    assert PRINTS[fragment] in comment, f"README: the comment of {lines[0]!r} should show what it prints"


def test_every_line_that_prints_has_its_output_checked():
    unchecked = [(n, text) for n, text in PYTHON_LINES if "print(" in text and not any(k in text for k in PRINTS)]
    assert not unchecked, f"README lines that print with nothing in PRINTS: {unchecked}"


@pytest.mark.parametrize("fragment", list(CLAIMS))
def test_every_claim_belongs_to_exactly_one_block(fragment):
    assert len(blocks_with(fragment)) == 1, f"README: {fragment!r} is in {len(blocks_with(fragment))} python blocks"


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)), ids=[f"README.md:{line}" for line, _ in PYTHON_BLOCKS])
def test_python_block_runs_as_written_and_keeps_its_promises(index, tmp_path, monkeypatch):
    line, code = PYTHON_BLOCKS[index]
    if "draw_graph" in code:
        pytest.importorskip("graphviz")
    if "autodiff.plot" in code or "matplotlib" in code:
        pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)  # blocks write files (moons.npz, network.svg)
    namespace: dict = {"__name__": "__readme__"}
    printed = run_block(line, code, namespace)
    for fragment, expected in PRINTS.items():
        for number in lines_with(fragment):
            if number in printed:
                assert expected in printed[number], f"README.md:{number} printed {printed[number]!r}"
    for fragment, claims in CLAIMS.items():
        if fragment in code:
            checks = {**namespace, "np": np, "math": math, "Path": Path}
            exec(compile(claims, f"claims of README.md:{line}", "exec"), checks)


# ----------------------------------------------------------------------------- ```bash blocks
def shell_commands() -> list[tuple[int, list[str]]]:
    """(README line, words) of every command in the ```bash blocks; ``a && b`` is two commands."""
    commands = []
    for line, code in fenced_blocks("bash"):
        for offset, text in enumerate(code.splitlines()):
            words: list[str] = []
            for word in shlex.split(text, comments=True) + ["&&"]:
                if word in ("&&", "||", ";", "|"):
                    if words:
                        commands.append((line + offset, words))
                    words = []
                else:
                    words.append(word)
    return commands


AUTODIFF = [(n, words[1:]) for n, words in shell_commands() if words[0] == "autodiff"]
# demo trains and serve serves until stopped: parsed, not run (tests/test_examples.py and test_serve.py run them)
FORMULA_COMMANDS = [(n, argv) for n, argv in AUTODIFF if argv[0] not in ("demo", "serve")]
OTHERS = [(n, words) for n, words in shell_commands() if words[0] in ("python", "pip")]


def test_readme_shows_every_kind_of_command():
    assert {argv[0] for _, argv in AUTODIFF} >= {"demo", "graph", "check", "taylor", "minimize"}
    assert OTHERS


@pytest.mark.parametrize("argv", [argv for _, argv in AUTODIFF], ids=[f"README.md:{n}" for n, _ in AUTODIFF])
def test_every_autodiff_command_parses(argv):
    from autodiff.cli import build_parser

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            build_parser().parse_args(argv)
        except SystemExit:
            pytest.fail(f"autodiff {shlex.join(argv)}: {stderr.getvalue()}")


@pytest.mark.parametrize("argv", [argv for _, argv in FORMULA_COMMANDS],
                         ids=[f"README.md:{n}" for n, _ in FORMULA_COMMANDS])
def test_formula_command_runs(argv, tmp_path):
    if "--plot" in argv:
        pytest.importorskip("matplotlib")
    run = run_cli(argv, tmp_path)
    assert run.status == 0, run.out + run.err
    for flag in ("-o", "--plot"):
        if flag in argv:
            written = tmp_path / argv[argv.index(flag) + 1]
            assert written.exists() and written.stat().st_size > 0


@pytest.mark.parametrize("words", [words for _, words in OTHERS], ids=[f"README.md:{n}" for n, _ in OTHERS])
def test_other_commands_name_scripts_modules_and_extras_that_exist(words):
    if words[0] == "pip":  # pip install -e ".[dev]": the extra is declared
        tomllib = pytest.importorskip("tomllib")  # Python 3.11+
        extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
        for word in words:
            if word.startswith(".["):
                assert set(word[2:-1].split(",")) <= set(extras), word
    elif words[1] == "-m":
        assert importlib.util.find_spec(words[2]) is not None, f"no module {words[2]}"
    else:
        assert (ROOT / words[1]).is_file(), f"no script {words[1]}"
