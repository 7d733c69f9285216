"""PyTorch as an independent oracle (test-only): every registered op's value, gradient and second-order
gradient for random inputs. Skips cleanly when torch is not installed."""

import numpy as np
import pytest

import autodiff as ad

from .op_registry import CASES, case_shape_params, param_id

torch = pytest.importorskip("torch")

ORACLE = [p for p in case_shape_params() if p[0].torch_fn is not None]


def _close(ours, theirs, shape, what):
    """Compare, reading None (an input that does not matter) as zeros of ``shape``."""
    theirs = np.zeros(shape) if theirs is None else theirs.detach().numpy(force=True)
    ours = np.zeros(shape) if ours is None else ours
    scale = max(1.0, float(np.max(np.abs(theirs), initial=0.0)))
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9 * scale, err_msg=what)


def _ours(case, arrays, cotangent, weights):
    xs = [ad.tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(*xs)
    grads = ad.gradients(out, xs, grad_outputs=cotangent, create_graph=True, allow_unused=True)
    total = sum(((g * w).sum() for g, w in zip(grads, weights, strict=True) if g is not None), ad.tensor(0.0))
    second = (ad.gradients(total, xs, allow_unused=True) if total.requires_grad else [None] * len(xs))
    data = [None if g is None else g.data for g in grads]
    return out.data, data, [None if g is None else g.data for g in second]


def _theirs(case, arrays, cotangent, weights):
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = case.torch_fn(torch, *xs)
    if not out.requires_grad:  # an op constant in its inputs (nothing here is)
        return out, [None] * len(xs), [None] * len(xs)
    grads = torch.autograd.grad(out, xs, torch.tensor(cotangent), create_graph=True, allow_unused=True)
    total = sum(((g * torch.tensor(w)).sum() for g, w in zip(grads, weights, strict=True) if g is not None),
                torch.tensor(0.0, dtype=torch.float64))
    second = (torch.autograd.grad(total, xs, allow_unused=True) if total.requires_grad else [None] * len(xs))
    return out, grads, second


@pytest.mark.parametrize(("case", "shapes"), ORACLE, ids=param_id)
def test_value_gradient_and_second_order_agree_with_torch(case, shapes):
    rng = np.random.default_rng(40)
    arrays = case.sample(rng, shapes)
    out_shape = np.shape(case.ref(*arrays))
    cotangent = rng.standard_normal(out_shape)
    weights = [rng.standard_normal(a.shape) for a in arrays]
    value, grads, second = _ours(case, arrays, cotangent, weights)
    t_value, t_grads, t_second = _theirs(case, arrays, cotangent, weights)
    _close(value, t_value, out_shape, f"{case.id}: value")
    for i, (g, tg) in enumerate(zip(grads, t_grads, strict=True)):
        _close(g, tg, shapes[i], f"{case.id}: gradient of input {i}")
    for i, (h, th) in enumerate(zip(second, t_second, strict=True)):
        _close(h, th, shapes[i], f"{case.id}: second-order gradient of input {i}")


def test_oracle_covers_every_registered_op():
    assert {c.op for c, _ in ORACLE} == {c.op for c in CASES}


@pytest.mark.parametrize(("ours", "theirs", "x"), [
    (ad.relu, torch.relu, [-1.0, 0.0, 1.0]),
    (ad.abs, torch.abs, [-1.0, 0.0, 1.0]),
    (lambda t: ad.clip(t, -1.0, 1.0), lambda t: torch.clamp(t, -1.0, 1.0), [-2.0, -1.0, 1.0, 2.0]),
    (lambda t: ad.maximum(t, ad.tensor([0.0, 1.0, 0.0])),
     lambda t: torch.maximum(t, torch.tensor([0.0, 1.0, 0.0], dtype=t.dtype)), [0.0, 1.0, 2.0]),
    (lambda t: ad.max(t), torch.amax, [1.0, 3.0, 3.0]),
    (lambda t: ad.norm(t), torch.linalg.vector_norm, [0.0, 0.0]),
    (lambda t: ad.norm(t, ord=1), lambda t: torch.linalg.vector_norm(t, 1), [0.0, 0.0]),
    (ad.sqrt, torch.sqrt, [0.0, 1.0]),
])
def test_kink_choices_match_torch(ours, theirs, x):
    a = ad.tensor(x, requires_grad=True)
    with np.errstate(divide="ignore"):
        ours(a).sum().backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    theirs(t).sum().backward()
    np.testing.assert_array_equal(a.grad.data, t.grad.numpy())


@pytest.mark.slow
@pytest.mark.parametrize(("case", "shapes"), ORACLE, ids=param_id)
def test_torch_agrees_over_many_random_inputs(case, shapes):
    """The deeper campaign (``pytest -m slow``): the same three-way comparison for 25 more seeds."""
    for seed in range(100, 125):
        rng = np.random.default_rng(seed)
        arrays = case.sample(rng, shapes)
        out_shape = np.shape(case.ref(*arrays))
        cotangent = rng.standard_normal(out_shape)
        weights = [rng.standard_normal(a.shape) for a in arrays]
        ours = _ours(case, arrays, cotangent, weights)
        theirs = _theirs(case, arrays, cotangent, weights)
        _close(ours[0], theirs[0], out_shape, f"{case.id} seed {seed}: value")
        for order in (1, 2):
            for i, (g, tg) in enumerate(zip(ours[order], theirs[order], strict=True)):
                _close(g, tg, shapes[i], f"{case.id} seed {seed}: order-{order} gradient of input {i}")
