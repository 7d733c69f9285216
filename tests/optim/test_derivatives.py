"""optim's internal derivative helpers against ad.jacobian / ad.hessian and finite differences."""

import numpy as np
import pytest

import autodiff as ad
from optim import _derivatives as D

RNG = np.random.default_rng(2)
A = RNG.normal(size=(4, 3))


def scalar_f(x):
    return (ad.tanh(x) * x[::-1]).sum() ** 2 + ad.exp(x[0] * x[1])


def wide_f(x):  # 2 outputs, 3 inputs: the rows path
    return ad.stack([(x * x).sum(), ad.sin(x[0]) * x[2]])


def tall_f(x):  # 40 outputs, 3 inputs: the columns path (u ↦ Jᵀu differentiated)
    t = ad.tensor(np.linspace(0, 1, 40))
    return x[0] * ad.exp(-x[1] * t) + x[2] * t ** 2


X0 = np.array([0.3, -0.7, 1.1])


def test_value_grad_hessian_matches_ad_hessian_and_finite_differences():
    value, grad, hessian = D.value_grad_hessian(scalar_f, X0, (3,))
    x = ad.tensor(X0)
    assert value == pytest.approx(scalar_f(x).item())
    np.testing.assert_allclose(grad, ad.grad(scalar_f)(x).data, rtol=1e-12)
    np.testing.assert_allclose(hessian, ad.hessian(scalar_f)(x).data, rtol=1e-12)
    np.testing.assert_allclose(hessian, np.asarray(ad.numerical_hessian(scalar_f, x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("f", [wide_f, tall_f], ids=["rows", "columns"])
def test_jacobian_both_paths_match_ad_jacobian(f):
    values, jac = D.value_and_jacobian(f, X0, (3,))
    reference = ad.jacobian(f)(ad.tensor(X0)).data
    np.testing.assert_allclose(values, f(ad.tensor(X0)).data)
    np.testing.assert_allclose(jac, reference, rtol=1e-12, atol=1e-15)


def test_chunked_batches_give_the_same_jacobian(monkeypatch):
    m = RNG.normal(size=(7, 5))
    f = lambda x: ad.tanh(ad.tensor(m) @ x) * x.sum()
    x0 = RNG.normal(size=5)
    _, whole = D.value_and_jacobian(f, x0, (5,))
    monkeypatch.setattr(D, "CHUNK", 2)  # 7 rows in chunks of 2, 2, 2, 1
    _, chunked = D.value_and_jacobian(f, x0, (5,))
    np.testing.assert_allclose(chunked, whole, rtol=1e-14)
    np.testing.assert_allclose(whole, ad.jacobian(f)(ad.tensor(x0)).data, rtol=1e-12)


def test_jacobian_over_a_list_of_parameters_and_unused_inputs():
    w = ad.tensor(A, requires_grad=True)
    b = ad.tensor(np.ones(4), requires_grad=True)
    unused = ad.tensor([1.0, 2.0], requires_grad=True)
    out = ad.tanh(w @ ad.tensor(X0) + b)
    jac = D.jacobian_of(out, [w, b, unused])
    assert jac.shape == (4, 12 + 4 + 2)
    dtanh = 1 - np.tanh(A @ X0 + 1) ** 2
    np.testing.assert_allclose(jac[:, 12:16], np.diag(dtanh), rtol=1e-12)
    np.testing.assert_allclose(jac[:, :12], np.einsum("i,ij,k->ijk", dtanh, np.eye(4), X0).reshape(4, 12),
                               rtol=1e-12)
    assert not jac[:, 16:].any()
