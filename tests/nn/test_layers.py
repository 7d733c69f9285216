"""Every layer and activation: gradcheck (float64, small sizes) in inputs and parameters, and behaviour."""

import numpy as np
import pytest

import autodiff as ad
import nn
from nn import functional as F
from tests.nn.helpers import module_gradcheck


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.Linear(3, 2, rng=0), (4, 3)),
    (lambda: nn.Linear(3, 2, bias=False, rng=0), (2, 5, 3)),
    (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1, rng=0), (2, 2, 5, 5)),
    (lambda: nn.Conv2d(1, 2, (2, 3), stride=(1, 2), padding=(1, 0), rng=0), (1, 1, 4, 5)),
    (lambda: nn.BatchNorm1d(3), (5, 3)),
    (lambda: nn.BatchNorm1d(2), (4, 2, 3)),
    (lambda: nn.BatchNorm2d(2), (2, 2, 3, 2)),
    (lambda: nn.LayerNorm(4), (3, 4)),
    (lambda: nn.LayerNorm((2, 3)), (2, 2, 3)),
    (lambda: nn.Sequential(nn.Linear(2, 3, rng=0), nn.Tanh(), nn.Linear(3, 2, rng=1)), (4, 2)),
])
def test_layers_gradcheck_inputs_and_parameters(rng, make, shape):
    layer = make()
    for p in layer.parameters():  # move off the default 1/0 so scale and shift are exercised
        p.data = p.data + rng.normal(scale=0.3, size=p.shape)
    assert module_gradcheck(layer, rng.normal(size=shape), output=lambda out: out * out)


@pytest.mark.parametrize("layer", [
    nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.LeakyReLU(0.1), nn.GELU(), nn.GELU("tanh"), nn.Softmax(dim=1),
    nn.LogSoftmax(dim=-1), nn.Flatten(), nn.MaxPool2d(2), nn.MaxPool2d(3, stride=2, padding=1), nn.Identity(),
])
def test_parameter_free_layers_gradcheck(rng, layer):
    x = rng.normal(size=(2, 2, 4, 4))
    x[np.abs(x) < 1e-3] += 0.01  # keep finite differences away from the kinks of relu/leaky relu
    assert module_gradcheck(layer, x, output=lambda out: out * out)


def test_dropout_gradcheck_with_a_fixed_mask(rng):
    x = rng.normal(size=(3, 4))
    assert ad.gradcheck(lambda a: F.dropout(a, 0.3, training=True, rng=7), [x])


def test_embedding_gradcheck_and_repeated_indices_add_up(rng):
    emb = nn.Embedding(5, 3, rng=0)
    indices = np.array([[0, 2], [2, 4]])
    assert ad.gradcheck(lambda w: F.embedding(indices, w) ** 2, [emb.weight.data])
    emb(indices).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[:, 0], [1.0, 0.0, 2.0, 0.0, 1.0])
    with pytest.raises(IndexError, match="out of range"):
        emb([5])
    with pytest.raises(TypeError, match="integers"):
        emb(np.array([0.5]))


def test_linear_is_x_wt_plus_b_with_pytorch_layout(rng):
    layer = nn.Linear(3, 2, rng=0)
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)


def test_conv2d_layer_shapes_and_bias(rng):
    conv = nn.Conv2d(3, 5, kernel_size=3, stride=2, padding=1, rng=0)
    assert conv.weight.shape == (5, 3, 3, 3) and conv.bias.shape == (5,)
    x = rng.normal(size=(2, 3, 9, 9))
    out = conv(x)
    assert out.shape == (2, 5, 5, 5)
    without_bias = ad.ops.conv2d(x, conv.weight.data, stride=2, padding=1)
    bias = np.broadcast_to(conv.bias.data[:, None, None], out.shape)
    np.testing.assert_allclose(out.data - without_bias, bias)


def test_conv2d_padding_names(rng):
    x = rng.normal(size=(1, 1, 6, 7))
    assert nn.Conv2d(1, 2, (3, 5), padding="same", rng=0)(x).shape == (1, 2, 6, 7)
    assert nn.Conv2d(1, 2, 3, padding="valid", rng=0)(x).shape == (1, 2, 4, 5)
    with pytest.raises(ValueError, match="odd kernel"):
        nn.Conv2d(1, 2, 2, padding="same")
    with pytest.raises(ValueError, match="stride 1"):
        F.conv2d(x, np.ones((1, 1, 3, 3)), stride=2, padding="same")
    with pytest.raises(ValueError, match="'valid' or 'same'"):
        nn.Conv2d(1, 2, 3, padding="full")


def test_dropout_is_off_in_eval_and_reproducible_with_a_seed(rng):
    x = ad.ones(1000)
    drop = nn.Dropout(0.25, rng=3)
    out = drop(x).data
    assert set(np.unique(out)) <= {0.0, 1.0 / 0.75}
    assert 0.2 < np.mean(out == 0) < 0.3
    np.testing.assert_array_equal(nn.Dropout(0.25, rng=3)(x).data, out)
    np.testing.assert_array_equal(drop.eval()(x).data, x.data)
    assert np.all(F.dropout(x, 1.0).data == 0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        nn.Dropout(1.5)


def test_batchnorm_running_statistics_follow_pytorch_formula(rng):
    bn = nn.BatchNorm1d(3, momentum=0.2)
    batches = [rng.normal(loc=2.0, scale=3.0, size=(8, 3)) for _ in range(3)]
    mean, var = np.zeros(3), np.ones(3)
    for batch in batches:
        out = bn(batch)
        normalised = (batch - batch.mean(0)) / np.sqrt(batch.var(0) + 1e-5)
        np.testing.assert_allclose(out.data, normalised, atol=1e-12)
        mean = 0.8 * mean + 0.2 * batch.mean(0)
        var = 0.8 * var + 0.2 * batch.var(0, ddof=1)  # the running variance is unbiased
    np.testing.assert_allclose(bn.running_mean.data, mean)
    np.testing.assert_allclose(bn.running_var.data, var)
    assert int(bn.num_batches_tracked.data) == 3
    bn.eval()
    test = rng.normal(size=(2, 3))
    np.testing.assert_allclose(bn(test).data, (test - mean) / np.sqrt(var + 1e-5))
    np.testing.assert_allclose(bn.running_mean.data, mean)  # eval does not update


def test_batchnorm_cumulative_average_and_errors(rng):
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [rng.normal(size=(4, 2)) for _ in range(3)]
    for batch in batches:
        bn(batch)
    np.testing.assert_allclose(bn.running_mean.data, np.mean([b.mean(0) for b in batches], axis=0))
    with pytest.raises(ValueError, match="more than one value"):
        bn(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="channels"):
        bn(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        nn.BatchNorm2d(2)(np.zeros((4, 2)))


def test_layernorm_normalises_each_sample(rng):
    x = rng.normal(loc=5.0, size=(3, 6))
    out = nn.LayerNorm(6)(x).data
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=1), 1.0, rtol=1e-4)


def test_activations_values(rng):
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(F.leaky_relu(x, 0.1), np.where(x > 0, x, 0.1 * x))
    from math import erf, sqrt
    np.testing.assert_allclose(F.gelu(x), [v * 0.5 * (1 + erf(v / sqrt(2))) for v in x], rtol=1e-14)
    np.testing.assert_allclose(F.gelu(x, approximate="tanh"), F.gelu(x), atol=1e-3)
    np.testing.assert_allclose(nn.Softmax(dim=0)(ad.tensor(x)).data.sum(), 1.0)


def test_gelu_has_second_derivatives(rng):
    assert ad.gradgradcheck(lambda a: F.gelu(a), [rng.normal(size=5)])


def test_flatten_and_maxpool_layers(rng):
    x = rng.normal(size=(2, 3, 4, 4))
    assert nn.Flatten()(x).shape == (2, 48)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 4)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 2, 2)
