"""The README's examples run, and say what they claim, so they cannot rot.

Every ```python block of README.md is executed. A few blocks are fragments that take names from the
prose around them (``x0``, ``g``, ``loss``...): ``GIVEN`` defines those names, and nothing else, for
the block whose text contains the key. ``CLAIMS`` then checks the values the block's comments
promise (``# -1.0``, ``# (1, 1) in 21 steps``...) against closed forms; ``printed`` holds what the
block printed. The formula commands of the ```bash blocks (``autodiff graph/check/taylor/minimize``)
run too, through ``autodiff.cli.main``.

A block that needs an optional extra that is missing (Graphviz's ``dot`` program, matplotlib) is
skipped, not failed.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def fenced_blocks(language: str) -> list[tuple[int, str]]:
    """(first line number, code) of every ```language block of the README."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M):
        blocks.append((text.count("\n", 0, match.start()) + 2, match.group(1)))
    return blocks


PYTHON_BLOCKS = fenced_blocks("python")

# names a fragment takes from the prose: key (text in the block) -> code that defines them
GIVEN = {
    'primitive("tanh"': "import numpy as np\nfrom autodiff.ops import primitive\n",
    "ad.grad(f)(x0)": (
        "import numpy as np, autodiff as ad\n"
        "x0 = np.array([-1.2, 1.0, 0.5])\n"
        "v = np.array([1.0, 0.0, -2.0])\n"
        "g = lambda x: ad.stack([x[0] * x[1], ad.sin(x[2]), x[0] ** 2])\n"
    ),
    "ad.draw_graph(loss, model=model)": (
        "import numpy as np, autodiff as ad, nn\n"
        "model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Tanh(), nn.Linear(3, 2, rng=1))\n"
        "loss = nn.CrossEntropyLoss()(model(np.array([[0.5, -1.0], [1.0, 2.0]])), np.array([0, 1]))\n"
    ),
}

# what the comments promise, checked after the block runs in the same namespace
CLAIMS = {
    "print(x.grad)": """
t = np.tanh(np.array([1.0, 2.0, 3.0]))
np.testing.assert_allclose(x.grad.numpy(), t + np.array([1.0, 2.0, 3.0]) * (1 - t ** 2))  # d(x tanh x)/dx
assert "tensor([ 6., 12., 18.])" in printed  # second derivatives: 6x
""",
    'primitive("tanh"': """
import autodiff as ad
z = ad.tensor([-0.5, 0.3], requires_grad=True)
tanh(z).sum().backward()
np.testing.assert_allclose(z.grad.numpy(), 1 - np.tanh([-0.5, 0.3]) ** 2)
""",
    "ad.grad(f)(x0)": """
rosen_grad = np.array([-2 * (1 - x0[0]) - 400 * x0[0] * (x0[1] - x0[0] ** 2),
                       200 * (x0[1] - x0[0] ** 2) - 2 * (1 - x0[1]) - 400 * x0[1] * (x0[2] - x0[1] ** 2),
                       200 * (x0[2] - x0[1] ** 2)])
np.testing.assert_allclose(np.asarray(ad.grad(f)(x0)), rosen_grad)
H = np.asarray(ad.hessian(f)(x0))
np.testing.assert_allclose(np.asarray(ad.hvp(f, (x0,), (v,))), H @ v)
assert np.asarray(ad.jacobian(g, mode="fwd")(x0)).shape == (3,) + x0.shape
assert float(ad.grad(ad.grad(ad.grad(ad.sin)))(0.0)) == -1.0
coefficients = ad.taylor(lambda t: ad.exp(ad.sin(t)), 0.0, 10)
np.testing.assert_allclose(coefficients[:5], [1, 1, 0.5, 0, -1 / 8], atol=1e-14)  # e^sin t = 1 + t + t²/2 - t⁴/8 ...
np.testing.assert_allclose(L.J, np.asarray(ad.jacobian(g)(x0)))
assert callable(L) and callable(Q) and Q.H.shape == (3, 3) and np.isclose(float(Q.f0), float(f(x0)))
""",
    "nn.datasets.make_moons(1000": """
assert history["loss"][-1] < history["loss"][0]
assert "354" in repr(model)  # the parameter count: 2·16+16 + 16·16+16 + 16·2+2
np.testing.assert_array_equal(nn.load("moons.npz")["0.weight"], model.state_dict()["0.weight"])
""",
    "optim.minimize(rosen": """
np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-8)
assert r.nit == 21 and r.path.shape == (22, 2)
root = optim.newton_raphson(lambda x: ad.cos(x) - x, 1.0)
assert root.success and abs(float(root.root) - 0.7390851332151607) < 1e-12
assert not optim.newton_raphson(lambda x: x ** 2 + 1, 1.0).success  # no real root: it cycles
stationary = optim.lagrange(lambda v: v[0] * v[1], lambda v: v[0] + v[1] - 10, x0=[1.0, 2.0])
np.testing.assert_allclose(stationary.x, [5.0, 5.0])
np.testing.assert_allclose(np.ravel(stationary.multipliers), [5.0])
assert stationary.classification == "maximum"
np.testing.assert_allclose(popt, [3.0, 0.7], atol=0.01)
fit = optim.linear_regression(x, y, sigma=0.01)
slope, intercept = np.polyfit(x, y, 1)
assert math.isclose(fit.slope, slope) and math.isclose(fit.intercept, intercept)
assert fit.covariance.shape == (2, 2) and fit.chi2 > 0 and math.isclose(fit.reduced_chi2, fit.chi2 / (len(x) - 2))
""",
    "ad.draw_graph(loss, model=model)": """
assert Path("network.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
""",
}


def matching(key: str) -> list[int]:
    return [i for i, (_, code) in enumerate(PYTHON_BLOCKS) if key in code]


def test_readme_has_python_examples():
    assert len(PYTHON_BLOCKS) >= 5


@pytest.mark.parametrize("key", sorted(set(GIVEN) | set(CLAIMS)))
def test_every_given_and_claim_belongs_to_exactly_one_block(key):
    assert len(matching(key)) == 1, f"README: {key!r} is in {len(matching(key))} python blocks; update this test"


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)),
                         ids=[f"README.md:{line}" for line, _ in PYTHON_BLOCKS])
def test_python_block_runs_and_keeps_its_promises(index, tmp_path, monkeypatch):
    line, code = PYTHON_BLOCKS[index]
    if ".render(" in code and shutil.which("dot") is None:
        pytest.skip("needs Graphviz's `dot` program")
    if "autodiff.plot" in code or "matplotlib" in code:
        pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)  # blocks write files (moons.npz, network.svg)
    namespace: dict = {"__name__": "__readme__", "np": np, "math": math, "Path": Path}
    for key, setup in GIVEN.items():
        if key in code:
            exec(compile(setup, f"given for README.md:{line}", "exec"), namespace)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile("\n" * (line - 1) + code, str(README), "exec"), namespace)
    namespace["printed"] = out.getvalue()
    for key, claims in CLAIMS.items():
        if key in code:
            exec(compile(claims, f"claims of README.md:{line}", "exec"), namespace)


CLI_LINES = [(line, command) for line, code in fenced_blocks("bash") for command in code.splitlines()
             if command.startswith("autodiff ") and not command.startswith("autodiff demo")]


def test_readme_shows_the_formula_commands():
    assert {shlex.split(c)[1] for _, c in CLI_LINES} >= {"graph", "check", "taylor", "minimize"}


@pytest.mark.parametrize("command", [c for _, c in CLI_LINES], ids=[f"README.md:{n}" for n, _ in CLI_LINES])
def test_bash_formula_command_runs(command, tmp_path, monkeypatch):
    from autodiff.cli import main

    argv = shlex.split(command.split("#")[0])[1:]
    if "--plot" in argv:
        pytest.importorskip("matplotlib")
    if argv[0] == "graph" and shutil.which("dot") is None:
        pytest.skip("needs Graphviz's `dot` program")
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        status = main(argv)
    assert status == 0, out.getvalue()
    for flag in ("-o", "--plot"):
        if flag in argv:
            written = tmp_path / argv[argv.index(flag) + 1]
            assert written.exists() and written.stat().st_size > 0
