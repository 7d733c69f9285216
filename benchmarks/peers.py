"""The optional peers (PyTorch, JAX, HIPS autograd): imported on demand, skipped when missing."""

from __future__ import annotations

import importlib
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


def versions() -> dict[str, Any]:
    import numpy

    import autodiff

    found: dict[str, Any] = {"autodiff": autodiff.__version__, "numpy": numpy.__version__}
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
