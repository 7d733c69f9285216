"""DESIGN.md's contract for the ops ("Ops"): each promised op as a function and as a method, its value
against numpy and its gradient against a closed form, and the documented choices at kinks."""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest

import autodiff as ad


def grad_of(f, x: np.ndarray) -> np.ndarray:
    """∂ sum(f(x)) / ∂x through Tensor.backward."""
    t = ad.tensor(x, requires_grad=True)
    f(t).sum().backward()
    return t.grad.numpy()


# =============================================================================== ops
UNARY = {  # name: (domain, numpy forward, closed-form derivative)
    "abs": ([-1.5, -0.3, 0.4, 2.0], np.abs, np.sign),
    "exp": ([-1.0, 0.2, 1.5], np.exp, np.exp),
    "log": ([0.3, 1.0, 2.5], np.log, lambda x: 1 / x),
    "log1p": ([-0.5, 0.0, 2.0], np.log1p, lambda x: 1 / (1 + x)),
    "sqrt": ([0.25, 1.0, 4.0], np.sqrt, lambda x: 0.5 / np.sqrt(x)),
    "sin": ([-1.0, 0.3, 2.0], np.sin, np.cos),
    "cos": ([-1.0, 0.3, 2.0], np.cos, lambda x: -np.sin(x)),
    "tan": ([-1.0, 0.3, 1.2], np.tan, lambda x: 1 / np.cos(x) ** 2),
    "arcsin": ([-0.7, 0.1, 0.5], np.arcsin, lambda x: 1 / np.sqrt(1 - x * x)),
    "arccos": ([-0.7, 0.1, 0.5], np.arccos, lambda x: -1 / np.sqrt(1 - x * x)),
    "arctan": ([-2.0, 0.1, 3.0], np.arctan, lambda x: 1 / (1 + x * x)),
    "sinh": ([-1.0, 0.3, 2.0], np.sinh, np.cosh),
    "cosh": ([-1.0, 0.3, 2.0], np.cosh, np.sinh),
    "tanh": ([-1.0, 0.3, 2.0], np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "sigmoid": ([-2.0, 0.0, 3.0], lambda x: 1 / (1 + np.exp(-x)),
                lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    "relu": ([-2.0, -0.1, 0.5, 3.0], lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    "softplus": ([-2.0, 0.0, 3.0], lambda x: np.log1p(np.exp(x)), lambda x: 1 / (1 + np.exp(-x))),
    "erf": ([-2.0, 0.0, 0.7], np.vectorize(math.erf), lambda x: 2 / np.sqrt(np.pi) * np.exp(-x * x)),
    "erfc": ([-2.0, 0.0, 3.0], np.vectorize(math.erfc), lambda x: -2 / np.sqrt(np.pi) * np.exp(-x * x)),
}


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("how", ["function", "method"])
def test_unary_op_value_and_derivative(name, how):
    domain, forward, derivative = UNARY[name]
    x = np.array(domain)
    op = getattr(ad, name) if how == "function" else (lambda t: getattr(t, name)())
    np.testing.assert_allclose(op(ad.tensor(x)).numpy(), forward(x), rtol=1e-12)
    np.testing.assert_allclose(grad_of(op, x), derivative(x), rtol=1e-10)


OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def test_arithmetic_operators():
    a, b = np.array([1.5, -2.0, 3.0]), np.array([[0.5], [2.0]])  # broadcast (3,) with (2, 1)
    cases = {  # op: (forward, ∂/∂a, ∂/∂b) of sum(op(a, b))
        "+": (np.add, lambda a, b: 2 + 0 * a, lambda a, b: 3 + 0 * b),
        "-": (np.subtract, lambda a, b: 2 + 0 * a, lambda a, b: -3 + 0 * b),
        "*": (np.multiply, lambda a, b: b.sum() + 0 * a, lambda a, b: a.sum() + 0 * b),
        "/": (np.divide, lambda a, b: (1 / b).sum() + 0 * a, lambda a, b: (-a / b ** 2).sum(axis=1, keepdims=True)),
    }
    for sym, (forward, da, db) in cases.items():
        ta, tb = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
        out = OPERATORS[sym](ta, tb)  # the Python operator itself (ta + tb, ...) is what is under test
        np.testing.assert_allclose(out.numpy(), forward(a, b))
        out.sum().backward()
        np.testing.assert_allclose(ta.grad.numpy(), da(a, b), err_msg=sym)
        np.testing.assert_allclose(tb.grad.numpy(), db(a, b), err_msg=sym)
    base, expo = np.array([1.5, 2.0]), np.array([2.0, 0.5])
    tb_, te = ad.tensor(base, requires_grad=True), ad.tensor(expo, requires_grad=True)
    (tb_ ** te).sum().backward()
    np.testing.assert_allclose(tb_.grad.numpy(), expo * base ** (expo - 1))  # d xʸ/dx = y xʸ⁻¹
    np.testing.assert_allclose(te.grad.numpy(), np.log(base) * base ** expo)  # d xʸ/dy = ln x · xʸ
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    (-x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1.0, -1.0])
    for scalar_first in (2.0 - x, 2.0 * x, 2.0 / ad.tensor([4.0]), 2.0 ** ad.tensor([3.0]), 1 + x):
        assert isinstance(scalar_first, ad.Tensor)
    np.testing.assert_allclose((2.0 ** ad.tensor([3.0])).numpy(), [8.0])


@pytest.mark.parametrize("how", ["function", "method"])
def test_maximum_minimum_clip(how):
    a, b = np.array([1.0, 5.0, -1.0]), np.array([2.0, 3.0, -4.0])
    for name, forward in (("maximum", np.maximum), ("minimum", np.minimum)):
        ta, tb = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
        out = getattr(ad, name)(ta, tb) if how == "function" else getattr(ta, name)(tb)
        np.testing.assert_array_equal(out.numpy(), forward(a, b))
        out.sum().backward()
        np.testing.assert_array_equal(ta.grad.numpy(), (forward(a, b) == a).astype(float))
        np.testing.assert_array_equal(tb.grad.numpy(), (forward(a, b) == b).astype(float))
    x = np.array([-2.0, 0.5, 3.0])
    op = (lambda t: ad.clip(t, -1.0, 1.0)) if how == "function" else (lambda t: t.clip(-1.0, 1.0))
    np.testing.assert_array_equal(op(ad.tensor(x)).numpy(), np.clip(x, -1, 1))
    np.testing.assert_array_equal(grad_of(op, x), [0.0, 1.0, 0.0])


def test_where():
    cond = np.array([True, False, True])
    a, b = ad.tensor([1.0, 2.0, 3.0], requires_grad=True), ad.tensor([10.0, 20.0, 30.0], requires_grad=True)
    out = ad.where(cond, a, b)
    np.testing.assert_array_equal(out.numpy(), [1.0, 20.0, 3.0])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), cond.astype(float))
    np.testing.assert_array_equal(b.grad.numpy(), (~cond).astype(float))
    np.testing.assert_array_equal(ad.where(ad.tensor(cond), a, b).numpy(), [1.0, 20.0, 3.0])


X23 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
REDUCTIONS = {  # name: (numpy forward, closed-form gradient of the full reduction)
    "sum": (np.sum, lambda x: np.ones_like(x)),
    "mean": (np.mean, lambda x: np.full_like(x, 1 / x.size)),
    "var": (np.var, lambda x: 2 * (x - x.mean()) / x.size),
    "std": (np.std, lambda x: (x - x.mean()) / (x.size * x.std())),
    "max": (np.max, lambda x: (x == x.max()).astype(float)),
    "min": (np.min, lambda x: (x == x.min()).astype(float)),
    "prod": (np.prod, lambda x: np.prod(x) / x),
    "logsumexp": (lambda x, **k: np.log(np.sum(np.exp(x), **k)), lambda x: np.exp(x) / np.exp(x).sum()),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@pytest.mark.parametrize("how", ["function", "method"])
def test_reductions_with_axis_and_keepdims(name, how):
    forward, gradient = REDUCTIONS[name]
    op = (lambda t, **k: getattr(ad, name)(t, **k)) if how == "function" else (lambda t, **k: getattr(t, name)(**k))
    for axis in (None, 0, 1, -1):
        for keepdims in (False, True):
            out = op(ad.tensor(X23), axis=axis, keepdims=keepdims)
            expected = forward(X23, axis=axis, keepdims=keepdims)
            assert out.shape == np.shape(expected), (axis, keepdims)
            np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(grad_of(op, X23), gradient(X23), rtol=1e-10)


@pytest.mark.parametrize("how", ["function", "method"])
def test_softmax_and_log_softmax_along_an_axis(how):
    w = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, 2.0]])  # weights: check the VJP, not just the sum
    for axis in (-1, 0):
        s = np.exp(X23) / np.exp(X23).sum(axis=axis, keepdims=True)
        sm = ad.softmax(ad.tensor(X23), axis=axis) if how == "function" else ad.tensor(X23).softmax(axis=axis)
        np.testing.assert_allclose(sm.numpy(), s, rtol=1e-12)
        ls = (ad.log_softmax(ad.tensor(X23), axis=axis) if how == "function"
              else ad.tensor(X23).log_softmax(axis=axis))
        np.testing.assert_allclose(ls.numpy(), np.log(s), rtol=1e-12)
        sm_grad = grad_of(lambda t, axis=axis: ad.softmax(t, axis=axis) * w, X23)
        np.testing.assert_allclose(sm_grad, s * (w - (w * s).sum(axis=axis, keepdims=True)), rtol=1e-10)
        ls_grad = grad_of(lambda t, axis=axis: ad.log_softmax(t, axis=axis) * w, X23)
        np.testing.assert_allclose(ls_grad, w - s * w.sum(axis=axis, keepdims=True), rtol=1e-10)


def linear_op_gradient(numpy_op, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """∂ sum(w · op(x)) / ∂x for a linear numpy op: column i is sum(w · op(eᵢ))."""
    basis = np.eye(x.size).reshape((x.size,) + x.shape)
    return np.array([np.sum(w * numpy_op(e)) for e in basis]).reshape(x.shape)


X234 = np.arange(24.0).reshape(2, 3, 4) / 7
SHAPE_OPS = {  # name: (call on ad, call as method, numpy reference)
    "reshape": (lambda t: ad.reshape(t, (4, 6)), lambda t: t.reshape(4, 6), lambda a: a.reshape(4, 6)),
    "transpose": (lambda t: ad.transpose(t, (2, 0, 1)), lambda t: t.transpose(2, 0, 1),
                  lambda a: a.transpose(2, 0, 1)),
    "swapaxes": (lambda t: ad.swapaxes(t, 0, 2), lambda t: t.swapaxes(0, 2), lambda a: a.swapaxes(0, 2)),
    "flatten": (lambda t: ad.flatten(t), lambda t: t.flatten(), lambda a: a.flatten()),
    "squeeze": (lambda t: ad.squeeze(t[:, :1], axis=1), lambda t: t[:, :1].squeeze(axis=1),
                lambda a: a[:, :1].squeeze(axis=1)),
    "expand_dims": (lambda t: ad.expand_dims(t, 1), lambda t: t.expand_dims(1), lambda a: np.expand_dims(a, 1)),
    "broadcast_to": (lambda t: ad.broadcast_to(t[:, :1], (2, 5, 4)), lambda t: t[:, :1].broadcast_to((2, 5, 4)),
                     lambda a: np.broadcast_to(a[:, :1], (2, 5, 4))),
    "getitem basic": (lambda t: ad.getitem(t, (slice(None), 1, slice(None, None, -2))),
                      lambda t: t[:, 1, ::-2], lambda a: a[:, 1, ::-2]),
    "getitem integer array": (lambda t: ad.getitem(t, (np.array([0, 0, 1]), np.array([2, 2, 0]))),
                              lambda t: t[[0, 0, 1], [2, 2, 0]], lambda a: a[[0, 0, 1], [2, 2, 0]]),
}


@pytest.mark.parametrize("name", list(SHAPE_OPS))
@pytest.mark.parametrize("how", ["function", "method"])
def test_shape_and_index_ops(name, how):
    function, method, reference = SHAPE_OPS[name]
    op = function if how == "function" else method
    expected = reference(X234)
    np.testing.assert_array_equal(op(ad.tensor(X234)).numpy(), expected)
    w = np.random.default_rng(0).standard_normal(expected.shape)
    np.testing.assert_allclose(grad_of(lambda t: op(t) * w, X234), linear_op_gradient(reference, X234, w),
                               atol=1e-12)


def test_concatenate_stack_split():
    a, b = np.arange(6.0).reshape(2, 3), -np.arange(3.0).reshape(1, 3)
    ta, tb = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
    out = ad.concatenate([ta, tb], axis=0)
    np.testing.assert_array_equal(out.numpy(), np.concatenate([a, b], axis=0))
    (out * np.arange(9.0).reshape(3, 3)).sum().backward()
    np.testing.assert_array_equal(ta.grad.numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(tb.grad.numpy(), np.arange(6.0, 9.0).reshape(1, 3))
    s = ad.stack([ad.tensor(a), ad.tensor(a + 1)], axis=1)
    np.testing.assert_array_equal(s.numpy(), np.stack([a, a + 1], axis=1))
    x = ad.tensor(np.arange(6.0), requires_grad=True)
    parts = ad.split(x, 3)
    assert [p.tolist() for p in parts] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    (parts[1] * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 5, 5, 0, 0])
    assert [p.shape for p in ad.split(ad.tensor(a), [1], axis=1)] == [(2, 1), (2, 2)]


A = np.array([[2.0, 1.0], [0.5, 3.0]])
B = np.array([[1.0, -1.0, 0.5], [2.0, 0.0, 1.0]])


def test_matmul_dot_outer_einsum():
    ta, tb = ad.tensor(A, requires_grad=True), ad.tensor(B, requires_grad=True)
    for out in (ta @ tb, ad.matmul(ta, tb), ta.matmul(tb), ad.einsum("ij,jk->ik", ta, tb)):
        np.testing.assert_allclose(out.numpy(), A @ B)
    G = np.arange(6.0).reshape(2, 3)
    (ad.einsum("ij,jk->ik", ta, tb) * G).sum().backward()
    np.testing.assert_allclose(ta.grad.numpy(), G @ B.T)  # d(AB) = G Bᵀ, Aᵀ G
    np.testing.assert_allclose(tb.grad.numpy(), A.T @ G)
    u, v = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    tu, tv = ad.tensor(u, requires_grad=True), ad.tensor(v, requires_grad=True)
    assert ad.dot(tu, tv).item() == pytest.approx(u @ v) and tu.dot(tv).item() == pytest.approx(u @ v)
    o = ad.outer(tu, tv)
    np.testing.assert_array_equal(o.numpy(), np.outer(u, v))
    (o * A).sum().backward()
    np.testing.assert_allclose(tu.grad.numpy(), A @ v)
    np.testing.assert_allclose(tv.grad.numpy(), A.T @ u)


def test_linear_algebra_methods():
    u, v = ad.tensor([1.0, 2.0]), ad.tensor([3.0, -1.0])
    np.testing.assert_array_equal(u.outer(v).numpy(), np.outer([1.0, 2.0], [3.0, -1.0]))
    np.testing.assert_allclose(ad.tensor(A).inv().numpy(), np.linalg.inv(A))
    assert ad.tensor(A).det().item() == pytest.approx(np.linalg.det(A))
    assert [p.tolist() for p in ad.tensor(B).split([1], axis=1)] == [[[1.0], [2.0]], [[-1.0, 0.5], [0.0, 1.0]]]


def test_inv_det_solve_norm():
    inv = np.linalg.inv(A)
    G = np.array([[1.0, 2.0], [-1.0, 0.5]])
    np.testing.assert_allclose(ad.inv(ad.tensor(A)).numpy(), inv)
    np.testing.assert_allclose(grad_of(lambda t: ad.inv(t) * G, A), -inv.T @ G @ inv.T)  # d A⁻¹ = -A⁻¹ dA A⁻¹
    assert ad.det(ad.tensor(A)).item() == pytest.approx(np.linalg.det(A))
    np.testing.assert_allclose(grad_of(ad.det, A), np.linalg.det(A) * inv.T)  # ∂ det A = det A · A⁻ᵀ
    b = np.array([1.0, -2.0])
    ta, tb = ad.tensor(A, requires_grad=True), ad.tensor(b, requires_grad=True)
    x = ad.solve(ta, tb)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(A, b))
    x.sum().backward()
    gb = np.linalg.solve(A.T, np.ones(2))
    np.testing.assert_allclose(tb.grad.numpy(), gb)
    np.testing.assert_allclose(ta.grad.numpy(), -np.outer(gb, np.linalg.solve(A, b)))
    v = np.array([3.0, -4.0])
    assert ad.norm(ad.tensor(v)).item() == pytest.approx(5.0) and ad.tensor(v).norm().item() == pytest.approx(5.0)
    np.testing.assert_allclose(grad_of(ad.norm, v), v / 5.0)
    np.testing.assert_allclose(ad.norm(ad.tensor(B), axis=1).numpy(), np.linalg.norm(B, axis=1))


def test_comparisons_give_boolean_tensors_without_grad():
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for out, expected in ((x < 2, [True, False, False]), (x <= 2, [True, True, False]), (x > 2, [False, False, True]),
                          (x >= 2, [False, True, True]), (x == 2, [False, True, False]),
                          (x != 2, [True, False, True])):
        assert isinstance(out, ad.Tensor) and out.dtype == np.bool_ and not out.requires_grad
        assert out.tolist() == expected


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_documented_derivatives_at_kinks_and_domain_edges():
    """The README's documented choices where the derivative jumps or blows up."""
    at = lambda f, x: grad_of(f, np.array(x, dtype=float))
    assert at(ad.abs, [0.0]).tolist() == [0.0] and at(ad.relu, [0.0]).tolist() == [0.0]
    assert at(ad.sqrt, [0.0]).tolist() == [np.inf] and at(ad.log, [0.0]).tolist() == [np.inf]
    assert at(ad.norm, [0.0, 0.0]).tolist() == [0.0, 0.0] and at(ad.std, [1.0, 1.0]).tolist() == [0.0, 0.0]
    assert at(ad.max, [2.0, 2.0, 1.0]).tolist() == [0.5, 0.5, 0.0]  # ties share evenly
    assert at(lambda t: ad.maximum(t, ad.tensor([1.0])), [1.0]).tolist() == [0.5]
    assert at(lambda t: ad.clip(t, 0.0, 1.0), [0.0, 1.0]).tolist() == [1.0, 1.0]  # passes at its bounds
