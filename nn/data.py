"""Mini-batches: ``batches(X, y, batch_size)`` walks a dataset in (shuffled) slices."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from autodiff import Tensor

from .init import as_rng


def _array(data: Any) -> np.ndarray:
    return data.data if isinstance(data, Tensor) else np.asarray(data)


def batches(X: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True, rng: Any = None,
            drop_last: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield ``(X_batch, y_batch)`` numpy slices covering the data once (an epoch).

    ``shuffle`` draws a new order each call from ``rng`` (a Generator or seed; None: the nn
    default generator). The last batch is smaller unless ``drop_last``. ``y`` may be None.

    >>> import numpy as np
    >>> [xb.tolist() for xb, _ in batches(np.arange(5), batch_size=2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    X = _array(X)
    y = None if y is None else _array(y)
    n = len(X)
    if y is not None and len(y) != n:
        raise ValueError(f"batches: X has {n} samples but y has {len(y)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = as_rng(rng).permutation(n) if shuffle else None
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if order is None:
            index: Any = slice(start, start + batch_size)
        else:
            index = order[start: start + batch_size]
        yield X[index], (None if y is None else y[index])
