"""Tensor: construction, factories, attributes, dtype rules, conversions, repr, methods."""

import numpy as np
import pytest

import autodiff as ad


# ----------------------------------------------------------------------------- construction and dtypes
def test_python_data_is_float64_and_integers_stay_integers():
    assert ad.tensor([1.0, 2.0]).dtype == np.float64
    assert ad.tensor(3.0).dtype == np.float64
    assert ad.tensor([1, 2]).dtype == np.int64
    assert ad.tensor([True, False]).dtype == np.bool_


def test_float32_stays_float32_through_ops_and_python_scalars():
    x = ad.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = (ad.exp(x) * 2.5 + 1.0).sum() / 3.0
    assert x.dtype == np.float32 and y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_explicit_dtype_is_used():
    assert ad.tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert ad.zeros(2, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("data", [[1, 2], [True, False], np.arange(3)])
def test_integer_and_boolean_tensors_refuse_requires_grad_with_a_clear_error(data):
    with pytest.raises(ad.DtypeError, match=r"only floating-point.*dtype=(int64|bool).*ad\.tensor\(\[1\.0"):
        ad.tensor(data, requires_grad=True)
    t = ad.tensor(data)
    with pytest.raises(ad.DtypeError, match="only floating-point"):
        t.requires_grad_()
    assert not t.requires_grad


def test_integer_factories_refuse_requires_grad():
    with pytest.raises(ad.DtypeError):
        ad.arange(3, requires_grad=True)
    assert ad.arange(3.0, requires_grad=True).requires_grad


def test_object_data_is_refused():
    with pytest.raises(ad.DtypeError, match="dtype=object"):
        ad.tensor([{"a": 1}])


def test_tensor_copies_its_data():
    source = np.array([1.0, 2.0])
    t = ad.tensor(source)
    source[0] = 99.0
    assert t.data[0] == 1.0
    assert ad.tensor(t).data is not t.data


# ----------------------------------------------------------------------------- factories
def test_shape_factories():
    for factory in (ad.zeros, ad.ones):
        assert factory(2, 3).shape == (2, 3) and factory((2, 3)).shape == (2, 3)
        assert factory(2, 3).dtype == np.float64
    np.testing.assert_array_equal(ad.zeros(2, 2).data, np.zeros((2, 2)))
    np.testing.assert_array_equal(ad.ones(3).data, np.ones(3))
    np.testing.assert_array_equal(ad.full((2, 2), 7.0).data, np.full((2, 2), 7.0))
    np.testing.assert_array_equal(ad.eye(3).data, np.eye(3))
    np.testing.assert_array_equal(ad.eye(2, 3).data, np.eye(2, 3))
    np.testing.assert_array_equal(ad.arange(1, 7, 2).data, [1, 5 - 2, 5])
    np.testing.assert_array_equal(ad.linspace(0, 1, 5).data, np.linspace(0, 1, 5))
    like = np.ones((2, 3), dtype=np.float32)
    assert ad.zeros_like(like).shape == (2, 3) and ad.zeros_like(like).dtype == np.float32
    assert ad.ones_like(ad.tensor(like)).dtype == np.float32
    assert ad.zeros(2, requires_grad=True).requires_grad


def test_random_factories_are_seeded_and_reproducible():
    np.testing.assert_array_equal(ad.rand(3, rng=1).data, ad.rand(3, rng=1).data)
    np.testing.assert_array_equal(ad.randn(2, 2, rng=np.random.default_rng(5)).data,
                                  np.random.default_rng(5).standard_normal((2, 2)))
    u = ad.rand(1000, rng=0).data
    assert u.min() >= 0.0 and u.max() < 1.0
    assert ad.randn(3, rng=0, dtype=np.float32).dtype == np.float32
    assert ad.randn(3, rng=0, requires_grad=True).requires_grad


# ----------------------------------------------------------------------------- attributes and conversions
def test_attributes():
    x = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="x")
    assert (x.shape, x.ndim, x.size, x.dtype, x.name) == ((2, 3), 2, 6, np.float64, "x")
    assert x.is_leaf and x.grad_fn is None and x.grad is None and x.requires_grad
    assert x.T.shape == (3, 2)
    y = x * 2.0
    assert not y.is_leaf and y.grad_fn is not None and y.grad_fn.name == "multiply"
    assert len(x) == 2
    with pytest.raises(TypeError, match="0-d"):
        len(ad.tensor(1.0))


def test_conversions():
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert np.asarray(x) is x.data  # __array__ shares
    assert np.asarray(x, dtype=np.float32).dtype == np.float32
    copied = np.array(x, copy=True)
    copied[0, 0] = 9.0
    assert x.data[0, 0] == 1.0
    assert x.numpy() is x.data
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert ad.tensor([2.5]).item() == 2.5 and isinstance(ad.tensor(2.5).item(), float)
    assert float(ad.tensor(2.5)) == 2.5 and int(ad.tensor(3.0)) == 3
    with pytest.raises(ValueError, match=r"one element.*\(2, 2\)"):
        x.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    assert bool(ad.tensor(1.0))
    assert [row.tolist() for row in x] == [[1.0, 2.0], [3.0, 4.0]]


def test_detach_shares_data_and_cuts_the_graph():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    d = y.detach()
    assert d.data is y.data and not d.requires_grad and d.is_leaf
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 6.0])  # no path through the detached factor


def test_requires_grad_switch():
    x = ad.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2.0
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_numpy_arrays_on_the_left_give_tensors():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    for y in (np.array([2.0, 3.0]) * x, np.array([2.0, 3.0]) + x, np.array([1.0, 1.0]) - x,
              np.array([2.0, 2.0]) / x, np.eye(2) @ x, np.array([2.0, 2.0]) ** x):
        assert isinstance(y, ad.Tensor) and y.requires_grad


def test_repr_is_readable():
    assert repr(ad.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ad.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(ad.tensor([1.0], requires_grad=True) * 2.0) == "tensor([2.], grad_fn=<multiply>)"
    assert "dtype=float32" in repr(ad.tensor(np.ones(2, dtype=np.float32)))
    assert "name='w'" in repr(ad.tensor(1.0, name="w"))
    assert "..." in repr(ad.zeros(10_000))  # long tensors are summarised


def test_casts_are_differentiable_and_keep_the_leaf_dtype():
    x = ad.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    assert ad.tensor([1.0]).float().dtype == np.float32
    assert ad.tensor([1.0]).to(np.float32).dtype == np.float32


METHODS = [  # Tensor method -> the same ad function
    ("abs", ad.abs), ("exp", ad.exp), ("log", ad.log), ("log1p", ad.log1p), ("sqrt", ad.sqrt),
    ("sin", ad.sin), ("cos", ad.cos), ("tan", ad.tan), ("arcsin", ad.arcsin), ("arccos", ad.arccos),
    ("arctan", ad.arctan),
    ("sinh", ad.sinh), ("cosh", ad.cosh), ("tanh", ad.tanh), ("sigmoid", ad.sigmoid), ("relu", ad.relu),
    ("softplus", ad.softplus), ("sum", ad.sum), ("mean", ad.mean), ("var", ad.var), ("std", ad.std),
    ("max", ad.max), ("min", ad.min), ("prod", ad.prod), ("logsumexp", ad.logsumexp), ("softmax", ad.softmax),
    ("log_softmax", ad.log_softmax), ("flatten", ad.flatten), ("norm", ad.norm), ("argmax", ad.argmax),
    ("argmin", ad.argmin),
]


@pytest.mark.parametrize(("method", "function"), METHODS, ids=[m for m, _ in METHODS])
def test_methods_are_the_functions(method, function):
    x = ad.tensor([[0.1, 0.5, 0.3], [0.7, 0.2, 0.4]], requires_grad=True)
    np.testing.assert_array_equal(getattr(x, method)().data, function(x).data)


def test_operators_are_the_functions():
    x, y = ad.tensor([1.0, 2.0]), ad.tensor([3.0, 0.5])
    pairs = [(x + y, ad.add(x, y)), (x - y, ad.subtract(x, y)), (x * y, ad.multiply(x, y)),
             (x / y, ad.divide(x, y)), (x ** y, ad.power(x, y)), (x @ y, ad.matmul(x, y)),
             (-x, ad.negative(x)),
             (abs(-x), ad.abs(x)), (x < y, ad.less(x, y)), (x <= y, ad.less_equal(x, y)),
             (x > y, ad.greater(x, y)), (x >= y, ad.greater_equal(x, y)), (x == y, ad.equal(x, y)),
             (x != y, ad.not_equal(x, y)), (x.maximum(y), ad.maximum(x, y)), (x.minimum(y), ad.minimum(x, y)),
             (x.clip(1.5, 1.8), ad.clip(x, 1.5, 1.8)), (x.dot(y), ad.dot(x, y)),
             (x.matmul(y), ad.matmul(x, y))]
    for a, b in pairs:
        np.testing.assert_array_equal(a.data, b.data)
    assert (+x) is x


def test_numpy_ufuncs_on_tensors_run_as_ops_and_are_differentiable():
    x = ad.tensor([0.5, 2.0], requires_grad=True)
    c = np.array([3.0, -1.0])
    y = np.exp(x) * c + np.sin(x) + c @ ad.outer(x, x)  # ndarray on the left too
    assert isinstance(y, ad.Tensor) and y.requires_grad
    y.sum().backward()
    v = x.data  # Σ_j y_j = Σ eˣc + Σ sin x + (c·x)(Σx), so ∂/∂x_k = e^x_k c_k + cos x_k + c_k Σx + c·x
    expected = np.exp(v) * c + np.cos(v) + c * v.sum() + c @ v
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)


def test_numpy_ufuncs_without_an_op_are_refused_by_name():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="add.reduce has no autodiff op"):
        np.add.reduce(x)
    with pytest.raises(TypeError, match="with out"):
        np.add(x, 1.0, out=ad.zeros(2))  # into a Tensor: use x.add_ or an out-of-place op


def test_ufuncs_writing_into_plain_arrays_use_the_tensors_values():
    """The micrograd lecture's update line (and old PyTorch code's) works, unrecorded (regression:
    it raised "numpy's add has no autodiff op for Tensors with out")."""
    p = ad.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    p.data += -0.1 * p.grad
    np.testing.assert_allclose(p.data, [0.8, 1.6])
    assert p.requires_grad and p.is_leaf
    buffer = np.zeros(2)
    result = np.multiply(p, 2.0, out=buffer)
    assert result is buffer and type(result) is np.ndarray
    np.testing.assert_allclose(buffer, [1.6, 3.2])


def test_numpy_reductions_on_tensors_work_and_stay_differentiable():
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert np.sum(x).item() == 10.0 and np.max(x).item() == 4.0
    np.testing.assert_allclose(np.mean(x, axis=0).data, [2.0, 3.0])
    np.testing.assert_allclose(np.std(x, ddof=1).item(), np.std(x.data, ddof=1))
    np.sum(x * x).backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data)
    with pytest.raises(TypeError, match="out= is not supported"):
        np.sum(x, out=np.zeros(()))
