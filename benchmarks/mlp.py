"""One SGD step of a multilayer perceptron, written for each framework with the same mathematics.

``activation`` is "tanh" or "relu" between layers (none after the last); ``loss`` is "mse" (targets
an (n, 1) float column) or "cross_entropy" (softmax cross-entropy, targets integer labels). Weights
are stored (in, out) everywhere so every framework computes ``x @ W + b``. Each builder returns a
function of no arguments that does one full step (forward, loss, backward, in-place SGD update) on
its own copy of the parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Step = Callable[[], Any]


# ----------------------------------------------------------------------------- numpy by hand
def numpy_step(params: list[np.ndarray], x: np.ndarray, target: np.ndarray, activation: str, loss: str,
               lr: float) -> Step:
    """The hand-written reference: forward keeping what backward needs, backward by the chain rule."""
    params = [p.copy() for p in params]
    weights, biases = params[0::2], params[1::2]
    n = x.shape[0]
    rows = np.arange(n)

    def step() -> float:
        inputs, activations = [], []
        h = x
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            inputs.append(h)
            z = h @ w + b
            if i < len(weights) - 1:
                h = np.tanh(z) if activation == "tanh" else np.maximum(z, 0)
                activations.append(h)
            else:
                h = z
        if loss == "mse":
            diff = h - target
            value = np.mean(diff * diff)
            dz = diff * (2.0 / diff.size)
        else:
            shifted = h - h.max(axis=1, keepdims=True)
            exp = np.exp(shifted)
            total = exp.sum(axis=1, keepdims=True)
            value = np.mean(np.log(total[:, 0]) - shifted[rows, target])
            dz = exp / total
            dz[rows, target] -= 1.0
            dz *= 1.0 / n
        for i in reversed(range(len(weights))):
            dw = inputs[i].T @ dz
            db = dz.sum(axis=0)
            if i > 0:
                dh = dz @ weights[i].T
                a = activations[i - 1]
                dz = dh * (1.0 - a * a) if activation == "tanh" else dh * (a > 0)
            weights[i] -= lr * dw
            biases[i] -= lr * db
        return value

    return step


# ----------------------------------------------------------------------------- this project
def autodiff_step(params: list[np.ndarray], x: np.ndarray, target: np.ndarray, activation: str, loss: str,
                  lr: float) -> Step:
    """Bare Tensors and ``backward()``: the engine alone, no nn/optim layer on top."""
    import autodiff as ad

    tensors = [ad.tensor(p.copy(), requires_grad=True) for p in params]
    weights, biases = tensors[0::2], tensors[1::2]
    xt = ad.tensor(x)
    rows = np.arange(x.shape[0])
    act = ad.tanh if activation == "tanh" else ad.relu

    def step() -> float:
        h = xt
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            h = h @ w + b
            if i < len(weights) - 1:
                h = act(h)
        if loss == "mse":
            value = ((h - target) ** 2).mean()
        else:
            value = -ad.log_softmax(h, axis=1)[rows, target].mean()
        value.backward()
        for p in tensors:
            p.data -= lr * p.grad.data
            p.grad = None
        return value

    return step


def autodiff_jit_step(params: list[np.ndarray], x: np.ndarray, target: np.ndarray, activation: str, loss: str,
                      lr: float) -> tuple[Step, float]:
    """The whole step as a function, ``ad.jit`` of the loss's ``value_and_grad`` and the SGD update, as the
    JAX column compiles it: (the step, seconds its first call took to trace and compile)."""
    import autodiff as ad

    state = [p.copy() for p in params]
    rows = np.arange(x.shape[0])
    act = ad.tanh if activation == "tanh" else ad.relu

    def loss_of(ps: list, x: Any, target: Any) -> Any:
        h = x
        weights, biases = ps[0::2], ps[1::2]
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            h = h @ w + b
            if i < len(weights) - 1:
                h = act(h)
        if loss == "mse":
            return ((h - target) ** 2).mean()
        return -ad.log_softmax(h, axis=1)[rows, target].mean()

    value_and_grad = ad.value_and_grad(loss_of)

    @ad.jit
    def update(ps: list, x: Any, target: Any) -> tuple[Any, list]:
        value, grads = value_and_grad(ps, x, target)
        return value, [p - lr * g for p, g in zip(ps, grads, strict=True)]

    from .timing import now

    start = now()
    update(state, x, target)  # the first call traces
    seconds = now() - start

    def step() -> Any:
        value, state[:] = update(state, x, target)
        return value

    return step, seconds


def autodiff_nn_step(params: list[np.ndarray], x: np.ndarray, target: np.ndarray, activation: str,
                     loss: str, lr: float) -> Step:
    """The same step through the layers on top: nn.Sequential of nn.Linear, nn's loss, optim.SGD."""
    import autodiff as ad
    import nn
    import optim

    model = _sequential(nn, params, activation, dtype=params[0].dtype)
    loss_fn = nn.MSELoss() if loss == "mse" else nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    xt, tt = ad.tensor(x), ad.tensor(target)

    def step() -> Any:
        optimizer.zero_grad()
        value = loss_fn(model(xt), tt)
        value.backward()
        optimizer.step()
        return value

    return step


def _sequential(library: Any, params: list[np.ndarray], activation: str, **options: Any) -> Any:
    """nn.Sequential / torch.nn.Sequential holding ``params`` (weights transposed to (out, in))."""
    layers = []
    weights = params[0::2]
    for i, w in enumerate(weights):
        layers.append(library.Linear(w.shape[0], w.shape[1], **options))
        if i < len(weights) - 1:
            layers.append(library.Tanh() if activation == "tanh" else library.ReLU())
    model = library.Sequential(*layers)
    state = {}
    for i, (w, b) in enumerate(zip(weights, params[1::2], strict=True)):
        state[f"{2 * i}.weight"], state[f"{2 * i}.bias"] = w.T.copy(), b.copy()
    if library.__name__ == "torch.nn":
        import torch

        state = {k: torch.from_numpy(v) for k, v in state.items()}
    model.load_state_dict(state)
    return model


# ----------------------------------------------------------------------------- PyTorch eager
def torch_step(params: list[np.ndarray], x: np.ndarray, target: np.ndarray, activation: str, loss: str,
               lr: float) -> Step:
    from . import peers

    torch = peers.torch()
    tensors = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    weights, biases = tensors[0::2], tensors[1::2]
    xt, tt = torch.from_numpy(x), torch.from_numpy(target)
    rows = torch.arange(x.shape[0])
    act = torch.tanh if activation == "tanh" else torch.relu

    def step() -> Any:
        h = xt
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            h = h @ w + b
            if i < len(weights) - 1:
                h = act(h)
        if loss == "mse":
            value = ((h - tt) ** 2).mean()
        else:
            value = -torch.log_softmax(h, dim=1)[rows, tt].mean()
        value.backward()
        with torch.no_grad():
            for p in tensors:
                p -= lr * p.grad
                p.grad = None
        return value.detach()

    return step


def torch_nn_step(params: list[np.ndarray], x: np.ndarray, target: np.ndarray, activation: str,
                  loss: str, lr: float) -> Step:
    """PyTorch through its layers: torch.nn.Sequential of Linear, its loss, torch.optim.SGD."""
    from . import peers

    torch = peers.torch()
    model = _sequential(torch.nn, params, activation, dtype=torch.float32 if params[0].dtype == np.float32
                        else torch.float64)
    loss_fn = torch.nn.MSELoss() if loss == "mse" else torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    xt, tt = torch.from_numpy(x), torch.from_numpy(target)

    def step() -> Any:
        optimizer.zero_grad()
        value = loss_fn(model(xt), tt)
        value.backward()
        optimizer.step()
        return value.detach()

    return step


# ----------------------------------------------------------------------------- JAX
def _jax_loss(activation: str, loss: str) -> Callable[..., Any]:
    from . import peers

    jnp = peers.jax().numpy
    jax_nn = peers.jax().nn

    def loss_fn(params, x, target):
        weights, biases = params[0::2], params[1::2]
        h = x
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            h = h @ w + b
            if i < len(weights) - 1:
                h = jnp.tanh(h) if activation == "tanh" else jax_nn.relu(h)
        if loss == "mse":
            return jnp.mean((h - target) ** 2)
        logp = jax_nn.log_softmax(h, axis=1)
        return -jnp.mean(logp[jnp.arange(x.shape[0]), target])

    return loss_fn


def jax_steps(params: list[np.ndarray], x: np.ndarray, target: np.ndarray, activation: str, loss: str,
              lr: float) -> tuple[Step, Step, float]:
    """(eager step, compiled step, seconds to compile it). Both block until the result is ready."""
    from . import peers

    return peers.jax_sgd_steps(_jax_loss(activation, loss), params, x, target, lr)


# ----------------------------------------------------------------------------- HIPS autograd
def hips_step(params: list[np.ndarray], x: np.ndarray, target: np.ndarray, activation: str, loss: str,
              lr: float) -> Step:
    import autograd
    import autograd.numpy as anp

    def loss_fn(params):
        weights, biases = params[0::2], params[1::2]
        h = x
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            h = anp.dot(h, w) + b
            if i < len(weights) - 1:
                h = anp.tanh(h) if activation == "tanh" else anp.maximum(h, 0.0)
        if loss == "mse":
            return anp.mean((h - target) ** 2)
        shifted = h - anp.max(h, axis=1, keepdims=True)
        logp = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        return -anp.mean(logp[np.arange(x.shape[0]), target])

    state = [p.copy() for p in params]
    grad_fn = autograd.value_and_grad(loss_fn)

    def step() -> Any:
        value, grads = grad_fn(state)
        for p, g in zip(state, grads, strict=True):
            p -= lr * g
        return value

    return step


# ----------------------------------------------------------------------------- the comparison
def compare_frameworks(result: Any, config: Any, params: list[np.ndarray], x: np.ndarray, target: np.ndarray,
                       activation: str, loss: str, lr: float) -> None:
    """Time one step of every available framework, interleaved, into ``result`` (ms per step)."""
    from . import peers
    from .config import HIPS, JAX_EAGER, JAX_JIT, NUMPY, OURS, OURS_JIT, OURS_NN, TORCH, TORCH_NN
    from .timing import check_steps, compare

    args = (params, x, target, activation, loss, lr)
    steps: dict[str, Step] = {NUMPY: numpy_step(*args), OURS: autodiff_step(*args)}
    steps[OURS_JIT], trace_seconds = autodiff_jit_step(*args)
    try:
        steps[OURS_NN] = autodiff_nn_step(*args)
    except ImportError as error:
        result.skip(OURS_NN, f"nn/optim not available ({error})")
    compile_seconds = None
    if config.peers:
        if peers.torch() is not None:
            steps[TORCH] = torch_step(*args)
            steps[TORCH_NN] = torch_nn_step(*args)
        else:
            result.skip(TORCH, peers.MISSING)
        if peers.jax() is not None:
            steps[JAX_EAGER], steps[JAX_JIT], compile_seconds = jax_steps(*args)
        else:
            result.skip("jax", peers.MISSING)
        if peers.hips() is not None:
            steps[HIPS] = hips_step(*args)
        else:
            result.skip(HIPS, peers.MISSING)
    check_steps(result, steps, NUMPY, rtol=1e-4 if np.dtype(params[0].dtype) == np.float32 else 1e-9)
    samples = compare(steps, config.rounds, config.min_sample)
    for name in steps:
        result.time(name, samples[name], unit="ms")
    result.value("autodiff jit trace (once)", trace_seconds * 1e3, "ms", reference=None)
    if compile_seconds is not None:
        result.value("jax jit compile (once)", compile_seconds * 1e3, "ms", reference=None)
