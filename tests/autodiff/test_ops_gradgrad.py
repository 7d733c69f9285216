"""Second derivatives of every registered op: VJPs are themselves differentiable (``create_graph=True``).

``gradgradcheck`` differentiates x -> vᵀJ(x) for a fixed cotangent v. The second test also treats the
cotangent as an input: (x, v) -> vᵀJ(x) must be differentiable in v too (forward mode by double VJP
needs exactly that).
"""

import numpy as np
import pytest

import autodiff as ad

from .op_registry import CASES, param_id

SECOND_ORDER = [(c, s) for c in CASES if c.second_order for s in c.shapes]


@pytest.mark.parametrize(("case", "shapes"), SECOND_ORDER, ids=param_id)
def test_second_derivative_matches_finite_differences(case, shapes):
    arrays = case.sample(np.random.default_rng(20), shapes)
    report = ad.gradgradcheck(case.fn, arrays, atol=1e-5, rtol=1e-4, raise_exception=False)
    assert report, f"{case.id} with shapes {shapes}:\n{report}"


@pytest.mark.parametrize(("case", "shapes"), SECOND_ORDER, ids=param_id)
def test_vjp_is_differentiable_in_the_cotangent_too(case, shapes):
    arrays = case.sample(np.random.default_rng(21), shapes)
    out_shape = np.shape(case.ref(*arrays))
    cotangent = np.random.default_rng(22).standard_normal(out_shape)

    def vjp(v, *xs):
        with ad.enable_grad():
            xs = [ad.tensor(x.data, requires_grad=True) if not x.requires_grad else x for x in xs]
            grads = ad.gradients(case.fn(*xs), xs, grad_outputs=v, create_graph=True, allow_unused=True)
        flat = [ad.reshape(g, (-1,)) if g is not None else ad.zeros(x.size)
                for g, x in zip(grads, xs, strict=True)]
        return ad.concatenate(flat)

    report = ad.gradcheck(vjp, [cotangent, *arrays], atol=1e-5, rtol=1e-4, raise_exception=False)
    assert report, f"{case.id} with shapes {shapes}:\n{report}"
