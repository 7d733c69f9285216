"""Second derivatives through layers and losses: every nn formula is built from differentiable ops."""

import numpy as np
import pytest

import autodiff as ad
import nn
from nn import functional as F


@pytest.mark.parametrize("loss", [
    lambda z, t: F.cross_entropy(z, t, label_smoothing=0.1),
    lambda z, t: F.binary_cross_entropy_with_logits(z[:, 0], (t == 1).astype(float)),
    lambda z, t: F.huber_loss(z[:, 0], t.astype(float), delta=0.5),
])
def test_gradgradcheck_mlp_loss_in_input_and_weights(rng, loss):
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    t = rng.integers(0, 2, size=4)
    assert ad.gradgradcheck(lambda x, w, b: loss(ad.tanh(F.linear(x, w, b)), t), [x, w, b])


def test_gradgradcheck_conv_pool_layers(rng):
    x, w, b = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(2, 2, 3, 3)), rng.normal(size=2)
    f = lambda x, w, b: F.max_pool2d(F.conv2d(x, w, b, stride=1, padding=1), 2) ** 2
    assert ad.gradgradcheck(f, [x, w, b])


def test_gradgradcheck_norm_layers(rng):
    x, g, b = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)
    assert ad.gradgradcheck(lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True) ** 3, [x, g, b])
    assert ad.gradgradcheck(lambda x, g, b: F.layer_norm(x, 3, g, b) ** 3, [x, g, b])


def test_hessian_of_a_loss_in_the_parameters_matches_finite_differences(rng):
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Tanh(), nn.Linear(3, 2, rng=1))
    X, y = nn.datasets.make_moons(8, noise=0.1, rng=0)
    params = list(model.parameters())
    loss = nn.CrossEntropyLoss()(model(ad.tensor(X)), y)
    grads = ad.gradients(loss, params, create_graph=True)
    flat = ad.concatenate([ad.reshape(g, (-1,)) for g in grads])
    rows = [ad.gradients(flat[i], params, retain_graph=True) for i in range(flat.shape[0])]
    hessian = np.stack([np.concatenate([h.data.ravel() for h in row]) for row in rows])

    def gradient_at(vector):
        offsets = np.cumsum([0] + [p.size for p in params])
        for p, start, stop in zip(params, offsets[:-1], offsets[1:], strict=True):
            p.data = np.asarray(vector.data[start:stop]).reshape(p.shape)
        with ad.enable_grad():
            value = nn.CrossEntropyLoss()(model(ad.tensor(X)), y)
            return np.concatenate([g.data.ravel() for g in ad.gradients(value, params)])

    start = np.concatenate([p.data.ravel() for p in params])
    numerical = ad.numerical_jacobian(gradient_at, start)
    np.testing.assert_allclose(hessian, numerical, atol=1e-6)
