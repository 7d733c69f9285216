"""The ``autodiff`` command."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

import autodiff as ad


def _moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    half = n // 2
    angle = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(angle[:half]), np.sin(angle[:half])], axis=1)
    lower = np.stack([1 - np.cos(angle[half:]), 0.5 - np.sin(angle[half:])], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(half), np.ones(n - half)])
    return X, y


def demo(epochs: int = 300, seed: int = 0) -> float:
    """Train a 2-16-16-1 tanh network written with bare Tensors on two moons; return the accuracy."""
    rng = np.random.default_rng(seed)
    X, y = _moons(200, 0.1, rng)
    sizes = [2, 16, 16, 1]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(ad.tensor(rng.uniform(-bound, bound, (fan_in, fan_out)), requires_grad=True))
        params.append(ad.tensor(rng.uniform(-bound, bound, fan_out), requires_grad=True))
    inputs, targets = ad.tensor(X), ad.tensor(y[:, None])
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        h = inputs
        for layer in range(0, len(params) - 2, 2):
            h = ad.tanh(h @ params[layer] + params[layer + 1])
        logits = h @ params[-2] + params[-1]
        loss = (ad.softplus(logits) - targets * logits).mean()  # binary cross-entropy with logits
        for p in params:
            p.grad = None
        loss.backward()
        with ad.no_grad():
            for p in params:
                p -= 0.5 * p.grad.data
        if epoch % 50 == 0 or epoch == epochs:
            accuracy = float(((logits.data > 0) == (targets.data > 0.5)).mean())
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}  accuracy {accuracy:.1%}")
    print(f"trained in {time.perf_counter() - start:.2f} s")
    return accuracy


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autodiff", description="Automatic differentiation on numpy.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo_parser = sub.add_parser("demo", help="train a toy network on two moons")
    demo_parser.add_argument("--epochs", type=int, default=300)
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
