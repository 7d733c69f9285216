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
