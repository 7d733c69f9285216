"""ad.explain: evaluation traces and the chain rule, row by row (issue: explain every derivative).

The reference is Baydin et al., *Automatic differentiation in machine learning: a survey* (JMLR
2018), Tables 2 and 3: f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂ at (2, 5).
"""

import math
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autodiff as ad
from autodiff.expr import FUNCTIONS, parse


def baydin(x1, x2):
    v1 = ad.log(x1)
    v2 = x1 * x2
    v3 = ad.sin(x2)
    v4 = v1 + v2
    return v4 - v3


def run_source(e, *args):
    namespace: dict = {}
    exec(e.source(), namespace)  # our own generated program
    function = namespace["f_and_gradient" if e.mode == "reverse" else "f_and_derivative"]
    return function(*args)


def test_baydin_primal_trace_rows_and_values():
    e = ad.explain(baydin, 2.0, 5.0)
    rows = [(s.name, s.formula, float(s.value)) for s in e.steps]
    expected = [("v-1", "v₋₁ = x₁", 2.0), ("v0", "v₀ = x₂", 5.0), ("v1", "v₁ = log(v₋₁)", math.log(2)),
                ("v2", "v₂ = v₋₁ · v₀", 10.0), ("v3", "v₃ = sin(v₀)", math.sin(5)),
                ("v4", "v₄ = v₁ + v₂", math.log(2) + 10), ("v5", "v₅ = v₄ − v₃", math.log(2) + 10 - math.sin(5)),
                ("y", "y = v₅", math.log(2) + 10 - math.sin(5))]
    assert [(n, f) for n, f, _ in rows] == [(n, f) for n, f, _ in expected]
    np.testing.assert_allclose([v for *_, v in rows], [v for *_, v in expected], rtol=1e-15)
    assert round(float(e.value), 3) == 11.652  # the paper's y


def test_baydin_adjoint_trace_sums_over_consumers():
    e = ad.explain(baydin, 2.0, 5.0)
    adjoints = {r.name: r for r in e.adjoints}
    assert [r.name for r in e.adjoints] == ["v5", "v4", "v3", "v2", "v1", "v0", "v-1"]
    paper = {"v5": 1.0, "v4": 1.0, "v3": -1.0, "v2": 1.0, "v1": 1.0, "v0": 1.716, "v-1": 5.5}
    for name, value in paper.items():
        assert round(float(adjoints[name].value), 3) == value, name
    # v₀ is read by sin (v₃) and by the product (v₂): two terms, each the consumer's adjoint times a partial
    terms = adjoints["v0"].terms
    assert [(t.other, t.rule) for t in terms] == [("v3", "v̄₃ · cos(v₀)"), ("v2", "v̄₂ · v₋₁")]
    assert float(terms[0].partial_value) == math.cos(5) and float(terms[1].partial_value) == 2.0
    assert [(t.other, t.rule) for t in adjoints["v-1"].terms] == [("v2", "v̄₂ · v₀"), ("v1", "v̄₁ · (1 / v₋₁)")]
    np.testing.assert_allclose(sum(float(t.value) for t in adjoints["v-1"].terms), 5.5, rtol=1e-15)


def test_baydin_tangent_trace():
    e = ad.explain(baydin, 2.0, 5.0, mode="forward")  # ẋ = (1, 0): ∂y/∂x₁
    tangents = {r.name: float(r.value) for r in e.tangents}
    paper = {"v-1": 1.0, "v0": 0.0, "v1": 0.5, "v2": 5.0, "v3": 0.0, "v4": 5.5, "v5": 5.5}
    assert tangents == pytest.approx(paper, abs=1e-15)
    assert float(e.derivative) == 5.5
    e2 = ad.explain(baydin, 2.0, 5.0, mode="forward", tangents=(0.0, 1.0))
    assert round(float(e2.derivative), 3) == 1.716


def test_gradient_is_exactly_ad_grad_and_derivative_is_ad_jvp():
    e = ad.explain(baydin, 2.0, 5.0)
    expected = ad.grad(baydin, argnums=(0, 1))(2.0, 5.0)
    for g, h in zip(e.gradient, expected):
        assert g.data == h.data  # the same floating-point operations, in the engine's order
    _, tangent = ad.jvp(baydin, (2.0, 5.0), (0.3, -0.7))
    e = ad.explain(baydin, 2.0, 5.0, mode="forward", tangents=(0.3, -0.7))
    np.testing.assert_allclose(e.derivative.data, tangent.data, rtol=1e-14)


def test_text_markdown_html_and_latex_show_the_tables():
    e = ad.explain(baydin, 2.0, 5.0)
    text = str(e)
    assert "Primal trace at x₁ = 2, x₂ = 5" in text and "v̄₀" in text and "= (-1) · 0.283662 + 1 · 2" in text
    assert "Gradient: ∂y/∂x₁ = 5.5, ∂y/∂x₂ = 1.71634" in text
    markdown = e.to_markdown()
    assert "| v₂ | v₋₁ · v₀ | 10 |" in markdown and "| derivative | chain rule | with numbers | value |" in markdown
    assert "<table>" in e._repr_html_() and e._repr_markdown_() == markdown
    latex = e.to_latex()
    assert r"\bar{v}_{0}" in latex and r"\begin{tabular}" in latex and r"\cos\left(v_{0}\right)" in latex


def test_source_runs_and_gives_the_same_value_and_gradient():
    e = ad.explain(baydin, 2.0, 5.0)
    value, (g1, g2) = run_source(e, 2.0, 5.0)
    assert value == float(e.value.data)
    np.testing.assert_allclose([g1, g2], [g.data for g in e.gradient], rtol=1e-15)
    assert "v2 = x1 * x2" in e.source() and "x2_bar = x2_bar + v2_bar * (x1)" in e.source()
    f = ad.explain(baydin, 2.0, 5.0, mode="forward")
    value, derivative = run_source(f, 2.0, 5.0, 1.0, 0.0)
    assert derivative == 5.5


def test_micrograd_neuron():
    def neuron(x1, x2, w1, w2, b):
        return ad.tanh(x1 * w1 + x2 * w2 + b)

    args = (2.0, 0.0, -3.0, 1.0, 6.8813735870195432)
    e = ad.explain(neuron, *args)
    assert round(float(e.value), 4) == 0.7071
    np.testing.assert_allclose([float(g) for g in e.gradient], [-1.5, 0.5, 1.0, 0.0, 0.5], atol=1e-6)


def test_array_programs_show_shapes_and_rules():
    w = np.linspace(-1, 1, 6).reshape(3, 2)
    x = np.linspace(0, 1, 6).reshape(2, 3)
    e = ad.explain(lambda W, X: (ad.tanh(X @ W) ** 2).sum(), w, x)
    text = str(e)
    assert "shape (2, 2)" in text and "v̄₁ @ v₋₁ᵀ" in text and "v₀ᵀ @ v̄₁" in text
    assert all(t.partial_value is None for r in e.adjoints for t in r.terms)
    expected = ad.grad(lambda W, X: (ad.tanh(X @ W) ** 2).sum(), argnums=(0, 1))(w, x)
    for g, h in zip(e.gradient, expected):
        np.testing.assert_array_equal(g.data, h.data)
    _, grads = run_source(e, w, x)
    for g, h in zip(grads, expected):
        np.testing.assert_allclose(g, h.data, rtol=1e-14)


def test_explain_a_recorded_graph():
    x = ad.tensor(2.0, requires_grad=True, name="x")
    y = ad.tensor(3.0, requires_grad=True, name="y")
    out = x * y + ad.sin(x)
    e = ad.explain(out)
    assert e.input_names == ["x", "y"]
    np.testing.assert_allclose([float(g) for g in e.gradient], [3 + math.cos(2), 2])
    out.backward()  # frees the graph
    with pytest.raises(ad.GraphFreedError, match="retain_graph"):
        ad.explain(out)


def test_clear_errors():
    with pytest.raises(ad.ShapeError, match="scalar output"):
        ad.explain(lambda x: x * 2.0, np.ones(3))
    with pytest.raises(ad.DtypeError, match="floating-point"):
        ad.explain(lambda x: x * 2.0, 3)
    with pytest.raises(ValueError, match="mode"):
        ad.explain(baydin, 2.0, 5.0, mode="sideways")
    with pytest.raises(ad.ShapeError, match="tangent 0"):
        ad.explain(lambda x: x.sum(), np.ones(3), mode="forward", tangents=(np.ones(2),))
    with pytest.raises(ad.ConcretizationError):
        ad.explain(lambda x: math.sin(x) * x, 1.0)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (texlive-latex-base)")
def test_latex_compiles(tmp_path):
    w = np.linspace(-1, 1, 4).reshape(2, 2)
    tables = [ad.explain(baydin, 2.0, 5.0).to_latex(), ad.explain(baydin, 2.0, 5.0, mode="forward").to_latex(),
              ad.explain(lambda a: ad.logsumexp(a @ a, axis=0).sum(), w).to_latex()]
    document = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n" + "\n\n".join(tables) + \
        "\n\\end{document}\n"
    (tmp_path / "trace.tex").write_text(document, encoding="utf-8")
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "trace.tex"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "trace.pdf").exists()


# ----------------------------------------------------------------------------- random formulas
UNARY = sorted(name for name, (_, arity) in FUNCTIONS.items() if arity == 1)
BINARY_FUNCTIONS = sorted(name for name, (_, arity) in FUNCTIONS.items() if arity == 2)


@st.composite
def formulas(draw, depth=3):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(["x", "y", "z", "x", "y", "1.5", "0.5"]))
    kind = draw(st.sampled_from(["unary", "binary", "operator", "operator"]))
    if kind == "unary":
        return f"{draw(st.sampled_from(UNARY))}({draw(formulas(depth - 1))})"
    if kind == "binary":
        return f"{draw(st.sampled_from(BINARY_FUNCTIONS))}({draw(formulas(depth - 1))}, {draw(formulas(depth - 1))})"
    operator = draw(st.sampled_from(["+", "-", "*", "/"]))
    return f"({draw(formulas(depth - 1))} {operator} {draw(formulas(depth - 1))})"


@given(text=formulas(), point=st.tuples(*[st.floats(0.15, 0.85)] * 3))
def test_random_formulas_agree_with_grad_jvp_and_their_source(text, point):
    expression = parse(text)
    names = expression.variables
    if not names:
        return  # a constant
    f = lambda *values: expression(**dict(zip(names, values)))  # noqa: E731
    args = [point[i] for i in range(len(names))]
    with np.errstate(all="ignore"):
        e = ad.explain(f, *args, names=names)
        grads = ad.grad(f, argnums=tuple(range(len(names))))(*args)
        values = [float(g) for g in grads]
        if not (np.isfinite(values).all() and np.isfinite(float(e.value))):
            return
        for g, h in zip(e.gradient, grads):
            assert float(g) == float(h), text
        value, source_grads = run_source(e, *args)
        np.testing.assert_allclose(value, float(e.value), rtol=1e-14)
        np.testing.assert_allclose(source_grads, values, rtol=1e-12, atol=1e-300)
        direction = [0.3, -0.6, 0.9][: len(names)]
        forward = ad.explain(f, *args, names=names, mode="forward", tangents=direction)
        _, tangent = ad.jvp(f, tuple(args), tuple(direction))
        np.testing.assert_allclose(float(forward.derivative), float(tangent), rtol=1e-12, atol=1e-14)
        _, source_tangent = run_source(forward, *args, *direction)
        np.testing.assert_allclose(source_tangent, float(tangent), rtol=1e-12, atol=1e-14)
