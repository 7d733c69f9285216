"""Every registered op's value against its numpy reference, in float64 and float32, on Tensors and arrays."""

import numpy as np
import pytest

import autodiff as ad

from .op_registry import case_shape_params, param_id

PARAMS = case_shape_params()


@pytest.mark.parametrize(("case", "shapes"), PARAMS, ids=param_id)
def test_value_matches_numpy(case, shapes):
    arrays = case.sample(np.random.default_rng(0), shapes)
    inputs = [ad.tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(*inputs)
    expected = np.asarray(case.ref(*arrays))
    assert isinstance(out, ad.Tensor)
    assert out.shape == expected.shape, f"{case.id}: shape {out.shape}, numpy gives {expected.shape}"
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert out.requires_grad and not out.is_leaf and out.grad_fn is not None  # recorded, even when empty


@pytest.mark.parametrize(("case", "shapes"), PARAMS, ids=param_id)
def test_plain_arrays_give_plain_arrays(case, shapes):
    """Ops on numpy arrays run the numpy forward only: no Tensor, no recording."""
    arrays = case.sample(np.random.default_rng(1), shapes)
    out = case.fn(*arrays)
    assert not isinstance(out, ad.Tensor)
    np.testing.assert_allclose(np.asarray(out), np.asarray(case.ref(*arrays)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("case", "shapes"), [p for p in PARAMS if p[0].float32], ids=param_id)
def test_float32_forward_stays_float32_and_agrees_with_float64(case, shapes):
    arrays = case.sample(np.random.default_rng(2), shapes)
    out64 = case.fn(*[ad.tensor(a) for a in arrays])
    out32 = case.fn(*[ad.tensor(a.astype(np.float32)) for a in arrays])
    assert out32.dtype == np.float32, f"{case.id}: float32 inputs gave {out32.dtype}"
    scale = max(1.0, float(np.max(np.abs(out64.data), initial=0.0)))
    np.testing.assert_allclose(out32.data, out64.data, rtol=2e-5, atol=2e-5 * scale)


@pytest.mark.parametrize(("case", "shapes"), [p for p in PARAMS if p[0].float32], ids=param_id)
def test_float32_gradient_stays_float32(case, shapes):
    arrays = case.sample(np.random.default_rng(3), shapes)
    inputs = [ad.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    out = case.fn(*inputs)
    cotangent = np.random.default_rng(4).standard_normal(out.shape).astype(np.float32)
    grads32 = ad.gradients(out, inputs, grad_outputs=cotangent, allow_unused=True)
    inputs64 = [ad.tensor(a, requires_grad=True) for a in arrays]
    grads64 = ad.gradients(case.fn(*inputs64), inputs64, grad_outputs=cotangent.astype(np.float64),
                           allow_unused=True)
    for g32, g64 in zip(grads32, grads64, strict=True):
        if g32 is None:
            assert g64 is None
            continue
        assert g32.dtype == np.float32
        scale = max(1.0, float(np.max(np.abs(g64.data), initial=0.0)))
        np.testing.assert_allclose(g32.data, g64.data, rtol=1e-4, atol=1e-4 * scale)
