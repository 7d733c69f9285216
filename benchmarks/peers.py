"""The optional peers (PyTorch, JAX, HIPS autograd): imported on demand, skipped when missing."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any


@cache
def torch() -> ModuleType | None:
    return _optional("torch")


@cache
def jax() -> ModuleType | None:
    module = _optional("jax")
    if module is not None:
        module.config.update("jax_enable_x64", True)  # W1, W3, W4, W5, W7 are float64 workloads
        module.config.update("jax_platforms", "cpu")
    return module


@cache
def hips() -> ModuleType | None:
    """HIPS autograd (the package ``autograd``)."""
    return _optional("autograd")


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except Exception:  # not installed, or broken: the peer is skipped
        return None


MISSING = "not installed (pip install -e '.[bench]')"


def versions(include_peers: bool = True) -> dict[str, Any]:
    import numpy

    import autodiff

    found: dict[str, Any] = {"autodiff": autodiff.__version__, "numpy": numpy.__version__}
    if not include_peers:
        return found
    for name, load in (("torch", torch), ("jax", jax), ("autograd", hips)):
        module = load()
        found[name] = getattr(module, "__version__", "installed") if module is not None else None
    if jax() is not None:
        import jaxlib

        found["jaxlib"] = jaxlib.__version__
    if hips() is not None and found["autograd"] == "installed":
        from importlib.metadata import version

        found["autograd"] = version("autograd")
    return found


def jax_sgd_steps(loss_fn: Callable[..., Any], params: list[Any], x: Any, target: Any,
                  lr: float) -> tuple[Callable[[], Any], Callable[[], Any], float]:
    """One SGD step on ``loss_fn(params, x, target)`` in JAX: (eager step, compiled step, seconds to
    compile it, on the harness's clock). Each keeps its own parameters and blocks until done."""
    from .timing import now

    jax_ = jax()
    grad_fn = jax_.value_and_grad(loss_fn)

    def update(params, x, target):
        value, grads = grad_fn(params, x, target)
        return value, [p - lr * g for p, g in zip(params, grads, strict=True)]

    xs, ts = jax_.device_put(x), jax_.device_put(target)
    eager_state = [jax_.device_put(p) for p in params]
    jit_state = [jax_.device_put(p) for p in params]

    def eager() -> Any:
        value, eager_state[:] = update(eager_state, xs, ts)
        return jax_.block_until_ready(value)

    start = now()
    compiled = jax_.jit(update).lower(jit_state, xs, ts).compile()
    seconds = now() - start

    def jitted() -> Any:
        value, jit_state[:] = compiled(jit_state, xs, ts)
        return jax_.block_until_ready(value)

    return eager, jitted, seconds
