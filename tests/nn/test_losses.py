"""Losses: values from their textbook formulas, reductions, gradcheck, stability at ±1e4, clear errors."""

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff.errors import ShapeError
from nn import functional as F


def log_softmax_reference(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_values(rng, reduction):
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    reduce = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    d = a - b
    np.testing.assert_allclose(nn.MSELoss(reduction)(ad.tensor(a), b).data, reduce(d**2))
    np.testing.assert_allclose(nn.L1Loss(reduction)(ad.tensor(a), b).data, reduce(np.abs(d)))
    huber = np.where(np.abs(d) < 0.5, 0.5 * d**2, 0.5 * (np.abs(d) - 0.25))
    np.testing.assert_allclose(nn.HuberLoss(reduction, delta=0.5)(ad.tensor(a), b).data, reduce(huber))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_values(rng, reduction, smoothing):
    z, labels = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    target = (1 - smoothing) * np.eye(4)[labels] + smoothing / 4
    expected = -(target * log_softmax_reference(z)).sum(axis=1)
    reduce = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    got = nn.CrossEntropyLoss(reduction, label_smoothing=smoothing)(ad.tensor(z), labels)
    np.testing.assert_allclose(got.data, reduce(expected))


def test_cross_entropy_with_probabilities_and_spatial_axes(rng):
    z = rng.normal(size=(3, 4))
    p = rng.dirichlet(np.ones(4), size=3)
    np.testing.assert_allclose(F.cross_entropy(z, p), np.mean(-(p * log_softmax_reference(z)).sum(1)))
    images, labels = rng.normal(size=(2, 3, 2, 2)), rng.integers(0, 3, size=(2, 2, 2))
    flat = np.moveaxis(images, 1, -1).reshape(-1, 3)
    np.testing.assert_allclose(F.cross_entropy(images, labels), F.cross_entropy(flat, labels.reshape(-1)))


def test_binary_losses_values(rng):
    z, t = rng.normal(size=6), rng.integers(0, 2, size=6).astype(float)
    p = 1 / (1 + np.exp(-z))
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(nn.BCELoss("none")(ad.tensor(p), t).data, expected)
    np.testing.assert_allclose(nn.BCEWithLogitsLoss("none")(ad.tensor(z), t).data, expected)
    w = 3.0
    weighted = -(w * t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(z, t, "none", pos_weight=w), weighted)


def test_nll_loss_of_log_softmax_is_cross_entropy(rng):
    z, labels = rng.normal(size=(4, 3)), rng.integers(0, 3, size=4)
    np.testing.assert_allclose(nn.NLLLoss()(ad.log_softmax(ad.tensor(z), axis=1), labels).data,
                               F.cross_entropy(z, labels))


@pytest.mark.parametrize("make, target", [
    (lambda: nn.MSELoss(), lambda rng: rng.normal(size=(3, 2))),
    (lambda: nn.L1Loss(), lambda rng: rng.normal(size=(3, 2)) + 5.0),
    (lambda: nn.HuberLoss(delta=0.7), lambda rng: rng.normal(size=(3, 2)) * 2),
    (lambda: nn.CrossEntropyLoss(), lambda rng: rng.integers(0, 2, size=3)),
    (lambda: nn.CrossEntropyLoss(label_smoothing=0.3, reduction="sum"),
     lambda rng: rng.integers(0, 2, size=3)),
    (lambda: nn.BCEWithLogitsLoss(), lambda rng: rng.uniform(size=(3, 2))),
    (lambda: nn.BCEWithLogitsLoss(pos_weight=2.0), lambda rng: rng.uniform(size=(3, 2))),
])
def test_losses_gradcheck(rng, make, target):
    loss, t = make(), target(rng)
    assert ad.gradcheck(lambda z: loss(z, t), [rng.normal(size=(3, 2))])


def test_bce_gradcheck_on_probabilities(rng):
    t = rng.uniform(size=4)
    assert ad.gradcheck(lambda p: nn.BCELoss()(p, t), [rng.uniform(0.1, 0.9, size=4)])


def test_huber_with_target_that_requires_grad(rng):
    a, b = rng.normal(size=4), rng.normal(size=4)
    assert ad.gradcheck(lambda x, y: F.huber_loss(x, y), [a, b])


def test_losses_are_finite_at_huge_logits():
    z = ad.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], requires_grad=True)
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(z, [1, 0])
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(z.grad.data))
    assert loss.item() > 1e3  # confidently wrong: a huge but finite loss
    y = ad.tensor([1e4, -1e4, 1e4, -1e4], requires_grad=True)
    bce = nn.BCEWithLogitsLoss()(y, [1.0, 0.0, 0.0, 1.0])
    bce.backward()
    np.testing.assert_allclose(bce.item(), 2e4 / 4)
    np.testing.assert_allclose(y.grad.data, [0.0, 0.0, 0.25, -0.25])
    p = ad.tensor([0.0, 1.0, 1.0], requires_grad=True)
    clamped = nn.BCELoss("none")(p, [1.0, 1.0, 0.0])
    clamped.sum().backward()
    np.testing.assert_allclose(clamped.data, [100.0, 0.0, 100.0], rtol=1e-12)  # log clamped at -100
    assert np.all(np.isfinite(p.grad.data))


def test_float32_losses_stay_float32():
    z = ad.tensor(np.zeros((2, 3), dtype=np.float32), requires_grad=True)
    assert nn.CrossEntropyLoss(label_smoothing=0.1)(z, [0, 2]).dtype == np.float32
    assert nn.MSELoss()(z, np.ones((2, 3))).dtype == np.float32


def test_loss_errors_name_the_problem():
    with pytest.raises(ShapeError, match=r"\(4, 1\).*\(4,\)"):
        nn.MSELoss()(ad.zeros(4, 1), np.zeros(4))
    with pytest.raises(IndexError, match=r"\[0, 2\]"):
        nn.CrossEntropyLoss()(ad.zeros(2, 3), [0, 3])
    with pytest.raises(ShapeError, match="integer labels of shape"):
        nn.CrossEntropyLoss()(ad.zeros(2, 3), [[0], [1]])
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(ad.zeros(2, 3), [0, 1], label_smoothing=2.0)
