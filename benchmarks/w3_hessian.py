"""W3: the full Hessian of the 100-dimensional Rosenbrock function.

Row by row (one backward pass per row through the recorded gradient), vectorised (all rows in one
backward pass with a batch of cotangents), and the analytic tridiagonal Hessian in numpy as the limit.
Targets: ours vectorised at most PyTorch's ``hessian(vectorize=True)`` (both as ratios to numpy); with
``ad.jit``, at most 8x the analytic Hessian.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import peers
from .config import HIPS, NUMPY, OURS, OURS_JIT, TORCH, Config
from .report import Result
from .timing import compare, now

DIMENSION = 100
JIT_TARGET = 8.0  # jit of the vectorised Hessian: at most 8x the analytic numpy one


def rosenbrock(x: Any) -> Any:
    """Σᵢ 100 (xᵢ₊₁ - xᵢ²)² + (1 - xᵢ)², for arrays of any framework with numpy-style slicing."""
    head, tail = x[:-1], x[1:]
    return (100.0 * (tail - head * head) ** 2 + (1.0 - head) ** 2).sum()


def analytic_hessian(x: np.ndarray) -> np.ndarray:
    """∂²f/∂xᵢ² = 1200xᵢ² - 400xᵢ₊₁ + 2 (+200 for i > 0), ∂²f/∂xᵢ∂xᵢ₊₁ = -400xᵢ: tridiagonal."""
    n = x.size
    diagonal = np.zeros(n)
    diagonal[:-1] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    diagonal[1:] += 200.0
    off = -400.0 * x[:-1]
    h = np.zeros((n, n))
    i = np.arange(n)
    h[i, i] = diagonal
    h[i[:-1], i[1:]] = off
    h[i[1:], i[:-1]] = off
    return h


def autodiff_hessians(x: np.ndarray) -> dict[str, Callable[[], Any]] | str:
    import autodiff as ad

    xt = ad.tensor(x)
    rows, vectorised = ad.hessian(rosenbrock, vectorize=False), ad.hessian(rosenbrock, vectorize=True)
    jitted = ad.jit(vectorised)
    jitted(x)  # traced here, timed apart (run() reports it)
    return {f"{OURS} row by row": lambda: rows(xt), f"{OURS} vectorised": lambda: vectorised(xt),
            OURS_JIT: lambda: jitted(x)}


def jit_trace_seconds(x: np.ndarray) -> float:
    import autodiff as ad

    jitted = ad.jit(ad.hessian(rosenbrock, vectorize=True))
    start = now()
    jitted(x)
    return now() - start


def torch_hessians(x: np.ndarray) -> dict[str, Callable[[], Any]]:
    torch = peers.torch()
    xt = torch.tensor(x)
    hessian = torch.autograd.functional.hessian
    return {f"{TORCH} row by row": lambda: hessian(rosenbrock, xt),
            f"{TORCH} vectorize=True": lambda: hessian(rosenbrock, xt, vectorize=True)}


def jax_hessians(x: np.ndarray) -> tuple[dict[str, Callable[[], Any]], float]:
    jax = peers.jax()
    hessian = jax.hessian(rosenbrock)
    xj = jax.device_put(x)
    start = now()
    compiled = jax.jit(hessian).lower(xj).compile()
    seconds = now() - start
    return ({"jax eager": lambda: jax.block_until_ready(hessian(xj)),
             "jax jit": lambda: jax.block_until_ready(compiled(xj))}, seconds)


def hips_hessian(x: np.ndarray) -> dict[str, Callable[[], Any]]:
    import autograd

    hessian = autograd.hessian(rosenbrock)
    return {HIPS: lambda: hessian(x)}


def run(config: Config) -> Result:
    result = Result("W3", f"full Hessian of the {DIMENSION}-d Rosenbrock function", reference=NUMPY)
    x = np.random.default_rng(0).uniform(-2.0, 2.0, DIMENSION)
    expected = analytic_hessian(x)
    fns: dict[str, Callable[[], Any]] = {NUMPY: lambda: analytic_hessian(x)}
    ours = autodiff_hessians(x)
    if isinstance(ours, str):
        result.skip(OURS, ours)
    else:
        fns.update(ours)
    compile_seconds = None
    if config.peers:
        if peers.torch() is not None:
            fns.update(torch_hessians(x))
        if peers.jax() is not None:
            jax_fns, compile_seconds = jax_hessians(x)
            fns.update(jax_fns)
        if peers.hips() is not None:
            fns.update(hips_hessian(x))
        for name, module in ((TORCH, peers.torch()), ("jax", peers.jax()), (HIPS, peers.hips())):
            if module is None:
                result.skip(name, peers.MISSING)
    for name, fn in fns.items():
        error = np.max(np.abs(np.asarray(fn()) - expected))
        if error > 1e-8 * np.max(np.abs(expected)):
            result.note(f"{name}: Hessian differs from the analytic one by {error:.2e}")
    samples = compare(fns, config.rounds, config.min_sample)
    for name in fns:
        result.time(name, samples[name], unit="ms")
    if compile_seconds is not None:
        result.value("jax jit compile (once)", compile_seconds * 1e3, "ms", reference=None)
    result.value("autodiff jit trace (once)", jit_trace_seconds(x) * 1e3, "ms", reference=None)
    result.target(f"{OURS_JIT} / {NUMPY} <= {JIT_TARGET}", result.ratio(OURS_JIT, NUMPY), JIT_TARGET)
    ours_ratio = result.ratio(f"{OURS} vectorised", NUMPY)
    torch_ratio = result.ratio(f"{TORCH} vectorize=True", NUMPY)
    result.target(f"({OURS} vectorised / {NUMPY}) / ({TORCH} vectorize=True / {NUMPY})",
                  None if ours_ratio is None or torch_ratio is None else ours_ratio / torch_ratio, 1.0)
    return result
