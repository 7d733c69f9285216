"""The engine's bad inputs: each row is a call, the exception it must raise and a fragment of its message.

``CASES`` covers every op family, backward and gradients, in-place changes, dtypes, anomaly detection,
transforms and formula expressions; ``CLI_CASES`` the ``autodiff`` command (exit status and stderr).
tests/autodiff/test_bad_input.py runs them; ``python docs/make_errors.py`` lists them, with the messages
the code gives today, in docs/errors.md. Adding a bad input is one row here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import autodiff as ad
from autodiff.expr import ExpressionError, parse
from tests.helpers import BadInputs

TABLE = BadInputs()
CASES = TABLE.cases
add, case = TABLE.add, TABLE.case


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
for _id, (_text, _match) in _HOSTILE.items():
    add(_id, "expressions", lambda t=_text: parse(t), ExpressionError, _match)
add("expr-missing-variable", "expressions", lambda: parse("x * y")(x=1.0), ExpressionError, "no value for y")
add("expr-unknown-variable", "expressions", lambda: parse("x")(x=1.0, z=2.0), ExpressionError, "z not used by 'x'")


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
