"""Every differentiable op, grouped by family; each file holds forwards and VJPs side by side."""

from .conv import conv2d, conv2d_transpose, conv2d_weight, max_pool2d
from .core import Op, apply, data_of, primitive, unbroadcast, unwrap_index
from .elementwise import (
    absolute,
    add,
    arccos,
    arcsin,
    arctan,
    astype,
    clip,
    cos,
    cosh,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    isfinite,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    power,
    relu,
    sigmoid,
    sign,
    sin,
    sinh,
    softplus,
    sqrt,
    subtract,
    tan,
    tanh,
    where,
)
from .index import getitem
from .linalg import det, dot, einsum, inv, matmul, norm, outer, solve
from .nnops import linear, log_softmax, softmax
from .reduce import argmax, argmin, logsumexp, max, mean, min, prod, std, sum, var
from .shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
)
from .special import erf, erfc

abs = absolute  # noqa: A001 (numpy's name)

__all__ = [
    "Op", "apply", "data_of", "primitive", "unbroadcast", "unwrap_index",
    "abs", "absolute", "add", "arccos", "arcsin", "arctan", "astype", "clip", "cos", "cosh", "divide",
    "equal", "erf", "erfc", "exp", "greater", "greater_equal", "isfinite", "less", "less_equal", "log", "log1p",
    "logical_and", "logical_not", "logical_or", "maximum", "minimum", "multiply", "negative",
    "not_equal", "power", "relu", "sigmoid", "sign", "sin", "sinh", "softplus", "sqrt", "subtract",
    "tan", "tanh", "where", "getitem", "det", "dot", "einsum", "inv", "matmul", "norm", "outer", "solve",
    "linear", "log_softmax", "softmax", "argmax", "argmin", "logsumexp", "max", "mean", "min", "prod", "std",
    "sum", "var", "broadcast_to", "concatenate", "expand_dims", "flatten", "reshape", "split",
    "squeeze", "stack", "swapaxes", "transpose",
    "conv2d", "conv2d_transpose", "conv2d_weight", "max_pool2d",
]
