"""The Optimizer base: parameter groups with their own options, per-parameter state, one ``step``.

The shape is PyTorch's (``torch/optim/optimizer.py``): ``param_groups`` is a list of dicts, each
with a ``"params"`` list and its options (``lr``, ``momentum``...); ``state[p]`` holds whatever
a parameter's update needs between steps (momentum buffers, moment estimates).

A subclass of :class:`Optimizer` only writes :meth:`Optimizer._update`, the textbook update of
*one* parameter, on numpy arrays, returning the new value and the new state. The base class
computes every update first and only then writes them all in place (``p.copy_`` under
``no_grad``, which bumps the version counter, so a graph recorded before the step refuses a
stale backward). So a step that fails part way leaves every parameter as it was.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autodiff as ad
from autodiff import Tensor

ParamsLike = Iterable[Tensor] | Iterable[dict[str, Any]]


def _check_parameter(p: Any, where: str) -> Tensor:
    if not isinstance(p, Tensor):
        raise TypeError(f"{where}: an optimizer can only optimize Tensors (parameters), "
                        f"got {type(p).__name__}")
    if not p.is_leaf:
        raise ValueError(f"{where}: cannot optimize a non-leaf tensor (made by {p.grad_fn.name!r}); "
                         "optimize the leaf it was computed from, or .detach().requires_grad_() it")
    if not np.issubdtype(p.dtype, np.floating):
        raise TypeError(f"{where}: parameters must be floating-point tensors, got dtype={p.dtype}")
    return p


class Optimizer:
    """Base class of the optimizers: ``param_groups``, ``state``, ``zero_grad``, ``step``, state dicts.

    ``params`` is an iterable of Tensors, or of dicts ``{"params": [...], "lr": ...}`` (parameter
    groups, each overriding ``defaults``).

    >>> import autodiff as ad, optim
    >>> w = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> b = ad.tensor([0.5], requires_grad=True)
    >>> opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    >>> [g["lr"] for g in opt.param_groups]
    [0.1, 0.5]
    """

    _state_like_params = True  # state arrays have their parameter's shape (checked on loading)
    _non_negative: tuple[str, ...] = ()  # options that must be >= 0 (checked with lr)

    def __init__(self, params: ParamsLike, defaults: dict[str, Any]) -> None:
        if params is None or not hasattr(params, "__iter__"):
            raise TypeError("params must be an iterable of Tensors (e.g. model.parameters()) or of dicts "
                            f"(parameter groups), got {type(params).__name__}")
        if isinstance(params, (Tensor, dict)):
            raise TypeError("params must be an iterable of Tensors or of dicts (parameter groups), "
                            f"got a single {type(params).__name__}; wrap it in a list")
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list; "
                             "pass model.parameters() or a list of tensors")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options come from ``defaults``)."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError("a parameter group must be a dict with a 'params' entry, "
                            f"got {type(group).__name__}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter group")
        where = f"{type(self).__name__} parameter group {len(self.param_groups)}"
        params = [_check_parameter(p, where) for p in params]
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError(f"{where}: some parameters appear more than once (in this or another group)")
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise TypeError(f"{where}: unknown option(s) {sorted(unknown)}; "
                            f"{type(self).__name__} takes {sorted(self.defaults)}")
        full = {**self.defaults, **group, "params": params}
        self._check_options(full)
        self.param_groups.append(full)

    def _check_options(self, group: dict[str, Any]) -> None:
        """Validate a group's options (subclasses raise ValueError for bad values)."""
        if "lr" in group and not group["lr"] >= 0.0:
            raise ValueError(f"invalid learning rate: {group['lr']} (expected lr >= 0)")
        for name in self._non_negative:
            if not group[name] >= 0.0:
                raise ValueError(f"invalid {name}: {group[name]} (expected >= 0)")

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (default), or zeros when ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = Tensor._wrap(np.zeros_like(p.data))

    # ------------------------------------------------------------------ the step
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, once; returns ``closure()`` if given.

        ``closure`` re-evaluates the model and returns the loss (it usually calls ``zero_grad`` and
        ``backward`` itself); it runs with grad mode on.
        """
        loss = None
        if closure is not None:
            with ad.enable_grad():
                loss = closure()
        updates = []
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = np.asarray(p.grad.data)
                if grad.shape != p.shape:
                    raise ValueError(f"{type(self).__name__}: a gradient of shape {grad.shape} for a "
                                     f"parameter of shape {p.shape}")
                step, new_state = self._update(p.data, grad, self.state.get(p, {}), group)
                updates.append((p, step, new_state))
        with ad.no_grad():  # every step was computed before any parameter changes: all or nothing
            for p, step, new_state in updates:
                p.sub_(step)
                self.state[p] = new_state
        return loss

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        """One parameter's update: (step, new state); the parameter becomes ``param - step``.

        Must not modify its arguments. Returning the step (not the new value) lets the update be
        applied in place with one subtraction, as a hand-written loop would.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define _update")

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{options..., "params": [indices]}]}`` (copies).

        Parameters are numbered in the order of ``param_groups``, as PyTorch does, so the dict
        does not hold the tensors themselves.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: {k: _copy(v) for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by :meth:`state_dict` (checks group and state shapes).

        A PyTorch optimizer's state dict works too once its tensors are numpy arrays; options this
        optimizer does not have (``foreach``, ``fused``...) are ignored.
        """
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError("an optimizer state dict has exactly the keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"the state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"parameter group {i}: the state dict has {len(saved['params'])} "
                                 f"parameters, this optimizer has {len(group['params'])}")
            by_index.update(zip(saved["params"], group["params"], strict=True))
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, entries in state_dict["state"].items():
            p = by_index.get(int(key))
            if p is None:
                raise ValueError(f"the state dict has state for parameter {key}, which no group holds")
            new_state[p] = {name: _restore(value, p, name, self._state_like_params)
                            for name, value in entries.items()}
        updated = [{**group, **{k: v for k, v in saved.items() if k in self.defaults or k == "initial_lr"}}
                   for saved, group in zip(saved_groups, self.param_groups, strict=True)]
        for group in updated:  # the same checks as the constructor's, before anything changes
            self._check_options(group)
        for group, new in zip(self.param_groups, updated, strict=True):
            group.update(new)
        self.state = new_state


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)


def _restore(value: Any, p: Tensor, name: str, like_params: bool) -> Any:
    if isinstance(value, (np.ndarray, Tensor)):
        array = np.array(value, dtype=p.dtype)
        if like_params and array.shape != p.shape and array.ndim != 0:
            raise ValueError(f"state {name!r} has shape {array.shape}, the parameter has shape {p.shape}")
        return array
    return copy.deepcopy(value)
