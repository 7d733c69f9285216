"""W4: a deep chain. A scalar through N cheap ops (multiply by, then add, a constant, in turn), then
backward; µs per op for N = 100,000 and 1,000,000, and memory per graph node.

Targets: at most 0.75x PyTorch's µs per op, and linear: µs per op at the largest N at most 1.25x
that at N = 100,000. Memory per node is the resident-set growth while the graph is alive (after
``malloc_trim``), the same measure for every framework, plus tracemalloc's view for ours.
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable
from typing import Any

import numpy as np

from . import peers
from .config import HIPS, JAX_EAGER, NUMPY, OURS, TORCH, Config
from .report import Result
from .timing import Samples, compare, peak_python_memory, resident_bytes

SPEED_TARGET = 0.75
LINEAR_TARGET = 1.25
SCALE, SHIFT = 0.999999, 1e-6


def numpy_chain(n: int) -> Callable[[], Any]:
    """Hand-written: forward on 0-d arrays, then the chain rule backwards (d(y·c) = c, d(y + c) = 1)."""
    scale, shift = np.float64(SCALE), np.float64(SHIFT)

    def step() -> Any:
        y = np.array(1.0)
        for i in range(n):
            y = y * scale if i % 2 == 0 else y + shift
        g = np.array(1.0)
        for i in reversed(range(n)):
            if i % 2 == 0:
                g = g * scale
        return y, g

    return step


def autodiff_forward(n: int) -> Callable[[], Any]:
    import autodiff as ad

    x = ad.tensor(1.0, requires_grad=True)

    def forward() -> Any:
        y = x
        for i in range(n):
            y = y * SCALE if i % 2 == 0 else y + SHIFT
        return x, y

    return forward


def torch_forward(n: int) -> Callable[[], Any]:
    torch = peers.torch()
    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)

    def forward() -> Any:
        y = x
        for i in range(n):
            y = y * SCALE if i % 2 == 0 else y + SHIFT
        return x, y

    return forward


def backward_step(forward: Callable[[], Any]) -> Callable[[], Any]:
    def step() -> Any:
        x, y = forward()
        y.backward()
        grad, x.grad = x.grad, None
        return grad

    return step


def _array_chain(n: int) -> Callable[[Any], Any]:
    def f(x):
        y = x
        for i in range(n):
            y = y * SCALE if i % 2 == 0 else y + SHIFT
        return y

    return f


def jax_step(n: int) -> Callable[[], Any]:
    jax = peers.jax()
    grad = jax.grad(_array_chain(n))
    x = jax.numpy.asarray(1.0)
    return lambda: jax.block_until_ready(grad(x))


def hips_step(n: int) -> Callable[[], Any]:
    import autograd

    grad = autograd.grad(_array_chain(n))
    return lambda: grad(1.0)


def _trim() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def graph_bytes_per_node(forward: Callable[[], Any], n: int) -> float:
    """Resident-set growth per op while the recorded chain is alive."""
    _trim()
    before = resident_bytes()
    graph = forward()
    after = resident_bytes()
    del graph
    _trim()
    return (after - before) / n


def run(config: Config) -> Result:
    sizes = [1_000, 10_000] if config.quick else [1_000, 10_000, 100_000, 300_000, 1_000_000]
    base = sizes[-2] if config.quick else 100_000
    result = Result("W4", f"deep chain: a scalar through N ops (x c, + c), then backward; N = {sizes}",
                    reference=TORCH if config.peers and peers.torch() is not None else NUMPY)
    if config.peers:
        for name, module in ((TORCH, peers.torch()), ("jax", peers.jax()), (HIPS, peers.hips())):
            if module is None:
                result.skip(name, peers.MISSING)
        if peers.jax() is not None:
            result.note(f"{JAX_EAGER} only at N = 1,000 and {HIPS} up to 100,000 (tens of seconds per sample "
                        "beyond); jax jit skipped (compiling a graph of 10⁵-10⁶ ops is impractical)")
    largest = sizes[-1]
    # memory first, on a fresh heap, at the largest N
    candidates = {OURS: autodiff_forward} | ({TORCH: torch_forward} if config.peers and peers.torch() else {})
    for name, make in candidates.items():
        per_node = graph_bytes_per_node(make(largest), largest)
        result.value(f"{name} memory/node (RSS), N={largest:,}", per_node, "B/node",
                     reference=f"{TORCH} memory/node (RSS), N={largest:,}")
    forward = autodiff_forward(largest)
    traced = peak_python_memory(lambda: forward()) / largest
    result.value(f"{OURS} memory/node (tracemalloc)", traced, "B/node", reference=None)

    per_op: dict[str, dict[int, float]] = {}
    for n in sizes:
        steps: dict[str, Callable[[], Any]] = {NUMPY: numpy_chain(n)}
        steps[OURS] = backward_step(autodiff_forward(n))
        if config.peers and peers.torch() is not None:
            steps[TORCH] = backward_step(torch_forward(n))
        if config.peers and peers.jax() is not None and n <= 1_000:
            steps[JAX_EAGER] = jax_step(n)
        if config.peers and peers.hips() is not None and n <= 100_000:
            steps[HIPS] = hips_step(n)
        rounds = config.rounds if n <= 10_000 else 5 if n <= 100_000 else 3  # seconds per sample
        samples: dict[str, Samples] = compare(steps, rounds, config.min_sample)
        for name in steps:
            fig = result.time(f"{name}, N={n:,}", samples[name], unit="µs/op", per=n,
                              reference=f"{result.reference}, N={n:,}")
            per_op.setdefault(name, {})[n] = fig.stats["median"]
    result.extra["us_per_op"] = {name: {str(n): v for n, v in d.items()} for name, d in per_op.items()}
    reference = result.reference
    if reference == TORCH:
        for n in sizes:
            if n >= base:
                result.target(f"{OURS} / {TORCH} µs per op at N={n:,} <= {SPEED_TARGET}",
                              per_op[OURS][n] / per_op[TORCH][n], SPEED_TARGET)
    else:
        result.target(f"{OURS} / {TORCH} µs per op <= {SPEED_TARGET}", None, SPEED_TARGET)
    result.target(f"linear: {OURS} µs per op at N={largest:,} / at N={base:,} <= {LINEAR_TARGET}",
                  per_op[OURS][largest] / per_op[OURS][base], LINEAR_TARGET)
    return result
