"""DESIGN.md's contract for Tensor, dtypes and the tape ("Tensor", "Tape"), name by name.

Each test checks that a promised name exists with the promised argument names and defaults, and that it
does the documented thing on a tiny example whose expected value comes from numpy or a closed form
(never from the code under test). A failure here means user code written against DESIGN.md breaks.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.errors import DtypeError, GraphFreedError, InPlaceError, ShapeError
from tests.helpers import assert_signature, params_of

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


def test_in_place_change_of_a_saved_tensor_fails_at_backward():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    with ad.no_grad():
        x.add_(1.0)
    with pytest.raises(InPlaceError, match="in place"):
        loss.backward()


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
