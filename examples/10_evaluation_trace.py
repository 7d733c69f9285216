"""Evaluation traces: how automatic differentiation makes a derivative, row by row.

Baydin et al., *Automatic differentiation in machine learning: a survey* (JMLR 2018), Tables 2 and
3: f(x₁, x₂) = ln x₁ + x₁x₂ − sin x₂ at (2, 5). The primal trace lists the elementary steps
(a Wengert list); forward mode carries a tangent v̇ along with each value, reverse mode carries an
adjoint v̄ back from the output, and each adjoint is a sum over the variables that read it (why
backprop adds up a node's consumers). Then Karpathy's micrograd neuron o = tanh(x₁w₁ + x₂w₂ + b).

    python examples/10_evaluation_trace.py --out out/evaluation_trace
"""

from _common import options, wrote

import autodiff as ad


def f(x1, x2):
    """Written in the paper's order, so the rows are numbered as in its tables."""
    v1 = ad.log(x1)
    v2 = x1 * x2
    v3 = ad.sin(x2)
    v4 = v1 + v2
    return v4 - v3


def neuron(x1, x2, w1, w2, b):
    return ad.tanh(x1 * w1 + x2 * w2 + b)


def main() -> None:
    out, _ = options(__doc__.splitlines()[0], "evaluation_trace")
    print("Forward mode (Baydin et al., Table 2): the tangents along x1\n")
    forward = ad.explain(f, 2.0, 5.0, mode="forward")
    print(forward, end="\n\n")
    print("Reverse mode (Baydin et al., Table 3): the adjoints, one backward sweep for the whole gradient\n")
    reverse = ad.explain(f, 2.0, 5.0)
    print(reverse, end="\n\n")
    assert round(float(reverse.value), 3) == 11.652
    assert [round(float(g), 3) for g in reverse.gradient] == [5.5, 1.716]
    assert float(forward.derivative) == float(reverse.gradient[0])

    print("Karpathy's micrograd neuron: o = tanh(x1 w1 + x2 w2 + b)\n")
    lecture = ad.explain(neuron, 2.0, 0.0, -3.0, 1.0, 6.8813735870195432)
    print(lecture, end="\n\n")

    (out / "baydin_reverse.md").write_text(reverse.to_markdown() + "\n", encoding="utf-8")
    (out / "baydin_reverse.tex").write_text(reverse.to_latex() + "\n", encoding="utf-8")
    (out / "baydin_gradient.py").write_text(reverse.source(), encoding="utf-8")
    wrote(out / "baydin_reverse.md", out / "baydin_reverse.tex", out / "baydin_gradient.py")


if __name__ == "__main__":
    main()
