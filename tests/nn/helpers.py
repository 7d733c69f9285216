"""Shared test helpers: gradcheck a module with respect to its input and every parameter."""

from __future__ import annotations

from typing import Any

import numpy as np

import autodiff as ad
import nn


def _owner(module: nn.Module, dotted: str) -> tuple[nn.Module, str]:
    *path, leaf = dotted.split(".")
    for part in path:
        module = module._modules[part]
    return module, leaf


def module_gradcheck(module: nn.Module, *inputs: np.ndarray, output=lambda out: out, **tolerances: Any):
    """gradcheck of ``output(module(*inputs))`` with respect to the inputs and every parameter."""
    named = list(module.named_parameters())
    owners = [_owner(module, name) for name, _ in named]

    def f(*args):
        xs, params = args[: len(inputs)], args[len(inputs):]
        saved = [owner._parameters[leaf] for owner, leaf in owners]
        for (owner, leaf), p in zip(owners, params, strict=True):
            owner._parameters[leaf] = p  # a plain tensor in place of the Parameter, for this call only
        try:
            return output(module(*xs))
        finally:
            for (owner, leaf), p in zip(owners, saved, strict=True):
                owner._parameters[leaf] = p

    return ad.gradcheck(f, list(inputs) + [p.data for _, p in named], **tolerances)
