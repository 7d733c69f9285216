"""DESIGN.md's contract for custom functions, the function transforms, finite differences, calculus and
pictures ("Tape", "Transforms", "Finite differences", "Calculus", "Pictures"), checked against closed forms."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import autodiff as ad
from tests.helpers import assert_signature, params_of


class Cube(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


def test_custom_function():
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    y = Cube.apply(x)
    np.testing.assert_allclose(y.numpy(), [1.0, -8.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


# =============================================================================== transforms
def test_transform_signatures():
    assert_signature(ad.grad, "f", "argnums", "has_aux", argnums=0, has_aux=False)
    assert_signature(ad.value_and_grad, "f", "argnums", "has_aux", argnums=0, has_aux=False)
    assert_signature(ad.jacobian, "f", "argnums", "mode", "vectorize", argnums=0, mode="rev", vectorize=False)
    assert_signature(ad.hessian, "f", "argnums", argnums=0)
    assert_signature(ad.jvp, "f", "primals", "tangents")
    assert_signature(ad.hvp, "f", "primals", "tangents")
    assert list(params_of(ad.vjp))[:2] == ["f", "primals"]
    assert params_of(ad.vjp)["primals"].kind is inspect.Parameter.VAR_POSITIONAL


def test_grad_and_value_and_grad():
    f = lambda x, y: (x ** 2 * y).sum()
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    g = ad.grad(f)(x, y)
    assert isinstance(g, ad.Tensor)
    np.testing.assert_allclose(g.numpy(), 2 * x * y)
    gx, gy = ad.grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gy.numpy(), x ** 2)
    g_aux, aux = ad.grad(lambda x: ((x * x).sum(), "aux"), has_aux=True)(x)
    assert aux == "aux"
    np.testing.assert_allclose(g_aux.numpy(), 2 * x)
    value, g = ad.value_and_grad(f, argnums=1)(x, y)
    assert float(value) == pytest.approx(np.sum(x ** 2 * y))
    np.testing.assert_allclose(g.numpy(), x ** 2)
    assert ad.grad(lambda t: t ** 3)(2.0).item() == pytest.approx(12.0)  # floats in
    assert ad.grad(ad.grad(lambda t: t ** 3))(2.0).item() == pytest.approx(12.0)  # d²/dx² x³ = 6x
    assert ad.grad(ad.grad(ad.grad(ad.sin)))(0.0).item() == pytest.approx(-1.0)


def test_vjp_and_jvp():
    x = np.array([1.0, 2.0])
    out, vjp_fn = ad.vjp(lambda t: t ** 2, x)
    np.testing.assert_allclose(np.asarray(out), x ** 2)
    (cot,) = vjp_fn(np.array([1.0, 10.0]))
    np.testing.assert_allclose(np.asarray(cot), 2 * x * [1.0, 10.0])
    out, tangent_out = ad.jvp(lambda t: ad.sin(t), (x,), (np.array([1.0, -1.0]),))
    np.testing.assert_allclose(np.asarray(out), np.sin(x))
    np.testing.assert_allclose(np.asarray(tangent_out), np.cos(x) * [1.0, -1.0])


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_modes_and_shape(mode, vectorize):
    x = np.arange(6.0).reshape(2, 3) / 5
    J = ad.jacobian(lambda t: ad.sin(t).sum(axis=0), mode=mode, vectorize=vectorize)(x)
    assert J.shape == (3, 2, 3)  # out.shape + in.shape
    expected = np.zeros((3, 2, 3))
    for i in range(2):
        for j in range(3):
            expected[j, i, j] = np.cos(x[i, j])
    np.testing.assert_allclose(np.asarray(J), expected, atol=1e-12)


def test_hessian_hvp_and_jacobian_of_grad():
    f = lambda v: v[0] ** 2 * v[1] + ad.exp(v[1])
    x = np.array([1.5, 0.5])
    H = np.array([[2 * x[1], 2 * x[0]], [2 * x[0], np.exp(x[1])]])
    np.testing.assert_allclose(np.asarray(ad.hessian(f)(x)), H)
    np.testing.assert_allclose(np.asarray(ad.jacobian(ad.grad(f))(x)), H)
    v = np.array([1.0, -2.0])
    np.testing.assert_allclose(np.asarray(ad.hvp(f, (x,), (v,))), H @ v)
    np.testing.assert_allclose(np.asarray(ad.hessian(lambda a, b: (a * b * b).sum(), argnums=1)(x, v)),
                               np.diag(2 * x))


# =============================================================================== finite differences
def test_finite_difference_signatures():
    assert_signature(ad.numerical_grad, "f", "x", "eps", "method", eps=None, method="central")
    assert_signature(ad.numerical_jacobian, "f", "x")
    assert_signature(ad.numerical_hessian, "f", "x")
    assert_signature(ad.gradcheck, "f", "inputs", "eps", "atol", "rtol", "raise_exception", eps=1e-6, atol=1e-5,
                     rtol=1e-3, raise_exception=True)
    assert_signature(ad.gradgradcheck, "f", "inputs", "eps", "atol", "rtol", "raise_exception", eps=1e-6,
                     atol=1e-5, rtol=1e-3, raise_exception=True)


@pytest.mark.parametrize("method, tol", [("central", 1e-7), ("forward", 1e-5), ("backward", 1e-5),
                                         ("richardson", 1e-9)])
def test_numerical_grad_methods(method, tol):
    x = np.array([0.5, 1.0, 2.0])
    g = ad.numerical_grad(lambda t: (t ** 3).sum(), x, method=method)
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=tol)


def test_numerical_jacobian_and_hessian():
    x = np.array([0.5, 2.0])
    np.testing.assert_allclose(ad.numerical_jacobian(lambda t: t ** 2, x), np.diag(2 * x), atol=1e-8)
    np.testing.assert_allclose(ad.numerical_hessian(lambda t: t[0] ** 2 * t[1], x),
                               [[2 * x[1], 2 * x[0]], [2 * x[0], 0.0]], atol=1e-5)


def test_gradcheck_report_is_truthy_exactly_when_all_passed_and_prints_a_table():
    good = ad.gradcheck(lambda a, b: (a * ad.sin(b)).sum(), (np.array([1.0, 2.0]), np.array([0.5, -1.0])))
    assert good and len(good.inputs) == 2
    text = str(good)
    assert "max abs" in text and "max rel" in text and text.count("\n") >= 3
    for check in good.inputs:
        assert check.max_abs_error < 1e-5 and check.passed

    class WrongCube(Cube):
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x ** 2  # should be 3x²

    bad = ad.gradcheck(lambda a, b: (WrongCube.apply(a) + b).sum(), (np.array([1.0, 2.0]), np.array([1.0])),
                       raise_exception=False)
    assert not bad
    assert [c.passed for c in bad.inputs] == [False, True]
    assert bad.inputs[0].max_abs_error == pytest.approx(4.0, rel=1e-4)  # |2·2² - 3·2²| at x = 2
    assert bad.inputs[0].worst_index == (1,)
    with pytest.raises(AssertionError):  # GradcheckError is an AssertionError
        ad.gradcheck(lambda a: WrongCube.apply(a).sum(), (np.array([1.0, 2.0]),))
    assert ad.gradgradcheck(lambda a: (a ** 4).sum(), (np.array([0.5, 1.5]),))

    class DetachedCube(Cube):
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * ad.tensor(np.asarray(x)) ** 2  # right first derivative, but cut from the graph

    assert ad.gradcheck(lambda a: DetachedCube.apply(a).sum(), (np.array([0.5, 1.5]),))
    assert not ad.gradgradcheck(lambda a: DetachedCube.apply(a).sum(), (np.array([0.5, 1.5]),),
                                raise_exception=False)


# =============================================================================== calculus
def test_taylor_coefficients_and_polynomial():
    coefficients = ad.taylor(ad.exp, 0.0, 5)
    np.testing.assert_allclose(coefficients, [1 / math.factorial(k) for k in range(6)], rtol=1e-12)
    np.testing.assert_allclose(ad.taylor(ad.sin, 0.0, 5), [0, 1, 0, -1 / 6, 0, 1 / 120], atol=1e-14)
    p = ad.taylor_polynomial(ad.log, 1.0, 3)  # ln x ≈ (x-1) - (x-1)²/2 + (x-1)³/3
    assert float(p(1.5)) == pytest.approx(0.5 - 0.125 + 0.125 / 3)


def test_linearize_and_quadratic_approx_are_multivariate():
    f = lambda v: ad.stack([v[0] * v[1], v[0] + v[1] ** 2])
    x0 = np.array([1.0, 2.0])
    L = ad.linearize(f, x0)
    np.testing.assert_allclose(L.f0, [2.0, 5.0])
    np.testing.assert_allclose(L.J, [[2.0, 1.0], [1.0, 4.0]])
    np.testing.assert_allclose(np.asarray(L(np.array([1.1, 2.0]))), [2.2, 5.1])
    Q = ad.quadratic_approx(lambda v: v[0] ** 2 * v[1], x0)
    assert float(Q.f0) == pytest.approx(2.0)
    np.testing.assert_allclose(Q.g, [4.0, 1.0])
    np.testing.assert_allclose(Q.H, [[4.0, 2.0], [2.0, 0.0]])
    d = np.array([0.1, -0.2])
    assert float(Q(x0 + d)) == pytest.approx(2.0 + 4 * 0.1 - 0.2 + 0.5 * (4 * 0.01 + 2 * 2 * 0.1 * -0.2))


# =============================================================================== pictures
def test_draw_graph_and_to_dot():
    graphviz = pytest.importorskip("graphviz")
    assert_signature(ad.draw_graph, "root", "show_values", "show_grads", "rankdir", show_values=True,
                     show_grads=True, rankdir="LR")
    x = ad.tensor(1.0, requires_grad=True, name="x")
    y = ad.sin(x) * 2
    y.backward(retain_graph=True)
    g = ad.draw_graph(y)
    assert isinstance(g, graphviz.Digraph)
    assert "rankdir=TB" in ad.draw_graph(y, rankdir="TB").source
    dot = ad.to_dot(y)
    assert isinstance(dot, str) and dot.startswith("digraph") and "sin" in dot and "x" in dot
