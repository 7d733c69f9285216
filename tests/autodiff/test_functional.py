"""Function transforms: closed forms, identities on random functions, nesting, finite differences, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autodiff as ad

# ----------------------------------------------------------------------------- functions used below


def rosenbrock(x):
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


def rosenbrock_hessian(x):
    """The analytic Hessian of the n-dimensional Rosenbrock function."""
    n = x.size
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] = H[i + 1, i] = -400.0 * x[i]
    return H


def polar(p):
    return ad.stack([p[0] * ad.cos(p[1]), p[0] * ad.sin(p[1])])


def mixed(x):
    """A random-ish smooth map R^3 -> R^4 exercising several ops."""
    return ad.stack([ad.sin(x[0] * x[1]) + x[2] ** 2, ad.exp(x[0] - x[2]), ad.tanh(x).sum() * x[1],
                     ad.log1p(x[0] ** 2) / (1.0 + x[1] ** 2)])


def scalar_mix(x):
    return (ad.sin(x) * ad.exp(0.3 * x)).sum() + (x[0] * x[-1]) ** 2 + ad.logsumexp(x)


# ----------------------------------------------------------------------------- closed forms


def test_grad_of_polynomial_and_float_input():
    assert float(ad.grad(lambda x: x ** 3 - 2 * x)(2.0)) == pytest.approx(10.0)
    assert float(ad.grad(lambda x: x ** 3)(np.float32(2.0))) == pytest.approx(12.0)


def test_third_derivative_of_exp_sin():
    # (eˣ sin x)''' = 2eˣ(cos x - sin x)
    x = 0.7
    third = ad.grad(ad.grad(ad.grad(lambda t: ad.exp(t) * ad.sin(t))))(x)
    assert float(third) == pytest.approx(2 * np.exp(x) * (np.cos(x) - np.sin(x)), rel=1e-12)


def test_polar_to_cartesian_jacobian():
    r, theta = 2.0, 0.6
    expected = np.array([[np.cos(theta), -r * np.sin(theta)], [np.sin(theta), r * np.cos(theta)]])
    for mode in ("rev", "fwd"):
        for vectorize in (False, True):
            J = ad.jacobian(polar, mode=mode, vectorize=vectorize)(np.array([r, theta]))
            np.testing.assert_allclose(J.data, expected, rtol=1e-14, atol=1e-15)
    assert np.linalg.det(expected) == pytest.approx(r)


def test_quadratic_hessian_is_exact(rng):
    A = rng.standard_normal((5, 5))
    b = rng.standard_normal(5)
    x = rng.standard_normal(5)
    H = ad.hessian(lambda v: 0.5 * (v @ (A @ v)) + b @ v + 3.0)(x)
    np.testing.assert_allclose(H.data, 0.5 * (A + A.T), rtol=0, atol=1e-14)


@pytest.mark.parametrize("vectorize", [True, False])
def test_rosenbrock_hessian_matches_analytic(rng, vectorize):
    x = rng.uniform(-2, 2, 12)
    H = ad.hessian(rosenbrock, vectorize=vectorize)(x)
    np.testing.assert_allclose(H.data, rosenbrock_hessian(x), rtol=1e-13, atol=1e-10)


def test_logsumexp_hessian(rng):
    x = rng.standard_normal(6)
    p = np.exp(x - x.max())
    p /= p.sum()
    H = ad.hessian(ad.logsumexp)(x)
    np.testing.assert_allclose(H.data, np.diag(p) - np.outer(p, p), atol=1e-14)


def test_hessian_of_matrix_input_has_doubled_shape(rng):
    X = rng.standard_normal((2, 3))
    H = ad.hessian(lambda m: (m ** 3).sum())(X)
    assert H.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(H.data.reshape(6, 6), np.diag(6 * X.reshape(-1)), atol=1e-14)


# ----------------------------------------------------------------------------- identities on random functions


def _jacobian_by_finite_differences(f, x):
    return ad.numerical_jacobian(f, x, method="richardson")


def test_jacobian_modes_agree_and_match_finite_differences(rng):
    x = rng.uniform(-1, 1, 3)
    reference = _jacobian_by_finite_differences(mixed, x)
    results = [ad.jacobian(mixed, mode=m, vectorize=v)(x).data for m in ("rev", "fwd") for v in (False, True)]
    for J in results:
        assert J.shape == (4, 3)
        np.testing.assert_allclose(J, results[0], rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(J, reference, rtol=1e-8, atol=1e-9)


def test_jacobian_shape_is_out_shape_plus_in_shape(rng):
    X = rng.standard_normal((2, 3))
    for mode in ("rev", "fwd"):
        for vectorize in (False, True):
            J = ad.jacobian(lambda m: ad.tanh(m.T) * 2.0, mode=mode, vectorize=vectorize)(X)
            assert J.shape == (3, 2, 2, 3)
            assert J.data[1, 0, 0, 1] == pytest.approx(2.0 * (1.0 - np.tanh(X[0, 1]) ** 2))
            assert J.data[1, 0, 1, 0] == 0.0


def test_jacobian_tuple_argnums_gives_blocks(rng):
    a, b = rng.standard_normal(3), rng.standard_normal(2)
    f = lambda u, v: ad.outer(u, v).reshape((-1,))
    for mode in ("rev", "fwd"):
        Ja, Jb = ad.jacobian(f, argnums=(0, 1), mode=mode)(a, b)
        assert Ja.shape == (6, 3) and Jb.shape == (6, 2)
        np.testing.assert_allclose(Ja.data, np.kron(np.eye(3), b[:, None]), atol=1e-15)
        np.testing.assert_allclose(Jb.data, np.kron(a[:, None], np.eye(2)), atol=1e-15)


def test_jvp_and_vjp_against_jacobian(rng):
    x = rng.uniform(-1, 1, 3)
    v, u = rng.standard_normal(3), rng.standard_normal(4)
    J = ad.jacobian(mixed)(x).data
    out, tangent = ad.jvp(mixed, (x,), (v,))
    np.testing.assert_allclose(out.data, mixed(ad.tensor(x)).data, rtol=1e-15)
    np.testing.assert_allclose(tangent.data, J @ v, rtol=1e-12, atol=1e-14)
    out, vjp_fn = ad.vjp(mixed, x)
    (cotangent,) = vjp_fn(u)
    np.testing.assert_allclose(cotangent.data, u @ J, rtol=1e-12, atol=1e-14)
    (again,) = vjp_fn(2 * u)  # vjp_fn can be called more than once
    np.testing.assert_allclose(again.data, 2 * (u @ J), rtol=1e-12, atol=1e-14)


def test_vjp_and_jvp_with_several_primals(rng):
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    f = lambda u, v: u * ad.sin(v)
    _, vjp_fn = ad.vjp(f, a, b)
    ga, gb = vjp_fn(np.ones(3))
    np.testing.assert_allclose(ga.data, np.sin(b))
    np.testing.assert_allclose(gb.data, a * np.cos(b))
    _, tangent = ad.jvp(f, (a, b), (np.ones(3), np.zeros(3)))
    np.testing.assert_allclose(tangent.data, np.sin(b))


def test_hessian_symmetric_hvp_and_finite_differences(rng):
    x = rng.uniform(-1, 1, 5)
    v = rng.standard_normal(5)
    H = ad.hessian(scalar_mix)(x).data
    np.testing.assert_allclose(H, H.T, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(ad.hvp(scalar_mix, (x,), (v,)).data, H @ v, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(H, ad.numerical_hessian(scalar_mix, x), rtol=1e-5, atol=1e-6)
    numerical_gradient = ad.numerical_grad(scalar_mix, x, method="richardson")
    np.testing.assert_allclose(ad.grad(scalar_mix)(x).data, numerical_gradient, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ad.hessian(scalar_mix, vectorize=False)(x).data, H, rtol=1e-13, atol=1e-13)


def test_directional_derivatives_match_central_differences(rng):
    # central differences err by about h²·|f⁽³⁾|/6 + ε·|f|/h: with h = 1e-5 that is below 1e-9 here
    x, v = rng.uniform(-1, 1, 3), rng.standard_normal(3)
    h = 1e-5
    along = lambda t: mixed(ad.tensor(x + t * v)).data
    _, tangent = ad.jvp(mixed, (x,), (v,))
    np.testing.assert_allclose(tangent.data, (along(h) - along(-h)) / (2 * h), atol=1e-8)
    y = rng.uniform(-1, 1, 5)
    w = rng.standard_normal(5)
    slope = lambda t: ad.grad(scalar_mix)(y + t * w).data
    expected = (slope(h) - slope(-h)) / (2 * h)
    np.testing.assert_allclose(ad.hvp(scalar_mix, (y,), (w,)).data, expected, atol=1e-7)


def test_hessian_tuple_argnums_gives_nested_blocks(rng):
    a, b = rng.standard_normal(2), rng.standard_normal(3)
    f = lambda u, v: (u ** 2).sum() * (v ** 3).sum()
    (Haa, Hab), (Hba, Hbb) = ad.hessian(f, argnums=(0, 1))(a, b)
    assert Haa.shape == (2, 2) and Hab.shape == (2, 3) and Hba.shape == (3, 2) and Hbb.shape == (3, 3)
    np.testing.assert_allclose(Hab.data, np.outer(2 * a, 3 * b ** 2), rtol=1e-13)
    np.testing.assert_allclose(Hba.data, Hab.data.T, rtol=1e-13)
    np.testing.assert_allclose(Hbb.data, np.diag(6 * b) * (a ** 2).sum(), rtol=1e-13)


# ----------------------------------------------------------------------------- nesting


def test_nested_grads_and_jacobian_of_grad_equals_hessian(rng):
    f = lambda t: ad.sin(t) * t ** 2
    x = 0.4
    fourth = ad.grad(ad.grad(ad.grad(ad.grad(f))))(x)
    # (x² sin x)'''' = (x² - 12) sin x - 8x cos x
    assert float(fourth) == pytest.approx((x ** 2 - 12) * np.sin(x) - 8 * x * np.cos(x), rel=1e-12)
    v = rng.uniform(-1, 1, 4)
    np.testing.assert_allclose(ad.jacobian(ad.grad(scalar_mix))(v).data, ad.hessian(scalar_mix)(v).data,
                               rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(ad.jacobian(ad.grad(scalar_mix), mode="fwd")(v).data,
                               ad.hessian(scalar_mix)(v).data, rtol=1e-12, atol=1e-12)


def test_every_composition_of_two_transforms_gives_the_hessian():
    f = lambda x: (ad.sin(x) * x[0]).sum() + (x ** 3).prod()
    x = np.array([0.3, -0.7, 1.1])
    H = ad.hessian(f)(x).data
    basis = np.eye(3)
    compositions = {
        "jacobian(jacobian)": ad.jacobian(ad.jacobian(f)),
        "fwd(fwd)": ad.jacobian(ad.jacobian(f, mode="fwd"), mode="fwd"),
        "fwd-vec(rev-vec)": ad.jacobian(ad.jacobian(f, vectorize=True), mode="fwd", vectorize=True),
        "hvp columns": lambda v: ad.stack([ad.hvp(f, (v,), (e,)) for e in basis]),
        "jacobian(vjp)": ad.jacobian(lambda v: ad.vjp(f, v)[1](1.0)[0]),
        "jacobian(jvp)": lambda v: ad.stack([ad.jacobian(lambda y, e=e: ad.jvp(f, (y,), (e,))[1])(v)
                                            for e in basis]),
    }
    for name, h in compositions.items():
        np.testing.assert_allclose(h(x).data, H, rtol=1e-13, atol=1e-14, err_msg=name)
    third = ad.jacobian(ad.hessian(f))(x).data
    assert third.shape == (3, 3, 3)
    np.testing.assert_allclose(third, np.transpose(third, (1, 2, 0)), atol=1e-13)  # symmetric in all three
    np.testing.assert_allclose(third, ad.numerical_jacobian(ad.hessian(f), x), atol=1e-7)


def test_grad_of_a_function_that_calls_hessian():
    x = np.array([0.5, -1.0, 2.0])
    # d/dx Σ H(x) for Rosenbrock: only H's entries linear in x contribute
    g = ad.grad(lambda v: ad.hessian(rosenbrock)(v).sum())(x)
    expected = np.array([2400 * x[0] - 800, -400 + 2400 * x[1] - 800, -400])
    np.testing.assert_allclose(g.data, expected, rtol=1e-13)


def test_closure_over_an_outer_transform_variable():
    # d/dy [d/dx (x y)] = 1, even though the inner primal is a plain float
    assert float(ad.grad(lambda y: ad.grad(lambda x: x * y)(2.0))(3.0)) == pytest.approx(1.0)
    # d/dy [d/dx x² y³ at x=1] = d/dy 2y³ = 6y²
    assert float(ad.grad(lambda y: ad.grad(lambda x: x ** 2 * y ** 3)(1.0))(2.0)) == pytest.approx(24.0)


def test_results_hold_no_graph_outside_and_stay_differentiable_inside():
    x = np.array([1.0, 2.0])
    assert not ad.grad(rosenbrock)(x).requires_grad
    assert not ad.hessian(rosenbrock)(x).requires_grad
    assert not ad.jacobian(polar, mode="fwd")(x).requires_grad
    t = ad.tensor(x, requires_grad=True)
    g = ad.grad(rosenbrock)(t)
    assert g.requires_grad
    (dg,) = ad.gradients(g.sum(), t)
    np.testing.assert_allclose(dg.data, rosenbrock_hessian(x).sum(axis=0), rtol=1e-13)
    assert t.grad is None  # the transforms never touch .grad


def test_a_jacobian_penalty_is_differentiable_in_the_other_arguments(rng):
    W0, x = rng.standard_normal((3, 2)), rng.standard_normal(2)
    penalty = lambda W: (ad.jacobian(lambda v, M: ad.tanh(M @ v))(x, W) ** 2).sum()
    W = ad.tensor(W0, requires_grad=True)
    J = ad.jacobian(lambda v, M: ad.tanh(M @ v))(x, W)
    assert J.requires_grad  # W is an argument that requires grad, though not differentiated here
    penalty(W).backward()
    np.testing.assert_allclose(W.grad.data, ad.numerical_grad(penalty, W0, method="richardson"), atol=1e-9)


def test_derivatives_wrt_a_recorded_node_leave_the_older_graph_alone():
    # the pass stops at the wanted node: what was recorded before it is neither visited nor freed,
    # so an inner transform (fresh identity node) never consumes the graph of an outer computation
    x = ad.tensor([0.5, 1.0], requires_grad=True)
    older = ad.sin(x)
    middle = older * 2.0
    (g,) = ad.gradients((middle ** 2).sum(), middle)  # retain_graph=False
    np.testing.assert_allclose(g.data, 2 * middle.data)
    (again,) = ad.gradients(older.sum(), x)  # still there; this pass frees it
    np.testing.assert_allclose(again.data, np.cos(x.data))
    # f closes over a tensor whose graph is gone: the transform's pass never goes there
    inner = ad.grad(lambda v: (v * older).sum())(np.ones(2))
    np.testing.assert_allclose(inner.data, older.data)
    np.testing.assert_allclose(ad.hessian(lambda v: (v ** 2 * older).sum())(np.ones(2)).data,
                               np.diag(2 * older.data))


def test_transforms_work_under_no_grad():
    with ad.no_grad():
        assert float(ad.grad(lambda x: x ** 2)(3.0)) == 6.0
        H = ad.hessian(rosenbrock)(np.ones(3))
    np.testing.assert_allclose(H.data, rosenbrock_hessian(np.ones(3)))


def test_has_aux_and_value_and_grad():
    f = lambda x: ((x ** 2).sum(), {"norm": ad.sqrt((x ** 2).sum())})
    g, aux = ad.grad(f, has_aux=True)(np.array([3.0, 4.0]))
    np.testing.assert_allclose(g.data, [6.0, 8.0])
    assert float(aux["norm"]) == 5.0 and not aux["norm"].requires_grad
    (value, aux), g = ad.value_and_grad(f, has_aux=True)(np.array([3.0, 4.0]))
    assert float(value) == 25.0
    value, (ga, gb) = ad.value_and_grad(lambda a, b: a * b, argnums=(0, 1))(2.0, 5.0)
    assert (float(value), float(ga), float(gb)) == (10.0, 5.0, 2.0)


def test_non_differentiated_arguments_pass_through():
    f = lambda x, n, scale: scale * x ** n
    assert float(ad.grad(f)(2.0, 3, 0.5)) == pytest.approx(6.0)
    assert float(ad.grad(f, argnums=-1)(2.0, 3, 0.5)) == pytest.approx(8.0)


# ----------------------------------------------------------------------------- constants and errors


def test_constant_functions_give_zeros():
    assert float(ad.grad(lambda x: 3.0)(1.0)) == 0.0
    J = ad.jacobian(lambda x: np.ones(2))(np.ones(3))
    assert J.shape == (2, 3) and not J.data.any()
    assert ad.jacobian(lambda x: np.ones(2), mode="fwd")(np.ones(3)).shape == (2, 3)
    H = ad.hessian(lambda x: x.sum())(np.ones(3))  # linear: the gradient is constant
    assert H.shape == (3, 3) and not H.data.any()
    assert not ad.hvp(lambda x: 2.0 * x.sum(), (np.ones(2),), (np.ones(2),)).data.any()
    _, tangent = ad.jvp(lambda x: ad.tensor(5.0), (1.0,), (1.0,))
    assert float(tangent) == 0.0
    ga, gb = ad.grad(lambda a, b: a * 2.0, argnums=(0, 1))(1.0, 1.0)  # b is unused
    assert (float(ga), float(gb)) == (2.0, 0.0)


def test_grad_of_non_scalar_function_is_a_clear_error():
    with pytest.raises(ad.ShapeError, match=r"scalar output.*\(3,\).*jacobian"):
        ad.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(ad.ShapeError, match="scalar output"):
        ad.hvp(lambda x: x * 2, (np.ones(3),), (np.ones(3),))


def test_hessian_of_a_vector_function_stacks_the_hessians():
    f = lambda v: ad.stack([(v ** 3).sum(), v[0] * v[1]])
    x = np.array([1.0, 2.0])
    H = ad.hessian(f)(x)
    assert H.shape == (2, 2, 2)
    np.testing.assert_allclose(H.data[0], np.diag(6 * x))
    np.testing.assert_allclose(H.data[1], [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(ad.hessian(f, vectorize=False)(x).data, H.data)
    nested = ad.hessian(ad.hessian(lambda v: (v ** 4).sum()))(x)  # fourth derivatives, shape (2,)*4
    assert nested.shape == (2, 2, 2, 2) and nested.data[1, 1, 1, 1] == 24.0 and nested.data[0, 0, 1, 1] == 0.0


def test_argnums_errors():
    with pytest.raises(ValueError, match=r"argnums=2 is out of range.*2 positional arguments"):
        ad.grad(lambda a, b: a * b, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match="out of range"):
        ad.jacobian(lambda a: a, argnums=(0, 1))(np.ones(2))
    with pytest.raises(ValueError, match="repeats"):
        ad.grad(lambda a, b: a * b, argnums=(0, 0))(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be"):
        ad.grad(lambda a: a, argnums=0.5)(1.0)


def test_integer_inputs_are_refused():
    with pytest.raises(ad.DtypeError, match=r"argument 0 has dtype int.*3\.0"):
        ad.grad(lambda x: x ** 2)(3)
    with pytest.raises(ad.DtypeError, match="floating-point"):
        ad.jacobian(lambda x: x)(np.arange(3))


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="mode must be"):
        ad.jacobian(polar, mode="sideways")
    with pytest.raises(ad.ShapeError, match=r"tangent 0 has shape \(2,\), expected.*\(3,\)"):
        ad.jvp(lambda x: x, (np.ones(3),), (np.ones(2),))
    _, vjp_fn = ad.vjp(lambda x: x * 2, np.ones(3))
    with pytest.raises(ad.ShapeError, match="cotangent has shape"):
        vjp_fn(np.ones(4))
    with pytest.raises(TypeError, match="has_aux=True"):
        ad.grad(lambda x: (x, x))(1.0)
    with pytest.raises(TypeError, match=r"pair \(output, aux\)"):
        ad.grad(lambda x: x, has_aux=True)(1.0)


# ----------------------------------------------------------------------------- oracles and properties


def test_against_torch_functional():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, v = rng.uniform(-1, 1, 6), rng.standard_normal(6)

    def ours(t):
        return (ad.tanh(t) * ad.exp(0.5 * t)).sum() + ad.logsumexp(t * t) + (t[:-1] * t[1:]).sum() ** 2

    def theirs(t):
        return ((torch.tanh(t) * torch.exp(0.5 * t)).sum() + torch.logsumexp(t * t, 0)
                + (t[:-1] * t[1:]).sum() ** 2)

    xt, vt = torch.tensor(x), torch.tensor(v)
    expected = torch.autograd.functional.hessian(theirs, xt, vectorize=True).numpy()
    np.testing.assert_allclose(ad.hessian(ours)(x).data, expected, rtol=1e-12, atol=1e-13)
    expected = torch.autograd.functional.hvp(theirs, xt, vt)[1].numpy()
    np.testing.assert_allclose(ad.hvp(ours, (x,), (v,)).data, expected, rtol=1e-12, atol=1e-13)
    vector_ours = lambda t: ad.sin(t) * t.sum()
    vector_theirs = lambda t: torch.sin(t) * t.sum()
    expected = torch.autograd.functional.jacobian(vector_theirs, xt).numpy()
    for mode in ("rev", "fwd"):
        J = ad.jacobian(vector_ours, mode=mode)(x).data
        np.testing.assert_allclose(J, expected, rtol=1e-13, atol=1e-14)


def test_float32_stays_float32():
    x = np.array([1.0, 2.0], dtype=np.float32)
    assert ad.grad(lambda t: (t ** 2).sum())(x).dtype == np.float32
    assert ad.hessian(lambda t: (t ** 3).sum())(x).dtype == np.float32
    assert ad.jacobian(lambda t: t * 2, mode="fwd")(x).dtype == np.float32


@settings(deadline=None)
@given(arrays(np.float64, 4, elements=st.floats(-1.5, 1.5)),
       arrays(np.float64, 4, elements=st.floats(-2, 2)), arrays(np.float64, 4, elements=st.floats(-2, 2)))
def test_linear_identities_hold_at_random_points(x, v, u):
    f = lambda t: ad.stack([scalar_mix(t), ad.sin(t).sum(), (t * t[::-1]).sum(), t[1] ** 3])
    J = ad.jacobian(f)(x).data
    np.testing.assert_allclose(ad.jvp(f, (x,), (v,))[1].data, J @ v, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ad.vjp(f, x)[1](u)[0].data, u @ J, rtol=1e-10, atol=1e-10)
    H = ad.hessian(scalar_mix)(x).data
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ad.hvp(scalar_mix, (x,), (v,)).data, H @ v, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ad.jacobian(f, vectorize=True)(x).data, J, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(ad.jacobian(f, mode="fwd", vectorize=True)(x).data, J, rtol=1e-12, atol=1e-12)


def test_an_error_inside_f_leaves_no_nesting_behind():
    def broken(x):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        ad.grad(broken)(1.0)
    assert not ad.grad(lambda x: x ** 2)(3.0).requires_grad  # back outside any transform
