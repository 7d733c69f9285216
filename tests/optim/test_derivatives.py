"""optim's derivative adapter and the Jacobian machinery under it (autodiff/jacobians.py).

optim/_derivatives.py is a thin adapter over ``autodiff.jacobians.jacobian_of``, the machinery
of ``ad.jacobian`` and ``ad.hessian`` too; the chunking it needs is an option of those functions.
"""

import numpy as np
import pytest

import autodiff as ad
from autodiff.jacobians import jacobian_of
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
    jac = D.flat_jacobian(out, [w, b, unused])
    assert jac.shape == (4, 12 + 4 + 2)
    dtanh = 1 - np.tanh(A @ X0 + 1) ** 2
    np.testing.assert_allclose(jac[:, 12:16], np.diag(dtanh), rtol=1e-12)
    np.testing.assert_allclose(jac[:, :12], np.einsum("i,ij,k->ijk", dtanh, np.eye(4), X0).reshape(4, 12),
                               rtol=1e-12)
    assert not jac[:, 16:].any()


@pytest.mark.parametrize("mode", ["rev", "fwd", "auto"])
@pytest.mark.parametrize("f", [wide_f, tall_f], ids=["wide", "tall"])
def test_jacobian_chunk_size_and_modes_agree(f, mode):
    x = ad.tensor(X0)
    whole = ad.jacobian(f, mode="rev")(x).data
    for chunk_size in (None, 1, 2, 7, 1000):
        J = ad.jacobian(f, mode=mode, vectorize=True, chunk_size=chunk_size)(x)
        np.testing.assert_allclose(J.data, whole, rtol=1e-12, atol=1e-15, err_msg=f"chunk_size={chunk_size}")


def test_hessian_chunk_size_gives_the_same_hessian_and_stays_differentiable():
    x = ad.tensor(X0)
    H = ad.hessian(scalar_f)(x).data
    for chunk_size in (1, 2, 3):
        np.testing.assert_allclose(ad.hessian(scalar_f, chunk_size=chunk_size)(x).data, H, rtol=1e-13)
    # inside another transform the chunks are concatenated on the tape: d/dx tr H is the third derivative
    trace = lambda v: ad.hessian(scalar_f, chunk_size=2)(v).sum()
    np.testing.assert_allclose(ad.grad(trace)(x).data, ad.grad(lambda v: ad.hessian(scalar_f)(v).sum())(x).data,
                               rtol=1e-12)


def test_jacobian_of_a_recorded_output_with_respect_to_leaves():
    w = ad.tensor(A, requires_grad=True)
    b = ad.tensor(np.ones(4), requires_grad=True)
    out = ad.tanh(w @ ad.tensor(X0) + b)
    for mode in ("rev", "fwd", "auto"):
        dw, db = jacobian_of(out, [w, b], mode=mode, chunk_size=3)
        assert dw.shape == (4, 4, 3) and db.shape == (4, 4)
        np.testing.assert_allclose(db.data, np.diag(1 - np.tanh(A @ X0 + 1) ** 2), rtol=1e-12)
    out.sum().backward()  # jacobian_of kept the graph of out
    np.testing.assert_allclose(b.grad.data, 1 - np.tanh(A @ X0 + 1) ** 2, rtol=1e-12)
    (db,) = jacobian_of(ad.tanh(w @ ad.tensor(X0) + b).sum(), b, create_graph=True)
    assert db.requires_grad  # recorded: a second derivative can follow


def test_bad_chunk_size_and_mode_are_refused():
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="chunk_size must be a positive int"):
            ad.jacobian(wide_f, chunk_size=bad)
        with pytest.raises(ValueError, match="chunk_size must be a positive int"):
            ad.hessian(scalar_f, chunk_size=bad)
    with pytest.raises(ValueError, match="'rev', 'fwd' or 'auto'"):
        ad.jacobian(wide_f, mode="sideways")
    with pytest.raises(TypeError, match="requires grad"):
        jacobian_of(ad.tensor([1.0]) * 2, [ad.tensor([1.0])])
