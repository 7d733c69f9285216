"""Every op of the registry in an explained program: its rows render, the gradient is ad.grad's, the
derivative program runs, and for scalar programs each local partial agrees with finite differences."""

import numpy as np
import pytest

import autodiff as ad

from .op_registry import CASES


def _smallest(case):
    """The smallest shapes of the case with no empty input (empty arrays have nothing to explain)."""
    usable = [shapes for shapes in case.shapes if all(int(np.prod(s)) > 0 for s in shapes)]
    return min(usable, key=lambda shapes: sum(int(np.prod(s)) for s in shapes))


def _program(case):
    def f(*xs):
        out = case.fn(*xs)
        return (out * out).sum() if out.ndim else out * out
    return f


NON_EMPTY = [c for c in CASES if any(all(int(np.prod(s)) > 0 for s in shapes) for shapes in c.shapes)]


def test_every_op_is_in_an_explained_program():
    assert {c.op for c in NON_EMPTY} == {c.op for c in CASES}  # the empty-only cases have siblings


@pytest.mark.parametrize("case", NON_EMPTY, ids=lambda c: c.id)
def test_every_op_explains_and_its_source_runs(case):
    shapes = _smallest(case)
    inputs = case.sample(np.random.default_rng(1), shapes)
    f = _program(case)
    e = ad.explain(f, *inputs)
    assert all(s.expression for s in e.steps) and str(e) and e.to_latex()
    expected = ad.grad(f, argnums=tuple(range(len(inputs))))(*inputs)
    for g, h in zip(e.gradient, expected):
        np.testing.assert_array_equal(g.data, h.data)
    namespace: dict = {}
    exec(e.source(), namespace)  # our own generated program
    value, grads = namespace["f_and_gradient"](*inputs)
    np.testing.assert_allclose(value, e.value.data, rtol=1e-12)
    for g, h in zip(grads, expected):
        np.testing.assert_allclose(g, h.data, rtol=1e-10, atol=1e-12)


def _richardson(f, x, h=1e-3):
    """f'(x) by central differences at h and h/2, extrapolated: error O(h⁴)."""
    d = lambda step: (f(x + step) - f(x - step)) / (2 * step)  # noqa: E731
    return (4 * d(h / 2) - d(h)) / 3


SCALAR_CASES = [c for c in CASES if all(s == () for s in c.shapes[0]) or any(all(s == () for s in shapes)
                                                                              for shapes in c.shapes)]


@pytest.mark.parametrize("case", SCALAR_CASES, ids=lambda c: c.id)
def test_scalar_partials_agree_with_finite_differences(case):
    """Each term's partial ∂vᵢ/∂vⱼ (from the op's rule) against a Richardson finite difference."""
    shapes = next(s for s in case.shapes if all(x == () for x in s))
    inputs = [float(x) for x in case.sample(np.random.default_rng(2), shapes)]
    if np.size(case.fn(*[ad.tensor(x) for x in inputs]).data) != 1:
        pytest.skip("the op makes an array out of scalars: no scalar program")
    e = ad.explain(case.fn, *inputs)
    node = e._instructions[-1].node if e._instructions else None
    if node is None or node._op.name != case.op and case.op not in ("abs", "absolute"):
        pytest.skip("the case wraps its op in others")
    checked = 0
    for row in e.adjoints:
        for term in row.terms:
            if term.other != e._instructions[-1].name:
                continue
            i = term.position
            values = list(node._input_data)

            def along(t, i=i, values=values):
                moved = list(values)
                moved[i] = np.asarray(t)
                return float(np.asarray(node._op.forward(*moved, **node._params)).reshape(()))

            numeric = _richardson(along, float(values[i]))
            np.testing.assert_allclose(float(term.partial_value), float(numeric), rtol=1e-10, atol=1e-10,
                                       err_msg=f"{case.id}: ∂/∂input {i} = {term.partial}")
            checked += 1
    assert checked
