"""Shape ops: concatenate/stack/split round trips and gradients, and errors naming op and shapes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import autodiff as ad


def test_split_then_concatenate_is_the_identity_with_identity_gradient():
    x = ad.tensor(np.arange(12.0).reshape(2, 6), requires_grad=True)
    pieces = ad.split(x, [1, 4], axis=1)
    assert [p.shape for p in pieces] == [(2, 1), (2, 3), (2, 2)]
    y = ad.concatenate(pieces, axis=-1)
    np.testing.assert_array_equal(y.data, x.data)
    y.backward(np.arange(12.0).reshape(2, 6))
    np.testing.assert_array_equal(x.grad.data, np.arange(12.0).reshape(2, 6))


def test_unused_split_pieces_get_zero_gradient():
    x = ad.tensor(np.arange(6.0), requires_grad=True)
    first, _, third = ad.split(x, 3)
    (first.sum() + 2.0 * third.sum()).backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 0.0, 0.0, 2.0, 2.0])


def test_stack_gradient_is_the_matching_slice():
    a, b = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([3.0, 4.0], requires_grad=True)
    ad.stack([a, b], axis=1).backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(a.grad.data, [1.0, 3.0])
    np.testing.assert_array_equal(b.grad.data, [2.0, 4.0])


def test_concatenate_mixes_tensors_and_constants():
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    out = ad.concatenate([np.zeros(3), a, [5.0]])
    np.testing.assert_array_equal(out.data, [0.0, 0.0, 0.0, 1.0, 2.0, 5.0])
    out.backward(np.arange(6.0))
    np.testing.assert_array_equal(a.grad.data, [3.0, 4.0])


@pytest.mark.parametrize(("call", "pattern"), [
    (lambda: ad.concatenate([ad.tensor(np.ones((2, 3))), ad.tensor(np.ones((2, 2)))]),
     r"concatenate.*\(2, 3\) and \(2, 2\)"),
    (lambda: ad.concatenate([]), "concatenate: needs at least one"),
    (lambda: ad.stack([ad.tensor(np.ones((2, 3))), ad.tensor(np.ones((2, 2)))]),
     r"stack.*\(2, 2\), \(2, 3\)"),
    (lambda: ad.stack([]), "stack: needs at least one"),
    (lambda: ad.split(ad.tensor(np.ones(5)), 2), "split: cannot split an axis of length 5 into 2"),
    (lambda: ad.split(ad.tensor(np.ones(5)), 2, axis=1), "split: axis 1 is out of range"),
    (lambda: ad.reshape(ad.tensor(np.ones(5)), (2, 3)), r"reshape.*\(5,\).*\(2,3\)"),
    (lambda: ad.broadcast_to(ad.tensor(np.ones(3)), (2, 2)), r"broadcast_to.*\(3,\)"),
    (lambda: ad.swapaxes(ad.tensor(np.ones((2, 3))), 0, 3), r"swapaxes.*\(2, 3\).*axis 3"),
    (lambda: ad.expand_dims(ad.tensor(np.ones((2, 3))), 4), r"expand_dims.*\(2, 3\).*axis 4"),
])
def test_shape_errors_name_the_op_and_the_shapes(call, pattern):
    with pytest.raises(ad.ShapeError, match=pattern):
        call()


def test_tensor_shape_methods_match_the_functions():
    x = ad.tensor(np.arange(6.0).reshape(1, 2, 3), requires_grad=True)
    pairs = [
        (x.reshape(3, 2), ad.reshape(x, (3, 2))), (x.reshape((6,)), ad.reshape(x, (6,))),
        (x.transpose(), ad.transpose(x)), (x.transpose(0, 2, 1), ad.transpose(x, (0, 2, 1))),
        (x.swapaxes(0, 2), ad.swapaxes(x, 0, 2)), (x.flatten(), ad.flatten(x)), (x.squeeze(), ad.squeeze(x)),
        (x.squeeze(0), ad.squeeze(x, axis=0)), (x.expand_dims(1), ad.expand_dims(x, 1)),
        (x.broadcast_to((2, 2, 3)), ad.broadcast_to(x, (2, 2, 3))), (x.T, ad.transpose(x)),
    ]
    for method, function in pairs:
        assert method.shape == function.shape
        np.testing.assert_array_equal(method.data, function.data)
        assert method.requires_grad


@given(data=st.data(), shape=array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
def test_generated_permutations_and_reshapes(data, shape):
    x = np.random.default_rng(2).standard_normal(shape)
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    assert ad.gradcheck(lambda t: ad.transpose(t, axes) * 3.0, [x])
    np.testing.assert_array_equal(ad.transpose(ad.tensor(x), axes).data, np.transpose(x, axes))
    flat = ad.reshape(ad.tensor(x, requires_grad=True), (-1,))
    assert flat.shape == (x.size,)
    if shape:
        axis = st.integers(-len(shape), len(shape) - 1)
        a, b = data.draw(axis), data.draw(axis)
        np.testing.assert_array_equal(ad.swapaxes(ad.tensor(x), a, b).data, np.swapaxes(x, a, b))
        assert ad.gradcheck(lambda t: ad.swapaxes(t, a, b) * 2.0, [x])
    new_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    np.testing.assert_array_equal(ad.expand_dims(ad.tensor(x), new_axis).data, np.expand_dims(x, new_axis))
    assert ad.gradcheck(lambda t: ad.squeeze(ad.expand_dims(t, new_axis), axis=new_axis) * 2.0, [x])
