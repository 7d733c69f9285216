"""ad.jit: replays equal eager bitwise over the whole op registry and random programs; the limits
(value-dependent control flow, retracing, static arguments, the cache bound) behave as documented."""

import numpy as np
import pytest
from hypothesis import given, settings

import autodiff as ad

from .op_registry import CASES

NON_EMPTY = [c for c in CASES if any(all(int(np.prod(s)) > 0 for s in shapes) for shapes in c.shapes)]


def _inputs(case, seed=0):
    shapes = min((s for s in case.shapes if all(int(np.prod(x)) > 0 for x in s)),
                 key=lambda s: sum(int(np.prod(x)) for x in s))
    return case.sample(np.random.default_rng(seed), shapes)


def _scalar(case):
    def f(*xs):
        out = case.fn(*xs)
        return (out * out).sum() if out.ndim else out * out
    return f


# prod's VJP divides Πx by xᵢ on plain arrays (eager first-order backward) but takes each product
# directly when recorded (so that it can be differentiated again); jit records, so there the results
# may differ in the last bits. Everywhere else the replay makes the eager numpy calls: bitwise equal.
TWO_PATHS = {"prod"}


def _equal(a, b, exact=True):
    a = a.data if isinstance(a, ad.Tensor) else np.asarray(a)
    b = b.data if isinstance(b, ad.Tensor) else np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    if exact:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("case", NON_EMPTY, ids=lambda c: c.id)
def test_values_and_gradients_equal_eager_bitwise(case):
    xs = _inputs(case)
    f = ad.jit(case.fn)
    _equal(f(*xs), case.fn(*[ad.tensor(x) for x in xs]))
    nums = tuple(range(len(xs)))
    grad = ad.jit(ad.grad(_scalar(case), argnums=nums))
    exact = case.op not in TWO_PATHS
    for g, h in zip(grad(*xs), ad.grad(_scalar(case), argnums=nums)(*xs)):
        _equal(g, h, exact)
    other = _inputs(case, seed=1)  # the same program on new values (a replay, not a trace)
    for g, h in zip(grad(*other), ad.grad(_scalar(case), argnums=nums)(*other)):
        _equal(g, h, exact)
    assert grad.cache_info().misses == 1 and grad.cache_info().hits == 1


SECOND_ORDER = [c for c in NON_EMPTY if c.second_order and c.batched  # (unbatchable: no vectorised Hessian)
                and sum(int(np.prod(s)) for s in c.shapes[0]) <= 12]


@pytest.mark.parametrize("case", SECOND_ORDER, ids=lambda c: c.id)
def test_hessians_equal_eager_bitwise(case):
    xs = _inputs(case)
    f = lambda x: _scalar(case)(x, *xs[1:])  # noqa: E731 (the Hessian in the first input)
    _equal(ad.jit(ad.hessian(f))(xs[0]), ad.hessian(f)(xs[0]), case.op not in TWO_PATHS)


def _fuzz_graphs():
    from tests.test_fuzz_graphs import graphs

    return graphs(max_steps=8)


@settings(max_examples=60, deadline=None)
@given(graph=_fuzz_graphs())
def test_random_programs_jitted_equal_eager(graph):
    nums = tuple(range(len(graph.inputs)))
    with np.errstate(all="ignore"):
        value, grads = ad.jit(ad.value_and_grad(graph, argnums=nums))(*graph.inputs)
        expected_value, expected = ad.value_and_grad(graph, argnums=nums)(*graph.inputs)
    exact = not any(step.name in TWO_PATHS for step in graph.steps)
    _equal(value, expected_value)
    for g, h in zip(grads, expected):
        _equal(g, h, exact)


# ----------------------------------------------------------------------------- the limits
def test_value_dependent_control_flow_raises_a_jit_error():
    def f(x):
        return x * 2 if x.sum() > 0 else -x

    with pytest.raises(ad.TracingError, match="ad.jit.*ad.where.*static_argnums"):
        ad.jit(f)(np.ones(3))
    np.testing.assert_array_equal(ad.jit(lambda x: ad.where(x.sum() > 0, x * 2, -x))(np.ones(3)).data, 2.0)
    with pytest.raises(ad.TracingError, match="float"):
        ad.jit(lambda x: x * float(x[0]))(np.ones(3))
    with pytest.raises(ad.TracingError, match="in-place"):
        ad.jit(lambda x: x.__setitem__(0, 1.0))(np.ones(3))
    for read in (lambda x: x.data * 2, lambda x: ad.tensor(x) * 2, lambda x: np.asarray(x), lambda x: x.numpy()):
        with pytest.raises(ad.TracingError):  # the values leave the trace: they would be baked in
            ad.jit(read)(np.ones(3))


def test_a_new_shape_or_dtype_traces_again_and_the_cache_is_bounded():
    f = ad.jit(lambda x: (x * x).sum(), maxsize=2)
    f(np.ones(3))
    f(np.ones(3) * 2)
    f(np.ones(4))
    f(np.ones(4, dtype=np.float32))
    info = f.cache_info()
    assert (info.hits, info.misses, info.currsize, info.maxsize) == (1, 3, 2, 2)
    f.clear_cache()
    assert f.cache_info().currsize == 0


def test_static_arguments_are_part_of_the_key():
    def power_sum(x, n):
        for _ in range(n):  # Python control flow on a static argument is fine
            x = x * x
        return x.sum()

    f = ad.jit(power_sum, static_argnums=1)
    assert float(f(np.full(2, 2.0), 1)) == 8.0 and float(f(np.full(2, 2.0), 2)) == 32.0
    assert f.cache_info().misses == 2
    with pytest.raises(TypeError, match="hashable"):
        ad.jit(lambda x, s: x, static_argnums=1)(np.ones(2), [1, 2])
    g = ad.jit(lambda x, n: x * n)  # Python ints are static by value
    assert float(g(np.ones(1), 3)[0]) == 3.0 and float(g(np.ones(1), 4)[0]) == 4.0


def test_side_effects_run_once_while_tracing():
    seen = []
    f = ad.jit(lambda x: (seen.append(1), x + 1)[1])
    for _ in range(3):
        f(np.zeros(2))
    assert seen == [1]


def test_captured_tensors_that_require_grad_are_refused():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ad.TracingError, match="argument"):
        ad.jit(lambda x: (x * w).sum())(np.ones(2))
    c = ad.tensor([1.0, 2.0])  # a constant is fine: it is part of the program
    assert float(ad.jit(lambda x: (x * c).sum())(np.ones(2))) == 3.0


def test_custom_functions_are_refused():
    class Double(ad.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    with pytest.raises(ad.TracingError, match="Double"):
        ad.jit(lambda x: Double.apply(x))(np.ones(2))


def test_jit_inside_grad_and_grad_of_jit_run_eagerly():
    f = ad.jit(lambda x: (ad.sin(x) * x).sum())
    x = np.array([0.3, 1.2])
    expected = np.cos(x) * x + np.sin(x)
    np.testing.assert_allclose(ad.grad(f)(x).data, expected)
    t = ad.tensor(x, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(t.grad.data, expected)
    assert f.cache_info().misses == 0


def test_integer_indices_are_replayed_only_for_equal_values():
    f = ad.jit(lambda x, i: x[i].sum())
    x = np.arange(5.0)
    assert float(f(x, np.array([0, 1]))) == 1.0
    assert float(f(x, np.array([3, 4]))) == 7.0  # not the baked [0, 1]
    assert float(f(x, np.array([0, 1]))) == 1.0
    assert f.cache_info().misses == 2 and f.cache_info().hits == 1


def test_results_keep_their_structure_and_types():
    f = ad.jit(lambda d: {"double": d["x"] * 2, "parts": [d["x"].sum(), 3, "label"]})
    out = f({"x": np.ones(2)})
    assert isinstance(out["double"], ad.Tensor) and out["parts"][1:] == [3, "label"]
    g = ad.jit(lambda x: np.ones(3))  # a constant result: a fresh copy each call
    a, b = g(np.ones(1)), g(np.ones(1))
    a[0] = 5.0
    assert b[0] == 1.0


def test_the_program_is_readable_numpy():
    f = ad.jit(ad.grad(lambda x: (ad.tanh(x) ** 2).sum()))
    source = f.program(np.ones(3))
    assert source.startswith("def program(a0):") and "tanh(a0)" in source and "return" in source


def test_jacobians_compose_with_jit():
    f = lambda x: ad.stack([ad.sin(x[0]) * x[1], x[0] ** 2 + ad.exp(x[1])])  # noqa: E731
    x = np.array([0.3, -0.7])
    for transform in (ad.jacobian(f, vectorize=True), ad.jacobian(f, mode="fwd"), ad.jacobian(f)):
        _equal(ad.jit(transform)(x), transform(x))


def test_the_fast_path_checks_every_argument():
    """The generated guard of the last call's kind lets equal kinds through and sends others to the
    general signature (which traces them): shape, dtype, container type and length all count."""
    f = ad.jit(lambda ps, x: (ps[0] * x).sum() + ps[1].sum())
    args = ([np.ones(3), np.ones(2)], np.ones(3))
    f(*args)
    f([ad.tensor(np.ones(3)), np.ones(2)], np.ones(3))  # a Tensor holding an equal array: the same kind
    assert f.cache_info().misses == 1
    for other in (([np.ones(4), np.ones(2)], np.ones(4)), ((np.ones(3), np.ones(2)), np.ones(3)),
                  ([np.ones(3, np.float32), np.ones(2)], np.ones(3)), ([np.ones(3), np.ones(2), 1.0], np.ones(3))):
        f(*other)
    assert f.cache_info().misses == 5
    x = ad.tensor(np.ones(3), requires_grad=True)  # to differentiate through: runs f itself
    f([x, np.ones(2)], np.ones(3)).backward()
    np.testing.assert_array_equal(x.grad.data, np.ones(3))
