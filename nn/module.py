"""Module and Parameter: layers that register their parameters and sub-layers by attribute assignment.

As in PyTorch, ``self.weight = Parameter(...)`` registers a parameter, ``self.fc = Linear(...)`` a
sub-module, and ``register_buffer`` a non-trainable tensor that still belongs in the state dict
(BatchNorm's running statistics). Names are dotted paths (``0.weight``, ``encoder.fc.bias``), so a
PyTorch state dict converts with ``{k: v.numpy() for k, v in torch_state.items()}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from autodiff import AutodiffError, Tensor, no_grad


class StateDictError(AutodiffError, ValueError):
    """A state dict that does not fit a module: missing or unexpected keys, or wrong shapes."""


class Parameter(Tensor):
    """A tensor that is a trainable parameter of a Module: it requires grad by default.

    >>> import nn
    >>> p = nn.Parameter([1.0, 2.0])
    >>> p.requires_grad, p.is_leaf
    (True, True)
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        array = data.data if isinstance(data, Tensor) else np.asarray(data)
        if not np.issubdtype(array.dtype, np.inexact):
            array = array.astype(np.float64)
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__() + ")"


class LoadResult(NamedTuple):
    """What ``load_state_dict`` found: keys the module has but the dict lacks, and the reverse."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and model: subclass it, assign parameters and layers, write ``forward``.

    >>> import nn, autodiff as ad
    >>> class TwoLayer(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = nn.Linear(3, 4)
    ...         self.out = nn.Linear(4, 1)
    ...     def forward(self, x):
    ...         return self.out(ad.tanh(self.hidden(x)))
    >>> model = TwoLayer()
    >>> [name for name, _ in model.named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    >>> model(ad.zeros(2, 3)).shape
    (2, 1)
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ----------------------------------------------------------------- registration
    def _registry(self) -> tuple[dict, dict, dict]:
        try:
            return self._parameters, self._buffers, self._modules
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before assigning attributes"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        params, buffers, modules = self._registry()
        if isinstance(value, Parameter):
            buffers.pop(name, None)
            modules.pop(name, None)
            self.__dict__.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            self.__dict__.pop(name, None)
            modules[name] = value
        elif name in params or name in modules:  # a slot for a Parameter (or Module) only takes one, or None
            registry, kind, expected = (params, "parameter", "nn.Parameter") if name in params else (
                modules, "sub-module", "nn.Module")
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to {kind} {name!r} "
                                f"(expected an {expected} or None)")
            registry[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                value = Tensor(np.asarray(value))
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:  # only called when normal lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a placeholder such as a missing bias) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}): expected an nn.Parameter or None, "
                            f"got {type(param).__name__}")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Register a non-trainable tensor that moves with ``to()`` and (if persistent) is saved."""
        self._buffers[name] = None if tensor is None else (tensor if isinstance(tensor, Tensor)
                                                           else Tensor(np.asarray(tensor)))
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child called ``name`` (what ``self.name = module`` does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}): expected an nn.Module, got {type(module).__name__}")
        self._modules[name] = module

    # ----------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self.forward(*args, **kwargs)
        # ops on plain arrays give plain arrays (the engine's fast path); a layer gives a Tensor
        return Tensor(out) if type(out) is np.ndarray else out

    # ----------------------------------------------------------------- traversal
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, in registration order."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module (each once), with dotted names; this one is ``""``."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module.named_children()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs; a parameter shared by two layers is listed once."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every trainable parameter (what an optimizer takes)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for module_name, module in self.named_modules(prefix):
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers():
            yield buffer

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every sub-module and then this one (e.g. a custom initialisation).

        >>> import nn
        >>> def zero_biases(m):
        ...     if isinstance(m, nn.Linear):
        ...         nn.init.zeros_(m.bias)
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU()).apply(zero_biases)
        >>> model[0].bias.tolist()
        [0.0, 0.0, 0.0]
        """
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    # ----------------------------------------------------------------- modes and gradients
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout on, batch norm on batch statistics) for this module and its children."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter (to None by default, as PyTorch does)."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad = Tensor(np.zeros_like(param.data))

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def num_parameters(self) -> int:
        """How many numbers the parameters hold in total."""
        return sum(param.size for param in self.parameters())

    # ----------------------------------------------------------------- dtypes
    def to(self, dtype: Any) -> Module:
        """Cast every floating-point parameter and buffer to ``dtype`` in place; returns self.

        Parameters stay the same objects (an optimizer built earlier still holds them); their
        gradients are cleared.
        """
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"Module.to() casts to a floating-point dtype, got {dtype}")
        for param in self.parameters():
            if param.data.dtype != dtype:
                param.data = param.data.astype(dtype)  # an in-place change: a stale graph refuses backward
                param.grad = None
        for module in self.modules():
            for name, buffer in module._buffers.items():
                if buffer is not None and np.issubdtype(buffer.dtype, np.floating) and buffer.dtype != dtype:
                    module._buffers[name] = Tensor(buffer.data.astype(dtype))
        return self

    def float(self) -> Module:
        """Cast to float32 (faster, about 7 significant digits)."""
        return self.to(np.float32)

    def double(self) -> Module:
        """Cast to float64 (the default)."""
        return self.to(np.float64)

    # ----------------------------------------------------------------- state dicts
    def _state_entries(self) -> Iterator[tuple[str, Tensor]]:
        for module_name, module in self.named_modules():
            prefix = f"{module_name}." if module_name else ""
            for name, param in module._parameters.items():
                if param is not None:
                    yield prefix + name, param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    yield prefix + name, buffer

    def state_dict(self) -> dict[str, np.ndarray]:
        """A snapshot of every parameter and persistent buffer: dotted name -> copy of its array.

        >>> import nn
        >>> sorted(nn.Linear(2, 3).state_dict().items(), key=lambda kv: kv[0])[0][1].shape
        (3,)
        """
        return {name: np.array(tensor.data, copy=True) for name, tensor in self._state_entries()}

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> LoadResult:
        """Copy values into the parameters and buffers, all or nothing.

        Values may be numpy arrays, Tensors or anything with ``.numpy()`` (torch tensors). With
        ``strict=True`` missing or unexpected keys are errors; wrong shapes always are. Every check
        runs before anything is written, so on error the module is unchanged.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"load_state_dict expects a dict of name -> array, "
                            f"got {type(state_dict).__name__}")
        entries = dict(self._state_entries())
        missing = [name for name in entries if name not in state_dict]
        unexpected = [name for name in state_dict if name not in entries]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(map(str, unexpected))}")
        arrays = {}
        for name, target in entries.items():
            if name not in state_dict:
                continue
            value = _to_array(state_dict[name], name)
            if value.shape != target.shape:
                problems.append(f"{name}: the state dict has shape {value.shape}, "
                                f"the module expects {target.shape}")
            elif not (np.issubdtype(value.dtype, np.number) or value.dtype == np.bool_):
                problems.append(f"{name}: the state dict holds dtype {value.dtype}, expected numbers")
            arrays[name] = value
        if problems:
            raise StateDictError(f"cannot load the state dict into {type(self).__name__} "
                                 "(nothing was changed): " + "; ".join(problems))
        with no_grad():  # in place, like PyTorch's copy_: a graph that saved the old values refuses backward
            for name, value in arrays.items():
                target = entries[name]
                if target.data.flags.writeable:
                    target.copy_(value.astype(target.dtype, copy=False))
                else:
                    target.data = np.array(value, dtype=target.dtype, copy=True)
        return LoadResult(missing, unexpected)

    # ----------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """The settings shown between the parentheses of this module's repr (override in layers)."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}({self.extra_repr()}  # {_count(self)} parameters"]
        for name, child in children:
            child_lines = repr(child).split("\n")
            own = _count(child)
            if len(child_lines) == 1 and own:
                child_lines[0] += f"  # {own}"
            lines.append(f"  ({name}): " + child_lines[0])
            lines.extend("  " + line for line in child_lines[1:])
        lines.append(")")
        return "\n".join(lines)


def _count(module: Module) -> int:
    return module.num_parameters()


def _to_array(value: Any, name: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor (torch is never imported)
        return value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except Exception as error:
        raise StateDictError(f"{name}: cannot turn a {type(value).__name__} into an array "
                             f"({error})") from error


__all__ = ["Module", "Parameter", "StateDictError", "LoadResult"]
