"""Convolution and pooling over images laid out (N, C, H, W): conv2d and max_pool2d.

No Python loop runs over pixels. The forward of ``conv2d`` is im2col followed by one BLAS matrix
product: the columns (C·kh·kw, N·OH·OW) are filled by one strided-slice copy per kernel offset
(kh·kw copies of whole arrays), which is several times faster than reshaping a
``sliding_window_view``. Its two VJPs are themselves ops, and the three are each other's VJPs,
because convolution is bilinear:

    y = conv2d(x, w)                     ∂/∂x: conv2d_transpose(g, w)    ∂/∂w: conv2d_weight(x, g)
    z = conv2d_transpose(dy, w)          ∂/∂dy: conv2d(g, w)              ∂/∂w: conv2d_weight(g, dy)
    k = conv2d_weight(x, dy)             ∂/∂x: conv2d_transpose(dy, g)   ∂/∂dy: conv2d(x, g)

so gradients of any order work. The transposed convolution adds the columns back (col2im) with
the same loop over kernel offsets. A first-order backward costs two matrix products and one
im2col of x (recomputed: VJPs receive only the op's inputs and output).

``max_pool2d`` reads its windows through ``sliding_window_view`` (a reshape when the windows tile
the image) and routes each window's cotangent to the position of its maximum (the first one on
ties, as PyTorch does). That routing (a scatter) and its adjoint (a gather of the same positions)
are a pair of ops that are each other's VJPs, so pooling is differentiable to any order too (its
derivative with respect to the input positions is zero almost everywhere).

Leading batch axes of a cotangent (vectorised Jacobians, ``ad.hessian``) are supported in any one
argument of each op: its extra leading axes come first in the result.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import ShapeError
from . import series
from .record import primitive


def _pair(value, name: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    pair = tuple(int(v) for v in value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return pair  # type: ignore[return-value]


def _pad(x: np.ndarray, padding: tuple[int, int], value: float = 0.0) -> np.ndarray:
    """x (..., H, W) with ``padding`` rows and columns of ``value`` on each side (x itself if none)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    h, w = x.shape[-2:]
    if value == -np.inf and np.issubdtype(x.dtype, np.integer):  # integers have no -inf: their minimum
        value = np.iinfo(x.dtype).min
    padded = np.full(x.shape[:-2] + (h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    padded[..., ph: ph + h, pw: pw + w] = x
    return padded


def _windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """A view (..., C, OH, OW, kh, kw) of the windows of x (..., C, H, W): no copy."""
    view = sliding_window_view(x, kernel, axis=(-2, -1))
    return view[..., :: stride[0], :: stride[1], :, :]


def _out_size(size: int, kernel: int, stride: int, padding: int, op: str) -> int:
    if size + 2 * padding < kernel:
        raise ShapeError(f"{op}: the kernel ({kernel}) is larger than the padded input "
                         f"({size + 2 * padding})")
    return (size + 2 * padding - kernel) // stride + 1


def _scatter_windows(cols: np.ndarray, size: tuple[int, int], stride: tuple[int, int],
                     padding: tuple[int, int]) -> np.ndarray:
    """The adjoint of ``_windows`` (col2im): entries (..., C, OH, OW, kh, kw) added into (..., C, H, W)."""
    oh, ow, kh, kw = cols.shape[-4:]
    sh, sw = stride
    ph, pw = padding
    image = np.zeros(cols.shape[:-4] + (size[0] + 2 * ph, size[1] + 2 * pw), dtype=cols.dtype)
    for i in range(kh):  # a loop over kernel offsets: each step adds a whole strided slice
        for j in range(kw):
            image[..., i: i + sh * (oh - 1) + 1: sh, j: j + sw * (ow - 1) + 1: sw] += cols[..., i, j]
    return image[..., ph: ph + size[0], pw: pw + size[1]]


# ----------------------------------------------------------------------------- convolution
def _check_conv(x, w, op: str) -> None:
    if np.ndim(w) < 4:
        raise ShapeError(f"{op}: the weight must be 4-D (out_channels, in_channels, kh, kw), "
                         f"got shape {np.shape(w)}")
    if np.ndim(x) < 3:
        raise ShapeError(f"{op}: the input must be (N, C, H, W) or (C, H, W), got shape {np.shape(x)}")
    if np.shape(x)[-3] != np.shape(w)[-3]:
        raise ShapeError(f"{op}: the input has {np.shape(x)[-3]} channels (shape {np.shape(x)}) but "
                         f"the weight expects {np.shape(w)[-3]} (weight shape {np.shape(w)})")


def _slices(i: int, j: int, out_hw: tuple[int, int], stride: tuple[int, int]) -> tuple:
    """The padded-image positions that kernel offset (i, j) meets, over all output positions."""
    (oh, ow), (sh, sw) = out_hw, stride
    return (Ellipsis, slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw))


def _im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
            op: str) -> tuple[np.ndarray, tuple[int, int]]:
    """x (N, C, H, W) -> columns (C·kh·kw, N·OH·OW): one copy per kernel offset, channel-major."""
    n, c, h, w = x.shape
    out_hw = (_out_size(h, kernel[0], stride[0], padding[0], op),
              _out_size(w, kernel[1], stride[1], padding[1], op))
    padded = _pad(x, padding)
    cols = np.empty((c, kernel[0], kernel[1], n) + out_hw, dtype=x.dtype)
    for i in range(kernel[0]):  # a loop over kernel offsets, never over pixels
        for j in range(kernel[1]):
            cols[:, i, j] = padded[_slices(i, j, out_hw, stride)].transpose(1, 0, 2, 3)
    return cols.reshape(c * kernel[0] * kernel[1], -1), out_hw


def _col2im(cols: np.ndarray, shape: tuple[int, ...], kernel: tuple[int, int], out_hw: tuple[int, int],
            stride: tuple[int, int], padding: tuple[int, int]) -> np.ndarray:
    """The adjoint of ``_im2col``: columns (C·kh·kw, N·OH·OW) added back into an image (N, C, H, W)."""
    n, c, h, w = shape
    (ph, pw) = padding
    cols = cols.reshape((c, kernel[0], kernel[1], n) + out_hw)
    padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            padded[_slices(i, j, out_hw, stride)] += cols[:, i, j].transpose(1, 0, 2, 3)
    return padded[..., ph: ph + h, pw: pw + w]


def _as_batch(x: np.ndarray) -> np.ndarray:
    """(..., C, H, W) -> (N, C, H, W) with every leading axis merged into N."""
    return x.reshape((-1,) + x.shape[-3:])


def _conv2d_forward(x, w, stride=1, padding=0):
    x, w = np.asarray(x), np.asarray(w)
    _check_conv(x, w, "conv2d")
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    lead, o = w.shape[:-4], w.shape[-4]  # lead: cotangent-batch axes of a weight-shaped cotangent
    cols, out_hw = _im2col(_as_batch(x), w.shape[-2:], stride, padding, "conv2d")
    out = w.reshape(lead + (o, -1)) @ cols  # W (O, C·kh·kw) @ im2col: (O, N·OH·OW)
    out = np.moveaxis(out.reshape(lead + (o, -1) + out_hw), -4, -3)  # (…, N, O, OH, OW)
    return out.reshape(lead + x.shape[:-3] + (o,) + out_hw)


def _conv2d_transpose_forward(dy, w, size, stride=1, padding=0):
    """The adjoint of conv2d in x: (..., O, OH, OW) -> (..., C, H, W) with (H, W) = size."""
    dy, w = np.asarray(dy), np.asarray(w)
    if np.ndim(w) < 4 or np.ndim(dy) < 3 or np.shape(dy)[-3] != np.shape(w)[-4]:
        raise ShapeError(f"conv2d_transpose: an input of shape {np.shape(dy)} does not fit "
                         f"a weight of shape {np.shape(w)}")
    lead, (o, c, kh, kw) = w.shape[:-4], w.shape[-4:]
    batch = _as_batch(dy)
    rows = np.moveaxis(batch, 1, 0).reshape(o, -1)  # (O, N·OH·OW)
    cols = np.swapaxes(w.reshape(lead + (o, -1)), -1, -2) @ rows  # Wᵀ dy: (…, C·kh·kw, N·OH·OW)
    copies = math.prod(lead)  # a batched weight gives one image per cotangent: fold them into N
    cols = np.moveaxis(cols.reshape(copies, c * kh * kw, -1), 0, 1).reshape(c * kh * kw, -1)
    size = _pair(size, "size")
    image = _col2im(cols, (copies * batch.shape[0], c) + size, (kh, kw), dy.shape[-2:],
                    _pair(stride, "stride"), _pair(padding, "padding"))
    return image.reshape(lead + dy.shape[:-3] + (c,) + size)


def _conv2d_weight_forward(x, dy, kernel_size, stride=1, padding=0):
    """The adjoint of conv2d in w: Σ over batch and positions of dy ⊗ windows(x), (..., O, C, kh, kw)."""
    x, dy = np.asarray(x), np.asarray(dy)
    kernel, stride, padding = _pair(kernel_size, "kernel_size"), _pair(stride, "stride"), _pair(padding, "padding")
    o, c = dy.shape[-3], x.shape[-3]
    if dy.ndim >= x.ndim:  # cotangent-batch axes (vectorised Jacobians), if any, lead dy
        lead = dy.shape[: dy.ndim - x.ndim]
        cols, _ = _im2col(_as_batch(x), kernel, stride, padding, "conv2d_weight")
        rows = np.moveaxis(dy.reshape(lead + (-1, o) + dy.shape[-2:]), -3, -4).reshape(lead + (o, -1))
        grad = rows @ cols.T  # dy (…, O, N·OH·OW) @ im2colᵀ: (…, O, C·kh·kw)
    else:  # they lead x (an image-shaped cotangent)
        lead = x.shape[: x.ndim - dy.ndim]
        cols, _ = _im2col(_as_batch(x), kernel, stride, padding, "conv2d_weight")
        cols = np.transpose(cols.reshape(cols.shape[0], math.prod(lead), -1), (1, 2, 0))  # (…, N·OH·OW, C·kh·kw)
        grad = np.moveaxis(_as_batch(dy), 1, 0).reshape(o, -1) @ cols
    return grad.reshape(lead + (o, c) + kernel)


def _conv2d_vjp_x(g, out, x, w, stride=1, padding=0):  # ∂(x⋆w)/∂x: g correlated back with w
    return conv2d_transpose(g, w, size=np.shape(x)[-2:], stride=stride, padding=padding)


def _conv2d_vjp_w(g, out, x, w, stride=1, padding=0):  # ∂(x⋆w)/∂w: Σ g ⊗ windows(x)
    return conv2d_weight(x, g, kernel_size=np.shape(w)[-2:], stride=stride, padding=padding)


def _transpose_vjp_dy(g, out, dy, w, size, stride=1, padding=0):  # adjoint of the adjoint: conv2d
    return conv2d(g, w, stride=stride, padding=padding)


def _transpose_vjp_w(g, out, dy, w, size, stride=1, padding=0):  # ⟨convᵀ(dy, w), g⟩ = ⟨dy, g⋆w⟩
    return conv2d_weight(g, dy, kernel_size=np.shape(w)[-2:], stride=stride, padding=padding)


def _weight_vjp_x(g, out, x, dy, kernel_size, stride=1, padding=0):  # ⟨convW(x, dy), g⟩ = ⟨x, convᵀ(dy, g)⟩
    return conv2d_transpose(dy, g, size=np.shape(x)[-2:], stride=stride, padding=padding)


def _weight_vjp_dy(g, out, x, dy, kernel_size, stride=1, padding=0):  # ⟨convW(x, dy), g⟩ = ⟨x⋆g, dy⟩
    return conv2d(x, g, stride=stride, padding=padding)


def _bilinear_jet(forward):  # conv2d and its adjoints are bilinear in their two inputs
    return lambda node, a, b, **params: series.bilinear(lambda p, q: forward(p, q, **params), a, b)


conv2d = primitive(
    "conv2d", _conv2d_forward, _conv2d_vjp_x, _conv2d_vjp_w, inputs=("x", "w"),
    formula="conv2d(x, w, stride=stride, padding=padding)",
    vjp_rules=("conv2d_transpose(g, w, size=x.shape[-2:])", "conv2d_weight(x, g, kernel_size=w.shape[-2:])"),
    tangent="conv2d(dx, w) + conv2d(x, dw)", jet=_bilinear_jet(_conv2d_forward),
    doc="2-D cross-correlation (PyTorch's conv2d without bias): x (N, C, H, W), w (O, C, kh, kw) -> "
        "(N, O, OH, OW).\n\n``stride`` and ``padding`` (zeros) are ints or (h, w) pairs.\n\n"
        ">>> import numpy as np\n>>> conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))\n"
        "array([[[[4., 4.],\n         [4., 4.]]]])",
)
conv2d_transpose = primitive(
    "conv2d_transpose", _conv2d_transpose_forward, _transpose_vjp_dy, _transpose_vjp_w, inputs=("dy", "w"),
    formula="conv2d_transpose(dy, w, size=size, stride=stride, padding=padding)",
    vjp_rules=("conv2d(g, w)", "conv2d_weight(g, dy, kernel_size=w.shape[-2:])"),
    tangent="conv2d_transpose(ddy, w) + conv2d_transpose(dy, dw)", jet=_bilinear_jet(_conv2d_transpose_forward),
    doc="The adjoint of conv2d in its input (a transposed convolution): (N, O, OH, OW) -> (N, C, *size).",
)
conv2d_weight = primitive(
    "conv2d_weight", _conv2d_weight_forward, _weight_vjp_x, _weight_vjp_dy, inputs=("x", "dy"),
    formula="conv2d_weight(x, dy, kernel_size=kernel_size, stride=stride, padding=padding)",
    vjp_rules=("conv2d_transpose(dy, g, size=x.shape[-2:])", "conv2d(x, g)"),
    tangent="conv2d_weight(dx, dy) + conv2d_weight(x, ddy)", jet=_bilinear_jet(_conv2d_weight_forward),
    doc="The adjoint of conv2d in its weight: x (N, C, H, W), dy (N, O, OH, OW) -> (O, C, kh, kw).",
)


# ----------------------------------------------------------------------------- max pooling
def _pool_params(x, kernel_size, stride, padding):
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    if padding[0] * 2 > kernel[0] or padding[1] * 2 > kernel[1]:
        raise ValueError(f"max_pool2d: padding {padding} must be at most half the kernel size {kernel}")
    if np.ndim(x) < 3:
        raise ShapeError(f"max_pool2d: the input must be (N, C, H, W) or (C, H, W), got shape {np.shape(x)}")
    for axis in (0, 1):
        _out_size(np.shape(x)[axis - 2], kernel[axis], stride[axis], padding[axis], "max_pool2d")
    return kernel, stride, padding


def _argmax_in_windows(x, kernel, stride, padding) -> np.ndarray:
    """For each window, the flat offset (i·kw + j) of its first maximum: (..., C, OH, OW)."""
    windows = _windows(_pad(np.asarray(x), padding, -np.inf), kernel, stride)
    return windows.reshape(windows.shape[:-2] + (-1,)).argmax(axis=-1)


def _max_pool2d_forward(x, kernel_size, stride=None, padding=0):
    x = np.asarray(x)
    kernel, stride, padding = _pool_params(x, kernel_size, stride, padding)
    h, w = x.shape[-2:]
    if stride == kernel and padding == (0, 0) and h % kernel[0] == 0 and w % kernel[1] == 0:
        blocks = x.reshape(x.shape[:-2] + (h // kernel[0], kernel[0], w // kernel[1], kernel[1]))
        return blocks.max(axis=(-3, -1))  # non-overlapping windows: a reshape, no window view
    return _windows(_pad(x, padding, -np.inf), kernel, stride).max(axis=(-2, -1))


def _route_forward(dy, x, kernel_size, stride=None, padding=0):
    """Each window's cotangent dy (..., C, OH, OW) added at its argmax position in x's shape."""
    dy = np.asarray(dy)
    kernel, stride, padding = _pool_params(x, kernel_size, stride, padding)
    hits = _argmax_in_windows(x, kernel, stride, padding)
    offsets = np.arange(kernel[0] * kernel[1]).reshape(kernel)
    cols = np.where(hits[..., None, None] == offsets, dy[..., None, None], 0).astype(dy.dtype, copy=False)
    return _scatter_windows(cols, np.shape(x)[-2:], stride, padding)


def _gather_forward(dx, x, kernel_size, stride=None, padding=0):
    """The values of dx (x's shape, with leading axes allowed) at each window's argmax: (..., C, OH, OW)."""
    dx = np.asarray(dx)
    kernel, stride, padding = _pool_params(x, kernel_size, stride, padding)
    hits = _argmax_in_windows(x, kernel, stride, padding)
    windows = _windows(_pad(dx, padding), kernel, stride)
    flat = windows.reshape(windows.shape[:-2] + (-1,))
    return np.take_along_axis(flat, np.broadcast_to(hits, flat.shape[:-1])[..., None], axis=-1)[..., 0]


def _zero_vjp(g, out, values, x, **params):  # the argmax positions are piecewise constant in x
    return x * 0.0


def _max_pool2d_vjp(g, out, x, kernel_size, stride=None, padding=0):  # ∂max/∂xᵢ = [i is the argmax]
    return _route(g, x, kernel_size=kernel_size, stride=stride, padding=padding)


def _routing_jet(forward):  # linear in its first input; the argmax positions come from x's value
    return lambda node, values, x, **params: series.per_coefficient(lambda c: forward(c, x[0], **params), values)


# The routing pair: each is the other's adjoint, so their records mirror each other (on purpose).
_route = primitive(
    "max_pool2d_route", _route_forward,
    lambda g, out, dy, x, **p: _gather(g, x, **p),  # the adjoint of a scatter is the gather
    _zero_vjp, inputs=("dy", "x"), formula="max_pool2d_route(dy, x, kernel_size=kernel_size)",
    vjp_rules=("max_pool2d_gather(g, x)", "0"), tangent="max_pool2d_route(ddy, x)",
    jet=_routing_jet(_route_forward), public=False,
)
_gather = primitive(
    "max_pool2d_gather", _gather_forward,
    lambda g, out, dx, x, **p: _route(g, x, **p),  # the adjoint of a gather is the scatter
    _zero_vjp, inputs=("dx", "x"), formula="max_pool2d_gather(dx, x, kernel_size=kernel_size)",
    vjp_rules=("max_pool2d_route(g, x)", "0"), tangent="max_pool2d_gather(ddx, x)",
    jet=_routing_jet(_gather_forward), public=False,
)
max_pool2d = primitive(
    "max_pool2d", _max_pool2d_forward, _max_pool2d_vjp,
    formula="max_pool2d(x, kernel_size, stride=stride, padding=padding)",
    vjp_rules=("route_to_argmax(g, x)",), tangent="take_at_argmax(dx, x)",
    jet=lambda node, u, **params: series.per_coefficient(lambda c: _gather_forward(c, u[0], **params), u),
    doc="Maximum over kh×kw windows of x (N, C, H, W); ``stride`` defaults to the kernel size, "
        "``padding`` pads with -inf.\n\n"
        ">>> import numpy as np\n>>> max_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)\n"
        "array([[[[ 5.,  7.],\n         [13., 15.]]]])",
)
