"""Toy 2-D classification datasets (seeded): moons, circles, spirals, blobs, XOR.

Each returns ``(X, y)``: float64 points of shape (n_samples, 2) (blobs: n_features) and int64
labels. ``rng`` is a numpy Generator or a seed (None: fresh entropy); ``noise`` is the standard
deviation of Gaussian jitter added to the points.

>>> import nn
>>> X, y = nn.datasets.make_moons(100, noise=0.1, rng=0)
>>> X.shape, y.shape, sorted(set(y.tolist()))
((100, 2), (100,), [0, 1])
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _rng(rng: Any) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _split(n_samples: int, n_classes: int) -> list[int]:
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, got {n_samples}")
    return [n_samples // n_classes + (1 if k < n_samples % n_classes else 0) for k in range(n_classes)]


def _finish(X: np.ndarray, y: np.ndarray, noise: float, shuffle: bool, rng: np.random.Generator):
    if noise:
        X = X + rng.normal(0.0, noise, size=X.shape)
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    return X.astype(np.float64), y.astype(np.int64)


def make_moons(n_samples: int = 100, noise: float = 0.0, rng: Any = None, shuffle: bool = True):
    """Two interleaving half circles (scikit-learn's layout): class 0 on top, class 1 below."""
    gen = _rng(rng)
    n_top, n_bottom = _split(n_samples, 2)
    top = np.linspace(0, np.pi, n_top)
    bottom = np.linspace(0, np.pi, n_bottom)
    X = np.concatenate([np.stack([np.cos(top), np.sin(top)], 1),
                        np.stack([1 - np.cos(bottom), 0.5 - np.sin(bottom)], 1)])
    y = np.concatenate([np.zeros(n_top), np.ones(n_bottom)])
    return _finish(X, y, noise, shuffle, gen)


def make_circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.5, rng: Any = None,
                 shuffle: bool = True):
    """A large circle (class 0) around a smaller one (class 1, radius ``factor``)."""
    if not 0 <= factor < 1:
        raise ValueError(f"factor must be in [0, 1), got {factor}")
    gen = _rng(rng)
    n_outer, n_inner = _split(n_samples, 2)
    outer = np.linspace(0, 2 * np.pi, n_outer, endpoint=False)
    inner = np.linspace(0, 2 * np.pi, n_inner, endpoint=False)
    X = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], 1),
                        factor * np.stack([np.cos(inner), np.sin(inner)], 1)])
    y = np.concatenate([np.zeros(n_outer), np.ones(n_inner)])
    return _finish(X, y, noise, shuffle, gen)


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, turns: float = 0.65,
                 rng: Any = None, shuffle: bool = True):
    """Interleaved spiral arms, one per class (the CS231n layout); ``noise`` jitters the angle (radians)."""
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1, got {n_classes}")
    gen = _rng(rng)
    points, labels = [], []
    for k, count in enumerate(_split(n_samples, n_classes)):
        radius = np.linspace(0.0, 1.0, count)
        start = 2 * np.pi * k / n_classes
        jitter = gen.normal(0.0, noise, count) if noise else 0.0
        angle = start + np.linspace(0.0, 2 * np.pi * turns, count) + jitter
        points.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], 1))
        labels.append(np.full(count, k))
    return _finish(np.concatenate(points), np.concatenate(labels), 0.0, shuffle, gen)


def make_blobs(n_samples: int = 100, centers: int | np.ndarray = 3, n_features: int = 2,
               cluster_std: float = 1.0, center_box: tuple[float, float] = (-10.0, 10.0), rng: Any = None,
               shuffle: bool = True, noise: float | None = None):
    """Gaussian clusters around ``centers`` (a count, drawn uniformly in ``center_box``, or an array).

    ``noise`` is another name for ``cluster_std`` (the spread of each cluster), like the other datasets.
    """
    gen = _rng(rng)
    if noise is not None:
        cluster_std = noise
    if isinstance(centers, (int, np.integer)):
        centers = gen.uniform(center_box[0], center_box[1], size=(int(centers), n_features))
    centers = np.asarray(centers, dtype=np.float64)
    counts = _split(n_samples, len(centers))
    X = np.concatenate([center + gen.normal(0.0, cluster_std, size=(n, centers.shape[1]))
                        for center, n in zip(centers, counts, strict=True)])
    y = np.concatenate([np.full(n, k) for k, n in enumerate(counts)])
    return _finish(X, y, 0.0, shuffle, gen)


def make_xor(n_samples: int = 4, noise: float = 0.0, rng: Any = None, shuffle: bool = False):
    """The XOR truth table: the corners of the unit square, label a XOR b, cycled to ``n_samples`` points.

    >>> X, y = make_xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    gen = _rng(rng)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    index = np.arange(n_samples) % 4
    X = corners[index]
    y = (X[:, 0] != X[:, 1]).astype(np.int64)
    return _finish(X, y, noise, shuffle, gen)


__all__ = ["make_moons", "make_circles", "make_spirals", "make_blobs", "make_xor"]
