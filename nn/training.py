"""The training loop: ``fit`` runs epochs of mini-batch steps and returns the per-epoch history.

The optimizer can be anything with ``zero_grad()`` and ``step()`` (``optim.SGD``, ``optim.Adam``...).
A progress bar (tqdm, with the live loss) is shown when tqdm is installed and stdout is a terminal.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autodiff import Tensor, no_grad

from .data import batches
from .init import as_rng
from .losses import BCELoss, HuberLoss, L1Loss, MSELoss
from .module import Module

Metric = Callable[[np.ndarray, np.ndarray], float]


def accuracy(output: np.ndarray, target: np.ndarray, threshold: float = 0.0) -> float:
    """Fraction of correct predictions: argmax over the class axis, or ``output > threshold`` for one output.

    >>> import numpy as np
    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    """
    output, target = np.asarray(output), np.asarray(target)
    if output.ndim >= 2 and output.shape[1] > 1:
        predicted = output.argmax(axis=1)
        if target.shape == output.shape:  # one-hot or probability targets
            target = target.argmax(axis=1)
    else:
        predicted = (output > threshold).astype(np.int64).reshape(target.shape)
        target = (target > 0.5) if np.issubdtype(target.dtype, np.floating) else target
    return float(np.mean(predicted == target)) if target.size else float("nan")


_PROBABILITY_LOSSES = (BCELoss, MSELoss, L1Loss, HuberLoss)  # one output compared with 0/1 targets


def _metric_functions(metrics: Sequence[str | Metric], loss_fn: Any) -> dict[str, Metric]:
    threshold = 0.5 if isinstance(loss_fn, _PROBABILITY_LOSSES) else 0.0  # probabilities or logits
    functions: dict[str, Metric] = {}
    for metric in metrics:
        if metric == "accuracy":
            functions["accuracy"] = lambda out, y: accuracy(out, y, threshold)
        elif callable(metric):
            functions[getattr(metric, "__name__", f"metric{len(functions)}")] = metric
        else:
            raise ValueError(f"unknown metric {metric!r}: use 'accuracy' or a function "
                             "(output, target) -> float")
    return functions


def _looks_like_classes(y: np.ndarray) -> bool:
    """Integer labels, booleans, or floats that are all 0 or 1 (or one-hot rows)."""
    if not np.issubdtype(y.dtype, np.floating):
        return True
    return bool(np.all((y == 0) | (y == 1)))


def _check_optimizer_holds_the_model(optimizer: Any, model: Module) -> None:
    groups = getattr(optimizer, "param_groups", None)
    if groups is None:  # any object with zero_grad() and step() is welcome; nothing to check
        return
    held = {id(p) for group in groups for p in group["params"]}
    params = list(model.parameters())
    if params and not any(id(p) in held for p in params):
        raise ValueError("the optimizer holds none of the model's parameters, so fit would train nothing; "
                         "build it from this model: optim.Adam(model.parameters(), ...)")


def _model_dtype(model: Module) -> np.dtype | None:
    for param in model.parameters():
        if np.issubdtype(param.dtype, np.floating):
            return param.dtype
    return None


def _inputs(X: Any, dtype: np.dtype | None) -> np.ndarray:
    X = X.data if isinstance(X, Tensor) else np.asarray(X)
    if dtype is not None and np.issubdtype(X.dtype, np.floating) and X.dtype != dtype:
        X = X.astype(dtype)  # a float64 batch through float32 layers would promote everything to float64
    return X


def evaluate(model: Module, loss_fn: Any, X: Any, y: Any, metrics: Sequence[str | Metric] = ("accuracy",),
             batch_size: int = 1024) -> dict[str, float]:
    """Loss and metrics of ``model`` on (X, y) in eval mode without recording a graph.

    The model's training/eval mode is restored afterwards.
    """
    return _evaluate(model, loss_fn, X, y, _metric_functions(metrics, loss_fn), batch_size)


def _evaluate(model: Module, loss_fn: Any, X: Any, y: Any, functions: dict[str, Metric],
              batch_size: int = 1024) -> dict[str, float]:
    was_training = model.training
    model.eval()
    X = _inputs(X, _model_dtype(model))
    y = y.data if isinstance(y, Tensor) else np.asarray(y)
    total, outputs = 0.0, []
    try:
        with no_grad():
            for xb, yb in batches(X, y, batch_size, shuffle=False):
                out = model(Tensor(xb))
                total += float(loss_fn(out, yb).item()) * len(xb)
                outputs.append(out.data)
    finally:
        model.train(was_training)
    output = np.concatenate(outputs) if outputs else np.zeros((0,))
    result = {"loss": total / max(len(X), 1)}
    result.update({name: fn(output, y) for name, fn in functions.items()})
    return result


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {key: compiled step}


def _compiled(model: Module, loss_fn: Any) -> Callable[[np.ndarray, np.ndarray], tuple[Tensor, Tensor]]:
    """The compiled step of this model and loss, kept while the model lives (a second fit() of the same
    model, e.g. training in chunks, replays its traces instead of tracing again)."""
    steps = _COMPILED.setdefault(model, {})
    key = (id(loss_fn), tuple(id(p) for p in model.parameters()))
    if key not in steps or steps[key][0] is not loss_fn:
        steps[key] = (loss_fn, _compiled_step(model, loss_fn))
    return steps[key][1]


def _compiled_step(model: Module, loss_fn: Any) -> Callable[[np.ndarray, np.ndarray], tuple[Tensor, Tensor]]:
    """The loss and its gradient w.r.t. the parameters, compiled once per batch shape; the gradients
    land in ``.grad`` as backward() would put them."""
    import autodiff as ad

    from .layers import BatchNorm1d, BatchNorm2d, Dropout
    from .stateless import functional_call

    frozen = [type(m).__name__ for m in model.modules() if isinstance(m, (Dropout, BatchNorm1d, BatchNorm2d))]
    if frozen:
        raise ValueError(f"fit(jit=True) cannot compile a model with {', '.join(sorted(set(frozen)))}: the compiled "
                         "step would freeze its random mask or running statistics; use jit=False")
    parameters = dict(model.named_parameters())

    def loss_of(params: dict, xb: Any, yb: Any) -> tuple[Tensor, Tensor]:
        out = functional_call(model, params, xb)
        return loss_fn(out, yb), out

    value_and_grad = ad.jit(ad.value_and_grad(loss_of, has_aux=True))

    def step(xb: np.ndarray, yb: np.ndarray) -> tuple[Tensor, Tensor]:
        (loss, out), grads = value_and_grad({name: p.data for name, p in parameters.items()}, xb, yb)
        for name, p in parameters.items():
            p.grad = grads[name] if p.grad is None else p.grad + grads[name]
        return loss, out

    return step


def _progress_bar(steps: int, progress: bool) -> Any:
    """A tqdm bar over every batch step, or None when off, not on a terminal, or tqdm is missing."""
    if not progress or not sys.stdout.isatty():
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=steps, unit="batch", leave=True)


def fit(model: Module, loss_fn: Callable[[Any, Any], Tensor], optimizer: Any, X: Any, y: Any,
        epochs: int = 10, batch_size: int = 32, validation: tuple[Any, Any] | None = None,
        metrics: Sequence[str | Metric] = ("accuracy",), progress: bool = True, shuffle: bool = True,
        rng: Any = None, jit: bool = False) -> dict[str, list[float]]:
    """Train ``model`` on (X, y) by mini-batch steps of ``optimizer``; return the history.

    Each epoch walks the data in (shuffled, ``rng``) batches: zero_grad, forward, ``loss_fn(output,
    y_batch)``, backward, step. The history maps ``"loss"`` and each metric to one value per epoch
    (averaged over the epoch's batches, as measured during training), plus ``"val_loss"`` and
    ``"val_<metric>"`` when ``validation=(X_val, y_val)`` is given (measured in eval mode). Inputs
    are cast to the model's parameter dtype (so float32 models stay float32). The epoch loss is the
    sample-weighted mean of the batch losses, so ``loss_fn`` should average over its batch (the
    default ``reduction="mean"``). The default metric, accuracy, is kept only when the targets are
classes (integers, or floats that are all 0 or 1); continuous targets are regression and get none.
An optimizer that holds none of the model's parameters is refused.

    ``jit=True`` compiles the forward and backward pass with ``ad.jit`` (the model as a function of its
    parameters, ``nn.functional_call``) and leaves the update to the optimizer: the same numbers,
    faster on small models. Models with Dropout or BatchNorm are refused (a compiled step would freeze
    the random mask and the running statistics).

    >>> import nn, optim
    >>> X, y = nn.datasets.make_xor()
    >>> model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.Tanh(), nn.Linear(8, 2, rng=1))
    >>> history = nn.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), X, y,
    ...                  epochs=200, batch_size=4, progress=False, rng=0)
    >>> history["accuracy"][-1]
    1.0
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    for method in ("zero_grad", "step"):
        if not callable(getattr(optimizer, method, None)):
            raise TypeError(f"fit needs an optimizer with zero_grad() and step(); {type(optimizer).__name__} "
                            f"has no {method}()")
    _check_optimizer_holds_the_model(optimizer, model)
    X = _inputs(X, _model_dtype(model))
    y = y.data if isinstance(y, Tensor) else np.asarray(y)
    if tuple(metrics) == ("accuracy",) and not _looks_like_classes(y):
        metrics = ()  # the default metric means classes; continuous targets are regression
    functions = _metric_functions(metrics, loss_fn)
    gen = as_rng(rng)
    history: dict[str, list[float]] = {"loss": [], **{name: [] for name in functions}}
    if validation is not None:
        history["val_loss"] = []
        history.update({f"val_{name}": [] for name in functions})
    compiled = _compiled(model, loss_fn) if jit else None
    bar = _progress_bar(epochs * -(-len(X) // batch_size), progress)
    try:
        for epoch in range(epochs):
            if bar is not None:
                bar.set_description(f"epoch {epoch + 1}/{epochs}")
            model.train()
            total, sums, seen = 0.0, dict.fromkeys(functions, 0.0), 0
            for xb, yb in batches(X, y, batch_size, shuffle=shuffle, rng=gen):
                optimizer.zero_grad()
                if compiled is None:
                    out = model(Tensor(xb))
                    loss = loss_fn(out, yb)
                    loss.backward()
                else:
                    loss, out = compiled(xb, yb)
                optimizer.step()
                count = len(xb)
                total += float(loss.data) * count
                for name, fn in functions.items():
                    sums[name] += fn(out.data, yb) * count
                seen += count
                if bar is not None:  # the live loss: the epoch's running mean so far
                    bar.set_postfix(loss=f"{total / seen:.4g}", refresh=False)
                    bar.update(1)
            history["loss"].append(total / max(seen, 1))
            for name in functions:
                history[name].append(sums[name] / max(seen, 1))
            if validation is not None:
                scores = _evaluate(model, loss_fn, validation[0], validation[1], functions)
                for name, value in scores.items():
                    history[f"val_{name}"].append(value)
            if bar is not None:
                bar.set_postfix({key: f"{values[-1]:.4g}" for key, values in history.items()})
    finally:
        if bar is not None:
            bar.close()
    return history
