"""Timed learning runs: toy networks that must reach an accuracy within a time budget.

Run ``python -m benchmarks.learning [--only moons,spirals] [--json FILE]``. Each run builds a seeded
model, trains it with ``nn.fit`` (no progress bar) and reports the accuracy and the time taken, wall
clock and CPU, against the budget of issue 4:

    moons    MLP 2-16-16-2, ≥ 97% training accuracy,   ≤ 5 s
    spirals  MLP 2-64-64-3, ≥ 95% training accuracy,   ≤ 30 s
    digits   MLP 64-64-10,  ≥ 95% test accuracy,       ≤ 60 s   (needs scikit-learn)
    digits   small CNN,     ≥ 96% test accuracy,       ≤ 60 s   (needs scikit-learn)

BLAS runs on one thread unless OPENBLAS_NUM_THREADS/OMP_NUM_THREADS say otherwise (the machine is
shared; one thread is the steadier measurement). The exit status is 1 if any run misses its target.
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import nn  # noqa: E402
import optim  # noqa: E402


def _mlp(sizes: list[int], dtype: Any = np.float64) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b, dtype=dtype, rng=i))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _train(model: nn.Module, X: np.ndarray, y: np.ndarray, lr: float, epochs: int, batch_size: int) -> None:
    optimizer = optim.Adam(model.parameters(), lr=lr)
    nn.fit(model, nn.CrossEntropyLoss(), optimizer, X, y, epochs=epochs, batch_size=batch_size,
           progress=False, rng=0)


def moons() -> float:
    X, y = nn.datasets.make_moons(1000, noise=0.15, rng=0)
    model = _mlp([2, 16, 16, 2])
    _train(model, X, y, lr=0.01, epochs=40, batch_size=32)
    return nn.evaluate(model, nn.CrossEntropyLoss(), X, y)["accuracy"]


def spirals() -> float:
    X, y = nn.datasets.make_spirals(900, n_classes=3, noise=0.2, rng=0)
    model = _mlp([2, 64, 64, 3])
    _train(model, X, y, lr=0.01, epochs=150, batch_size=64)
    return nn.evaluate(model, nn.CrossEntropyLoss(), X, y)["accuracy"]


def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    X, y = (data.data / 16.0).astype(np.float32), data.target
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    return X[:1400], y[:1400], X[1400:], y[1400:]


def digits_mlp() -> float:
    X, y, X_test, y_test = _digits()
    model = _mlp([64, 64, 10], dtype=np.float32)
    _train(model, X, y, lr=0.005, epochs=20, batch_size=32)
    return nn.evaluate(model, nn.CrossEntropyLoss(), X_test, y_test)["accuracy"]


def digits_cnn() -> float:
    X, y, X_test, y_test = _digits()
    f32 = np.float32
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, dtype=f32, rng=0), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, dtype=f32, rng=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 10, dtype=f32, rng=2),
    )
    _train(model, X.reshape(-1, 1, 8, 8), y, lr=0.005, epochs=12, batch_size=32)
    return nn.evaluate(model, nn.CrossEntropyLoss(), X_test.reshape(-1, 1, 8, 8), y_test)["accuracy"]


RUNS: dict[str, tuple[Callable[[], float], float, float, str]] = {
    # name: (run, accuracy target, time budget in seconds, what is measured)
    "moons": (moons, 0.97, 5.0, "train acc, MLP 2-16-16-2, 1000 points, 40 epochs"),
    "spirals": (spirals, 0.95, 30.0, "train acc, MLP 2-64-64-3, 900 points, 150 epochs"),
    "digits_mlp": (digits_mlp, 0.95, 60.0, "test acc, MLP 64-64-10 float32, 20 epochs"),
    "digits_cnn": (digits_cnn, 0.96, 60.0, "test acc, 2x(conv3x3+pool) CNN float32, 12 epochs"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated run names: " + ",".join(RUNS))
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(RUNS)
    unknown = [name for name in names if name not in RUNS]
    if unknown:
        parser.error(f"unknown runs {unknown}; choose from {list(RUNS)}")
    results, failed = [], False
    print(f"{'run':<11} {'accuracy':>9} {'target':>7} {'wall s':>7} {'cpu s':>7} {'budget':>7}  "
          "verdict  what")
    for name in names:
        run, target, budget, what = RUNS[name]
        if name.startswith("digits"):
            try:
                import sklearn  # noqa: F401
            except ImportError:
                print(f"{name:<11} skipped: scikit-learn is not installed")
                continue
        wall, cpu = time.perf_counter(), time.process_time()
        accuracy = run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        ok = accuracy >= target and wall <= budget
        failed |= not ok
        print(f"{name:<11} {accuracy:>9.4f} {target:>7.2f} {wall:>7.2f} {cpu:>7.2f} {budget:>7.0f}  "
              f"{'ok' if ok else 'MISSED':<7}  {what}")
        results.append(dict(run=name, accuracy=accuracy, target=target, wall_seconds=wall, cpu_seconds=cpu,
                            budget_seconds=budget, ok=ok, what=what))
    if args.json:
        with open(args.json, "w") as file:
            summary = dict(results=results, numpy=np.__version__, python=sys.version.split()[0])
            json.dump(summary, file, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
