"""The public API that DESIGN.md promises ("Public API (the contract)"), name by name.

Each test checks that a promised name exists with the promised argument names and defaults, and
that it does the documented thing on a tiny example whose expected value comes from numpy or a
closed form (never from the code under test). A failure here means user code written against
DESIGN.md breaks.
"""

from __future__ import annotations

import inspect
import math
import operator

import numpy as np
import pytest

import autodiff as ad
import nn
import optim
from autodiff.errors import DtypeError, GraphFreedError, InPlaceError, ShapeError


def params_of(f) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(f).parameters)


def assert_signature(f, *names: str, **defaults) -> None:
    """``f`` takes the named arguments in this order (others may follow), with these defaults."""
    params = params_of(f)
    listed = [n for n in params if n != "self"]
    assert listed[: len(names)] == list(names), f"{f.__qualname__}{inspect.signature(f)}: expected {names}"
    for name, value in defaults.items():
        assert name in params, f"{f.__qualname__} lacks the argument {name}="
        assert params[name].default == value, f"{f.__qualname__}: {name} defaults to {params[name].default!r}"


def grad_of(f, x: np.ndarray) -> np.ndarray:
    """∂ sum(f(x)) / ∂x through Tensor.backward."""
    t = ad.tensor(x, requires_grad=True)
    f(t).sum().backward()
    return t.grad.numpy()


# =============================================================================== Tensor
FACTORIES = ["zeros", "ones", "full", "eye", "arange", "linspace", "zeros_like", "ones_like", "rand", "randn"]


def test_tensor_constructor_signature():
    assert_signature(ad.tensor, "data", "dtype", "requires_grad", "name", dtype=None, requires_grad=False,
                     name=None)
    t = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    assert isinstance(t, ad.Tensor) and t.name == "w" and t.requires_grad


@pytest.mark.parametrize("name", FACTORIES)
def test_factories_take_requires_grad_and_dtype(name):
    f = getattr(ad, name)
    assert "requires_grad" in params_of(f) and "dtype" in params_of(f)


@pytest.mark.parametrize("name", ["rand", "randn"])
def test_random_factories_take_rng_as_generator_or_seed(name):
    draw = {"rand": "random", "randn": "standard_normal"}[name]
    expected = getattr(np.random.default_rng(7), draw)((2, 3))
    np.testing.assert_array_equal(getattr(ad, name)(2, 3, rng=np.random.default_rng(7)).numpy(), expected)
    np.testing.assert_array_equal(getattr(ad, name)(2, 3, rng=7).numpy(), expected)
    assert getattr(ad, name)(2, 3, rng=7, requires_grad=True).requires_grad


def test_factory_values():
    np.testing.assert_array_equal(ad.zeros(2, 3).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(ad.ones((2,)).numpy(), np.ones(2))
    np.testing.assert_array_equal(ad.full((2, 2), 3.5).numpy(), np.full((2, 2), 3.5))
    np.testing.assert_array_equal(ad.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(ad.arange(1, 7, 2).numpy(), np.arange(1, 7, 2))
    np.testing.assert_allclose(ad.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    like = ad.ones(2, 2, dtype=np.float32)
    assert ad.zeros_like(like).dtype == np.float32 and ad.ones_like(like).numpy().sum() == 4
    assert ad.ones(3, requires_grad=True).requires_grad


def test_tensor_attributes():
    x = ad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, name="x")
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float64
    np.testing.assert_array_equal(x.T.numpy(), np.array([[1, 4], [2, 5], [3, 6]]))
    assert isinstance(x.data, np.ndarray) and x.name == "x" and x.grad is None
    assert x.is_leaf and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad


def test_tensor_methods():
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert isinstance(x.numpy(), np.ndarray)
    assert ad.tensor(2.5).item() == 2.5 and isinstance(ad.tensor(2.5).item(), float)
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    d = (x * 3).detach()
    assert not d.requires_grad and d.grad_fn is None
    np.testing.assert_array_equal(d.numpy(), 3 * np.array([[1, 2], [3, 4]]))
    z = ad.tensor([1.0, 2.0])
    assert z.requires_grad_() is z and z.requires_grad
    assert_signature(ad.Tensor.backward, "gradient", "retain_graph", "create_graph", gradient=None,
                     retain_graph=False, create_graph=False)


def test_backward_gradient_retain_graph_create_graph():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x ** 3
    y.backward(gradient=np.array([1.0, 10.0]), retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 120.0])  # 3x² · g
    y.backward(gradient=np.array([1.0, 1.0]))  # the retained graph can be walked again; grads accumulate
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 132.0])
    x.grad = None
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad  # the gradient is itself differentiable
    (dg,) = ad.gradients(g.sum(), x)
    np.testing.assert_allclose(dg.numpy(), 6 * np.array([1.0, 2.0]))  # d²/dx² x³ = 6x


def test_register_hook_sees_and_can_replace_the_gradient():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    remove = x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (x * x).sum().backward()
    np.testing.assert_allclose(seen[0], [2.0, 4.0])
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 40.0])
    remove()
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_np_asarray_and_repr():
    t = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    a = np.asarray(t)
    assert isinstance(a, np.ndarray)
    np.testing.assert_array_equal(a, [[1.0, 2.0], [3.0, 4.0]])
    text = repr(t)
    assert text.startswith("tensor(") and "requires_grad=True" in text and "\n" in text  # rows on lines
    assert "grad_fn" in repr(t * 2)
    assert "float32" in repr(ad.tensor([1.0], dtype=np.float32))
    big = repr(ad.zeros(1000))
    assert "..." in big and len(big) < 400  # large tensors are summarised


# =============================================================================== dtypes
def test_default_dtype_float64_and_float32_stays_float32():
    assert ad.tensor([1.0, 2.0]).dtype == np.float64
    assert ad.tensor(1.5).dtype == np.float64
    x = ad.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (ad.exp(x * 2.0) + 1).sum() / 3  # Python scalars do not promote float32 (numpy's rule)
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32
    w = ad.tensor(np.ones((3, 2), dtype=np.float32))
    assert (x @ w).dtype == np.float32 and ad.softmax(x).dtype == np.float32


@pytest.mark.parametrize("data", [np.array([1, 2]), np.array([True, False])])
def test_integer_and_boolean_tensors_exist_but_refuse_grad(data):
    t = ad.tensor(data)
    assert t.dtype == data.dtype
    with pytest.raises(DtypeError, match="float"):
        ad.tensor(data, requires_grad=True)
    with pytest.raises(DtypeError):
        t.requires_grad_()


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


def test_in_place_change_of_a_saved_tensor_fails_at_backward():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    with ad.no_grad():
        x.add_(1.0)
    with pytest.raises(InPlaceError, match="in place"):
        loss.backward()


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


# =============================================================================== tape and modes
def test_gradients_signature_and_behaviour():
    assert_signature(ad.gradients, "outputs", "inputs", "grad_outputs", "retain_graph", "create_graph",
                     "allow_unused", grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False)
    x, y = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor(3.0, requires_grad=True)
    unused = ad.tensor(1.0, requires_grad=True)
    out = x * y
    grads = ad.gradients(out, [x, y], grad_outputs=np.array([1.0, 2.0]), retain_graph=True)
    assert isinstance(grads, tuple) and all(isinstance(g, ad.Tensor) for g in grads)
    np.testing.assert_allclose(grads[0].numpy(), [3.0, 6.0])
    assert grads[1].item() == pytest.approx(1.0 + 4.0)
    assert x.grad is None  # gradients() does not touch .grad
    with pytest.raises(Exception, match="(?i)unused|not used|allow_unused"):
        ad.gradients(out.sum(), [x, unused], retain_graph=True)
    assert ad.gradients(out.sum(), [x, unused], allow_unused=True)[1] is None


def test_grad_modes():
    x = ad.tensor(2.0, requires_grad=True)
    assert ad.is_grad_enabled()
    with ad.no_grad():
        assert not ad.is_grad_enabled() and not (x * x).requires_grad
        with ad.enable_grad():
            assert ad.is_grad_enabled() and (x * x).requires_grad
    assert ad.is_grad_enabled()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_detect_anomaly_names_the_op_forward_and_backward():
    x = ad.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(Exception, match="log"), ad.detect_anomaly():
        ad.log(x - 1.0)
    with pytest.raises(Exception, match="sqrt"), ad.detect_anomaly():
        ad.sqrt(x).sum().backward()  # forward finite, backward 1/(2√0) = inf


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


# =============================================================================== nn
MODULE_METHODS = ["forward", "__call__", "parameters", "named_parameters", "children", "train", "eval", "zero_grad",
                  "state_dict", "load_state_dict", "to", "float", "double"]
LAYERS_WITH_DTYPE = {"Linear": (2, 3), "Conv2d": (1, 2, 3), "BatchNorm1d": (3,), "LayerNorm": (3,),
                     "Embedding": (5, 2)}


@pytest.mark.parametrize("name", MODULE_METHODS)
def test_module_methods_exist(name):
    assert callable(getattr(nn.Module, name))


def test_module_basics_and_state_dict_keys_like_pytorch():
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p.shape for p in model.parameters()] == [(3, 2), (3,), (1, 3), (1,)]  # weight is (out, in)
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    assert len(list(model.children())) == 3
    assert model.eval() is model and not model.training and not model[0].training
    assert model.train().training
    state = model.state_dict()
    assert list(state) == names and all(isinstance(v, np.ndarray) for v in state.values())
    x = np.array([[1.0, -1.0]])
    W0, b0, W2, b2 = (state[n] for n in names)
    np.testing.assert_allclose(model(x).numpy(), np.maximum(x @ W0.T + b0, 0) @ W2.T + b2)
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None or not np.any(p.grad.numpy()) for p in model.parameters())
    text = repr(model)
    assert "Linear(in_features=2, out_features=3" in text and "\n" in text


def test_load_state_dict_strict_and_errors():
    model = nn.Linear(2, 3)
    new = {"weight": np.arange(6.0).reshape(3, 2), "bias": np.ones(3)}
    model.load_state_dict(new)
    np.testing.assert_array_equal(model.weight.numpy(), new["weight"])
    assert params_of(nn.Module.load_state_dict)["strict"].default is True
    with pytest.raises(Exception, match="missing.*bias"):
        model.load_state_dict({"weight": new["weight"]})
    with pytest.raises(Exception, match="unexpected.*extra"):
        model.load_state_dict({**new, "extra": np.ones(1)})
    with pytest.raises(Exception, match=r"\(2, 3\).*\(3, 2\)"):
        model.load_state_dict({"weight": np.zeros((2, 3)), "bias": np.ones(3)})
    np.testing.assert_array_equal(model.weight.numpy(), new["weight"])  # nothing changed by a failed load
    model.load_state_dict({"weight": np.zeros((3, 2))}, strict=False)
    assert not np.any(model.weight.numpy())


@pytest.mark.parametrize("name", list(LAYERS_WITH_DTYPE))
def test_layers_take_dtype_and_float32_stays_float32(name):
    cls = getattr(nn, name)
    assert params_of(cls)["dtype"].default in (np.float64, "float64", None)
    layer = cls(*LAYERS_WITH_DTYPE[name], dtype=np.float32)
    assert all(p.dtype == np.float32 for p in layer.parameters())
    inputs = {"Linear": np.ones((4, 2), np.float32), "Conv2d": np.ones((1, 1, 5, 5), np.float32),
              "BatchNorm1d": np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32),
              "LayerNorm": np.ones((4, 3), np.float32), "Embedding": np.array([0, 4])}[name]
    out = layer(ad.tensor(inputs))
    assert out.dtype == np.float32
    out.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())
    assert all(p.dtype == np.float64 for p in cls(*LAYERS_WITH_DTYPE[name]).parameters())  # default float64


def test_module_to_float_double():
    model = nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2))
    assert model.float() is model and all(p.dtype == np.float32 for p in model.parameters())
    assert all(p.dtype == np.float64 for p in model.double().parameters())
    assert all(p.dtype == np.float32 for p in model.to(np.float32).parameters())


def test_pytorch_parameter_names_and_layouts():
    assert nn.Conv2d(3, 4, (2, 5)).weight.shape == (4, 3, 2, 5)
    assert nn.Conv2d(3, 4, 3).bias.shape == (4,)
    assert list(nn.LayerNorm(3).state_dict()) == ["weight", "bias"]
    bn = nn.BatchNorm1d(3).state_dict()
    assert {"weight", "bias", "running_mean", "running_var"} <= set(bn)
    assert nn.Embedding(5, 2).weight.shape == (5, 2)


def test_state_dict_moves_from_pytorch_in_one_line():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(model(x).numpy(), tm(torch.tensor(x, dtype=torch.float32)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_layers_compute_the_documented_thing():
    x = np.array([[[[1.0, 2.0, 0.0, 1.0], [3.0, -1.0, 5.0, 2.0], [0.0, 1.0, 1.0, 1.0], [2.0, 2.0, 7.0, 0.0]]]])
    np.testing.assert_array_equal(nn.MaxPool2d(2)(x).numpy(), [[[[3.0, 5.0], [2.0, 7.0]]]])
    conv = nn.Conv2d(1, 1, 2, bias=False)
    conv.load_state_dict({"weight": np.array([[[[1.0, 0.0], [0.0, -1.0]]]])})
    np.testing.assert_array_equal(conv(x).numpy()[0, 0, 0], x[0, 0, 0, :3] - x[0, 0, 1, 1:])  # cross-correlation
    assert nn.Flatten()(ad.ones(2, 3, 4)).shape == (2, 12)
    drop = nn.Dropout(0.5, rng=0)
    np.testing.assert_array_equal(drop.eval()(ad.ones(4)).numpy(), np.ones(4))
    kept = drop.train()(ad.ones(1000)).numpy()
    assert set(np.unique(kept)) <= {0.0, 2.0} and 400 < (kept > 0).sum() < 600  # inverted dropout
    h = np.array([[1.0, 2.0, 3.0], [3.0, 6.0, 0.0]])
    np.testing.assert_allclose(nn.LayerNorm(3)(h).numpy(),
                               (h - h.mean(1, keepdims=True)) / np.sqrt(h.var(1, keepdims=True) + 1e-5))
    np.testing.assert_allclose(nn.BatchNorm1d(3)(h).numpy(), (h - h.mean(0)) / np.sqrt(h.var(0) + 1e-5))
    emb = nn.Embedding(4, 2)
    np.testing.assert_array_equal(emb(np.array([3, 0])).numpy(), emb.weight.numpy()[[3, 0]])


ACTIVATIONS = {
    "ReLU": lambda x: np.maximum(x, 0),
    "Tanh": np.tanh,
    "Sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "LeakyReLU": lambda x: np.where(x > 0, x, 0.01 * x),
    "GELU": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2))),
    "Softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activations_and_their_functional_names(name):
    x = np.array([[-2.0, -0.5, 0.0, 0.7, 3.0]])
    expected = ACTIVATIONS[name](x)
    np.testing.assert_allclose(getattr(nn, name)()(ad.tensor(x)).numpy(), expected, rtol=1e-7, atol=1e-12)
    snake = {"LeakyReLU": "leaky_relu"}.get(name, name.lower())
    np.testing.assert_allclose(getattr(nn.functional, snake)(ad.tensor(x)).numpy(), expected, rtol=1e-7,
                               atol=1e-12)


def test_losses_and_their_functional_names():
    F = nn.functional
    pred, target = np.array([0.5, 2.0, -1.0]), np.array([1.0, 0.0, -1.5])
    np.testing.assert_allclose(nn.MSELoss()(pred, target).item(), np.mean((pred - target) ** 2))
    np.testing.assert_allclose(F.mse_loss(ad.tensor(pred), target).item(), np.mean((pred - target) ** 2))
    d = np.abs(pred - target)
    huber = np.mean(np.where(d < 1, 0.5 * d ** 2, d - 0.5))
    np.testing.assert_allclose(nn.HuberLoss()(pred, target).item(), huber)
    np.testing.assert_allclose(F.huber_loss(ad.tensor(pred), target).item(), huber)
    logits, labels = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]]), np.array([0, 2])
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    ce = -np.mean(log_p[[0, 1], labels])
    np.testing.assert_allclose(nn.CrossEntropyLoss()(logits, labels).item(), ce)
    np.testing.assert_allclose(F.cross_entropy(ad.tensor(logits), labels).item(), ce)
    p, t = np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 0.0])
    bce = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(nn.BCELoss()(p, t).item(), bce)
    np.testing.assert_allclose(F.binary_cross_entropy(ad.tensor(p), t).item(), bce)
    z = np.log(p / (1 - p))
    np.testing.assert_allclose(nn.BCEWithLogitsLoss()(z, t).item(), bce)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(ad.tensor(z), t).item(), bce)


def test_init_datasets_batches():
    w = nn.Parameter(np.zeros((30, 20)))
    nn.init.xavier_uniform_(w)
    bound = math.sqrt(6 / (30 + 20))
    assert np.all(np.abs(w.numpy()) <= bound) and np.any(w.numpy())
    for name in ["make_moons", "make_circles", "make_spirals", "make_blobs", "make_xor"]:
        make = getattr(nn.datasets, name)
        X1, y1 = make(rng=3)
        X2, y2 = make(rng=3)
        np.testing.assert_array_equal(X1, X2)  # seeded
        np.testing.assert_array_equal(y1, y2)
        assert X1.ndim == 2 and X1.shape[1] == 2 and len(y1) == len(X1)
        assert np.issubdtype(y1.dtype, np.integer)
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    got = list(nn.batches(X, y, batch_size=4, shuffle=True, rng=0))
    assert [len(b) for b, _ in got] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate([b for _, b in got])), y)
    for xb, yb in got:
        np.testing.assert_array_equal(xb[:, 0] / 2, yb)  # rows stay with their labels


def test_fit_signature_and_training(capsys):
    assert_signature(nn.fit, "model", "loss_fn", "optimizer", "X", "y", "epochs", "batch_size")
    assert params_of(nn.fit)["progress"].default is True
    X, y = nn.datasets.make_moons(200, noise=0.1, rng=0)
    model = nn.Sequential(nn.Linear(2, 16, rng=0), nn.Tanh(), nn.Linear(16, 2, rng=1))
    history = nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), X, y, epochs=30,
                     batch_size=32, progress=False, rng=0)
    assert len(history["loss"]) == 30 and history["loss"][-1] < history["loss"][0]
    predictions = model(X).numpy().argmax(axis=1)
    assert np.mean(predictions == y) > 0.9


def test_save_and_load_npz(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    path = tmp_path / "model.npz"
    nn.save(model, path)
    with np.load(path, allow_pickle=False) as archive:  # a plain npz, no pickle
        assert sorted(archive.files) == sorted(model.state_dict())
    state = nn.load(path)
    other = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    other.load_state_dict(state)
    x = np.array([[0.3, -0.2]])
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())
    nn.save(model.state_dict(), tmp_path / "state.npz")
    assert sorted(nn.load(tmp_path / "state.npz")) == sorted(state)
    (tmp_path / "bad.npz").write_bytes(b"not an archive")
    with pytest.raises(Exception, match=r"bad\.npz"):
        nn.load(tmp_path / "bad.npz")


# =============================================================================== optim
def one_param(value) -> ad.Tensor:
    return ad.tensor(np.array(value, dtype=float), requires_grad=True)


def step_once(opt_cls, start, grad, **kwargs) -> np.ndarray:
    """One step of ``opt_cls`` from ``start`` with the gradient of ``grad·w`` (i.e. ``grad``)."""
    w = one_param(start)
    opt = opt_cls([w], **kwargs)
    opt.zero_grad()
    (w * np.asarray(grad)).sum().backward()
    opt.step()
    return w.numpy()


def test_optimizer_interface():
    w = one_param([1.0, 2.0])
    opt = optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)
    assert isinstance(opt, optim.Optimizer) and len(opt.param_groups) == 1
    assert opt.param_groups[0]["params"] == [w] or opt.param_groups[0]["params"][0] is w
    assert {"lr", "momentum", "nesterov", "weight_decay"} <= set(opt.param_groups[0])
    assert isinstance(opt.state, dict)
    assert_signature(optim.Optimizer.step, "closure", closure=None)
    (w * w).sum().backward()
    opt.zero_grad()
    assert w.grad is None or not np.any(w.grad.numpy())
    state = opt.state_dict()
    assert {"state", "param_groups"} <= set(state)
    opt.load_state_dict(state)
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert calls and float(loss) == pytest.approx(5.0)


def test_first_order_optimizers_one_step_against_the_textbook_update():
    start, g, lr = np.array([1.0, -2.0]), np.array([0.5, -4.0]), 0.1
    np.testing.assert_allclose(step_once(optim.SGD, start, g, lr=lr), start - lr * g)
    np.testing.assert_allclose(step_once(optim.SGD, start, g, lr=lr, weight_decay=0.1),
                               start - lr * (g + 0.1 * start))
    # Adam's first step: m̂ = g, v̂ = g², so the update is lr·g/(|g| + eps)
    np.testing.assert_allclose(step_once(optim.Adam, start, g, lr=lr), start - lr * np.sign(g), rtol=1e-7)
    np.testing.assert_allclose(step_once(optim.AdamW, start, g, lr=lr, weight_decay=0.1),
                               start * (1 - lr * 0.1) - lr * np.sign(g), rtol=1e-7)
    v = (1 - 0.99) * g ** 2
    np.testing.assert_allclose(step_once(optim.RMSprop, start, g, lr=lr), start - lr * g / (np.sqrt(v) + 1e-8))
    np.testing.assert_allclose(step_once(optim.Adagrad, start, g, lr=lr), start - lr * g / (np.abs(g) + 1e-10))


def test_sgd_momentum_and_nesterov_two_steps():
    g, lr, mu = np.array([1.0, -2.0]), 0.1, 0.9
    for nesterov in (False, True):
        w = one_param([0.0, 0.0])
        opt = optim.SGD([w], lr=lr, momentum=mu, nesterov=nesterov)
        for _ in range(2):
            opt.zero_grad()
            (w * g).sum().backward()
            opt.step()
        # buffers b1 = g, b2 = μg + g; nesterov uses g + μ·b
        steps = [g + mu * g, g + mu * (mu * g + g)] if nesterov else [g, mu * g + g]
        np.testing.assert_allclose(w.numpy(), -lr * (steps[0] + steps[1]), err_msg=f"nesterov={nesterov}")


def test_lbfgs_and_newton_family_reach_the_minimum():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    x_star = np.linalg.solve(A, b)
    w = one_param([0.0, 0.0])
    opt = optim.LBFGS([w])

    def closure():
        opt.zero_grad()
        loss = 0.5 * (w @ (ad.tensor(A) @ w)) - (w * b).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(w.numpy(), x_star, atol=1e-6)
    w = one_param([5.0, -3.0])
    newton = optim.Newton([w])
    newton.step(lambda: 0.5 * (w @ (ad.tensor(A) @ w)) - (w * b).sum())  # a quadratic: one Newton step
    np.testing.assert_allclose(w.numpy(), x_star, atol=1e-10)
    assert {"damping"} <= set(params_of(optim.Newton))
    M, y = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 2.0, 4.0])
    lsq = np.linalg.lstsq(M, y, rcond=None)[0]
    for cls, steps in ((optim.GaussNewton, 1), (optim.LevenbergMarquardt, 20)):
        p = one_param([0.0, 0.0])
        opt = cls([p])
        for _ in range(steps):
            opt.step(lambda p=p: ad.tensor(M) @ p - y)
        np.testing.assert_allclose(p.numpy(), lsq, atol=1e-6, err_msg=cls.__name__)


def test_lr_schedulers():
    sched = optim.lr_scheduler

    def lrs(make, n=5):
        opt = optim.SGD([one_param([1.0])], lr=1.0)
        s = make(opt)
        out = []
        for _ in range(n):
            opt.step()
            s.step()
            out.append(opt.param_groups[0]["lr"])
        return out

    np.testing.assert_allclose(lrs(lambda o: sched.StepLR(o, step_size=2, gamma=0.5)), [1, 0.5, 0.5, 0.25, 0.25])
    np.testing.assert_allclose(lrs(lambda o: sched.ExponentialLR(o, gamma=0.5)), 0.5 ** np.arange(1, 6))
    np.testing.assert_allclose(lrs(lambda o: sched.CosineAnnealingLR(o, T_max=4)),
                               (1 + np.cos(np.pi * np.array([1, 2, 3, 4, 5]) / 4)) / 2, atol=1e-12)


def test_minimize_signature_and_result():
    assert_signature(optim.minimize, "f", "x0", "method", "tol", "maxiter", "callback")
    rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    for method in ["newton", "bfgs", "lbfgs"]:
        r = optim.minimize(rosen, [-1.2, 1.0], method=method)
        assert r.success, (method, r.message)
        np.testing.assert_allclose(r.x, [1.0, 1.0], atol=1e-6)
        assert r.fun < 1e-10 and np.linalg.norm(r.grad) < 1e-6 and isinstance(r.message, str)
        assert np.shape(r.path) == (r.nit + 1, 2)
        np.testing.assert_array_equal(r.path[0], [-1.2, 1.0])
    quadratic = lambda x: ((x - np.array([1.0, -2.0])) ** 2).sum()
    for method in ["gd", "momentum"]:
        seen = []
        r = optim.minimize(quadratic, [0.0, 0.0], method=method, tol=1e-8, maxiter=5000, callback=seen.append)
        assert r.success, (method, r.message)
        np.testing.assert_allclose(r.x, [1.0, -2.0], atol=1e-6)
        assert len(seen) == r.nit
    r = optim.minimize(rosen, [-1.2, 1.0], method="gd", maxiter=3)
    assert not r.success and r.nit == 3


def test_line_search_newton_raphson_lagrange():
    r = optim.line_search(lambda x: (x ** 2).sum(), np.array([1.0, 1.0]), np.array([-1.0, -1.0]))
    assert r.success and 0 < r.alpha <= 1 and r.fun < 2.0
    root = optim.newton_raphson(lambda x: x ** 2 - 2, 1.0)
    assert root.success and float(root.root) == pytest.approx(math.sqrt(2), rel=1e-10)
    root = optim.newton_raphson(lambda v: ad.stack([v[0] ** 2 + v[1] ** 2 - 4, v[0] - v[1]]), [1.0, 0.5])
    np.testing.assert_allclose(root.root, [math.sqrt(2), math.sqrt(2)], rtol=1e-10)
    assert not optim.newton_raphson(lambda x: x ** 2 + 1, 1.0).success  # no real root
    res = optim.lagrange(lambda v: v[0] * v[1], lambda v: v[0] + v[1] - 10, x0=[1.0, 2.0])
    np.testing.assert_allclose(res.x, [5.0, 5.0])
    np.testing.assert_allclose(np.ravel(res.multipliers), [5.0])


def test_regression():
    assert_signature(optim.curve_fit, "model", "xdata", "ydata", "p0", sigma=None, method="lm")
    assert_signature(optim.linear_regression, "x", "y", "sigma", sigma=None)
    y, model_y, sigma = np.array([1.0, 2.0, 3.0]), np.array([1.5, 2.0, 2.0]), np.array([0.5, 1.0, 2.0])
    assert optim.chi_squared(y, model_y, sigma) == pytest.approx(1.0 + 0.0 + 0.25)
    x = np.array([0.0, 1.0, 2.0, 3.0])
    yy = np.array([1.0, 3.0, 5.0, 7.1])
    fit = optim.linear_regression(x, yy)
    slope, intercept = np.polyfit(x, yy, 1)
    assert fit.slope == pytest.approx(slope) and fit.intercept == pytest.approx(intercept)
    xs = np.linspace(0, 4, 20)
    ys = 3 * np.exp(-0.7 * xs) + 0.01 * np.cos(5 * xs)
    popt, pcov = optim.curve_fit(lambda x, a, k: a * ad.exp(-k * x), xs, ys, p0=[1.0, 1.0])
    assert popt.shape == (2,) and pcov.shape == (2, 2)
    np.testing.assert_allclose(popt, [3.0, 0.7], atol=0.02)
    np.testing.assert_allclose(pcov, pcov.T)
    assert np.all(np.linalg.eigvalsh(pcov) > 0)


# =============================================================================== command line
def run_cli(capsys, *argv: str) -> tuple[int, str]:
    from autodiff.cli import main

    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_cli_subcommands(capsys, tmp_path):
    code, out = run_cli(capsys, "check", "x**2 * exp(y)", "--at", "x=1,y=0.5")
    assert code == 0 and "2" in out and "3.29744" in out  # df/dx = 2x e^y = 3.2974...
    code, out = run_cli(capsys, "taylor", "exp(x)", "--at", "x=0", "--order", "5")
    assert code == 0 and "0.008333" in out  # 1/5!
    code, out = run_cli(capsys, "minimize", "(1-x)**2 + 100*(y-x**2)**2", "--from", "x=-1.2,y=1", "--method",
                        "newton")
    assert code == 0 and "0.99999" in out
    target = tmp_path / "g.svg"
    code, out = run_cli(capsys, "graph", "sin(x) * y + x**2", "--at", "x=1,y=2", "-o", str(target))
    assert code == 0 and "3.0806" in out  # df/dx = y cos x + 2x = 3.0806...
    code, out = run_cli(capsys, "demo", "--help")
    assert code == 0 and "--dataset" in out and "--epochs" in out and "--out" in out


def test_cli_refuses_unsafe_or_unknown_expressions(capsys):
    code, out = run_cli(capsys, "check", "__import__('os').system('true')", "--at", "x=1")
    assert code == 2 and "__import__" in out
    code, out = run_cli(capsys, "check", "x + nosuchname(x)", "--at", "x=1")
    assert code == 2 and "nosuchname" in out


# =============================================================================== errors users get
def test_clear_errors_for_common_mistakes():
    with pytest.raises(ShapeError, match=r"matmul.*\(2, 3\).*\(2, 3\)"):
        ad.ones(2, 3) @ ad.ones(2, 3)
    assert issubclass(ShapeError, ValueError)
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(Exception, match=r"\(2,\)"):
        (x * x).backward()  # non-scalar without gradient=
    y = (ad.exp(x)).sum()
    y.backward()
    with pytest.raises(GraphFreedError, match="retain_graph"):
        y.backward()
    with pytest.raises(DtypeError):
        ad.grad(lambda t: t * t)(np.array([1, 2]))


# =============================================================================== regressions found by this audit
@pytest.mark.parametrize("layer", [nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.GELU(), nn.Softmax(), nn.Flatten(),
                                   nn.MaxPool2d(1), nn.Dropout(0.5), nn.Sequential(nn.ReLU())])
def test_a_layer_called_on_a_numpy_array_returns_a_tensor(layer):
    out = layer.eval()(np.ones((1, 1, 2, 2)))
    assert isinstance(out, ad.Tensor)  # it was a bare ndarray: out.numpy() / out.backward() failed


def test_levenberg_marquardt_keeps_stepping_safely_after_convergence():
    M, y = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 2.0, 4.0])
    p = one_param([0.0, 0.0])
    opt = optim.LevenbergMarquardt([p])
    for _ in range(100):  # μ grew ×10³⁰ at each failed step until it overflowed and lstsq raised
        opt.step(lambda: ad.tensor(M) @ p - y)
    np.testing.assert_allclose(p.numpy(), np.linalg.lstsq(M, y, rcond=None)[0], atol=1e-10)


@pytest.mark.parametrize("method", ["gd", "momentum", "newton", "bfgs", "lbfgs"])
def test_minimize_callback_sees_every_iterate_including_the_last(method):
    seen = []
    r = optim.minimize(lambda x: ((x - 1.0) ** 2).sum(), [0.0, 3.0], method=method, callback=seen.append)
    assert r.success and len(seen) == r.nit
    np.testing.assert_array_equal(seen[-1], r.x)


def test_no_grad_and_enable_grad_work_as_decorators_like_pytorch():
    w = ad.tensor([1.0, 2.0], requires_grad=True)

    @ad.no_grad()
    def predict(v):
        assert not ad.is_grad_enabled()
        return w * v

    @ad.enable_grad()
    def record(v):
        return w * v

    assert not predict(3.0).requires_grad and ad.is_grad_enabled()
    with ad.no_grad():
        assert record(3.0).requires_grad and not ad.is_grad_enabled()
    assert predict.__name__ == "predict"


@pytest.mark.parametrize("bad", [[1.5, 0.2], [-0.1, 0.5], [np.nan, 0.5]])
def test_bce_refuses_values_that_are_not_probabilities(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\].*BCEWithLogitsLoss"):  # it returned a negative loss
        nn.BCELoss()(ad.tensor(bad), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        nn.functional.binary_cross_entropy(ad.tensor(bad), np.array([1.0, 0.0]))
    assert nn.BCELoss()(ad.tensor([1.0, 0.0]), np.array([1.0, 0.0])).item() == 0.0  # the bounds are allowed


def test_linear_names_the_feature_mismatch_in_its_own_terms():
    with pytest.raises(ShapeError, match=r"linear: the input has shape \(4, 2\).*\(2, 3\).*expects 3 features"):
        nn.Linear(3, 2)(ad.ones(4, 2))  # it was matmul's gufunc message, with the transposed weight's shape


def test_minimize_accepts_scipy_spelling_of_methods():
    r = optim.minimize(lambda x: ((x - 2.0) ** 2).sum(), [0.0], method="BFGS")
    assert r.success and r.x.tolist() == pytest.approx([2.0])


def test_save_into_a_missing_folder_names_the_users_path(tmp_path):
    target = tmp_path / "no" / "such" / "model.npz"
    with pytest.raises(FileNotFoundError, match=r"model\.npz.*does not exist"):  # it named a .tmp-xxxx file
        nn.save(nn.Linear(2, 1), target)


def test_cli_demo_writes_its_three_pictures(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("graph.svg needs Graphviz's `dot` program")
    code, out = run_cli(capsys, "demo", "--dataset", "xor", "--epochs", "2", "--out", str(tmp_path))
    assert code in (0, None) and "accuracy" in out
    for name in ("loss.png", "decision_boundary.png", "graph.svg"):
        assert (tmp_path / name).stat().st_size > 0, name
