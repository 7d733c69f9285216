"""Reductions over generated shapes and axes (int, negative, tuple, None, empty tuple; keepdims), their
documented tie rule, and their errors."""

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import autodiff as ad

from .op_registry import CASES, distinct

REDUCTIONS = ["logsumexp", "max", "mean", "min", "prod", "std", "sum", "var"]


@st.composite
def shape_and_axis(draw, allow_empty=True):
    shape = draw(array_shapes(min_dims=0, max_dims=3, min_side=1 if not allow_empty else 0, max_side=3))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]) if ndim else st.just("none"))
    if kind == "none":
        return shape, None
    if kind == "int":
        return shape, draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
    return shape, tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


def _reduces_empty(shape, axis) -> bool:
    axes = range(len(shape)) if axis is None else ([axis] if isinstance(axis, int) else axis)
    return any(shape[a] == 0 for a in axes) or (axis is None and 0 in shape)


def test_every_reduction_in_the_registry_is_generated_here():
    assert {c.op for c in CASES if c.label == "axes(0,-1)-keepdims"} == set(REDUCTIONS)


@pytest.mark.parametrize("name", REDUCTIONS)
@given(shape_axis=shape_and_axis(), keepdims=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_reduction_value_and_gradient(name, shape_axis, keepdims, seed):
    shape, axis = shape_axis
    if _reduces_empty(shape, axis) and name not in ("sum", "prod"):
        return  # mean/var of nothing is NaN, max of nothing an error: numpy's rules, nothing to check
    rng = np.random.default_rng(seed)
    x = distinct(rng, shape) if name in ("max", "min") else rng.uniform(0.5, 1.5, shape)
    op = getattr(ad, name)
    reference = {"max": np.amax, "min": np.amin}.get(name) or getattr(np, name.replace("logsumexp", "sum"))
    with np.errstate(divide="ignore"):
            expected = (np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)) if name == "logsumexp"
                    else reference(x, axis=axis, keepdims=keepdims))
    out = op(ad.tensor(x, requires_grad=True), axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    report = ad.gradcheck(lambda t: op(t, axis=axis, keepdims=keepdims), [x], atol=1e-6, rtol=1e-5,
                          raise_exception=False)
    assert report, f"{name} axis={axis} keepdims={keepdims} shape={shape}\n{report}"


@pytest.mark.parametrize("name", ["max", "min"])
def test_ties_split_the_gradient_evenly(name):
    x = ad.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]] if name == "max" else [[3.0, 1.0, 1.0], [2.0, 2.0, 2.0]],
                  requires_grad=True)
    getattr(ad, name)(x, axis=1).backward(np.array([1.0, 6.0]))
    expected = [[0.0, 0.5, 0.5], [2.0, 2.0, 2.0]] if name == "max" else [[0.0, 0.5, 0.5], [2.0, 2.0, 2.0]]
    np.testing.assert_array_equal(x.grad.data, expected)


def test_global_max_tie_over_all_axes():
    x = ad.tensor([[5.0, 1.0], [5.0, 5.0]], requires_grad=True)
    ad.max(x).backward()
    np.testing.assert_allclose(x.grad.data, [[1 / 3, 0.0], [1 / 3, 1 / 3]])


def test_std_of_a_constant_slice_has_zero_gradient():
    x = ad.tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]], requires_grad=True)
    ad.std(x, axis=1).sum().backward()
    assert np.all(x.grad.data[0] == 0.0) and np.all(np.isfinite(x.grad.data))


def test_prod_with_zeros_is_exact():
    x = ad.tensor([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]], requires_grad=True)
    ad.prod(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[6.0, 0.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]])
    assert ad.gradgradcheck(lambda t: ad.prod(t, axis=1), [[[0.0, 2.0, 3.0], [1.0, 2.0, 4.0]]])



def test_logsumexp_is_stable_and_its_gradient_is_softmax():
    x = ad.tensor([1000.0, 1000.0, -1000.0], requires_grad=True)
    out = ad.logsumexp(x)
    np.testing.assert_allclose(out.item(), 1000.0 + np.log(2.0))
    out.backward()
    np.testing.assert_allclose(x.grad.data, [0.5, 0.5, 0.0])
    np.testing.assert_allclose(ad.log_softmax(ad.tensor([1e4, 0.0])).data, [0.0, -1e4])


def test_mean_and_sum_over_an_empty_axis_tuple_are_the_identity():
    x = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    np.testing.assert_array_equal(ad.sum(x, axis=()).data, x.data)
    ad.mean(x, axis=()).backward(np.ones((2, 3)))
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 3)))


@pytest.mark.parametrize("name", REDUCTIONS + ["softmax", "log_softmax"])
def test_out_of_range_axis_names_the_op_and_the_axis(name):
    x = ad.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ad.ShapeError) as error:
        getattr(ad, name)(x, axis=2)
    message = str(error.value)
    assert name in message and "axis 2" in message and "(2, 3)" in message


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
def test_repeated_axis_is_refused(name):
    with pytest.raises(ValueError, match="repeated axis|duplicate"):
        getattr(ad, name)(ad.tensor(np.ones((2, 3)), requires_grad=True), axis=(0, -2))


@pytest.mark.parametrize("values", [[0.0, 2.0, 3.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0], [1.5, -2.0, 3.0]])
def test_prod_hessian_with_zeros_is_exact(values):
    """Regression: with one zero (then two) in a slice, mixed partials such as ∂²/∂x₀∂x₁ = x₂ were lost."""
    x = ad.tensor(values, requires_grad=True)
    (grad,) = ad.gradients(ad.prod(x), x, create_graph=True)
    hessian = np.stack([ad.gradients(grad[i], x, retain_graph=True)[0].data for i in range(3)])
    v = np.array(values)
    expected = np.array([[0.0 if i == j else np.prod(np.delete(v, [i, j])) for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(hessian, expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), data=st.data(),
       seed=st.integers(0, 2**32 - 1))
def test_softmax_family_on_generated_shapes_and_axes(name, shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = 3.0 * np.random.default_rng(seed).standard_normal(shape)
    op = getattr(ad, name)
    reference = getattr(scipy.special, name)
    np.testing.assert_allclose(op(ad.tensor(x), axis=axis).data, reference(x, axis=axis), rtol=1e-12, atol=1e-12)
    assert ad.gradcheck(lambda t: op(t, axis=axis), [x], atol=1e-6, rtol=1e-5)


@given(shape_axis=shape_and_axis(allow_empty=False), keepdims=st.booleans(),
       ord=st.sampled_from([None, 1, 2, 3, np.inf]), seed=st.integers(0, 2**32 - 1))
def test_norm_on_generated_shapes_and_axes(shape_axis, keepdims, ord, seed):
    shape, axis = shape_axis
    if axis == ():
        return  # numpy refuses an empty axis tuple (ours reads it as "no reduction")
    if ord is not None and not (len(shape) == 1 or isinstance(axis, int)):
        return  # matrix norms other than Frobenius are refused (tested in test_ops_linalg.py)
    x = distinct(np.random.default_rng(seed), shape)
    if ord is None and isinstance(axis, tuple) and len(axis) > 2:
        expected = np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))  # numpy's norm takes ≤ 2 axes
    else:
        expected = np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    f = lambda t: ad.norm(t, ord=ord, axis=axis, keepdims=keepdims)  # noqa: E731
    np.testing.assert_allclose(f(ad.tensor(x)).data, expected, rtol=1e-12)
    assert ad.gradcheck(f, [x], atol=1e-6, rtol=1e-5)
