"""DESIGN.md's contract for nn ("nn"): Module, layers, activations, losses, init, datasets, batches and
save files, with PyTorch's names, shapes and layouts, checked against numpy on tiny examples.
(``nn.fit`` needs an optimizer, so its contract test is in tests/optim/test_api_contract.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff.errors import ShapeError
from tests.helpers import params_of

MODULE_METHODS = ["forward", "__call__", "parameters", "named_parameters", "children", "train", "eval", "zero_grad",
                  "state_dict", "load_state_dict", "to", "float", "double"]
LAYERS_WITH_DTYPE = {"Linear": (2, 3), "Conv2d": (1, 2, 3), "BatchNorm1d": (3,), "LayerNorm": (3,),
                     "Embedding": (5, 2)}


@pytest.mark.parametrize("name", MODULE_METHODS)
def test_module_methods_exist(name):
    assert callable(getattr(nn.Module, name))


def test_module_basics_and_state_dict_keys_like_pytorch():
    model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p.shape for p in model.parameters()] == [(3, 2), (3,), (1, 3), (1,)]  # weight is (out, in)
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    assert len(list(model.children())) == 3
    assert model.eval() is model and not model.training and not model[0].training
    assert model.train().training
    state = model.state_dict()
    assert list(state) == names and all(isinstance(v, np.ndarray) for v in state.values())
    x = np.array([[1.0, -1.0]])
    W0, b0, W2, b2 = (state[n] for n in names)
    np.testing.assert_allclose(model(x).numpy(), np.maximum(x @ W0.T + b0, 0) @ W2.T + b2)
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None or not np.any(p.grad.numpy()) for p in model.parameters())
    text = repr(model)
    assert "Linear(in_features=2, out_features=3" in text and "\n" in text


def test_load_state_dict_strict_and_errors():
    model = nn.Linear(2, 3)
    new = {"weight": np.arange(6.0).reshape(3, 2), "bias": np.ones(3)}
    model.load_state_dict(new)
    np.testing.assert_array_equal(model.weight.numpy(), new["weight"])
    assert params_of(nn.Module.load_state_dict)["strict"].default is True
    with pytest.raises(Exception, match="missing.*bias"):
        model.load_state_dict({"weight": new["weight"]})
    with pytest.raises(Exception, match="unexpected.*extra"):
        model.load_state_dict({**new, "extra": np.ones(1)})
    with pytest.raises(Exception, match=r"\(2, 3\).*\(3, 2\)"):
        model.load_state_dict({"weight": np.zeros((2, 3)), "bias": np.ones(3)})
    np.testing.assert_array_equal(model.weight.numpy(), new["weight"])  # nothing changed by a failed load
    model.load_state_dict({"weight": np.zeros((3, 2))}, strict=False)
    assert not np.any(model.weight.numpy())


@pytest.mark.parametrize("name", list(LAYERS_WITH_DTYPE))
def test_layers_take_dtype_and_float32_stays_float32(name):
    cls = getattr(nn, name)
    assert params_of(cls)["dtype"].default in (np.float64, "float64", None)
    layer = cls(*LAYERS_WITH_DTYPE[name], dtype=np.float32)
    assert all(p.dtype == np.float32 for p in layer.parameters())
    inputs = {"Linear": np.ones((4, 2), np.float32), "Conv2d": np.ones((1, 1, 5, 5), np.float32),
              "BatchNorm1d": np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32),
              "LayerNorm": np.ones((4, 3), np.float32), "Embedding": np.array([0, 4])}[name]
    out = layer(ad.tensor(inputs))
    assert out.dtype == np.float32
    out.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())
    assert all(p.dtype == np.float64 for p in cls(*LAYERS_WITH_DTYPE[name]).parameters())  # default float64


def test_module_to_float_double():
    model = nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2))
    assert model.float() is model and all(p.dtype == np.float32 for p in model.parameters())
    assert all(p.dtype == np.float64 for p in model.double().parameters())
    assert all(p.dtype == np.float32 for p in model.to(np.float32).parameters())


def test_pytorch_parameter_names_and_layouts():
    assert nn.Conv2d(3, 4, (2, 5)).weight.shape == (4, 3, 2, 5)
    assert nn.Conv2d(3, 4, 3).bias.shape == (4,)
    assert list(nn.LayerNorm(3).state_dict()) == ["weight", "bias"]
    bn = nn.BatchNorm1d(3).state_dict()
    assert {"weight", "bias", "running_mean", "running_var"} <= set(bn)
    assert nn.Embedding(5, 2).weight.shape == (5, 2)


def test_state_dict_moves_from_pytorch_in_one_line():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(model(x).numpy(), tm(torch.tensor(x, dtype=torch.float32)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_layers_compute_the_documented_thing():
    x = np.array([[[[1.0, 2.0, 0.0, 1.0], [3.0, -1.0, 5.0, 2.0], [0.0, 1.0, 1.0, 1.0], [2.0, 2.0, 7.0, 0.0]]]])
    np.testing.assert_array_equal(nn.MaxPool2d(2)(x).numpy(), [[[[3.0, 5.0], [2.0, 7.0]]]])
    conv = nn.Conv2d(1, 1, 2, bias=False)
    conv.load_state_dict({"weight": np.array([[[[1.0, 0.0], [0.0, -1.0]]]])})
    np.testing.assert_array_equal(conv(x).numpy()[0, 0, 0], x[0, 0, 0, :3] - x[0, 0, 1, 1:])  # cross-correlation
    assert nn.Flatten()(ad.ones(2, 3, 4)).shape == (2, 12)
    drop = nn.Dropout(0.5, rng=0)
    np.testing.assert_array_equal(drop.eval()(ad.ones(4)).numpy(), np.ones(4))
    kept = drop.train()(ad.ones(1000)).numpy()
    assert set(np.unique(kept)) <= {0.0, 2.0} and 400 < (kept > 0).sum() < 600  # inverted dropout
    h = np.array([[1.0, 2.0, 3.0], [3.0, 6.0, 0.0]])
    np.testing.assert_allclose(nn.LayerNorm(3)(h).numpy(),
                               (h - h.mean(1, keepdims=True)) / np.sqrt(h.var(1, keepdims=True) + 1e-5))
    np.testing.assert_allclose(nn.BatchNorm1d(3)(h).numpy(), (h - h.mean(0)) / np.sqrt(h.var(0) + 1e-5))
    emb = nn.Embedding(4, 2)
    np.testing.assert_array_equal(emb(np.array([3, 0])).numpy(), emb.weight.numpy()[[3, 0]])


ACTIVATIONS = {
    "ReLU": lambda x: np.maximum(x, 0),
    "Tanh": np.tanh,
    "Sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "LeakyReLU": lambda x: np.where(x > 0, x, 0.01 * x),
    "GELU": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2))),
    "Softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activations_and_their_functional_names(name):
    x = np.array([[-2.0, -0.5, 0.0, 0.7, 3.0]])
    expected = ACTIVATIONS[name](x)
    np.testing.assert_allclose(getattr(nn, name)()(ad.tensor(x)).numpy(), expected, rtol=1e-7, atol=1e-12)
    snake = {"LeakyReLU": "leaky_relu"}.get(name, name.lower())
    np.testing.assert_allclose(getattr(nn.functional, snake)(ad.tensor(x)).numpy(), expected, rtol=1e-7,
                               atol=1e-12)


def test_losses_and_their_functional_names():
    F = nn.functional
    pred, target = np.array([0.5, 2.0, -1.0]), np.array([1.0, 0.0, -1.5])
    np.testing.assert_allclose(nn.MSELoss()(pred, target).item(), np.mean((pred - target) ** 2))
    np.testing.assert_allclose(F.mse_loss(ad.tensor(pred), target).item(), np.mean((pred - target) ** 2))
    d = np.abs(pred - target)
    huber = np.mean(np.where(d < 1, 0.5 * d ** 2, d - 0.5))
    np.testing.assert_allclose(nn.HuberLoss()(pred, target).item(), huber)
    np.testing.assert_allclose(F.huber_loss(ad.tensor(pred), target).item(), huber)
    logits, labels = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]]), np.array([0, 2])
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    ce = -np.mean(log_p[[0, 1], labels])
    np.testing.assert_allclose(nn.CrossEntropyLoss()(logits, labels).item(), ce)
    np.testing.assert_allclose(F.cross_entropy(ad.tensor(logits), labels).item(), ce)
    p, t = np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 0.0])
    bce = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(nn.BCELoss()(p, t).item(), bce)
    np.testing.assert_allclose(F.binary_cross_entropy(ad.tensor(p), t).item(), bce)
    z = np.log(p / (1 - p))
    np.testing.assert_allclose(nn.BCEWithLogitsLoss()(z, t).item(), bce)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(ad.tensor(z), t).item(), bce)


def test_init_datasets_batches():
    w = nn.Parameter(np.zeros((30, 20)))
    nn.init.xavier_uniform_(w)
    bound = math.sqrt(6 / (30 + 20))
    assert np.all(np.abs(w.numpy()) <= bound) and np.any(w.numpy())
    for name in ["make_moons", "make_circles", "make_spirals", "make_blobs", "make_xor"]:
        make = getattr(nn.datasets, name)
        X1, y1 = make(rng=3)
        X2, y2 = make(rng=3)
        np.testing.assert_array_equal(X1, X2)  # seeded
        np.testing.assert_array_equal(y1, y2)
        assert X1.ndim == 2 and X1.shape[1] == 2 and len(y1) == len(X1)
        assert np.issubdtype(y1.dtype, np.integer)
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    got = list(nn.batches(X, y, batch_size=4, shuffle=True, rng=0))
    assert [len(b) for b, _ in got] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate([b for _, b in got])), y)
    for xb, yb in got:
        np.testing.assert_array_equal(xb[:, 0] / 2, yb)  # rows stay with their labels


def test_save_and_load_npz(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    path = tmp_path / "model.npz"
    nn.save(model, path)
    with np.load(path, allow_pickle=False) as archive:  # a plain npz, no pickle
        assert sorted(archive.files) == sorted(model.state_dict())
    state = nn.load(path)
    other = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    other.load_state_dict(state)
    x = np.array([[0.3, -0.2]])
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())
    nn.save(model.state_dict(), tmp_path / "state.npz")
    assert sorted(nn.load(tmp_path / "state.npz")) == sorted(state)
    (tmp_path / "bad.npz").write_bytes(b"not an archive")
    with pytest.raises(Exception, match=r"bad\.npz"):
        nn.load(tmp_path / "bad.npz")


# =============================================================================== regressions found by the API audit
@pytest.mark.parametrize("layer", [nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.GELU(), nn.Softmax(), nn.Flatten(),
                                   nn.MaxPool2d(1), nn.Dropout(0.5), nn.Sequential(nn.ReLU())])
def test_a_layer_called_on_a_numpy_array_returns_a_tensor(layer):
    out = layer.eval()(np.ones((1, 1, 2, 2)))
    assert isinstance(out, ad.Tensor)  # it was a bare ndarray: out.numpy() / out.backward() failed


@pytest.mark.parametrize("bad", [[1.5, 0.2], [-0.1, 0.5], [np.nan, 0.5]])
def test_bce_refuses_values_that_are_not_probabilities(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\].*BCEWithLogitsLoss"):  # it returned a negative loss
        nn.BCELoss()(ad.tensor(bad), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        nn.functional.binary_cross_entropy(ad.tensor(bad), np.array([1.0, 0.0]))
    assert nn.BCELoss()(ad.tensor([1.0, 0.0]), np.array([1.0, 0.0])).item() == 0.0  # the bounds are allowed


def test_linear_names_the_feature_mismatch_in_its_own_terms():
    with pytest.raises(ShapeError, match=r"linear: the input has shape \(4, 2\).*\(2, 3\).*expects 3 features"):
        nn.Linear(3, 2)(ad.ones(4, 2))  # it was matmul's gufunc message, with the transposed weight's shape


def test_save_into_a_missing_folder_names_the_users_path(tmp_path):
    target = tmp_path / "no" / "such" / "model.npz"
    with pytest.raises(FileNotFoundError, match=r"model\.npz.*does not exist"):  # it named a .tmp-xxxx file
        nn.save(nn.Linear(2, 1), target)
