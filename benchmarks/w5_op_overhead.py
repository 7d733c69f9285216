"""W5: per-op overhead. A (10,) array through 1,000 elementwise ops (add, mul, tanh in turn), a sum,
then backward; reported in µs per op (the whole step divided by the 1,000 ops).

Target: at most 2.5x the hand-written numpy forward and backward of the same chain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import peers
from .config import HIPS, JAX_EAGER, JAX_JIT, NUMPY, OURS, OURS_JIT, TORCH, Config
from .report import Result
from .timing import compare, now

TARGET = 2.5
JIT_TARGET = 1.2


def constants(size: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(size), rng.uniform(-0.1, 0.1, size), rng.uniform(0.9, 1.1, size)


def numpy_chain(x: np.ndarray, shift: np.ndarray, scale: np.ndarray, ops: int) -> Callable[[], Any]:
    def step() -> np.ndarray:
        saved = []  # tanh outputs, the only values the backward pass needs
        y = x
        for i in range(ops):
            kind = i % 3
            if kind == 0:
                y = y + shift
            elif kind == 1:
                y = y * scale
            else:
                y = np.tanh(y)
                saved.append(y)
        total = y.sum()
        g = np.ones_like(x)
        for i in reversed(range(ops)):
            kind = i % 3
            if kind == 1:
                g = g * scale
            elif kind == 2:
                t = saved.pop()
                g = g * (1.0 - t * t)
        return total, g

    return step


def autodiff_chain(x: np.ndarray, shift: np.ndarray, scale: np.ndarray, ops: int) -> Callable[[], Any]:
    import autodiff as ad

    xt = ad.tensor(x, requires_grad=True)
    shift_t, scale_t = ad.tensor(shift), ad.tensor(scale)

    def step() -> Any:
        y = xt
        for i in range(ops):
            kind = i % 3
            y = y + shift_t if kind == 0 else y * scale_t if kind == 1 else ad.tanh(y)
        y.sum().backward()
        grad, xt.grad = xt.grad, None
        return grad

    return step


def autodiff_jit_chain(x: np.ndarray, shift: np.ndarray, scale: np.ndarray,
                       ops: int) -> tuple[Callable[[], Any], float]:
    """The same chain as a function, ``ad.jit(ad.grad(...))``: (the step, seconds to trace it)."""
    import autodiff as ad

    grad = ad.jit(ad.grad(_array_chain(ad, shift, scale, ops)))
    start = now()
    grad(x)
    seconds = now() - start
    return (lambda: grad(x)), seconds


def torch_chain(x: np.ndarray, shift: np.ndarray, scale: np.ndarray, ops: int) -> Callable[[], Any]:
    torch = peers.torch()
    xt = torch.tensor(x, requires_grad=True)
    shift_t, scale_t = torch.tensor(shift), torch.tensor(scale)

    def step() -> Any:
        y = xt
        for i in range(ops):
            kind = i % 3
            y = y + shift_t if kind == 0 else y * scale_t if kind == 1 else torch.tanh(y)
        y.sum().backward()
        grad, xt.grad = xt.grad, None
        return grad

    return step


def _array_chain(np_like: Any, shift: Any, scale: Any, ops: int) -> Callable[[Any], Any]:
    def f(x):
        y = x
        for i in range(ops):
            kind = i % 3
            y = y + shift if kind == 0 else y * scale if kind == 1 else np_like.tanh(y)
        return np_like.sum(y)

    return f


def jax_chains(x: np.ndarray, shift: np.ndarray, scale: np.ndarray, ops: int) -> tuple[Any, Any, float]:
    jax = peers.jax()
    grad = jax.grad(_array_chain(jax.numpy, jax.device_put(shift), jax.device_put(scale), ops))
    xj = jax.device_put(x)
    start = now()
    compiled = jax.jit(grad).lower(xj).compile()
    seconds = now() - start
    return (lambda: jax.block_until_ready(grad(xj))), (lambda: jax.block_until_ready(compiled(xj))), seconds


def hips_chain(x: np.ndarray, shift: np.ndarray, scale: np.ndarray, ops: int) -> Callable[[], Any]:
    import autograd
    import autograd.numpy as anp

    grad = autograd.grad(_array_chain(anp, shift, scale, ops))
    return lambda: grad(x)


def run(config: Config) -> Result:
    ops = 1000
    result = Result("W5", f"per-op overhead: (10,) array through {ops} ops (add, mul, tanh), sum, backward",
                    reference=NUMPY)
    x, shift, scale = constants()
    args = (x, shift, scale, ops)
    steps = {NUMPY: numpy_chain(*args), OURS: autodiff_chain(*args)}
    steps[OURS_JIT], trace_seconds = autodiff_jit_chain(*args)
    compile_seconds = None
    if config.peers:
        if peers.torch() is not None:
            steps[TORCH] = torch_chain(*args)
        if peers.jax() is not None:
            steps[JAX_EAGER], steps[JAX_JIT], compile_seconds = jax_chains(*args)
        if peers.hips() is not None:
            steps[HIPS] = hips_chain(*args)
        for name, module in ((TORCH, peers.torch()), ("jax", peers.jax()), (HIPS, peers.hips())):
            if module is None:
                result.skip(name, peers.MISSING)
    reference = steps[NUMPY]()[1]
    for name, step in steps.items():
        grad = np.asarray(step()[1] if name == NUMPY else step())
        if not np.allclose(grad, reference, rtol=1e-9, atol=1e-12):
            result.note(f"{name}: gradient differs from the numpy reference (max abs diff "
                        f"{np.max(np.abs(grad - reference)):.2e})")
    samples = compare(steps, config.rounds, config.min_sample)
    for name in steps:
        result.time(name, samples[name], unit="µs/op", per=ops)
    result.value("autodiff jit trace (once)", trace_seconds * 1e3, "ms", reference=None)
    if compile_seconds is not None:
        result.value("jax jit compile (once)", compile_seconds * 1e3, "ms", reference=None)
    result.target(f"{OURS} / {NUMPY} µs per op <= {TARGET}", result.ratio(OURS, NUMPY), TARGET)
    result.target(f"{OURS_JIT} / {NUMPY} µs per op <= {JIT_TARGET}", result.ratio(OURS_JIT, NUMPY), JIT_TARGET)
    return result
