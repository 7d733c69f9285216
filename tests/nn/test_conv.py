"""The conv2d / max_pool2d ops: values against a direct loop, gradients, second order, batched cotangents."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.errors import ShapeError
from autodiff.ops import conv2d, conv2d_transpose, conv2d_weight, max_pool2d

CASES = [(1, 0), (2, 1), ((2, 1), (0, 2)), (3, 2)]


def reference_conv(x, w, stride, padding):
    """Cross-correlation by explicit loops over output pixels (slow, obviously right)."""
    (sh, sw), (ph, pw) = [(v, v) if isinstance(v, int) else v for v in (stride, padding)]
    x = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * sh: i * sh + kh, j * sw: j * sw + kw]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return out


def reference_pool(x, k, s, p):
    x = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)], constant_values=-np.inf)
    oh, ow = (x.shape[2] - k) // s + 1, (x.shape[3] - k) // s + 1
    out = np.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s: i * s + k, j * s: j * s + k].max(axis=(2, 3))
    return out


@pytest.mark.parametrize("stride, padding", CASES)
def test_conv2d_matches_loops(rng, stride, padding):
    x, w = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2))
    expected = reference_conv(x, w, stride, padding)
    np.testing.assert_allclose(conv2d(x, w, stride, padding), expected, atol=1e-12)


@pytest.mark.parametrize("stride, padding", CASES)
def test_conv2d_gradients_and_second_order(rng, stride, padding):
    x, w = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(2, 2, 3, 3))
    f = lambda a, b: conv2d(a, b, stride=stride, padding=padding)
    assert ad.gradcheck(f, [x, w])
    assert ad.gradgradcheck(f, [x[:1], w])


def test_conv_adjoints_are_adjoint(rng):
    """⟨conv(x, w), dy⟩ = ⟨x, convᵀ(dy, w)⟩ = ⟨w, convW(x, dy)⟩: the identities the VJPs rest on."""
    x, w = rng.normal(size=(2, 3, 7, 8)), rng.normal(size=(4, 3, 3, 2))
    y = conv2d(x, w, stride=2, padding=1)
    dy = rng.normal(size=y.shape)
    lhs = np.sum(y * dy)
    np.testing.assert_allclose(np.sum(x * conv2d_transpose(dy, w, size=(7, 8), stride=2, padding=1)), lhs)
    np.testing.assert_allclose(np.sum(w * conv2d_weight(x, dy, kernel_size=(3, 2), stride=2, padding=1)), lhs)


def test_transpose_and_weight_ops_are_differentiable(rng):
    dy, w = rng.normal(size=(1, 2, 3, 3)), rng.normal(size=(2, 2, 2, 2))
    x = rng.normal(size=(1, 2, 4, 4))
    assert ad.gradcheck(lambda a, b: conv2d_transpose(a, b, size=(4, 4), stride=1, padding=0), [dy, w])
    assert ad.gradcheck(lambda a, b: conv2d_weight(a, b, kernel_size=(2, 2), stride=1, padding=0), [x, dy])


def test_conv2d_unbatched_input_and_float32(rng):
    x, w = rng.normal(size=(3, 5, 5)), rng.normal(size=(2, 3, 3, 3))
    np.testing.assert_allclose(conv2d(x, w), reference_conv(x[None], w, 1, 0)[0], atol=1e-12)
    assert conv2d(x.astype(np.float32), w.astype(np.float32)).dtype == np.float32


def test_conv2d_batched_cotangents_match_one_by_one(rng):
    x = ad.tensor(rng.normal(size=(2, 2, 5, 5)), requires_grad=True)
    w = ad.tensor(rng.normal(size=(3, 2, 3, 3)), requires_grad=True)
    y = max_pool2d(conv2d(x, w, stride=1, padding=1), 2, 1)
    cotangents = rng.normal(size=(3,) + y.shape)
    gx, gw = ad.gradients(y, [x, w], grad_outputs=ad.tensor(cotangents), is_grads_batched=True,
                          retain_graph=True)
    for b in range(3):
        ex, ew = ad.gradients(y, [x, w], grad_outputs=ad.tensor(cotangents[b]), retain_graph=True)
        np.testing.assert_allclose(gx.data[b], ex.data)
        np.testing.assert_allclose(gw.data[b], ew.data)


def test_conv2d_shape_errors_name_the_problem(rng):
    with pytest.raises(ShapeError, match="channels"):
        conv2d(np.zeros((1, 2, 5, 5)), np.zeros((1, 3, 3, 3)))
    with pytest.raises(ShapeError, match="4-D"):
        conv2d(np.zeros((1, 2, 5, 5)), np.zeros((3, 3)))
    with pytest.raises(ShapeError, match="larger than the padded input"):
        conv2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)))


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), (2, 1, 0), (3, None, 0)])
def test_max_pool2d_values_gradients_and_second_order(rng, kernel, stride, padding):
    x = rng.normal(size=(2, 3, 7, 6))
    np.testing.assert_array_equal(max_pool2d(x, kernel, stride, padding),
                                  reference_pool(x, kernel, stride or kernel, padding))
    small = x[:1, :2]
    assert ad.gradcheck(lambda a: max_pool2d(a, kernel, stride, padding), [small])
    assert ad.gradgradcheck(lambda a: max_pool2d(a, kernel, stride, padding) ** 2, [small])


def test_max_pool2d_routes_ties_to_the_first_maximum():
    x = ad.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[[1.0, 0.0], [0.0, 0.0]]]])


def test_max_pool2d_rejects_bad_padding():
    with pytest.raises(ValueError, match="half the kernel"):
        max_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=2)


def test_max_pool2d_of_integers_with_padding():
    x = np.arange(-8, 8).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(max_pool2d(x, 3, 2, 1), reference_pool(x.astype(float), 3, 2, 1))


@pytest.mark.parametrize("op, shapes", [
    (lambda dy, w: conv2d_transpose(dy, w, size=(4, 4), stride=2, padding=1), [(1, 2, 2, 2), (2, 1, 3, 3)]),
    (lambda x, dy: conv2d_weight(x, dy, kernel_size=(2, 2), stride=1, padding=0), [(2, 2, 3, 3), (2, 3, 2, 2)]),
])
def test_batched_cotangents_through_the_adjoint_ops(rng, op, shapes):
    """Regression: the adjoints once took cotangent-batch axes only in one argument (ad.hessian failed)."""
    inputs = [ad.tensor(rng.normal(size=shape), requires_grad=True) for shape in shapes]
    out = op(*inputs)
    cotangents = rng.normal(size=(3,) + out.shape)
    batched = ad.gradients(out, inputs, grad_outputs=cotangents, is_grads_batched=True, retain_graph=True)
    for b in range(3):
        one = ad.gradients(out, inputs, grad_outputs=cotangents[b], retain_graph=True)
        for got, expected in zip(batched, one, strict=True):
            np.testing.assert_allclose(got.data[b], expected.data, rtol=1e-10, atol=1e-12)


def test_hessians_of_a_conv_loss_match_finite_differences(rng):
    x, w = rng.normal(size=(1, 1, 4, 4)), rng.normal(size=(2, 1, 3, 3))
    in_weights = lambda v: (conv2d(x, v, padding=1) ** 2).sum()
    np.testing.assert_allclose(ad.hessian(in_weights)(w).data, ad.numerical_hessian(in_weights, w), atol=1e-5)
    in_input = lambda v: (ad.tanh(conv2d(v, w, stride=2, padding=1)) ** 2).sum()
    np.testing.assert_allclose(ad.hessian(in_input)(x).data, ad.numerical_hessian(in_input, x), atol=1e-5)
