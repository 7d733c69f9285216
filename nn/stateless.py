"""A model as a pure function of its parameters: ``functional_call`` (PyTorch's ``torch.func``).

``functional_call(model, params, x)`` runs ``model(x)`` with the tensors or arrays in ``params``
(state-dict names -> values) in place of the model's own parameters and buffers, then puts the
model's own back. The loss is then a function of a dict of arrays, which the transforms
differentiate and ``ad.jit`` compiles:

>>> import numpy as np, autodiff as ad, nn
>>> model = nn.Linear(2, 1, rng=0)
>>> params = {name: p.data.copy() for name, p in model.named_parameters()}
>>> loss = lambda params, x: (nn.functional_call(model, params, x) ** 2).mean()
>>> grads = ad.jit(ad.grad(loss))(params, np.ones((4, 2)))
>>> sorted(grads), grads["weight"].shape
(['bias', 'weight'], (1, 2))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autodiff import Tensor

from .module import Module, StateDictError


def functional_call(module: Module, params: Mapping[str, Any], *args: Any, **kwargs: Any) -> Any:
    """``module(*args, **kwargs)`` with ``params`` (name -> Tensor or array) standing in for the named
    parameters and buffers; names missing from ``params`` keep the module's own. The module is
    changed only during the call (so do not share it between threads while one runs)."""
    if not isinstance(module, Module):
        raise TypeError(f"functional_call needs an nn.Module, got {type(module).__name__}")
    owners = {}
    for module_name, owner in module.named_modules():
        prefix = f"{module_name}." if module_name else ""
        for registry in (owner._parameters, owner._buffers):
            for name in registry:
                owners[prefix + name] = (registry, name)
    unknown = [name for name in params if name not in owners]
    if unknown:
        raise StateDictError(f"functional_call: {type(module).__name__} has no parameter or buffer named "
                             f"{', '.join(map(repr, unknown))}; its names are {', '.join(owners)}")
    saved = {}
    try:
        for name, value in params.items():
            registry, key = owners[name]
            saved[name] = registry[key]
            registry[key] = value if isinstance(value, Tensor) else Tensor(value)
        return module(*args, **kwargs)
    finally:
        for name, value in saved.items():
            registry, key = owners[name]
            registry[key] = value
