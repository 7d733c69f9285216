"""Datasets (seeded, shapes, labels, noise), batches, and initialisation."""

import numpy as np
import pytest

import autodiff as ad
import nn


@pytest.mark.parametrize("make, classes", [
    (lambda **kw: nn.datasets.make_moons(101, **kw), 2),
    (lambda **kw: nn.datasets.make_circles(101, **kw), 2),
    (lambda **kw: nn.datasets.make_spirals(101, n_classes=4, **kw), 4),
    (lambda **kw: nn.datasets.make_blobs(101, centers=3, **kw), 3),
    (lambda **kw: nn.datasets.make_xor(101, **kw), 2),
])
def test_datasets_are_seeded_and_well_formed(make, classes):
    X, y = make(noise=0.1, rng=0)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.shape == (101,) and y.dtype == np.int64
    assert set(np.unique(y)) == set(range(classes))
    assert np.bincount(y).max() - np.bincount(y).min() <= 1  # balanced
    X2, y2 = make(noise=0.1, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_noise_moves_points_and_zero_noise_is_exact():
    X, y = nn.datasets.make_moons(50, noise=0.0, rng=0)
    top = X[y == 0]
    np.testing.assert_allclose(np.hypot(top[:, 0], top[:, 1]), 1.0)  # class 0 lies on the unit circle
    Xn, yn = nn.datasets.make_moons(50, noise=0.2, rng=0)
    assert not np.allclose(np.hypot(*Xn[yn == 0].T), 1.0)
    Xc, yc = nn.datasets.make_circles(40, factor=0.3, rng=0)
    np.testing.assert_allclose(np.hypot(*Xc[yc == 1].T), 0.3)


def test_xor_is_the_truth_table():
    X, y = nn.datasets.make_xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]


def test_blobs_cluster_around_given_centers():
    centers = np.array([[0.0, 0.0], [10.0, 10.0]])
    X, y = nn.datasets.make_blobs(400, centers=centers, cluster_std=0.5, rng=1)
    for k in range(2):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.15)


def test_batches_cover_the_data_once():
    X, y = np.arange(10) * 10, np.arange(10)
    seen = []
    for xb, yb in nn.batches(X, y, batch_size=3, rng=0):
        np.testing.assert_array_equal(xb, yb * 10)  # pairs stay together
        seen.extend(yb.tolist())
    assert sorted(seen) == list(range(10)) and seen != list(range(10))
    assert [len(xb) for xb, _ in nn.batches(X, y, 3, shuffle=False)] == [3, 3, 3, 1]
    assert [len(xb) for xb, _ in nn.batches(X, y, 3, drop_last=True)] == [3, 3, 3]
    first = [yb.tolist() for _, yb in nn.batches(X, y, 4, rng=5)]
    assert first == [yb.tolist() for _, yb in nn.batches(X, y, 4, rng=5)]
    with pytest.raises(ValueError, match="10 samples but y has 9"):
        list(nn.batches(X, y[:9]))


def test_init_bounds_and_statistics():
    w = ad.zeros(200, 300)
    nn.init.xavier_uniform_(w, rng=0)
    bound = np.sqrt(6 / 500)
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.99 * bound
    nn.init.xavier_normal_(w, gain=2.0, rng=0)
    np.testing.assert_allclose(w.data.std(), 2.0 * np.sqrt(2 / 500), rtol=0.02)
    nn.init.kaiming_normal_(w, nonlinearity="relu", rng=0)
    np.testing.assert_allclose(w.data.std(), np.sqrt(2 / 300), rtol=0.02)
    nn.init.kaiming_uniform_(w, a=np.sqrt(5), rng=0)
    assert np.abs(w.data).max() <= 1 / np.sqrt(300)
    nn.init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu", rng=0)
    assert np.abs(w.data).max() <= np.sqrt(6 / 200)
    nn.init.ones_(w)
    assert np.all(w.data == 1)
    nn.init.zeros_(w)
    assert np.all(w.data == 0)
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.init.calculate_gain("swish")


def test_init_works_on_parameters_that_require_grad_and_manual_seed_reproduces():
    nn.manual_seed(3)
    a = nn.Linear(4, 5)
    nn.manual_seed(3)
    b = nn.Linear(4, 5)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(nn.Linear(4, 5, rng=9).bias.data, nn.Linear(4, 5, rng=9).bias.data)
    nn.init.normal_(a.weight, rng=0)  # in place on a parameter, outside no_grad: allowed for init
    assert a.weight.requires_grad
