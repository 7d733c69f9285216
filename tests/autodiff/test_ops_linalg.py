"""Linear algebra specifics: matmul's numpy cases, einsum subscripts, inv/det/solve/norm, errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autodiff as ad

RNG = np.random.default_rng(7)


@pytest.mark.parametrize(("a", "b"), [
    ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (3, 3, 2)), ((3,), (2, 3, 4)), ((2, 3, 4), (4,)),
])
def test_matmul_gradients_are_the_textbook_formulas(a, b):
    """For C = AB with 2-D operands: ∂L/∂A = G Bᵀ, ∂L/∂B = Aᵀ G; vectors and batches reduce to these."""
    A, B = RNG.standard_normal(a), RNG.standard_normal(b)
    ta, tb = ad.tensor(A, requires_grad=True), ad.tensor(B, requires_grad=True)
    out = ta @ tb
    G = RNG.standard_normal(out.shape)
    out.backward(G)
    A2 = A[None] if A.ndim == 1 else A
    B2 = B[..., None] if B.ndim == 1 else B
    G2 = G.reshape(np.matmul(A2, B2).shape)
    gA = _sum_to(np.matmul(G2, np.swapaxes(B2, -1, -2)), A2.shape)
    gB = _sum_to(np.matmul(np.swapaxes(A2, -1, -2), G2), B2.shape)
    np.testing.assert_allclose(ta.grad.data, gA.reshape(A.shape), rtol=1e-12)
    np.testing.assert_allclose(tb.grad.data, gB.reshape(B.shape), rtol=1e-12)


def _sum_to(g, shape):
    """Sum a broadcast gradient back to ``shape`` (written here, independently of the engine)."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def test_matmul_errors_name_the_op_and_both_shapes():
    with pytest.raises(ad.ShapeError, match=r"matmul.*\(2, 3\).*\(4, 2\)"):
        ad.tensor(np.ones((2, 3)), requires_grad=True) @ ad.tensor(np.ones((4, 2)))
    with pytest.raises(ad.ShapeError, match=r"matmul.*\(\).*\(4, 2\)"):
        ad.matmul(ad.tensor(1.0), ad.tensor(np.ones((4, 2))))


def test_einsum_trace_and_diagonal_gradients():
    x = ad.tensor(RNG.standard_normal((3, 3)), requires_grad=True)
    ad.einsum("ii->", x).backward()
    np.testing.assert_array_equal(x.grad.data, np.eye(3))
    x.grad = None
    ad.einsum("ii->i", x).backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.data, np.diag([1.0, 2.0, 3.0]))


def test_einsum_letter_summed_in_one_operand_only():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
    ta, tb = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
    ad.einsum("ij,jk->k", ta, tb).backward(np.ones(4))
    np.testing.assert_allclose(ta.grad.data, np.broadcast_to(b.sum(axis=1), (2, 3)), rtol=1e-12)
    np.testing.assert_allclose(tb.grad.data, np.broadcast_to(a.sum(axis=0)[:, None], (3, 4)), rtol=1e-12)


def test_einsum_ellipsis_broadcasting_an_operand_without_ellipsis():
    """Regression: '...i,i->...' used to fail in the VJP of the operand without '...'."""
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal(4)
    assert ad.gradcheck(lambda x, y: ad.einsum("...i,i->...", x, y), [a, b])
    assert ad.gradcheck(lambda x, y: ad.einsum("...ij,...jk->...ik", x, y),
                        [RNG.standard_normal((2, 1, 2, 3)), RNG.standard_normal((3, 3, 2))])


def test_einsum_errors():
    with pytest.raises(ad.ShapeError, match="name 2 operands, got 1"):
        ad.einsum("ij,jk->ik", ad.tensor(np.ones((2, 3))))
    with pytest.raises(ad.ShapeError, match=r"einsum.*\(2, 3\) and \(2, 3\)"):
        ad.einsum("ij,jk->ik", ad.tensor(np.ones((2, 3))), ad.tensor(np.ones((2, 3))))


def test_inv_and_det_identities():
    a = RNG.standard_normal((3, 3)) + 4 * np.eye(3)
    x = ad.tensor(a, requires_grad=True)
    ad.det(x).backward()
    np.testing.assert_allclose(x.grad.data, np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-10)
    x.grad = None
    G = RNG.standard_normal((3, 3))
    ad.inv(x).backward(G)
    inv = np.linalg.inv(a)
    np.testing.assert_allclose(x.grad.data, -inv.T @ G @ inv.T, rtol=1e-10)
    assert ad.gradcheck(lambda m: ad.inv(m) @ m, [a])  # constant (identity): gradient 0


def _cofactors_by_minors(a):
    """The cofactor matrix adj(A)ᵀ from its definition, (-1)^(i+j) det(A without row i and column j),
    independently of the engine (numpy's det of each minor; 1 for the empty minor of a 1x1 matrix)."""
    n = a.shape[-1]
    cofactors = np.empty(a.shape)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            cofactors[..., i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return cofactors


def _of_rank(rank, n, batch=(), seed=0):
    """Random n x n matrices of the given rank (products n x rank times rank x n; 0 gives zeros)."""
    rng = np.random.default_rng(seed)
    left = rng.standard_normal((*batch, n, rank))
    return left @ rng.standard_normal((*batch, rank, n)) if rank else np.zeros((*batch, n, n))


def _assert_close_at_scale(actual, expected, a, tolerance):
    """Errors measured against ‖A‖^(n-1), the size of adj(A)'s entries in general: below rank n-1
    the cofactors are 0 and only their rounding errors, of that size times eps, are left."""
    scale = np.linalg.norm(a, axis=(-2, -1), keepdims=True) ** (a.shape[-1] - 1) + 1
    np.testing.assert_allclose(actual / scale, expected / scale, rtol=0, atol=tolerance)


SINGULAR = [(n, rank) for n in range(1, 6) for rank in range(n)]


@pytest.mark.parametrize(("n", "rank"), SINGULAR)
def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix(n, rank):
    """∂det X/∂X = adj(X)ᵀ everywhere: nonzero at rank n-1, zero below. One batch mixes singular
    members with a regular one."""
    regular = np.random.default_rng(n).standard_normal((1, n, n))
    a = np.concatenate([_of_rank(rank, n, (3,), seed=n * 10 + rank), regular])
    x = ad.tensor(a, requires_grad=True)
    ad.det(x).sum().backward()
    expected = _cofactors_by_minors(a)
    _assert_close_at_scale(x.grad.data, expected, a, 1e-14)
    if rank == n - 1:
        assert np.abs(expected[:3]).min(axis=(-2, -1)).max() > 1e-6  # so there was something to check


def test_det_gradient_at_integer_singular_matrices_is_exact():
    for a, cofactors in [([[1.0, 2.0], [2.0, 4.0]], [[4.0, -2.0], [-2.0, 1.0]]), ([[0.0]], [[1.0]]),
                         ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
                          [[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]]),
                         (np.zeros((3, 3)), np.zeros((3, 3)))]:
        x = ad.tensor(a, requires_grad=True)
        ad.det(x).backward()
        np.testing.assert_allclose(x.grad.data, cofactors, atol=1e-13)


@pytest.mark.parametrize(("n", "rank"), SINGULAR)
def test_det_gradient_at_singular_matrices_agrees_with_torch(n, rank):
    """Where torch's LU finds the matrix invertible (rounding keeps most of these products so), its
    det·solve formula is accurate and must agree. Where its det is exactly 0, torch 2.x nudges the
    zero pivot by eps and often returns zeros (pytorch/pytorch#104675, e.g. at [[1, 2], [2, 4]]);
    those members are left to the closed-form test above (zero matrices it gets right: 1 for 1x1, else 0)."""
    torch = pytest.importorskip("torch")
    a = _of_rank(rank, n, (8,), seed=n * 10 + rank)
    x, theirs = ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ad.det(x).sum().backward()
    their_det = torch.linalg.det(theirs)
    their_det.sum().backward()
    trusted = (their_det.detach().numpy() != 0) | (rank == 0)  # zero matrices torch gets right
    assert trusted.any()
    _assert_close_at_scale(x.grad.data[trusted], theirs.grad.numpy()[trusted], a[trusted], 1e-13)


@pytest.mark.parametrize(("n", "rank"), SINGULAR)
def test_det_first_and_second_derivatives_at_singular_matrices_match_finite_differences(n, rank):
    """det is a polynomial, so central differences are accurate at singular points too."""
    a = _of_rank(rank, n, (2,), seed=n * 10 + rank)
    assert ad.gradcheck(ad.det, [a], atol=1e-8, rtol=1e-6)
    assert ad.gradgradcheck(ad.det, [a], atol=1e-6, rtol=1e-4)


def test_det_hessian_at_nearly_singular_matrices_keeps_its_digits():
    """det X · X⁻ᵀ differentiated again loses eps·cond(X); the shifted formula does not. Reference:
    central differences of the cofactor matrix by minors (error h²/6 times det's third derivative)."""
    rng = np.random.default_rng(1)
    for noise in [1e-4, 1e-8, 1e-12]:
        a = _of_rank(3, 4, seed=2) + noise * rng.standard_normal((4, 4))
        hessian = ad.hessian(ad.det)(ad.tensor(a)).data.reshape(16, 16)
        h = 1e-5
        columns = [(_cofactors_by_minors(a + h * e) - _cofactors_by_minors(a - h * e)).ravel() / (2 * h)
                   for e in np.eye(16).reshape(16, 4, 4)]
        np.testing.assert_allclose(hessian, np.stack(columns, axis=1), rtol=0, atol=1e-8)


@pytest.mark.parametrize(("n", "rank"), [(2, 1), (3, 2), (3, 1), (4, 2), (5, 4), (4, 0)])
def test_det_derivatives_of_every_order_at_singular_matrices(n, rank):
    """The Taylor series of t ↦ det(A + tI) at a singular A is the characteristic polynomial of -A:
    every derivative of det, up to order n and the zero beyond it."""
    a = _of_rank(rank, n, seed=n * 10 + rank)
    coefficients = ad.taylor(lambda t: ad.det(a + t * np.eye(n)), 0.0, n + 1, method="nested")
    expected = np.append(np.poly(-a)[::-1], 0.0)  # np.poly: highest power first
    np.testing.assert_allclose(coefficients, expected, rtol=1e-9, atol=1e-9)


def test_det_forward_mode_hessian_at_a_singular_matrix():
    """jacobian(grad, mode="fwd") also runs det's third-order VJPs (the transpose trick)."""
    a = _of_rank(2, 3, seed=3)
    forward = ad.jacobian(ad.grad(ad.det), mode="fwd")(ad.tensor(a)).data
    np.testing.assert_allclose(forward, ad.hessian(ad.det)(ad.tensor(a)).data, rtol=1e-10, atol=1e-12)


def test_det_gradient_in_float32_at_singular_and_regular_matrices():
    regular = np.random.default_rng(4).standard_normal((1, 3, 3)) + 3 * np.eye(3)
    a = np.concatenate([_of_rank(2, 3, (2,), seed=4), _of_rank(1, 3, (1,), seed=5), regular]).astype(np.float32)
    x = ad.tensor(a, requires_grad=True)
    ad.det(x).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, _cofactors_by_minors(a.astype(np.float64)), rtol=1e-4, atol=1e-5)
    hessian = ad.hessian(lambda m: ad.det(m).sum())(ad.tensor(a)).data
    assert hessian.dtype == np.float32
    expected = ad.hessian(lambda m: ad.det(m).sum())(ad.tensor(a.astype(np.float64))).data
    np.testing.assert_allclose(hessian, expected, rtol=1e-4, atol=1e-4)


def test_det_of_empty_matrices_has_an_empty_gradient():
    x = ad.tensor(np.zeros((2, 0, 0)), requires_grad=True)
    d = ad.det(x)
    np.testing.assert_array_equal(d.data, [1.0, 1.0])
    d.sum().backward()
    assert x.grad.shape == (2, 0, 0)


@pytest.mark.parametrize("b_shape", [(3,), (3, 2), (2, 3, 2)])
def test_solve_agrees_with_inverse_times_b(b_shape):
    a = RNG.standard_normal((3, 3)) + 4 * np.eye(3)
    b = RNG.standard_normal(b_shape)
    x = ad.solve(ad.tensor(a), ad.tensor(b))
    np.testing.assert_allclose(x.data, np.linalg.solve(a, b), rtol=1e-12)
    assert ad.gradcheck(ad.solve, [a, b])


@pytest.mark.parametrize(("op", "shape"), [(ad.inv, (2, 3)), (ad.det, (3, 2)), (ad.inv, (2, 2, 3))])
def test_square_matrix_errors_name_the_op_and_shape(op, shape):
    with pytest.raises(ad.ShapeError, match=rf"{op.__name__}.*square.*{shape[-2]}, {shape[-1]}"):
        op(ad.tensor(np.ones(shape), requires_grad=True))


def test_solve_shape_error_says_what_b_should_be():
    with pytest.raises(ad.ShapeError, match=r"solve.*\(3, 3\).*\(3,\) or \(\.\.\., 3, k\).*\(2,\)"):
        ad.solve(ad.tensor(np.eye(3)), ad.tensor(np.ones(2)))


@pytest.mark.parametrize(("ord", "axis"), [(None, None), (1, None), (2, None), (np.inf, None), (3, None),
                                           (-np.inf, None), (None, 1), (1, 0), (2, -1), (np.inf, 1), (3, 1)])
def test_norm_matches_numpy(ord, axis):
    x = RNG.standard_normal((3, 4)) if axis is not None else RNG.standard_normal(5)
    np.testing.assert_allclose(ad.norm(ad.tensor(x), ord=ord, axis=axis).data, np.linalg.norm(x, ord, axis),
                               rtol=1e-12)


def test_norm_refuses_matrix_orders_it_does_not_implement():
    with pytest.raises(NotImplementedError, match="ord=1 over a matrix"):
        ad.norm(ad.tensor(np.ones((2, 3))), ord=1)
    with pytest.raises(ValueError, match="ord must be"):
        ad.norm(ad.tensor(np.ones(3)), ord=-1)


def test_dot_and_outer_follow_numpy():
    for a, b in [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((), (3,)), ((2, 3), (4, 3, 2))]:
        x, y = RNG.standard_normal(a), RNG.standard_normal(b)
        np.testing.assert_allclose(ad.dot(ad.tensor(x), ad.tensor(y)).data, np.dot(x, y), rtol=1e-12)
    x, y = RNG.standard_normal((2, 2)), RNG.standard_normal(3)
    np.testing.assert_allclose(ad.outer(ad.tensor(x), ad.tensor(y)).data, np.outer(x, y), rtol=1e-12)


@st.composite
def matmul_shapes(draw):
    """Any pair numpy's matmul accepts: vectors or (broadcast) stacks of matrices, sizes 0 to 3."""
    n, k, m = (draw(st.integers(0, 3)) for _ in range(3))
    batches = draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, min_side=1, max_side=3))
    a_vector, b_vector = draw(st.booleans()), draw(st.booleans())
    a = (k,) if a_vector else batches.input_shapes[0] + (n, k)
    b = (k,) if b_vector else batches.input_shapes[1] + (k, m)
    return a, b


@given(shapes=matmul_shapes(), seed=st.integers(0, 2**32 - 1))
def test_matmul_on_generated_shapes(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    out = ad.matmul(ad.tensor(a), ad.tensor(b))
    np.testing.assert_allclose(out.data, np.matmul(a, b), rtol=1e-12, atol=1e-12)
    assert ad.gradcheck(ad.matmul, [a, b], atol=1e-6, rtol=1e-5)


@st.composite
def einsum_problems(draw):
    """Random explicit or implicit subscripts over letters a-d (repeats, one-operand sums, outer
    products, scalars), optionally with '...' on some operands, and operand shapes that fit."""
    sizes = {c: draw(st.integers(1, 3)) for c in "abcd"}
    count = draw(st.integers(1, 3))
    terms = [draw(st.text("abcd", max_size=3)) for _ in range(count)]
    ellipsis_shape = draw(st.sampled_from([None, (2,), (2, 1)]))
    with_ellipsis = [ellipsis_shape is not None and draw(st.booleans()) for _ in terms]
    shapes = []
    for term, has in zip(terms, with_ellipsis, strict=True):
        lead = ellipsis_shape[len(ellipsis_shape) - draw(st.integers(0, len(ellipsis_shape))):] if has else ()
        shapes.append(tuple(lead) + tuple(sizes[c] for c in term))
    subscripts = ",".join(("..." if has else "") + t for t, has in zip(terms, with_ellipsis, strict=True))
    if draw(st.booleans()):  # explicit output: distinct letters from the inputs, in any order
        letters = sorted(set("".join(terms)))
        output = "".join(draw(st.permutations(letters))[: draw(st.integers(0, len(letters)))])
        subscripts += "->" + ("..." if any(with_ellipsis) else "") + output
    return subscripts, shapes


@given(problem=einsum_problems(), seed=st.integers(0, 2**32 - 1))
def test_einsum_on_generated_subscripts(problem, seed):
    subscripts, shapes = problem
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    f = lambda *xs: ad.einsum(subscripts, *xs)  # noqa: E731
    np.testing.assert_allclose(f(*[ad.tensor(a) for a in arrays]).data, np.einsum(subscripts, *arrays),
                               rtol=1e-12, atol=1e-12)
    assert ad.gradcheck(f, arrays, atol=1e-6, rtol=1e-5), subscripts
    assert ad.gradgradcheck(f, arrays, atol=1e-5, rtol=1e-4), subscripts
    inputs = [ad.tensor(a, requires_grad=True) for a in arrays]
    out = f(*inputs)
    cotangents = rng.standard_normal((2,) + out.shape)
    batched = ad.gradients(out, inputs, grad_outputs=cotangents, is_grads_batched=True, retain_graph=True)
    for k in range(2):
        rows = ad.gradients(out, inputs, grad_outputs=cotangents[k], retain_graph=True)
        for b, r in zip(batched, rows, strict=True):
            np.testing.assert_allclose(b.data[k], r.data, rtol=1e-10, atol=1e-12, err_msg=subscripts)
