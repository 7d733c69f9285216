"""Batched cotangents (``is_grads_batched=True``, vectorised Jacobians) against one VJP per row."""

import numpy as np
import pytest

import autodiff as ad

from .op_registry import case_shape_params, param_id

BATCHED = [p for p in case_shape_params() if p[0].batched]


def _per_row(out, inputs, cotangents):
    rows = [ad.gradients(out, inputs, grad_outputs=c, retain_graph=True, allow_unused=True)
            for c in cotangents]
    return [None if rows[0][i] is None else np.stack([r[i].data for r in rows]) for i in range(len(inputs))]


@pytest.mark.parametrize("create_graph", [False, True], ids=["arrays", "tensors"])
@pytest.mark.parametrize(("case", "shapes"), BATCHED, ids=param_id)
def test_batched_vjp_equals_per_row_vjps(case, shapes, create_graph):
    arrays = case.sample(np.random.default_rng(30), shapes)
    inputs = [ad.tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(*inputs)
    cotangents = np.random.default_rng(31).standard_normal((3,) + out.shape)
    batched = ad.gradients(out, inputs, grad_outputs=cotangents, is_grads_batched=True, retain_graph=True,
                           create_graph=create_graph, allow_unused=True)
    for x, got, expected in zip(inputs, batched, _per_row(out, inputs, cotangents), strict=True):
        if expected is None:
            assert got is None or not np.any(got.data)
            continue
        assert got.shape == (3,) + x.shape, f"{case.id}: batched gradient shape {got.shape}"
        np.testing.assert_allclose(got.data, expected, rtol=1e-10, atol=1e-12)

