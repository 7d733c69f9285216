"""The documented derivative at every kink and domain edge (DESIGN.md: nothing silently wrong)."""

import numpy as np
import pytest

import autodiff as ad


def _grads(f, *values):
    inputs = [ad.tensor(v, requires_grad=True) for v in values]
    out = f(*inputs)
    out.backward(np.ones(out.shape))
    return [x.grad.data for x in inputs]


def test_relu_derivative_at_zero_is_zero():
    (g,) = _grads(ad.relu, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])


def test_abs_derivative_at_zero_is_zero():
    (g,) = _grads(ad.abs, [-1.5, 0.0, 2.0])
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])


@pytest.mark.parametrize(("op", "first", "second"), [(ad.maximum, 0.5, 0.5), (ad.minimum, 0.5, 0.5)])
def test_maximum_and_minimum_split_ties_evenly(op, first, second):
    gx, gy = _grads(op, [1.0, 2.0, 3.0], [1.0, 0.0, 4.0])
    if op is ad.maximum:
        np.testing.assert_array_equal(gx, [first, 1.0, 0.0])
        np.testing.assert_array_equal(gy, [second, 0.0, 1.0])
    else:
        np.testing.assert_array_equal(gx, [first, 0.0, 1.0])
        np.testing.assert_array_equal(gy, [second, 1.0, 0.0])


def test_maximum_tie_with_a_broadcast_scalar_sums_the_halves():
    gx, gy = _grads(ad.maximum, [1.0, 1.0, 0.0], 1.0)
    np.testing.assert_array_equal(gx, [0.5, 0.5, 0.0])
    assert gy == 2.0  # ½ + ½ + 1 (the scalar wins where x = 0)


def test_clip_passes_the_gradient_at_the_boundary():
    gx, glo, ghi = _grads(ad.clip, [-2.0, -1.0, 0.0, 1.0, 2.0], -1.0, 1.0)
    np.testing.assert_array_equal(gx, [0.0, 1.0, 1.0, 1.0, 0.0])
    assert glo == 1.0 and ghi == 1.0  # only the strictly clipped entries reach the bounds


def test_clip_with_crossed_bounds_follows_numpy_all_hi():
    """Regression: with lo > hi numpy's clip returns hi everywhere, so only hi gets gradient."""
    x = ad.tensor([0.0, 2.0, -2.0], requires_grad=True)
    lo, hi = ad.tensor(1.0, requires_grad=True), ad.tensor(-1.0, requires_grad=True)
    out = ad.clip(x, lo, hi)
    np.testing.assert_array_equal(out.data, [-1.0, -1.0, -1.0])
    out.sum().backward()
    assert np.all(x.grad.data == 0.0) and lo.grad.item() == 0.0 and hi.grad.item() == 3.0


def test_sqrt_and_log_at_zero_are_plus_infinity():
    with np.errstate(divide="ignore"):
        (g_sqrt,) = _grads(ad.sqrt, [0.0, 4.0])
        (g_log,) = _grads(ad.log, [0.0, 2.0])
    assert g_sqrt[0] == np.inf and g_sqrt[1] == 0.25
    assert g_log[0] == np.inf and g_log[1] == 0.5


@pytest.mark.parametrize("ord", [None, 1, 2, np.inf, 3, 1.5])
def test_norm_gradient_at_zero_is_zero(ord):
    """Regression for ord=3/1.5: the p-norm used to give 0·∞ = NaN at the origin."""
    (g,) = _grads(lambda x: ad.norm(x, ord=ord), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_norm_rows_at_zero_and_elsewhere():
    (g,) = _grads(lambda x: ad.norm(x, ord=3, axis=1), [[0.0, 0.0], [0.0, -2.0]])
    np.testing.assert_allclose(g, [[0.0, 0.0], [0.0, -1.0]], rtol=1e-12)


def test_power_conventions_at_zero():
    with np.errstate(divide="ignore", invalid="ignore"):
        gx, gy = _grads(lambda x, y: x ** y, [0.0, 0.0, 2.0], [2.0, 0.0, 3.0])
        (g0,) = _grads(lambda x: x ** 0, [0.0, 3.0])
    np.testing.assert_array_equal(gx, [0.0, 0.0, 12.0])  # d/dx x⁰ = 0, even at x = 0
    np.testing.assert_array_equal(gy, [0.0, 0.0, 8.0 * np.log(2.0)])  # d/dy xʸ = 0 where x = 0
    np.testing.assert_array_equal(g0, [0.0, 0.0])


def test_power_second_derivative_keeps_the_exponent_at_zero():
    """d²/dx² (1+x)ˣ at 0 is 2: the base's VJP at y = 0 must still depend on y (found by the fuzzer)."""
    f = lambda x: (1.0 + x) ** x
    for x0 in (0.0, 0.3, -0.4):
        expected = ad.numerical_grad(ad.grad(f), x0).item()
        np.testing.assert_allclose(ad.grad(ad.grad(f))(x0).item(), expected, rtol=1e-7)
    assert ad.grad(ad.grad(f))(0.0).item() == pytest.approx(2.0, rel=1e-12)
    x, y = ad.tensor([0.5, 2.0]), ad.tensor([0.0, 0.0])
    assert ad.gradgradcheck(lambda a, b: a ** b, [x.data, y.data])


def test_sigmoid_softplus_and_tanh_saturate_without_nan():
    for op in (ad.sigmoid, ad.softplus, ad.tanh, ad.exp):
        with np.errstate(over="ignore"):
            (g,) = _grads(op, [-800.0, 0.0, 800.0] if op is not ad.exp else [-800.0, 0.0])
        assert not np.any(np.isnan(g)), op.__name__
    np.testing.assert_allclose(ad.sigmoid(ad.tensor([-800.0, 800.0])).data, [0.0, 1.0])
    np.testing.assert_allclose(ad.softplus(ad.tensor([-800.0, 800.0])).data, [0.0, 800.0])


def test_sign_and_comparisons_carry_no_gradient():
    x = ad.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = (x * ad.sign(x)).sum()  # |x| written through sign: sign contributes nothing
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, 0.0, 1.0])


def test_where_unselected_nan_branch_poisons_the_gradient_unless_guarded():
    """The documented behaviour (as PyTorch and JAX): 0 · inf = NaN; the double where is the cure."""
    x = np.array([-1.0, 4.0])
    with np.errstate(invalid="ignore", divide="ignore"):
        naive = ad.grad(lambda v: ad.where(v > 0, ad.sqrt(v), 0.0).sum())(x).data
    guarded = ad.grad(lambda v: ad.where(v > 0, ad.sqrt(ad.where(v > 0, v, 1.0)), 0.0).sum())(x).data
    assert np.isnan(naive[0]) and naive[1] == 0.25
    np.testing.assert_array_equal(guarded, [0.0, 0.25])


def test_where_condition_gets_no_gradient_and_branches_split():
    c = ad.tensor([True, False, True])
    gx, gy = _grads(lambda x, y: ad.where(c, x, y), [1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(gx, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(gy, [0.0, 1.0, 0.0])


def test_det_of_a_singular_matrix_has_a_value_and_the_cofactor_matrix_as_its_gradient():
    a = ad.tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    d = ad.det(a)
    assert d.item() == pytest.approx(0.0)
    d.backward()  # documented: adj(X)ᵀ, which needs no inverse (more in test_ops_linalg.py)
    np.testing.assert_allclose(a.grad.data, [[4.0, -2.0], [-2.0, 1.0]], rtol=1e-12)
