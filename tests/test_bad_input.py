"""Bad input: every mistake gets an exception that says what was wrong, and nothing is half-changed.

``CASES`` is the table of bad inputs (engine, nn, optim, save files, expressions) with the exception
type and a fragment its message must contain; ``CLI_CASES`` does the same for the ``autodiff``
command. ``docs/errors.md`` is generated from these tables with the real messages:

    python -m tests.test_bad_input > docs/errors.md

The second half checks atomicity: a failed ``load_state_dict``, optimizer step, optimizer
``load_state_dict``, backward pass or save leaves models, parameters, gradients and files as they were.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autodiff as ad

try:  # the nn and optim rows are skipped where those packages are missing
    import nn
    import optim
except ImportError:  # pragma: no cover
    nn = optim = None

DOCS = Path(__file__).resolve().parent.parent / "docs" / "errors.md"


@dataclass
class Case:
    id: str
    family: str
    call: Callable[[Path], Any]  # gets a fresh temporary directory
    error: type[BaseException] | tuple[type[BaseException], ...]
    match: str  # a regular expression the message must contain
    needs_nn: bool = False


CASES: list[Case] = []


def case(id: str, family: str, error: type[BaseException], match: str, needs_nn: bool = False):
    def register(call: Callable[[Path], Any]) -> Callable[[Path], Any]:
        CASES.append(Case(id, family, call, error, match, needs_nn))
        return call
    return register


def add(id: str, family: str, call: Callable[[], Any], error: type[BaseException], match: str,
        needs_nn: bool = False) -> None:
    CASES.append(Case(id, family, lambda tmp: call(), error, match, needs_nn))


def leaf(*shape: int) -> ad.Tensor:
    return ad.tensor(np.ones(shape), requires_grad=True)


A, B = leaf(2, 3), leaf(4, 5)


# ----------------------------------------------------------------------------- elementwise
for _name, _fn in [("add", ad.add), ("subtract", ad.subtract), ("multiply", ad.multiply), ("divide", ad.divide),
                   ("power", ad.power), ("maximum", ad.maximum), ("minimum", ad.minimum)]:
    add(f"{_name}-shapes", "elementwise", lambda fn=_fn: fn(A, B), ad.ShapeError,
        rf"{_name}: inputs of shapes \(2, 3\) and \(4, 5\) do not fit")
add("operator-shapes", "elementwise", lambda: A * B + A, ad.ShapeError,
    r"multiply: inputs of shapes \(2, 3\) and \(4, 5\)")
add("where-shapes", "elementwise", lambda: ad.where(np.ones((2, 2), bool), A, A), ad.ShapeError,
    r"where: inputs of shapes \(2, 2\) and \(2, 3\) and \(2, 3\)")
add("clip-bounds-shape", "elementwise", lambda: ad.clip(A, np.zeros(4), None), ad.ShapeError,
    r"clip: inputs of shapes \(2, 3\) and \(4,\)")

# ----------------------------------------------------------------------------- reductions
for _name in ["sum", "mean", "var", "std", "max", "min", "prod", "logsumexp"]:
    add(f"{_name}-axis-out-of-range", "reductions", lambda n=_name: getattr(ad, n)(A, axis=2), ad.ShapeError,
        rf"{_name}: .*axis 2 is out of bounds for array of dimension 2")
add("sum-negative-axis-out-of-range", "reductions", lambda: ad.sum(A, axis=-3), ad.ShapeError,
    "axis -3 is out of bounds")
add("mean-repeated-axis", "reductions", lambda: ad.mean(A, axis=(0, 0)), ad.ShapeError,
    "mean: .*duplicate value in 'axis'")
add("softmax-axis", "reductions", lambda: ad.softmax(A, axis=2), ad.ShapeError, "softmax: .*axis 2 is out of bounds")
add("log_softmax-axis", "reductions", lambda: ad.log_softmax(A, axis=-3), ad.ShapeError, "log_softmax: .*axis -3")
add("norm-axis", "reductions", lambda: ad.norm(A, axis=2), ad.ShapeError, "norm: .*axis 2 is out of bounds")
add("norm-matrix-ord", "reductions", lambda: ad.norm(A, ord=1), NotImplementedError,
    "ord=1 over a matrix is not supported")
add("sum-float-axis", "reductions", lambda: ad.sum(A, axis=1.5), TypeError,
    "sum: 'float' object cannot be interpreted as an integer")
add("argmax-axis", "reductions", lambda: ad.argmax(A, axis=2), np.exceptions.AxisError, "axis 2 is out of bounds")
add("max-of-empty", "reductions", lambda: ad.max(leaf(0)), ValueError, "zero-size array to reduction operation maximum")

# ----------------------------------------------------------------------------- matmul and einsum
add("matmul-inner-sizes", "matmul", lambda: A @ B, ad.ShapeError,
    r"matmul: inputs of shapes \(2, 3\) and \(4, 5\) do not fit.*size 4 is different from 3")
add("matmul-vector", "matmul", lambda: A @ leaf(4), ad.ShapeError, r"matmul: inputs of shapes \(2, 3\) and \(4,\)")
add("matmul-scalar", "matmul", lambda: ad.matmul(A, leaf()), ad.ShapeError,
    "matmul: .*at least one dimension|not have enough dimensions")
add("dot-inner-sizes", "matmul", lambda: ad.dot(A, B), ad.ShapeError, r"\(2, 3\) and \(4, 5\)")
add("einsum-operand-count", "einsum", lambda: ad.einsum("ij,jk->ik", A), ad.ShapeError,
    "einsum: subscripts 'ij,jk->ik' name 2 operands, got 1")
add("einsum-sizes", "einsum", lambda: ad.einsum("ij,jk->ik", A, A), ad.ShapeError,
    r"einsum: inputs of shapes \(2, 3\) and \(2, 3\)")
add("einsum-too-many-letters", "einsum", lambda: ad.einsum("ijk->i", A), ValueError,
    "too many subscripts for operand 0")
add("einsum-bad-letter", "einsum", lambda: ad.einsum("i$->", A), ValueError, "invalid subscript '\\$'")

# ----------------------------------------------------------------------------- solve, inv, det
add("solve-non-square", "linalg", lambda: ad.solve(A, leaf(3)), ad.ShapeError,
    r"solve: needs square matrices .* got shape \(2, 3\)")
add("solve-rhs", "linalg", lambda: ad.solve(ad.eye(3), ad.ones(4)), ad.ShapeError,
    r"solve: a of shape \(3, 3\) needs b of shape \(3,\) or \(\.\.\., 3, k\), got \(4,\)")
add("inv-non-square", "linalg", lambda: ad.inv(A), ad.ShapeError, r"inv: needs square matrices")
add("det-vector", "linalg", lambda: ad.det(leaf(3)), ad.ShapeError, r"det: needs square matrices .* got shape \(3,\)")
_SINGULAR = np.linalg.LinAlgError  # numpy's type, with the op's name added
add("inv-singular", "linalg", lambda: ad.inv(ad.zeros(2, 2)), _SINGULAR, "inv: Singular matrix")
add("solve-singular", "linalg", lambda: ad.solve(ad.zeros(2, 2), ad.ones(2)), _SINGULAR, "Singular matrix")

# ----------------------------------------------------------------------------- shape ops
add("reshape-size", "shape", lambda: ad.reshape(A, (4, 2)), ad.ShapeError,
    r"reshape: inputs of shapes \(2, 3\) do not fit: cannot reshape array of size 6 into shape \(4,2\)")
add("reshape-two-unknowns", "shape", lambda: ad.reshape(A, (-1, -1)), ad.ShapeError,
    "can only specify one unknown dimension")
add("transpose-repeated-axis", "shape", lambda: ad.transpose(A, (0, 0)), ad.ShapeError, "transpose: .*repeated axis")
add("transpose-axes-count", "shape", lambda: ad.transpose(A, (0, 1, 2)), ad.ShapeError,
    "transpose: .*axes don't match array")
add("swapaxes-axis", "shape", lambda: ad.swapaxes(A, 0, 5), ad.ShapeError, "swapaxes: .*axis 5 is out of bounds")
add("squeeze-non-singleton", "shape", lambda: ad.squeeze(A, axis=0), ad.ShapeError, "squeeze: .*size not equal to one")
add("expand_dims-axis", "shape", lambda: ad.expand_dims(A, 5), ad.ShapeError, "expand_dims: .*axis 5 is out of bounds")
add("broadcast_to-shape", "shape", lambda: ad.broadcast_to(A, (3, 3)), ad.ShapeError,
    r"broadcast_to: .*from shape \(2,3\) into shape \(3,3\)")

# ----------------------------------------------------------------------------- concatenate, stack, split
add("concatenate-shapes", "join", lambda: ad.concatenate([A, B]), ad.ShapeError,
    r"concatenate: inputs of shapes \(2, 3\) and \(4, 5\) do not fit")
add("concatenate-ndim", "join", lambda: ad.concatenate([A, leaf(3)]), ad.ShapeError, "same number of dimensions")
add("concatenate-axis", "join", lambda: ad.concatenate([A, A], axis=3), ad.ShapeError, "axis 3 is out of bounds")
add("concatenate-nothing", "join", lambda: ad.concatenate([]), ad.ShapeError, "concatenate: needs at least one tensor")
add("stack-shapes", "join", lambda: ad.stack([A, B]), ad.ShapeError,
    r"stack: all inputs must have the same shape, got \[\(2, 3\), \(4, 5\)\]")
add("stack-nothing", "join", lambda: ad.stack([]), ad.ShapeError, "stack: needs at least one tensor")
add("stack-axis", "join", lambda: ad.stack([A, A], axis=4), ad.ShapeError, "axis 4 is out of bounds")
add("split-unequal", "join", lambda: ad.split(A, 4, axis=1), ad.ShapeError,
    "split: cannot split an axis of length 3 into 4 equal parts")
add("split-axis", "join", lambda: ad.split(A, 2, axis=3), ad.ShapeError,
    "split: axis 3 is out of range for an input with 2 dimensions")

# ----------------------------------------------------------------------------- indexing
add("index-out-of-bounds", "indexing", lambda: A[5], IndexError, "index 5 is out of bounds for axis 0 with size 2")
add("index-too-many", "indexing", lambda: A[0, 0, 0], IndexError, "too many indices")
add("index-float", "indexing", lambda: A[1.5], IndexError, "only integers, slices")
add("index-string", "indexing", lambda: A["x"], IndexError, "only integers, slices")
add("index-array-out-of-bounds", "indexing", lambda: A[np.array([0, 7])], IndexError, "index 7 is out of bounds")
add("index-mask-shape", "indexing", lambda: A[np.ones(5, bool)], IndexError, "boolean index did not match")
add("index-float-tensor", "indexing", lambda: A[ad.tensor([0.0, 1.0])], IndexError, "must be of integer")

# ----------------------------------------------------------------------------- backward and gradients
add("backward-non-scalar", "backward", lambda: (A * 2).backward(), RuntimeError,
    r"backward\(\) on an output of shape \(2, 3\) needs the cotangent: pass gradient=")
add("backward-gradient-shape", "backward", lambda: (A * 2).backward(np.ones(3)), ad.ShapeError,
    r"the cotangent has shape \(3,\), expected the output's shape \(2, 3\)")
add("backward-without-grad", "backward", lambda: ad.tensor(1.0).backward(), RuntimeError,
    "backward.. on a tensor that does not require grad")


@case("backward-twice", "backward", ad.GraphFreedError, "backward through the graph a second time.*retain_graph=True")
def _backward_twice(tmp: Path) -> None:
    loss = (ad.exp(A) * A).sum()
    loss.backward()
    loss.backward()


add("gradients-input-not-tensor", "backward", lambda: ad.gradients((A * 2).sum(), [1.0]), TypeError,
    "gradients: input 0 is a float, expected a Tensor")
add("gradients-input-without-grad", "backward", lambda: ad.gradients((A * 2).sum(), ad.ones(2)), RuntimeError,
    "input 0 does not require grad")
add("gradients-input-unused", "backward", lambda: ad.gradients((A * 2).sum(), [A, leaf(2)]), RuntimeError,
    "input 1 was not used to compute the outputs; pass allow_unused=True")
add("gradients-output-constant", "backward", lambda: ad.gradients(ad.tensor(1.0), A), RuntimeError,
    "output 0 does not depend on any input that requires grad")
add("gradients-grad_outputs-count", "backward", lambda: ad.gradients([A * 1, A * 2], A, grad_outputs=[1.0]),
    ValueError, r"expected one grad_output per output \(2\)")
add("gradients-batched-shape", "backward",
    lambda: ad.gradients(A * 2, A, grad_outputs=np.ones((4, 3, 2)), is_grads_batched=True), ad.ShapeError,
    "after a leading batch axis")
add("hook-gradient-shape", "backward",
    lambda: (lambda t: (t.register_hook(lambda g: ad.ones(5)), (t * 2).sum().backward()))(leaf(3)),
    ad.ShapeError, r"a hook returned a gradient of shape \(5,\), expected \(3,\)")


class _TwoInputsOneGradient(ad.Function):
    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad):
        return grad  # should be two gradients


add("function-gradient-count", "backward", lambda: _TwoInputsOneGradient.apply(A, A).sum().backward(), RuntimeError,
    r"_TwoInputsOneGradient.backward returned 1 gradients, expected one per input of forward \(2\)")


# ----------------------------------------------------------------------------- in-place changes
@case("inplace-saved-input", "in-place", ad.InPlaceError, "an input or the output of 'multiply' was changed in place")
def _inplace_saved(tmp: Path) -> None:
    x, w = leaf(3), ad.tensor(np.ones(3))
    loss = (x * w).sum()
    with ad.no_grad():
        w.add_(1.0)
    loss.backward()


@case("inplace-saved-output", "in-place", ad.InPlaceError, "of '(sum|exp)' was changed in place")
def _inplace_output(tmp: Path) -> None:
    y = ad.exp(leaf(3))  # exp saves its output
    loss = y.sum()
    with ad.no_grad():
        y.mul_(2.0)
    loss.backward()


add("inplace-on-leaf-requiring-grad", "in-place", lambda: leaf(3).add_(1.0), ad.InPlaceError,
    "in-place change of a tensor that requires grad while grad mode is on")
add("setitem-on-leaf-requiring-grad", "in-place", lambda: leaf(3).__setitem__(0, 5.0), ad.InPlaceError,
    "in-place change of a tensor that requires grad")

# ----------------------------------------------------------------------------- dtypes
_REQUIRES_FLOAT = "only floating-point .* tensors can require grad, got dtype="
add("int-tensor-requires-grad", "dtype", lambda: ad.tensor([1, 2], requires_grad=True), ad.DtypeError,
    _REQUIRES_FLOAT + "int64")
add("bool-tensor-requires-grad", "dtype", lambda: ad.tensor([True], requires_grad=True), ad.DtypeError,
    _REQUIRES_FLOAT + "bool")
add("int-requires_grad_", "dtype", lambda: ad.tensor([1, 2]).requires_grad_(), ad.DtypeError, _REQUIRES_FLOAT)
add("int-zeros-requires-grad", "dtype", lambda: ad.zeros(2, dtype=np.int32, requires_grad=True), ad.DtypeError,
    _REQUIRES_FLOAT + "int32")
add("int-arange-requires-grad", "dtype", lambda: ad.arange(3, requires_grad=True), ad.DtypeError, _REQUIRES_FLOAT)
add("int-Tensor-requires-grad", "dtype", lambda: ad.Tensor(np.arange(3), requires_grad=True), ad.DtypeError,
    _REQUIRES_FLOAT)
add("string-tensor", "dtype", lambda: ad.tensor(["a", "b"]), ad.DtypeError,
    r"cannot make a tensor .*dtype=<U1.*tensors hold numbers or booleans")
add("object-tensor", "dtype", lambda: ad.tensor({"a": 1}), ad.DtypeError, "dtype=object")
add("ragged-tensor", "dtype", lambda: ad.tensor([[1.0], [1.0, 2.0]]), ValueError, "inhomogeneous shape")

# ----------------------------------------------------------------------------- anomaly detection
_NAN_WARNINGS = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _anomaly(f: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with ad.detect_anomaly(), np.errstate(all="ignore"):
            return f()
    return run


add("anomaly-forward-nan", "anomaly", _anomaly(lambda: leaf(2) * 0.0 / 0.0), ad.AnomalyError,
    r"forward of 'divide' produced non-finite values \(2 of 2 entries are nan or inf\)")
add("anomaly-forward-inf", "anomaly", _anomaly(lambda: ad.log(ad.tensor([0.0, 1.0], requires_grad=True))),
    ad.AnomalyError, r"forward of 'log' produced non-finite values \(1 of 2")
add("anomaly-backward-inf", "anomaly", _anomaly(lambda: ad.sqrt(ad.tensor([0.0, 4.0],
    requires_grad=True)).sum().backward()),
    ad.AnomalyError, r"backward of 'sqrt' \(cotangent of its input 0\) produced non-finite values")


def _nan_only_in_backward() -> None:
    x = ad.tensor([0.0, 1.0], requires_grad=True)
    ad.where(x > 0, ad.sqrt(x), 0.0).sum().backward()  # forward is finite; sqrt's VJP gives 0/0 at x = 0


add("anomaly-backward-nan", "anomaly", _anomaly(_nan_only_in_backward), ad.AnomalyError,
    r"backward of 'sqrt' \(cotangent of its input 0\) produced non-finite values \(1 of 2")

# ----------------------------------------------------------------------------- transforms and checks
if hasattr(ad, "grad"):
    add("grad-non-scalar", "transforms", lambda: ad.grad(lambda x: x * 2)(np.ones(3)), ad.ShapeError,
        r"grad needs a function with a scalar output, but it returned shape \(3,\)")
    add("jacobian-argnums", "transforms", lambda: ad.jacobian(lambda x: x, argnums=3)(np.ones(3)), ValueError,
        "argnums=3 is out of range")
add("numerical_grad-non-scalar", "transforms", lambda: ad.numerical_grad(lambda x: x * 2, np.ones(3)), ValueError,
    r"numerical_grad needs a scalar function; f returned shape \(3,\)")
add("numerical_grad-method", "transforms", lambda: ad.numerical_grad(lambda x: x.sum(), np.ones(3), method="bogus"),
    ValueError, "unknown finite-difference method 'bogus'")
add("gradcheck-wrong-derivative", "transforms",
    lambda: ad.gradcheck(lambda x: _WrongSquare.apply(x).sum(), [np.array([1.0, 2.0])]),
    ad.GradcheckError, "FAILED")


class _WrongSquare(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # should be 2x


# ----------------------------------------------------------------------------- expressions (autodiff.expr)
_HOSTILE = {
    "expr-import": ("__import__('os').system('echo owned')", "attribute access|unknown function '__import__'"),
    "expr-dunder-attribute": ("x.__class__.__bases__", "attribute access"),
    "expr-lambda": ("(lambda: 1)()", "only named functions can be called"),
    "expr-huge-power": ("9**9**9", "exponent too large"),
    "expr-too-long": ("x+" * 600 + "x", "expression too long"),
    "expr-too-deep": ("-" * 300 + "x", "nested too deeply"),
    "expr-unknown-function": ("foo(x)", "unknown function 'foo'"),
    "expr-wrong-arity": ("sin(x, y)", r"sin\(\) takes 1 argument, got 2"),
    "expr-string": ("'a' * 3", "strings are not allowed"),
    "expr-subscript": ("x[0]", "subscripts"),
    "expr-comprehension": ("[x for x in (1, 2)]", "comprehensions|lists"),
    "expr-walrus": ("(y := 2) * x", "assignments"),
    "expr-statement": ("x; import os", "not a valid expression"),
    "expr-control-character": ("x\x00", "printable characters"),
    "expr-empty": ("   ", "empty expression"),
}
try:
    from autodiff.expr import ExpressionError, parse
except ImportError:  # pragma: no cover
    parse = None
if parse is not None:
    for _id, (_text, _match) in _HOSTILE.items():
        add(_id, "expressions", lambda t=_text: parse(t), ExpressionError, _match)
    add("expr-missing-variable", "expressions", lambda: parse("x * y")(x=1.0), ExpressionError, "no value for y")
    add("expr-unknown-variable", "expressions", lambda: parse("x")(x=1.0, z=2.0), ExpressionError, "z not used by 'x'")

# ----------------------------------------------------------------------------- optimizers
if optim is not None:
    _W = ad.tensor([1.0, 2.0], requires_grad=True)
    for _id, _call, _error, _match in [
        ("optimizer-empty-list", lambda: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
        ("optimizer-empty-generator", lambda: optim.Adam(iter([])), ValueError, "empty parameter list"),
        ("optimizer-array", lambda: optim.SGD([np.ones(3)], lr=0.1), TypeError,
         "can only optimize Tensors .*got ndarray"),
        ("optimizer-string", lambda: optim.SGD("abc", lr=0.1), TypeError, "can only optimize Tensors .*got str"),
        ("optimizer-single-tensor", lambda: optim.SGD(_W, lr=0.1), TypeError, "got a single Tensor; wrap it in a list"),
        ("optimizer-non-leaf", lambda: optim.Adam([_W * 2]), ValueError,
         "cannot optimize a non-leaf tensor .*'multiply'"),
        ("optimizer-integer-tensor", lambda: optim.SGD([ad.tensor([1, 2])], lr=0.1), TypeError,
         "parameters must be floating-point tensors, got dtype=int64"),
        ("optimizer-duplicate", lambda: optim.SGD([_W, _W], lr=0.1), ValueError, "appear more than once"),
        ("optimizer-unknown-option", lambda: optim.SGD([{"params": [_W], "lrr": 1.0}], lr=0.1), TypeError,
         r"unknown option\(s\) \['lrr'\]"),
        ("optimizer-negative-lr", lambda: optim.SGD([_W], lr=-1.0), ValueError, "invalid learning rate: -1"),
        ("optimizer-adam-betas", lambda: optim.Adam([_W], betas=(1.5, 0.9)), ValueError, r"invalid betas \(1.5, 0.9\)"),
        ("optimizer-none", lambda: optim.SGD(None, lr=0.1), TypeError, "iterable of Tensors"),
        ("optimizer-state-dict-keys", lambda: optim.SGD([_W], lr=0.1).load_state_dict({"state": {}}), ValueError,
         "exactly the keys 'state' and 'param_groups'"),
        ("optimizer-state-dict-groups", lambda: optim.SGD([_W], lr=0.1).load_state_dict(
            {"state": {}, "param_groups": []}), ValueError, "0 parameter groups, this optimizer has 1"),
        ("optimizer-state-dict-state-shape", lambda: _load_momentum(np.ones(5)), ValueError,
         r"state 'momentum_buffer' has shape \(5,\), the parameter has shape \(2,\)"),
        ("optimizer-step-gradient-shape", lambda: _step_with_grad(np.ones(3)), ValueError,
         r"SGD: a gradient of shape \(3,\) for a parameter of shape \(2,\)"),
    ]:
        add(_id, "optim", _call, _error, _match, needs_nn=True)


def _load_momentum(buffer: np.ndarray) -> None:
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    state = opt.state_dict()
    state["state"] = {0: {"momentum_buffer": buffer}}
    opt.load_state_dict(state)


def _step_with_grad(grad: np.ndarray) -> None:
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    w.grad = ad.tensor(grad)
    optim.SGD([w], lr=0.1).step()


# ----------------------------------------------------------------------------- modules, state dicts, losses
def _model():
    return nn.Sequential(nn.Linear(2, 3, rng=0), nn.BatchNorm1d(3), nn.Tanh(), nn.Linear(3, 1, rng=1))


if nn is not None:
    _SD = _model().state_dict()
    _STATE = "cannot load the state dict into Sequential .nothing was changed.: "
    for _id, _call, _error, _match in [
        ("state-dict-missing-key", lambda: _model().load_state_dict({k: v for k, v in _SD.items() if k != "0.bias"}),
         nn.StateDictError, _STATE + "missing keys: 0.bias"),
        ("state-dict-unexpected-key", lambda: _model().load_state_dict({**_SD, "9.weight": np.ones(2)}),
         nn.StateDictError, _STATE + "unexpected keys: 9.weight"),
        ("state-dict-wrong-shape", lambda: _model().load_state_dict({**_SD, "0.weight": np.ones((2, 3))}),
         nn.StateDictError, r"0.weight: the state dict has shape \(2, 3\), the module expects \(3, 2\)"),
        ("state-dict-buffer-shape", lambda: _model().load_state_dict({**_SD, "1.running_mean": np.ones(4)}),
         nn.StateDictError, r"1.running_mean: the state dict has shape \(4,\), the module expects \(3,\)"),
        ("state-dict-strings", lambda: _model().load_state_dict({**_SD, "0.bias": np.array(["a", "b", "c"])}),
         nn.StateDictError, "0.bias: the state dict holds dtype <U1, expected numbers"),
        ("state-dict-not-a-dict", lambda: _model().load_state_dict([1, 2]), TypeError,
         "load_state_dict expects a dict of name -> array, got list"),
        ("linear-input-width", lambda: _model()(ad.ones(4, 5)), ad.ShapeError, r"the input has shape \(4, 5\)"),
        ("mse-shapes", lambda: nn.MSELoss()(ad.ones(3, 1), ad.ones(4)), ad.ShapeError,
         r"mse_loss: the input has shape \(3, 1\) but the target has shape \(4,\)"),
        ("cross-entropy-label-range", lambda: nn.CrossEntropyLoss()(ad.ones(3, 4), np.array([0, 5, 1])), IndexError,
         r"class labels must be in \[0, 3\], got values from 0 to 5"),
        ("loss-reduction", lambda: nn.MSELoss(reduction="avg"), ValueError, "reduction must be one of"),
        ("bce-probability-range", lambda: nn.BCELoss()(ad.tensor([1.5]), ad.tensor([1.0])), ValueError,
         r"the input must be probabilities in \[0, 1\]"),
        ("conv2d-input-rank", lambda: nn.Conv2d(1, 2, 3)(ad.ones(2, 3)), ad.ShapeError,
         "conv2d: .*must be \\(N, C, H, W\\) or \\(C, H, W\\)"),
    ]:
        add(_id, "nn", _call, _error, _match, needs_nn=True)


# ----------------------------------------------------------------------------- save files
class _Payload:
    """Unpickling this creates a directory: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


def _saved(tmp: Path) -> Path:
    path = tmp / "model.npz"
    nn.save(_model(), path)
    return path


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _load_payload_npz(tmp: Path) -> None:
    path = tmp / "payload.npz"
    np.savez(path, weight=np.array([_Payload(tmp / "owned")], dtype=object))
    try:
        nn.load(path)
    finally:
        assert not (tmp / "owned").exists(), "the pickle payload ran"


def _load_payload_pickle(tmp: Path) -> None:
    path = _write(tmp / "payload.npz", pickle.dumps({"weight": _Payload(tmp / "owned")}))
    try:
        nn.load(path)
    finally:
        assert not (tmp / "owned").exists(), "the pickle payload ran"


def _flip_a_byte(tmp: Path) -> None:
    data = bytearray(_saved(tmp).read_bytes())
    data[len(data) // 2] ^= 0xFF
    nn.load(_write(tmp / "flipped.npz", bytes(data)))


if nn is not None:
    for _id, _call, _error, _match in [
        ("save-file-truncated", lambda tmp: nn.load(_write(tmp / "cut.npz", _saved(tmp).read_bytes()[:300])),
         nn.SaveFileError, "not a readable .npz archive"),
        ("save-file-empty", lambda tmp: nn.load(_write(tmp / "empty.npz", b"")), nn.SaveFileError,
         "not a readable .npz archive"),
        ("save-file-garbage", lambda tmp: nn.load(_write(tmp / "junk.npz", b"not a zip" * 50)), nn.SaveFileError,
         "never loaded|not an .npz archive"),
        ("save-file-missing", lambda tmp: nn.load(tmp / "nowhere.npz"), FileNotFoundError, "No such file"),
        ("save-file-directory", lambda tmp: nn.load(tmp), nn.SaveFileError, "not a readable .npz archive"),
        ("save-file-single-npy", lambda tmp: nn.load(_np_save(tmp / "one.npy")), nn.SaveFileError,
         "holds a single .npy array"),
        ("save-file-flipped-byte", _flip_a_byte, nn.SaveFileError, "damaged or truncated"),
        ("save-file-pickle-payload-in-npz", _load_payload_npz, nn.SaveFileError,
         "entry 'weight' holds pickled objects, which are never loaded"),
        ("save-file-pickle-payload", _load_payload_pickle, nn.SaveFileError,
         "holds pickled data, which is never loaded"),
        ("save-object-array", lambda tmp: nn.save({"w": np.array([None], dtype=object)}, tmp / "x.npz"), TypeError,
         "cannot save an object array"),
        ("save-non-string-key", lambda tmp: nn.save({1: np.ones(2)}, tmp / "x.npz"), TypeError,
         "state-dict keys must be strings"),
    ]:
        CASES.append(Case(_id, "save files", _call, _error, _match, needs_nn=True))


def _np_save(path: Path) -> Path:
    np.save(path, np.ones(3))
    return path


# ----------------------------------------------------------------------------- the table's test
@_NAN_WARNINGS
@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_a_clear_error(bad: Case, tmp_path: Path) -> None:
    if bad.needs_nn and nn is None:
        pytest.skip("nn/optim not importable")
    with pytest.raises(bad.error, match=bad.match):
        bad.call(tmp_path)


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES] + [c[0] for c in CLI_CASES]
    assert len(ids) == len(set(ids))


def test_pickle_payload_is_live(tmp_path: Path) -> None:
    """The control for the two payload rows: loading the same file *with* pickle does run the code."""
    path = tmp_path / "payload.npz"
    np.savez(path, weight=np.array([_Payload(tmp_path / "owned")], dtype=object))
    np.load(path, allow_pickle=True)["weight"]
    assert (tmp_path / "owned").exists()


def test_save_file_declaring_a_huge_array_is_refused_without_allocating(tmp_path: Path) -> None:
    if nn is None:
        pytest.skip("nn not importable")
    from numpy.lib import format as npy_format

    header = io.BytesIO()
    npy_format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**15,)})
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w") as archive:
        archive.writestr("weight.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(nn.SaveFileError):
        nn.load(tmp_path / "bomb.npz")


def test_optimizer_load_state_dict_checks_the_options() -> None:
    if optim is None:
        pytest.skip("optim not importable")
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    state = opt.state_dict()
    state["param_groups"][0]["lr"] = -5.0
    with pytest.raises(ValueError, match="learning rate"):
        opt.load_state_dict(state)


# ----------------------------------------------------------------------------- the command line
CLI_CASES = [  # (id, argv, exit status, stderr must contain)
    ("cli-import", ["check", "__import__('os').system('touch owned')", "--at", "x=1"], 2, "cannot use the expression"),
    ("cli-attribute", ["graph", "x.__class__", "--at", "x=1"], 2, "attribute access"),
    ("cli-huge-power", ["taylor", "x**9**9**9", "--at", "x=0", "--order", "3"], 2, "exponent too large"),
    ("cli-unknown-function", ["check", "eval(x)", "--at", "x=1"], 2, "unknown function 'eval'"),
    ("cli-unknown-variable", ["check", "x * y", "--at", "x=1,z=2"], 2, "z not in the expression"),
    ("cli-missing-variable", ["check", "x * y", "--at", "x=1"], 2, "y"),
    ("cli-bad-value", ["check", "x", "--at", "x=__import__('os')"], 2, "x"),
    ("cli-no-variables", ["check", "1/0", "--at", "x=1"], 2, "has no variables"),
    ("cli-bad-order", ["taylor", "exp(x)", "--at", "x=0", "--order", "-3"], 2, "order"),
    ("cli-bad-method", ["minimize", "x**2", "--from", "x=1", "--method", "magic"], 2, "invalid choice"),
    ("cli-unknown-command", ["frobnicate"], 2, "invalid choice"),
]


def run_cli(argv: list[str], cwd: Path) -> tuple[int, str]:
    from autodiff.cli import main

    stderr, stdout = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
            try:
                status = main(argv)
            except SystemExit as exit_:
                status = exit_.code
    finally:
        os.chdir(previous)
    return status, stderr.getvalue()


@pytest.mark.parametrize(("argv", "status", "fragment"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_hostile_command_lines_exit_with_a_message(argv: list[str], status: int, fragment: str, tmp_path: Path) -> None:
    pytest.importorskip("autodiff.cli")
    got_status, stderr = run_cli(argv, tmp_path)
    assert got_status == status, stderr
    assert re.search(fragment, stderr), stderr
    assert not (tmp_path / "owned").exists()
    assert "Traceback" not in stderr


# ----------------------------------------------------------------------------- nothing half-changed
pytestmark_nn = pytest.mark.skipif(nn is None, reason="nn/optim not importable")


def _snapshot(model) -> dict[str, np.ndarray]:
    return {name: np.array(value, copy=True) for name, value in model.state_dict().items()}


@pytestmark_nn
@pytest.mark.parametrize("damage", ["wrong shape last", "missing", "unexpected", "strings", "buffer shape"])
def test_failed_load_state_dict_leaves_the_model_as_it_was(damage: str) -> None:
    model = _model()
    model(ad.tensor(np.random.default_rng(0).standard_normal((8, 2))))  # move the batch-norm statistics
    before = _snapshot(model)
    arrays = {name: id(t.data) for name, t in model._state_entries()}
    new = {name: value + 1.0 for name, value in _model().state_dict().items()}  # every entry different
    last = list(new)[-1]
    if damage == "wrong shape last":
        new[last] = np.ones((7, 7))
    elif damage == "missing":
        del new[last]
    elif damage == "unexpected":
        new["extra.weight"] = np.ones(2)
    elif damage == "strings":
        new[last] = np.full(new[last].shape, "x")
    else:
        new["1.running_var"] = np.ones(9)
    with pytest.raises(nn.StateDictError):
        model.load_state_dict(new)
    after = _snapshot(model)
    assert after.keys() == before.keys()
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    assert arrays == {name: id(t.data) for name, t in model._state_entries()}


def _two_param_problem():
    w = ad.tensor([1.0, -2.0, 0.5], requires_grad=True)
    b = ad.tensor([[0.3, 0.1]], requires_grad=True)
    return w, b


def _loss(w, b):
    return (w * w).sum() + (ad.tanh(b) * w[:2]).sum()


@pytestmark_nn
@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.05),
    lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5),
    lambda ps: optim.Adagrad(ps, lr=0.1),
], ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_failed_optimizer_step_leaves_parameters_and_state_as_they_were(make) -> None:
    w, b = _two_param_problem()
    w_ref, b_ref = _two_param_problem()
    opt, ref = make([w, b]), make([w_ref, b_ref])
    for o, params in ((opt, (w, b)), (ref, (w_ref, b_ref))):  # one good step, so there is state
        o.zero_grad()
        _loss(*params).backward()
        o.step()
    before = [w.data.copy(), b.data.copy()]
    state_before = opt.state_dict()
    opt.zero_grad()
    _loss(w, b).backward()
    good_grad = b.grad
    b.grad = ad.tensor(np.ones(5))  # the second parameter's gradient is broken: the step must fail
    with pytest.raises(ValueError, match="a gradient of shape"):
        opt.step()
    np.testing.assert_array_equal(w.data, before[0])  # the first parameter was not updated either
    np.testing.assert_array_equal(b.data, before[1])
    _assert_same_state(opt.state_dict(), state_before)
    b.grad = good_grad  # and after the failure, the next step is the one a clean optimizer takes
    opt.step()
    ref.zero_grad()
    _loss(w_ref, b_ref).backward()
    ref.step()
    np.testing.assert_array_equal(w.data, w_ref.data)
    np.testing.assert_array_equal(b.data, b_ref.data)


def _assert_same_state(a: Any, b: Any) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same_state(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_state(x, y)
    else:
        np.testing.assert_array_equal(a, b)


@pytestmark_nn
@pytest.mark.parametrize("name", ["LBFGS", "Newton", "GaussNewton", "LevenbergMarquardt"])
def test_failed_step_of_a_whole_vector_optimizer_restores_the_parameters(name: str) -> None:
    """The closure blows up on its third call (inside the step's line search or iterations)."""
    w = ad.tensor([1.5, -0.5], requires_grad=True)
    target = np.array([0.2, 0.3])
    if name in ("GaussNewton", "LevenbergMarquardt"):
        opt = getattr(optim, name)([w])
    else:
        opt = getattr(optim, name)([w], lr=1.0)
    calls = []

    def closure():
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the model blew up")
        residuals = ad.exp(w) - target
        if name in ("GaussNewton", "LevenbergMarquardt"):
            return residuals  # these closures return residuals
        loss = (residuals ** 2).sum()
        if name == "LBFGS":  # PyTorch's convention: the closure computes the gradient
            opt.zero_grad()
            loss.backward()
        return loss

    before = w.data.copy()
    with pytest.raises(RuntimeError, match="blew up"):
        for _ in range(5):
            opt.step(closure)
            before = w.data.copy()  # a step that finished may move the parameters
    np.testing.assert_array_equal(w.data, before)


@pytestmark_nn
def test_failed_optimizer_load_state_dict_leaves_it_as_it_was() -> None:
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    (w * w).sum().backward()
    opt.step()
    before = opt.state_dict()
    bad = opt.state_dict()
    bad["param_groups"][0]["lr"] = 5.0
    bad["state"] = {0: {"momentum_buffer": np.ones(7)}}  # wrong shape, found after the options were read
    with pytest.raises(ValueError):
        opt.load_state_dict(bad)
    _assert_same_state(opt.state_dict(), before)
    assert opt.param_groups[0]["lr"] == 0.1


def test_failed_backward_leaves_grads_alone_and_the_graph_reusable() -> None:
    x = ad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    x.grad = ad.tensor([10.0, 20.0, 30.0])  # accumulated earlier
    hidden = ad.sin(x) * x
    loss = (hidden * hidden).sum()

    def explode(g):
        raise RuntimeError("hook failed")

    remove = hidden.register_hook(explode)
    with pytest.raises(RuntimeError, match="hook failed"):
        loss.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.data, [10.0, 20.0, 30.0])
    remove()
    x.grad = None
    loss.backward()  # no cotangent left over from the failed pass
    expected = 2 * np.sin(x.data) * x.data * (np.cos(x.data) * x.data + np.sin(x.data))  # d/dx (x sin x)²
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)


@_NAN_WARNINGS
def test_anomaly_in_backward_leaves_grads_alone() -> None:
    x = ad.tensor([0.0, 1.0], requires_grad=True)
    y = ad.tensor([3.0, 4.0], requires_grad=True)
    loss = (ad.where(x > 0, ad.sqrt(x), 0.0) + y * y).sum()
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError, match="backward of 'sqrt'"):
        loss.backward()
    assert x.grad is None and y.grad is None


@pytestmark_nn
def test_failed_save_keeps_the_previous_file(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    content = path.read_bytes()
    with pytest.raises(TypeError):
        nn.save({"good": np.ones(2), "bad": np.array([None], dtype=object)}, path)
    assert path.read_bytes() == content
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no temporary file left behind


# ----------------------------------------------------------------------------- docs/errors.md
def _message(bad: Case) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as tmp, np.errstate(all="ignore"):
        try:
            bad.call(Path(tmp))
        except BaseException as error:  # noqa: B036 (we report whatever was raised)
            text = " ".join(line.strip() for line in str(error).replace(tmp, "<dir>").splitlines() if line.strip())
            return type(error).__name__, text
    return "(nothing raised)", ""


def _cell(text: str, limit: int = 150) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def render_docs() -> str:
    lines = [
        "# Errors: every bad input, what it raises, and the test that covers it",
        "",
        "Generated from the tables in `tests/test_bad_input.py` with the messages the code gives today",
        "(`python -m tests.test_bad_input > docs/errors.md`); each row is a case of",
        "`test_bad_input_raises_a_clear_error[<id>]` (or `test_hostile_command_lines_exit_with_a_message[<id>]`),",
        "which checks the exception type and a fragment of the message. Messages are cut at 150 characters.",
        "",
        "The library's own exceptions live in `autodiff.errors`: `AutodiffError` is the base of `ShapeError`",
        "(also a `ValueError`), `GraphFreedError` and `InPlaceError` (`RuntimeError`), `AnomalyError`",
        "(`FloatingPointError`) and `DtypeError` (`TypeError`); `nn` adds `StateDictError` and `SaveFileError`",
        "(`ValueError`s), `autodiff.expr` adds `ExpressionError`. Where numpy's own error is already clear",
        "(indexing, singular matrices, einsum subscripts) it is passed through unchanged.",
        "",
    ]
    families: dict[str, list[Case]] = {}
    for bad in CASES:
        families.setdefault(bad.family, []).append(bad)
    for family, cases in families.items():
        lines += [f"## {family}", "", "| id | exception | message |", "|---|---|---|"]
        for bad in cases:
            kind, text = _message(bad)
            lines.append(f"| `{bad.id}` | `{kind}` | {_cell(text)} |")
        lines.append("")
    lines += ["## command line (`autodiff ...`)", "", "| id | command | exit status | message |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for id_, argv, _, _ in CLI_CASES:
            status, stderr = run_cli(argv, Path(tmp))
            first = " ".join(line.strip() for line in stderr.splitlines() if line.strip() and "usage:" not in line)
            command = _cell("autodiff " + " ".join(a if " " not in a else repr(a) for a in argv), 70)
            lines.append(f"| `{id_}` | `{command}` | {status} | {_cell(first)} |")
    lines += [
        "",
        "## nothing half-changed",
        "",
        "| guarantee | test |",
        "|---|---|",
        "| a failed `load_state_dict` leaves every parameter and buffer as it was (values and arrays) | "
        "`test_failed_load_state_dict_leaves_the_model_as_it_was` |",
        "| a failed optimizer step (SGD, Adam, AdamW, RMSprop, Adagrad) updates no parameter and no state, and "
        "the next step equals a clean optimizer's | "
        "`test_failed_optimizer_step_leaves_parameters_and_state_as_they_were` |",
        "| a whole-vector optimizer (LBFGS, Newton, GaussNewton, LevenbergMarquardt) whose closure fails restores "
        "the parameters | `test_failed_step_of_a_whole_vector_optimizer_restores_the_parameters` |",
        "| a failed optimizer `load_state_dict` changes neither state nor options | "
        "`test_failed_optimizer_load_state_dict_leaves_it_as_it_was` |",
        "| a backward pass that fails (a hook raising) touches no `.grad` and leaves no cotangent behind | "
        "`test_failed_backward_leaves_grads_alone_and_the_graph_reusable` |",
        "| an anomaly found in backward touches no `.grad` | `test_anomaly_in_backward_leaves_grads_alone` |",
        "| a failed `nn.save` keeps the previous file and leaves no temporary file | "
        "`test_failed_save_keeps_the_previous_file` |",
        "| a pickle payload inside a save file never runs (and the same file does run code when loaded with "
        "pickle: the control) | `...[save-file-pickle-payload-in-npz]`, `test_pickle_payload_is_live` |",
        "",
        "## known gaps",
        "",
        "| gap | test |",
        "|---|---|",
        "| none known: the gaps found here (a forged .npy header asking for petabytes, optimizer state dicts "
        "with invalid options, singular matrices reported as shape errors, a junk file called pickled, "
        "messages without the op's name) were fixed, each with its row or test above | |",
        "",
    ]
    return "\n".join(lines)


def test_docs_list_every_case() -> None:
    """docs/errors.md has a row for every case, with the exception type the test expects."""
    if not DOCS.exists():
        pytest.fail("docs/errors.md is missing: python -m tests.test_bad_input > docs/errors.md")
    text = DOCS.read_text(encoding="utf-8")
    for bad in CASES:
        if bad.needs_nn and nn is None:
            continue
        row = re.search(rf"^\| `{re.escape(bad.id)}` \| `(\w+)` \|", text, flags=re.MULTILINE)
        assert row, f"docs/errors.md has no row for {bad.id}; regenerate it"
        raised = _raised_type(bad).__name__
        assert row.group(1) == raised, f"{bad.id}: docs/errors.md says {row.group(1)}, the code raises {raised}"
    for id_, *_ in CLI_CASES:
        assert f"| `{id_}` |" in text, f"docs/errors.md has no row for {id_}; regenerate it"


def _raised_type(bad: Case) -> type:
    with tempfile.TemporaryDirectory() as tmp, np.errstate(all="ignore"):
        try:
            bad.call(Path(tmp))
        except BaseException as error:  # noqa: B036
            return type(error)
    return type(None)


if __name__ == "__main__":
    sys.stdout.write(render_docs())
