"""nn.fit and evaluate: history, validation, metrics, progress output, and networks that really learn."""

import sys

import numpy as np
import pytest

import autodiff as ad
import nn
import optim


def mlp(sizes, seed=0, dtype=np.float64, activation=nn.ReLU):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b, dtype=dtype, rng=seed + i))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class PlainSGD:
    """Any object with zero_grad() and step() will do as an optimizer."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        with ad.no_grad():
            for p in self.params:
                p -= self.lr * p.grad.data


def test_fit_returns_per_epoch_history_with_validation():
    X, y = nn.datasets.make_blobs(120, centers=2, cluster_std=0.5, rng=0)
    model = mlp([2, 8, 2])
    history = nn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X[:100], y[:100],
                     epochs=5, batch_size=16, validation=(X[100:], y[100:]), progress=False, rng=0)
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(values) == 5 for values in history.values())
    assert history["loss"][-1] < history["loss"][0]
    assert model.training  # fit leaves the model in training mode even after validating in eval mode
    scores = nn.evaluate(model, nn.CrossEntropyLoss(), X[100:], y[100:])
    np.testing.assert_allclose(scores["loss"], history["val_loss"][-1])


def test_fit_is_reproducible_with_a_seed_and_accepts_any_optimizer():
    X, y = nn.datasets.make_moons(64, noise=0.1, rng=0)
    runs = []
    for _ in range(2):
        model = mlp([2, 8, 2])
        runs.append(nn.fit(model, nn.CrossEntropyLoss(), PlainSGD(model.parameters(), 0.2), X, y, epochs=3,
                           batch_size=8, progress=False, rng=4)["loss"])
    assert runs[0] == runs[1]
    with pytest.raises(TypeError, match="zero_grad"):
        nn.fit(mlp([2, 2]), nn.MSELoss(), object(), X, y, epochs=1)


def test_binary_accuracy_with_one_output_and_custom_metrics():
    X, y = nn.datasets.make_blobs(80, centers=np.array([[-3.0, 0.0], [3.0, 0.0]]), rng=0)
    target = y.astype(np.float64).reshape(-1, 1)
    model = mlp([2, 1])

    def mean_output(output, target):
        return float(np.mean(output))

    history = nn.fit(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.1), X, target,
                     epochs=20, batch_size=16, metrics=("accuracy", mean_output), progress=False, rng=0)
    assert history["accuracy"][-1] == 1.0 and "mean_output" in history
    probabilities = nn.Sequential(model, nn.Sigmoid())
    assert nn.evaluate(probabilities, nn.BCELoss(), X, target)["accuracy"] == 1.0  # threshold 0.5 for BCELoss
    assert nn.accuracy(np.array([[0.2], [-1.0]]), np.array([[1.0], [0.0]])) == 1.0


def test_fit_casts_inputs_to_a_float32_model():
    X, y = nn.datasets.make_moons(32, rng=0)
    model = mlp([2, 4, 2], dtype=np.float32)
    seen = []
    original = model.forward
    model.forward = lambda x: seen.append(x.dtype) or original(x)
    nn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=1, batch_size=32,
           progress=False)
    assert seen == [np.float32] and model[0].weight.dtype == np.float32


def test_progress_bar_only_on_a_terminal(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    X, y = nn.datasets.make_xor()
    model = mlp([2, 4, 2])
    nn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=4)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # not a terminal: silent
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    nn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=4)
    assert "loss=" in capsys.readouterr().err
    nn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=4,
           progress=False)
    assert capsys.readouterr().err == ""


# ----------------------------------------------------------------------------- networks that learn
def test_moons_mlp_2_16_16_2_reaches_97_percent():
    X, y = nn.datasets.make_moons(400, noise=0.15, rng=0)
    model = mlp([2, 16, 16, 2])
    nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), X, y, epochs=60,
           batch_size=32, progress=False, rng=0)
    assert nn.evaluate(model, nn.CrossEntropyLoss(), X, y)["accuracy"] >= 0.97


def test_spirals_three_classes_reach_95_percent():
    X, y = nn.datasets.make_spirals(450, n_classes=3, noise=0.2, rng=0)
    model = mlp([2, 64, 64, 3])
    nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), X, y, epochs=200,
           batch_size=64, progress=False, rng=0)
    assert nn.evaluate(model, nn.CrossEntropyLoss(), X, y)["accuracy"] >= 0.95


def test_xor_is_solved():
    X, y = nn.datasets.make_xor()
    model = mlp([2, 4, 2], activation=nn.Tanh)
    history = nn.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5, momentum=0.9), X, y,
                     epochs=300, batch_size=4, progress=False)
    assert history["accuracy"][-1] == 1.0 and history["loss"][-1] < 0.05


def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_digits()
    X, y = (data.data / 16.0).astype(np.float32), data.target
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    return X[:1400], y[:1400], X[1400:], y[1400:]


def test_digits_mlp_reaches_95_percent_test_accuracy():
    X, y, X_test, y_test = digits()
    model = mlp([64, 64, 10], dtype=np.float32)
    nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.005), X, y, epochs=20,
           batch_size=32, progress=False, rng=0)
    assert nn.evaluate(model, nn.CrossEntropyLoss(), X_test, y_test)["accuracy"] >= 0.95


def small_cnn(dtype=np.float32):
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, dtype=dtype, rng=0), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, dtype=dtype, rng=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 10, dtype=dtype, rng=2),
    )


def test_digits_cnn_reaches_96_percent_test_accuracy():
    X, y, X_test, y_test = digits()
    model = small_cnn()
    nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.005), X.reshape(-1, 1, 8, 8), y,
           epochs=10, batch_size=32, progress=False, rng=0)
    assert nn.evaluate(model, nn.CrossEntropyLoss(), X_test.reshape(-1, 1, 8, 8), y_test)["accuracy"] >= 0.96


def test_fit_drops_the_default_accuracy_for_continuous_targets_and_thresholds_mse_at_one_half():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 2))
    model = nn.Sequential(nn.Linear(2, 1, rng=0))
    history = nn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), X, X[:, :1] * 3.0,
                     epochs=2, batch_size=8, progress=False, rng=0)
    assert set(history) == {"loss"}
    labels = (X[:, :1] > 0).astype(float)  # 0/1 targets: classes, judged at 0.5
    model = nn.Sequential(nn.Linear(2, 1, rng=0), nn.Sigmoid())
    history = nn.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=1.0), X, labels,
                     epochs=60, batch_size=32, progress=False, rng=0)
    out = model(X).data
    assert history["accuracy"][-1] == pytest.approx(np.mean((out > 0.5) == (labels > 0.5)), abs=0.1)


def test_fit_refuses_an_optimizer_over_another_models_parameters():
    model, other = nn.Linear(2, 1, rng=0), nn.Linear(2, 1, rng=1)
    with pytest.raises(ValueError, match="holds none of the model's parameters"):
        nn.fit(model, nn.MSELoss(), optim.SGD(other.parameters(), lr=0.1), np.zeros((4, 2)), np.zeros((4, 1)),
               epochs=1, progress=False)
