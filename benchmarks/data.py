"""Seeded synthetic data for the workloads (no downloads, no dependency on nn.datasets)."""

from __future__ import annotations

import numpy as np


def two_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of two interleaving half circles, float64, and their 0/1 labels as an (n, 1) column."""
    rng = np.random.default_rng(seed)
    upper = n // 2
    angle = rng.uniform(0.0, np.pi, n)
    x = np.where(np.arange(n) < upper, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(np.arange(n) < upper, np.sin(angle), 0.5 - np.sin(angle))
    points = np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))
    labels = (np.arange(n) >= upper).astype(np.float64)[:, None]
    return points, labels


def digits_like(batch: int = 128, features: int = 784, classes: int = 10,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A float32 batch shaped like flattened MNIST (values in [0, 1)) and integer class labels."""
    rng = np.random.default_rng(seed)
    images = rng.random((batch, features), dtype=np.float32)
    labels = rng.integers(0, classes, batch)
    return images, labels


def mlp_parameters(sizes: list[int], dtype: type, seed: int = 0) -> list[np.ndarray]:
    """[W1, b1, W2, b2, ...] with W of shape (in, out), scaled by 1/sqrt(in) (LeCun)."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        params.append((rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(dtype))
        params.append(np.zeros(fan_out, dtype=dtype))
    return params
