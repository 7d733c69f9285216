"""Every registered op's first derivative against finite differences (``ad.gradcheck``, float64)."""

import numpy as np
import pytest

import autodiff as ad

from .op_registry import case_shape_params, param_id


@pytest.mark.parametrize(("case", "shapes"), case_shape_params(), ids=param_id)
def test_gradient_matches_finite_differences(case, shapes):
    arrays = case.sample(np.random.default_rng(10), shapes)
    report = ad.gradcheck(case.fn, arrays, atol=1e-6, rtol=1e-5, raise_exception=False)
    assert report, f"{case.id} with shapes {shapes}:\n{report}"


@pytest.mark.parametrize(("case", "shapes"), case_shape_params(), ids=param_id)
def test_gradient_has_the_input_shape_and_dtype(case, shapes):
    arrays = case.sample(np.random.default_rng(11), shapes)
    inputs = [ad.tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(*inputs)
    out.backward(np.ones(out.shape))
    for x in inputs:
        if x.grad is not None:  # None only when the op ignores that input's values entirely
            assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
            assert np.all(np.isfinite(x.grad.data)), f"{case.id}: non-finite gradient in the smooth domain"
