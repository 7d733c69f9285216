"""Indexing: every kind of index, repeated positions accumulating, masks, higher order, errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, basic_indices, integer_array_indices

import autodiff as ad


def _grad_of_index(shape, index, cotangent=None):
    x = ad.tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
    out = x[index]
    out.backward(np.ones(out.shape) if cotangent is None else cotangent)
    return out, x.grad.data


@pytest.mark.parametrize(("shape", "index"), [
    ((4, 3), 1), ((4, 3), -1), ((5,), slice(1, 4)), ((5,), slice(None, None, -2)), ((5,), slice(-3, None)),
    ((3, 4), (1, slice(None, None, 2))), ((2, 3), (None, Ellipsis, 0)), ((2, 3, 2), (Ellipsis, 1)),
    ((2, 3, 2), (0, Ellipsis, None)), ((3,), np.array([[0, 1], [1, 0]])), ((2, 3), (slice(None), [2, 0])),
])
def test_value_and_gradient_are_numpy_and_its_scatter(shape, index):
    out, grad = _grad_of_index(shape, index)
    base = np.arange(float(np.prod(shape))).reshape(shape)
    np.testing.assert_array_equal(out.data, base[index])
    expected = np.zeros(shape)
    np.add.at(expected, index, 1.0)
    np.testing.assert_array_equal(grad, expected)


def test_repeated_integer_indices_accumulate():
    _, grad = _grad_of_index((4,), [0, 0, 2, 0], np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(grad, [7.0, 0.0, 3.0, 0.0])


def test_repeated_pairs_of_index_arrays_accumulate():
    _, grad = _grad_of_index((2, 3), (np.array([0, 0, 1]), np.array([1, 1, 2])))
    np.testing.assert_array_equal(grad, [[0.0, 2.0, 0.0], [0.0, 0.0, 1.0]])


def test_boolean_mask_gradient_lands_on_the_selected_entries():
    mask = np.array([[True, False, True], [False, False, True]])
    out, grad = _grad_of_index((2, 3), mask, np.array([1.0, 2.0, 3.0]))
    assert out.shape == (3,)
    np.testing.assert_array_equal(grad, [[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])


def test_boolean_tensor_mask_and_integer_tensor_index():
    x = ad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x[x > 0] * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, 2.0])
    y = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y[ad.tensor([2, 2])].sum().backward()
    np.testing.assert_array_equal(y.grad.data, [0.0, 0.0, 2.0])


def test_indexing_is_differentiable_twice():
    idx = np.array([0, 2, 2])
    assert ad.gradgradcheck(lambda x: x[idx] ** 3, [[0.5, -1.0, 2.0]])
    assert ad.gradgradcheck(lambda x: (x[x.data > 0] ** 2).sum(), [[0.5, -1.0, 2.0]])


def test_index_out_of_range_says_so():
    x = ad.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(IndexError, match="out of bounds"):
        x[5]


def test_vectorised_jacobian_through_separated_array_indices_is_refused_clearly():
    x = ad.tensor(np.ones((2, 3, 2)), requires_grad=True)
    out = x[np.array([0, 1]), :, np.array([1, 1])]
    with pytest.raises(NotImplementedError, match="vectorize=False"):
        ad.gradients(out, x, grad_outputs=np.ones((2,) + out.shape), is_grads_batched=True)
    (g,) = ad.gradients(out, x, grad_outputs=np.ones(out.shape))  # the ordinary backward works
    assert g.data.sum() == out.size


def test_setitem_on_a_tensor_that_requires_grad_is_refused_outside_no_grad():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ad.InPlaceError, match="no_grad"):
        x[0] = 5.0
    with ad.no_grad():
        x[0] = 5.0
    assert x.data[0] == 5.0


def test_an_empty_list_selects_nothing_like_numpy():
    """Regression: ``x[[]]`` became a float index array and raised IndexError."""
    x = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = x[[]]
    assert out.shape == x.data[[]].shape == (0, 3)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))


@given(data=st.data(), shape=array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
def test_generated_basic_indices(data, shape):
    index = data.draw(basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    x = np.random.default_rng(0).standard_normal(shape)
    out = ad.tensor(x)[index]
    np.testing.assert_array_equal(out.data, x[index])
    assert ad.gradcheck(lambda t: t[index] * 2.0, [x])


@given(data=st.data(), shape=array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
def test_generated_integer_array_indices_accumulate(data, shape):
    result_shapes = array_shapes(min_dims=1, max_dims=2, max_side=4)
    index = data.draw(integer_array_indices(shape, result_shape=result_shapes))
    x = ad.tensor(np.zeros(shape), requires_grad=True)
    out = x[index]
    cotangent = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(cotangent)
    expected = np.zeros(shape)
    np.add.at(expected, index, cotangent)
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)
