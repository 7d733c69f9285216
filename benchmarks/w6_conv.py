"""W6: one training step of a small convolutional network on 8x8 images, batch 64, float32.

conv 1→8 (3x3, padding 1), ReLU, conv 8→16 (3x3, stride 2, padding 1), ReLU, flatten (256),
linear 256→10, softmax cross-entropy, plain SGD. Ours is ``autodiff.ops.conv2d`` (im2col by stride
tricks); the reference is the textbook hand-written numpy im2col/col2im convolution and its
backward pass. HIPS autograd has no 2-D convolution primitive, so it sits this one out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import peers
from .config import HIPS, JAX_EAGER, JAX_JIT, NUMPY, OURS, OURS_JIT, TORCH, Config
from .report import Result
from .timing import check_steps, compare, now

BATCH, SIZE, CLASSES, LR = 64, 8, 10, 0.05
CONVS = ((1, 8, 1, 1), (8, 16, 2, 1))  # (in channels, out channels, stride, padding), 3x3 kernels
Step = Callable[[], Any]


def parameters(seed: int = 1) -> list[np.ndarray]:
    """[w1, b1, w2, b2, W3, b3]: conv weights (out, in, 3, 3) as PyTorch lays them out, linear (in, out)."""
    rng = np.random.default_rng(seed)
    params = []
    for c_in, c_out, _, _ in CONVS:
        params += [rng.standard_normal((c_out, c_in, 3, 3)) / np.sqrt(9 * c_in), np.zeros(c_out)]
    features = CONVS[-1][1] * (SIZE // 2) ** 2
    params += [rng.standard_normal((features, CLASSES)) / np.sqrt(features), np.zeros(CLASSES)]
    return [p.astype(np.float32) for p in params]


def data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((BATCH, 1, SIZE, SIZE), dtype=np.float32), rng.integers(0, CLASSES, BATCH)


# ----------------------------------------------------------------------------- numpy by hand
def im2col(x: np.ndarray, k: int, stride: int, pad: int) -> tuple[np.ndarray, int, int]:
    """Rows of (N·OH·OW, C·k·k): every k x k window of the zero-padded x, one row per output pixel."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c, h, w = xp.shape
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    cols = np.empty((n, oh, ow, c, k, k), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            window = xp[:, :, i: i + stride * oh: stride, j: j + stride * ow: stride]
            cols[..., i, j] = window.transpose(0, 2, 3, 1)
    return cols.reshape(n * oh * ow, c * k * k), oh, ow


def col2im(dcols: np.ndarray, shape: tuple[int, ...], k: int, stride: int, pad: int, oh: int,
           ow: int) -> np.ndarray:
    """The adjoint of im2col: each row's entries added back at the window positions they came from."""
    n, c, h, w = shape
    dcols = dcols.reshape(n, oh, ow, c, k, k)
    dxp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=dcols.dtype)
    for i in range(k):
        for j in range(k):
            rows, columns = slice(i, i + stride * oh, stride), slice(j, j + stride * ow, stride)
            dxp[:, :, rows, columns] += dcols[..., i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, pad: pad + h, pad: pad + w]


def numpy_step(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> Step:
    params = [p.copy() for p in params]
    rows = np.arange(len(labels))

    def step() -> float:
        saved, h = [], x
        for layer, (_, c_out, stride, pad) in enumerate(CONVS):
            w, b = params[2 * layer], params[2 * layer + 1]
            cols, oh, ow = im2col(h, 3, stride, pad)
            active = np.maximum(cols @ w.reshape(c_out, -1).T + b, 0)  # (N·OH·OW, O)
            saved.append((h.shape, cols, oh, ow, active))
            h = active.reshape(h.shape[0], oh, ow, c_out).transpose(0, 3, 1, 2)
        flat = h.reshape(h.shape[0], -1)
        logits = flat @ params[4] + params[5]
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - shifted[rows, labels])
        dlogits = exp / total
        dlogits[rows, labels] -= 1.0
        dlogits *= 1.0 / len(labels)
        grads: list[Any] = [None] * len(params)
        grads[4], grads[5] = flat.T @ dlogits, dlogits.sum(axis=0)
        dh = (dlogits @ params[4].T).reshape(h.shape)
        for layer in reversed(range(len(CONVS))):
            _, c_out, stride, pad = CONVS[layer]
            shape, cols, oh, ow, active = saved[layer]
            w = params[2 * layer]
            dout = dh.transpose(0, 2, 3, 1).reshape(-1, c_out) * (active > 0)
            grads[2 * layer], grads[2 * layer + 1] = (dout.T @ cols).reshape(w.shape), dout.sum(axis=0)
            if layer > 0:
                dh = col2im(dout @ w.reshape(c_out, -1), shape, 3, stride, pad, oh, ow)
        for p, g in zip(params, grads, strict=True):
            p -= LR * g
        return loss

    return step


# ----------------------------------------------------------------------------- this project
def autodiff_step(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> Step:
    import autodiff as ad

    conv2d = ad.ops.conv2d
    tensors = [ad.tensor(p.copy(), requires_grad=True) for p in params]
    xt, rows = ad.tensor(x), np.arange(len(labels))

    def step() -> Any:
        h = xt
        for layer, (_, c_out, stride, pad) in enumerate(CONVS):
            w, b = tensors[2 * layer], tensors[2 * layer + 1]
            h = ad.relu(conv2d(h, w, stride=stride, padding=pad) + b.reshape(c_out, 1, 1))
        logits = h.reshape(h.shape[0], -1) @ tensors[4] + tensors[5]
        loss = -ad.log_softmax(logits, axis=1)[rows, labels].mean()
        loss.backward()
        for p in tensors:
            p.data -= LR * p.grad.data
            p.grad = None
        return loss

    return step


def autodiff_jit_step(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> tuple[Step, float]:
    """The same step as one function, ``ad.jit`` of the loss's gradient and the SGD update: (the step,
    seconds its first call took to trace)."""
    import autodiff as ad

    conv2d = ad.ops.conv2d
    rows = np.arange(len(labels))

    def loss_of(ps: list, x: Any) -> Any:
        h = x
        for layer, (_, c_out, stride, pad) in enumerate(CONVS):
            w, b = ps[2 * layer], ps[2 * layer + 1]
            h = ad.relu(conv2d(h, w, stride=stride, padding=pad) + b.reshape(c_out, 1, 1))
        logits = h.reshape(h.shape[0], -1) @ ps[4] + ps[5]
        return -ad.log_softmax(logits, axis=1)[rows, labels].mean()

    value_and_grad = ad.value_and_grad(loss_of)

    @ad.jit
    def update(ps: list, x: Any) -> Any:
        loss, grads = value_and_grad(ps, x)
        return loss, [p - LR * g for p, g in zip(ps, grads, strict=True)]

    state = [p.copy() for p in params]
    start = now()
    update(state, x)
    seconds = now() - start

    def step() -> Any:
        loss, state[:] = update(state, x)
        return loss

    return step, seconds


# ----------------------------------------------------------------------------- peers
def torch_step(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> Step:
    torch = peers.torch()
    conv2d = torch.nn.functional.conv2d
    tensors = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    xt, yt, rows = torch.from_numpy(x), torch.from_numpy(labels), torch.arange(len(labels))

    def step() -> Any:
        h = xt
        for layer, (_, _, stride, pad) in enumerate(CONVS):
            h = torch.relu(conv2d(h, tensors[2 * layer], tensors[2 * layer + 1], stride=stride, padding=pad))
        logits = h.reshape(h.shape[0], -1) @ tensors[4] + tensors[5]
        loss = -torch.log_softmax(logits, dim=1)[rows, yt].mean()
        loss.backward()
        with torch.no_grad():
            for p in tensors:
                p -= LR * p.grad
                p.grad = None
        return loss.detach()

    return step


def jax_steps(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> tuple[Step, Step, float]:
    jax = peers.jax()
    jnp, lax = jax.numpy, jax.lax

    def loss_fn(params, x, labels):
        h = x
        for layer, (_, _, stride, pad) in enumerate(CONVS):
            w, b = params[2 * layer], params[2 * layer + 1]
            h = lax.conv_general_dilated(h, w, (stride, stride), [(pad, pad), (pad, pad)])
            h = jax.nn.relu(h + b[:, None, None])
        logits = h.reshape(h.shape[0], -1) @ params[4] + params[5]
        return -jnp.mean(jax.nn.log_softmax(logits, axis=1)[jnp.arange(x.shape[0]), labels])

    return peers.jax_sgd_steps(loss_fn, params, x, labels, LR)


def run(config: Config) -> Result:
    result = Result("W6", "small conv net step: 8x8 images, batch 64, conv(1-8)-conv(8-16,/2)-linear, "
                    "float32, SGD", reference=NUMPY)
    params, (x, labels) = parameters(), data()
    steps: dict[str, Step] = {NUMPY: numpy_step(params, x, labels)}
    steps[OURS] = autodiff_step(params, x, labels)
    steps[OURS_JIT], trace_seconds = autodiff_jit_step(params, x, labels)
    compile_seconds = None
    if config.peers:
        if peers.torch() is not None:
            steps[TORCH] = torch_step(params, x, labels)
        else:
            result.skip(TORCH, peers.MISSING)
        if peers.jax() is not None:
            steps[JAX_EAGER], steps[JAX_JIT], compile_seconds = jax_steps(params, x, labels)
        else:
            result.skip("jax", peers.MISSING)
        result.skip(HIPS, "it has no 2-D convolution primitive")
    check_steps(result, steps, NUMPY, rtol=1e-4)
    samples = compare(steps, config.rounds, config.min_sample)
    for name in steps:
        result.time(name, samples[name], unit="ms")
    if compile_seconds is not None:
        result.value("jax jit compile (once)", compile_seconds * 1e3, "ms", reference=None)
    result.value("autodiff jit trace (once)", trace_seconds * 1e3, "ms", reference=None)
    result.target(f"{OURS_JIT} / {OURS} time <= 1.0 (jit no slower than eager)", result.ratio(OURS_JIT, OURS, "ms"),
                  1.0)
    return result
