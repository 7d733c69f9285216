"""nn.functional_call (a model as a function of its parameters) and nn.fit(jit=True)."""

import numpy as np
import pytest

import autodiff as ad
import nn
import optim


def _model():
    return nn.Sequential(nn.Linear(2, 8, rng=0), nn.Tanh(), nn.Linear(8, 3, rng=1))


def test_functional_call_uses_the_given_parameters_and_restores_the_model():
    model = _model()
    x = np.random.default_rng(0).standard_normal((5, 2))
    own = model(ad.tensor(x)).data.copy()
    params = {name: p.data * 2 for name, p in model.named_parameters()}
    other = nn.functional_call(model, params, ad.tensor(x))
    expected = np.tanh(x @ params["0.weight"].T + params["0.bias"]) @ params["2.weight"].T + params["2.bias"]
    np.testing.assert_allclose(other.data, expected)
    np.testing.assert_array_equal(model(ad.tensor(x)).data, own)  # the model's own parameters are back
    assert all(isinstance(p, nn.Parameter) for p in model.parameters())
    with pytest.raises(nn.StateDictError, match="'3.weight'"):
        nn.functional_call(model, {"3.weight": np.zeros(1)}, ad.tensor(x))


def test_gradients_through_functional_call_equal_the_model_s():
    model = _model()
    x = np.random.default_rng(1).standard_normal((6, 2))
    labels = np.array([0, 1, 2, 0, 1, 2])
    loss = nn.CrossEntropyLoss()
    loss(model(ad.tensor(x)), labels).backward()
    params = {name: p.data for name, p in model.named_parameters()}
    grads = ad.grad(lambda ps: loss(nn.functional_call(model, ps, x), labels))(params)
    jitted = ad.jit(ad.grad(lambda ps, x, y: loss(nn.functional_call(model, ps, x), y)))(params, x, labels)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(grads[name].data, p.grad.data, rtol=1e-13)
        np.testing.assert_array_equal(jitted[name].data, grads[name].data)


def test_fit_with_jit_trains_exactly_as_without():
    X, y = nn.datasets.make_moons(200, noise=0.15, rng=0)
    histories = []
    for jit in (False, True):
        model = _model()
        histories.append(nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), X, y,
                                epochs=5, batch_size=32, progress=False, rng=0, jit=jit))
    assert histories[0]["loss"] == histories[1]["loss"]
    assert histories[0]["accuracy"] == histories[1]["accuracy"]


def test_fit_with_jit_refuses_dropout_and_batch_norm():
    X, y = nn.datasets.make_moons(40, noise=0.15, rng=0)
    model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.Dropout(0.5), nn.Linear(8, 2, rng=1))
    with pytest.raises(ValueError, match="Dropout"):
        nn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=1,
               progress=False, jit=True)


def test_labels_out_of_range_give_nan_not_a_silent_zero():
    logits = ad.tensor([[0.0, 1.0], [2.0, 0.0]])
    assert np.isnan(nn.functional.cross_entropy(logits, ad.tensor([1, 5])).item())
    with pytest.raises(IndexError, match="class labels"):
        nn.functional.cross_entropy(logits, np.array([1, 5]))
