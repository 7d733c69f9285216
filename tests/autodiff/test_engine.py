"""The tape: backward and gradients(), accumulation, hooks, grad modes, anomaly detection, custom
Functions, released graphs, in-place changes, a million-node chain, memory release, higher order."""

import gc
import threading
import weakref

import numpy as np
import pytest

import autodiff as ad


# ----------------------------------------------------------------------------- backward and gradients()
def test_backward_on_a_non_scalar_needs_a_gradient_and_says_so():
    y = ad.tensor([1.0, 2.0], requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=r"shape \(2,\) needs the cotangent: pass gradient="):
        y.backward()


def test_backward_on_a_tensor_that_does_not_require_grad_says_why():
    with pytest.raises(RuntimeError, match="does not require grad.*requires_grad=True"):
        (ad.tensor([1.0]) * 2.0).backward()


def test_gradient_of_the_wrong_shape_names_both_shapes():
    y = ad.tensor([1.0, 2.0], requires_grad=True) * 2.0
    with pytest.raises(ad.ShapeError, match=
                       r"cotangent has shape \(3,\), expected the output's shape \(2,\)"):
        y.backward(np.ones(3))


def test_one_element_outputs_need_no_gradient():
    x = ad.tensor([3.0], requires_grad=True)
    (x * x).backward()
    np.testing.assert_array_equal(x.grad.data, [6.0])


def test_gradients_accumulate_across_backward_calls():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 12.0])


def test_retain_graph_allows_a_second_backward_that_adds_exactly_the_same():
    x = ad.tensor([0.3, -1.2], requires_grad=True)
    y = (ad.sin(x) * ad.exp(x)).sum()
    y.backward(retain_graph=True)
    first = x.grad.data.copy()
    y.backward()
    np.testing.assert_array_equal(x.grad.data, 2 * first)


def test_second_backward_through_a_released_graph_says_to_retain_it():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (ad.exp(x) * 2.0).sum()
    y.backward()
    with pytest.raises(ad.GraphFreedError, match=r"second time.*'(sum|multiply|exp)'.*retain_graph=True"):
        y.backward()


def test_shared_subexpressions_sum_their_cotangents():
    x = ad.tensor(2.0, requires_grad=True)
    h = x * x
    (h * h + h).backward()  # d/dx (x⁴ + x²) = 4x³ + 2x
    assert x.grad.item() == 36.0


def test_gradients_returns_without_touching_grad():
    x, w = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([3.0, 4.0], requires_grad=True)
    gx, gw = ad.gradients((x * w).sum(), [x, w])
    np.testing.assert_array_equal(gx.data, [3.0, 4.0])
    np.testing.assert_array_equal(gw.data, [1.0, 2.0])
    assert x.grad is None and w.grad is None


def test_gradients_errors_are_specific():
    x, unused = ad.tensor([1.0], requires_grad=True), ad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1 was not used.*allow_unused=True"):
        ad.gradients((x * 2.0).sum(), [x, unused])
    assert ad.gradients((x * 2.0).sum(), [x, unused], allow_unused=True)[1] is None
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        ad.gradients((x * 2.0).sum(), [ad.tensor([1.0])])
    with pytest.raises(TypeError, match="input 0 is a ndarray, expected a Tensor"):
        ad.gradients((x * 2.0).sum(), [np.ones(1)])
    with pytest.raises(ValueError, match="one grad_output per output"):
        ad.gradients([x * 2.0, x * 3.0], [x], grad_outputs=[np.ones(1)])
    with pytest.raises(ad.ShapeError, match="after a leading batch axis"):
        ad.gradients(x * 2.0, [x], grad_outputs=np.ones(1), is_grads_batched=True)


def test_gradients_of_several_outputs_add_up():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (g,) = ad.gradients([(x * x).sum(), (3.0 * x).sum()], [x])
    np.testing.assert_array_equal(g.data, [5.0, 7.0])


# ----------------------------------------------------------------------------- hooks and retain_grad
def test_hooks_see_and_replace_gradients_and_can_be_removed():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    remove = x.register_hook(lambda g: seen.append(g.data.copy()) or g * 10.0)
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.data, [30.0, 30.0])
    remove()
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_hook_on_an_intermediate_changes_what_flows_on():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h.register_hook(lambda g: g * 0.0 + 1.0)
    (h * h).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_hook_errors():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ad.tensor([1.0]).register_hook(lambda g: g)
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: np.ones(3))
    with pytest.raises(ad.ShapeError, match=r"hook returned a gradient of shape \(3,\), expected \(2,\)"):
        (x * 1.0).sum().backward()


def test_retain_grad_keeps_an_intermediate_gradient():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    h, k = x * 2.0, x * 3.0
    h.retain_grad()
    (h * k).sum().backward()
    np.testing.assert_array_equal(h.grad.data, k.data)
    assert k.grad is None


# ----------------------------------------------------------------------------- grad modes
def test_no_grad_and_enable_grad_nest():
    x = ad.tensor([1.0], requires_grad=True)
    assert ad.is_grad_enabled()
    with ad.no_grad():
        assert not ad.is_grad_enabled() and not (x * 2.0).requires_grad
        with ad.enable_grad():
            assert (x * 2.0).requires_grad
        assert not ad.is_grad_enabled()
        with ad.set_grad_enabled(True):
            assert ad.is_grad_enabled()
    assert ad.is_grad_enabled() and (x * 2.0).requires_grad


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError), ad.no_grad():
        _ = 1 / 0
    assert ad.is_grad_enabled()


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    x = ad.tensor([1.0], requires_grad=True)
    inside, results = threading.Event(), {}

    def worker():
        inside.wait(5)
        results["other"] = (x * 2.0).requires_grad

    thread = threading.Thread(target=worker)
    thread.start()
    with ad.no_grad():
        inside.set()
        thread.join(5)
        results["here"] = (x * 2.0).requires_grad
    assert results == {"other": True, "here": False}


# ----------------------------------------------------------------------------- detect_anomaly
def test_detect_anomaly_names_the_op_whose_forward_made_nan():
    x = ad.tensor([-1.0, 4.0], requires_grad=True)
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError, match=r"forward of 'sqrt'.*1 of 2"):
        with np.errstate(invalid="ignore"):
            ad.sqrt(x)


def test_detect_anomaly_names_the_op_whose_backward_made_inf():
    x = ad.tensor([0.0, 4.0], requires_grad=True)
    with ad.detect_anomaly():
        y = (ad.sqrt(x) * 2.0).sum()  # forward is finite; d√x at 0 is inf
        with pytest.raises(ad.AnomalyError, match=r"backward of 'sqrt'.*input 0"):
            with np.errstate(divide="ignore"):
                y.backward()


def test_without_detect_anomaly_nan_passes_silently():
    with np.errstate(invalid="ignore"):
        assert np.isnan(ad.sqrt(ad.tensor([-1.0], requires_grad=True)).data[0])


# ----------------------------------------------------------------------------- Function
class Cube(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3.0 * x ** 2  # d x³ = 3x², written with ad ops: differentiable again


class MulAdd(ad.Function):
    @staticmethod
    def forward(ctx, x, y, scale):
        ctx.save_for_backward(x, y)
        ctx.scale = scale
        return x * y * scale + x

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * (y * ctx.scale + 1.0), grad * x * ctx.scale, None


def test_function_first_and_second_derivatives():
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    y = Cube.apply(x)
    np.testing.assert_array_equal(y.data, [1.0, -8.0])
    assert y.grad_fn.name == "Cube"
    (g,) = ad.gradients(y.sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.data, [3.0, 12.0])
    (h,) = ad.gradients(g.sum(), x)
    np.testing.assert_array_equal(h.data, [6.0, -12.0])


def test_function_with_several_inputs_and_a_constant():
    x, y = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([3.0, 4.0], requires_grad=True)
    assert ad.gradcheck(lambda a, b: MulAdd.apply(a, b, 2.0), [x.data, y.data])
    MulAdd.apply(x, y, 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [7.0, 9.0])
    np.testing.assert_array_equal(y.grad.data, [2.0, 4.0])


def test_function_gradient_is_fresh_in_every_backward_pass():
    """Regression: the per-pass cache was keyed by id(cotangent), which the next pass could reuse."""
    assert ad.gradcheck(lambda a: Cube.apply(a), [[1.0, 2.0, -0.5]])
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    rows = [ad.gradients(y, x, grad_outputs=np.eye(2)[k], retain_graph=True)[0].data for k in range(2)]
    np.testing.assert_array_equal(rows, [[3.0, 0.0], [0.0, 12.0]])


def test_function_without_inputs_that_require_grad_records_nothing():
    assert not Cube.apply(ad.tensor([2.0])).requires_grad


def test_function_returning_the_wrong_number_of_gradients_says_so():
    class Bad(ad.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = ad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Bad\.backward returned 1 gradients, expected one per input"):
        Bad.apply(x, ad.tensor([2.0], requires_grad=True)).sum().backward()


# ----------------------------------------------------------------------------- in-place changes
def test_in_place_change_of_a_saved_input_fails_at_backward():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    x = ad.tensor([3.0, 4.0])
    y = (w * x).sum()
    x.add_(1.0)  # w's gradient is x: the saved value is stale now
    with pytest.raises(ad.InPlaceError, match=r"'multiply' was changed in place"):
        y.backward()


def test_in_place_parameter_update_under_no_grad_is_detected_by_an_old_graph():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    with ad.no_grad():
        w.sub_(0.5)
    with pytest.raises(ad.InPlaceError, match="changed in place"):
        y.backward()


def test_in_place_on_a_tensor_that_requires_grad_is_refused_while_recording():
    w = ad.tensor([1.0], requires_grad=True)
    with pytest.raises(ad.InPlaceError, match="no_grad"):
        w += 1.0
    with ad.no_grad():
        w += 1.0
    assert w.item() == 2.0


def test_an_in_place_change_after_backward_does_not_matter():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with ad.no_grad():
        w.sub_(0.1 * w.grad.data)
    (w * w).sum().backward()  # a new graph: fine
    np.testing.assert_allclose(w.grad.data, [2.0 + 1.6, 4.0 + 3.2])


# ----------------------------------------------------------------------------- size and memory
def test_a_million_node_chain_backpropagates_without_recursion():
    x = ad.tensor(1.5, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert y.item() == 1.5 and x.grad.item() == 1.0


def test_deep_graph_dropped_without_backward_is_freed():
    x = ad.tensor(1.0, requires_grad=True)
    y = x
    for i in range(100_000):
        y = y * 1.0
        if i == 50_000:
            middle = weakref.ref(y)
    assert middle() is not None  # held by the graph
    del y  # no recursion error on the way down, and nothing left alive
    assert middle() is None


def _graph_with_weakrefs():
    x = ad.tensor(np.ones(1000), requires_grad=True)
    h1 = x * 2.0
    h2 = ad.exp(h1)
    y = (h2 * 3.0).sum()
    return x, y, [weakref.ref(h1), weakref.ref(h2), weakref.ref(h1.data), weakref.ref(h2.data)]


def test_intermediate_arrays_are_freed_by_backward():
    x, y, refs = _graph_with_weakrefs()
    assert all(r() is not None for r in refs)  # the graph holds them for backward
    y.backward()
    assert all(r() is None for r in refs), "backward kept intermediate arrays alive"
    np.testing.assert_allclose(x.grad.data, 6.0 * np.exp(2.0))


def test_retain_graph_keeps_them_and_dropping_the_output_frees_them_without_gc():
    gc.disable()
    try:
        x, y, refs = _graph_with_weakrefs()
        y.backward(retain_graph=True)
        assert all(r() is not None for r in refs)
        del y
        assert all(r() is None for r in refs), "a reference cycle keeps the graph alive"
    finally:
        gc.enable()


# ----------------------------------------------------------------------------- higher order
def test_create_graph_to_third_order():
    x = ad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x ** 4 + ad.sin(x)).sum()
    (g1,) = ad.gradients(y, x, create_graph=True)
    (g2,) = ad.gradients(g1.sum(), x, create_graph=True)
    (g3,) = ad.gradients(g2.sum(), x)
    xs = x.data
    np.testing.assert_allclose(g1.data, 4 * xs ** 3 + np.cos(xs), rtol=1e-12)
    np.testing.assert_allclose(g2.data, 12 * xs ** 2 - np.sin(xs), rtol=1e-12)
    np.testing.assert_allclose(g3.data, 24 * xs - np.cos(xs), rtol=1e-12)


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    x = ad.tensor(2.0, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.item() == 12.0
    (g2,) = ad.gradients(x.grad, x)
    assert g2.item() == 12.0  # d/dx 3x² = 6x


def test_mixed_partials_of_a_two_variable_function():
    x, y = ad.tensor(1.5, requires_grad=True), ad.tensor(-0.5, requires_grad=True)
    f = ad.exp(x * y) + x ** 2 * y ** 3
    gx, gy = ad.gradients(f, [x, y], create_graph=True)
    gxy = ad.gradients(gx, y, retain_graph=True)[0].item()
    gyx = ad.gradients(gy, x)[0].item()
    expected = np.exp(1.5 * -0.5) * (1 + 1.5 * -0.5) + 6 * 1.5 * 0.25
    assert gxy == pytest.approx(expected, rel=1e-12) and gyx == pytest.approx(expected, rel=1e-12)


# ----------------------------------------------------------------------------- graph shapes
@pytest.mark.parametrize(("f", "expected"), [
    (lambda x: (x * x).sum(), [2.0, 4.0]), (lambda x: x @ x, [2.0, 4.0]),
    (lambda x: ad.maximum(x, x).sum(), [1.0, 1.0]), (lambda x: ad.einsum("i,i->", x, x), [2.0, 4.0]),
    (lambda x: ad.concatenate([x, x * 2.0]).sum(), [3.0, 3.0]),
    (lambda x: ad.stack([x, x]).sum(), [2.0, 2.0]),
])
def test_the_same_tensor_in_several_input_slots(f, expected):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(ad.gradients(f(x), x)[0].data, expected)


def test_gradients_with_respect_to_an_intermediate_and_to_the_output_itself():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    gh, gx = ad.gradients((h * h).sum(), [h, x])
    np.testing.assert_array_equal(gh.data, [6.0, 12.0])
    np.testing.assert_array_equal(gx.data, [18.0, 36.0])
    k = x * 3.0
    np.testing.assert_array_equal(ad.gradients(k, k, grad_outputs=np.array([1.0, 5.0]))[0].data, [1.0, 5.0])


def test_batched_cotangents_pass_hooks_and_functions():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    seen = []
    h.register_hook(lambda g: seen.append(g.shape))
    (jac,) = ad.gradients(Cube.apply(h), x, grad_outputs=np.eye(2), is_grads_batched=True)
    np.testing.assert_array_equal(jac.data, np.diag(3.0 * 4.0 * np.array([1.0, 4.0]) * 2.0))
    assert seen == [(2, 2)]


def test_cotangent_tensor_is_differentiable_under_create_graph():
    x, v = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([1.0, 1.0], requires_grad=True)
    (g,) = ad.gradients(x * x, x, grad_outputs=v, create_graph=True)  # g = 2 x v
    np.testing.assert_array_equal(ad.gradients(g.sum(), v)[0].data, [2.0, 4.0])


def test_no_two_leaves_share_a_gradient_array():
    """add hands one cotangent to both inputs, and a Function may return one array twice: each
    .grad must still own its memory, so changing one in place cannot change another."""

    class Twice(ad.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a.data + b.data

        @staticmethod
        def backward(ctx, g):
            h = g * 2.0
            return h, h

    x, w = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([3.0, 4.0], requires_grad=True)
    (x + w).sum().backward()
    a, b = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([1.0, 2.0], requires_grad=True)
    Twice.apply(a, b).sum().backward()
    for first, second in [(x, w), (a, b)]:
        assert not np.shares_memory(first.grad.data, second.grad.data)
        first.grad.data[0] = 99.0
        assert second.grad.data[0] != 99.0


def test_a_function_returning_a_wrongly_shaped_gradient_is_named():
    class Bad(ad.Function):
        @staticmethod
        def forward(ctx, a):
            return a.data * 2

        @staticmethod
        def backward(ctx, g):
            return ad.ones(3)

    with pytest.raises(ad.ShapeError, match=r"Bad.backward returned a gradient of shape \(3,\) for input 0"):
        Bad.apply(ad.tensor([1.0, 2.0], requires_grad=True)).sum().backward()
