"""Finite differences, and checks of automatic derivatives against them.

``numerical_grad`` offers central (error O(h²)), forward and backward (O(h)) differences and
Richardson extrapolation (O(h⁴)). The default step balances truncation against round-off for the
method and dtype: ε^(1/2) for one-sided, ε^(1/3) for central, ε^(1/5) for Richardson, scaled by
max(1, |x|).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .grad_mode import enable_grad, no_grad
from .ops import concatenate, reshape
from .tensor import Tensor

METHODS = ("central", "forward", "backward", "richardson")
_STEP_POWER = {"central": 1 / 3, "forward": 1 / 2, "backward": 1 / 2, "richardson": 1 / 5}


def default_step(method: str = "central", dtype: Any = np.float64) -> float:
    """The step that balances truncation and round-off error for ``method`` in ``dtype``.

    >>> round(default_step("central"), 8)
    6.06e-06
    """
    if method not in METHODS:
        raise ValueError(f"unknown finite-difference method {method!r}; expected one of {METHODS}")
    return float(np.finfo(np.dtype(dtype)).eps ** _STEP_POWER[method])


def _evaluate(f: Callable[..., Any], args: list[np.ndarray]) -> np.ndarray:
    with no_grad():
        value = f(*[Tensor(a) for a in args])
    return np.asarray(value.data if isinstance(value, Tensor) else value, dtype=np.result_type(*args, float))


def _as_float_array(x: Any) -> np.ndarray:
    array = np.array(x.data if isinstance(x, Tensor) else x, copy=True)
    if not np.issubdtype(array.dtype, np.inexact):
        array = array.astype(np.float64)
    return array


def _derivative(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, flat: int, h: float, method: str) -> np.ndarray:
    def at(offset: float) -> np.ndarray:
        shifted = x.copy()
        shifted.reshape(-1)[flat] += offset
        return f(shifted)

    if method == "central":
        return (at(h) - at(-h)) / (2 * h)
    if method == "forward":
        return (at(h) - f(x)) / h
    if method == "backward":
        return (f(x) - at(-h)) / h
    # Richardson: combine central differences at h and h/2 to cancel the h² error term
    coarse = (at(h) - at(-h)) / (2 * h)
    fine = (at(h / 2) - at(-h / 2)) / h
    return (4 * fine - coarse) / 3


def numerical_jacobian(f: Callable[..., Any], x: Any, eps: float | None = None, method: str = "central",
                       args: Sequence[Any] = (), argnum: int = 0) -> np.ndarray:
    """Finite-difference Jacobian of f at x, shape ``f(x).shape + x.shape``.

    ``args`` are the other positional arguments of f; x is inserted at position ``argnum``.

    >>> import numpy as np
    >>> numerical_jacobian(lambda v: v ** 2, np.array([1.0, 2.0])).round(6)
    array([[2., 0.],
           [0., 4.]])
    """
    x = _as_float_array(x)
    others = [_as_float_array(a) for a in args]
    step = default_step(method, x.dtype) if eps is None else eps

    def g(value: np.ndarray) -> np.ndarray:
        return _evaluate(f, others[:argnum] + [value] + others[argnum:])

    out_shape = g(x).shape
    columns = [
        _derivative(g, x, i, step * max(1.0, abs(float(x.reshape(-1)[i]))), method).reshape(-1)
        for i in range(x.size)
    ]
    matrix = np.stack(columns, axis=-1) if columns else np.zeros((int(np.prod(out_shape)), 0))
    return matrix.reshape(out_shape + x.shape)


def numerical_grad(f: Callable[..., Any], x: Any, eps: float | None = None, method: str = "central") -> np.ndarray:
    """Finite-difference gradient of a scalar function f at x (same shape as x).

    >>> import numpy as np
    >>> numerical_grad(lambda v: (v ** 3).sum(), np.array([1.0, 2.0]), method="richardson").round(8)
    array([ 3., 12.])
    """
    x = _as_float_array(x)
    jac = numerical_jacobian(f, x, eps, method)
    if jac.shape != x.shape:
        raise ValueError(f"numerical_grad needs a scalar function; f returned shape {jac.shape[: jac.ndim - x.ndim]}")
    return jac


def numerical_hessian(f: Callable[..., Any], x: Any, eps: float | None = None) -> np.ndarray:
    """Finite-difference Hessian of a scalar f at x, shape ``x.shape + x.shape`` (second differences).

    >>> import numpy as np
    >>> numerical_hessian(lambda v: v[0] ** 2 * v[1], np.array([1.0, 2.0])).round(4)
    array([[4., 2.],
           [2., 0.]])
    """
    x = _as_float_array(x)
    h = float(np.finfo(x.dtype).eps ** 0.25) if eps is None else eps
    flat = x.reshape(-1)
    n = flat.size
    steps = h * np.maximum(1.0, np.abs(flat))

    def at(*moves: tuple[int, float]) -> float:
        shifted = flat.copy()
        for i, m in moves:
            shifted[i] += m
        value = _evaluate(f, [shifted.reshape(x.shape)])
        if value.size != 1:
            raise ValueError(f"numerical_hessian needs a scalar function; f returned shape {value.shape}")
        return float(value)

    hess = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            hi, hj = steps[i], steps[j]
            hess[i, j] = hess[j, i] = (
                at((i, hi), (j, hj)) - at((i, hi), (j, -hj)) - at((i, -hi), (j, hj)) + at((i, -hi), (j, -hj))
            ) / (4 * hi * hj)
    return hess.reshape(x.shape + x.shape)


# ----------------------------------------------------------------------------- checks
@dataclass
class InputCheck:
    """How one input's automatic derivative compared with finite differences."""

    index: int
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...] | None
    analytic: float
    numerical: float
    passed: bool


@dataclass
class CheckReport:
    """Per-input comparison; truthy exactly when every input passed; prints as a table.

    A row gives an input's largest absolute and relative errors, and its worst entry: the one
    furthest beyond (or, when all pass, nearest to) its tolerance atol + rtol·|numeric|, with the AD
    and numeric values there. The largest errors may sit elsewhere, e.g. where the derivative is big.
    """

    title: str
    inputs: list[InputCheck] = field(default_factory=list)
    atol: float = 0.0
    rtol: float = 0.0

    def __bool__(self) -> bool:
        return all(c.passed for c in self.inputs)

    def __str__(self) -> str:
        header = (f"{'input':>5}  {'shape':<12} {'max abs err':>12} {'max rel err':>12}  {'worst at':<10} "
                  f"{'AD':>12} {'numeric':>12}  ok")
        lines = [f"{self.title} (atol={self.atol:g}, rtol={self.rtol:g})", header, "-" * len(header)]
        for c in self.inputs:
            lines.append(
                f"{c.index:>5}  {str(c.shape):<12} {c.max_abs_error:>12.3e} {c.max_rel_error:>12.3e}  "
                f"{str(c.worst_index) if c.worst_index is not None else '-':<10} {c.analytic:>12.5g} "
                f"{c.numerical:>12.5g}  {'yes' if c.passed else 'NO'}"
            )
        lines.append("passed" if self else "FAILED")
        return "\n".join(lines)

    __repr__ = __str__


class GradcheckError(AssertionError):
    """gradcheck/gradgradcheck found a derivative that disagrees with finite differences."""


def _compare(index: int, shape: tuple[int, ...], analytic: np.ndarray, numerical: np.ndarray, atol: float,
             rtol: float) -> InputCheck:
    diff = np.abs(analytic - numerical)
    if diff.size == 0:
        return InputCheck(index, shape, 0.0, 0.0, None, 0.0, 0.0, True)
    excess = diff - (atol + rtol * np.abs(numerical))
    worst = np.unravel_index(int(np.nanargmax(np.where(np.isnan(excess), np.inf, excess))), diff.shape)
    rel = diff / np.maximum(np.abs(numerical), np.finfo(float).tiny)
    passed = bool(np.all(np.isfinite(analytic) == np.isfinite(numerical)) and np.all(
        (diff <= atol + rtol * np.abs(numerical)) | (analytic == numerical)))
    return InputCheck(index, shape, float(np.nanmax(diff)), float(np.nanmax(np.where(diff > atol, rel, 0.0))),
                      tuple(int(i) for i in worst), float(analytic[worst]), float(numerical[worst]), passed)


def _jacobians_by_ad(f: Callable[..., Any], inputs: list[np.ndarray]) -> list[np.ndarray]:
    from .engine import gradients

    tensors = [Tensor(a, requires_grad=True) for a in inputs]
    out = f(*tensors)
    if not isinstance(out, Tensor):
        out = Tensor(out)
    rows = [np.zeros((out.size,) + a.shape, dtype=a.dtype) for a in inputs]
    if out.requires_grad:
        for k in range(out.size):
            seed = np.zeros(out.size, dtype=out.dtype)
            seed[k] = 1.0
            grads = gradients(out, tensors, grad_outputs=seed.reshape(out.shape), retain_graph=True,
                              allow_unused=True)
            for row, g in zip(rows, grads):
                if g is not None:
                    row[k] = g.data
    return [r.reshape(out.shape + a.shape) for r, a in zip(rows, inputs)]


def _check(title: str, f: Callable[..., Any], inputs: Sequence[Any], eps: float, atol: float, rtol: float,
           raise_exception: bool) -> CheckReport:
    arrays = [_as_float_array(x) for x in inputs]
    if any(a.dtype == np.float32 for a in arrays):
        warnings.warn(f"{title}: checking in float32 is unreliable (round-off ~1e-4); use float64 inputs",
                      stacklevel=3)
    report = CheckReport(title, atol=atol, rtol=rtol)
    analytic = _jacobians_by_ad(f, arrays)
    for i, a in enumerate(arrays):
        numerical = numerical_jacobian(f, a, eps, "central", args=arrays[:i] + arrays[i + 1:], argnum=i)
        report.inputs.append(_compare(i, a.shape, analytic[i], numerical.reshape(analytic[i].shape), atol, rtol))
    if raise_exception and not report:
        raise GradcheckError(str(report))
    return report


def gradcheck(f: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> CheckReport:
    """Compare the reverse-mode Jacobian of f with central differences, for every input.

    Returns a report (truthy when all passed, printable as a table); raises ``GradcheckError`` with
    the table when ``raise_exception`` and something failed. Use float64 inputs.

    >>> import autodiff as ad
    >>> bool(ad.gradcheck(lambda x, y: (x * ad.sin(y)).sum(), [[1.0, 2.0], [0.5, -0.3]]))
    True
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    return _check("gradcheck", f, inputs, eps, atol, rtol, raise_exception)


def gradgradcheck(f: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, seed: int = 0) -> CheckReport:
    """Check second derivatives: gradcheck of the map inputs -> (vᵀ J_f) for a fixed random v.

    The first derivative is taken with ``create_graph=True``, so this checks that every VJP is
    itself correctly differentiable.

    >>> import autodiff as ad
    >>> bool(ad.gradgradcheck(lambda x: (x ** 3).sum(), [[1.0, 2.0]]))
    True
    """
    from .engine import gradients

    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    arrays = [_as_float_array(x) for x in inputs]
    with no_grad():
        out0 = f(*[Tensor(a) for a in arrays])
    shape = out0.shape if isinstance(out0, Tensor) else np.shape(out0)
    cotangent = np.random.default_rng(seed).standard_normal(shape)

    def first_derivative(*tensors: Tensor) -> Tensor:
        tensors = [t if t.requires_grad else Tensor(t.data, requires_grad=True) for t in tensors]
        with enable_grad():  # finite differences evaluate this under no_grad: the inner pass must record
            out = f(*tensors)
            grads = gradients(out, tensors, grad_outputs=cotangent.astype(out.dtype), create_graph=True,
                              allow_unused=True)
        flat = [reshape(g, (-1,)) if g is not None else Tensor(np.zeros(t.size)) for g, t in zip(grads, tensors)]
        return concatenate(flat)

    return _check("gradgradcheck", first_derivative, arrays, eps, atol, rtol, raise_exception)


# ----------------------------------------------------------------------------- step-size study
@dataclass
class StepStudy:
    """Error of each finite-difference method against the AD derivative, for each step size.

    ``errors[method][i]`` is max |numerical - AD| over all entries of the Jacobian at step
    ``steps[i]``: plot it against ``steps`` on log-log axes to see the V (truncation error falling
    like hᵖ on the right, round-off growing like ε/h on the left).
    """

    steps: np.ndarray
    errors: dict[str, np.ndarray]
    reference: np.ndarray

    def best_step(self, method: str) -> float:
        """The step with the smallest error for ``method`` (the bottom of its V)."""
        return float(self.steps[int(np.nanargmin(self.errors[method]))])

    def __str__(self) -> str:
        methods = list(self.errors)
        lines = [f"{'step':>9}  " + "  ".join(f"{m:>10}" for m in methods)]
        for i, h in enumerate(self.steps):
            lines.append(f"{h:9.1e}  " + "  ".join(f"{self.errors[m][i]:10.2e}" for m in methods))
        lines.append(f"{'best':>9}  " + "  ".join(f"{self.best_step(m):10.1e}" for m in methods))
        return "\n".join(lines)

    __repr__ = __str__


def step_size_study(f: Callable[..., Any], x: Any, steps: Sequence[float] | None = None,
                    methods: Sequence[str] = METHODS) -> StepStudy:
    """How the error of each finite-difference method depends on the step: the classic V-shaped curve.

    For each step h (default: 10⁻¹⁶ to 1, three per decade) and each method ("central", "forward",
    "backward", "richardson") the error is the largest entry of |numerical Jacobian - AD Jacobian|
    at x. Truncation error shrinks like h² (central), h (one-sided) or h⁴ (Richardson) until
    round-off, about ε·|f|/h, takes over; the bottom of each V is near ``default_step(method)``.
    Steps are scaled by max(1, |xᵢ|) as in ``numerical_jacobian``.

    >>> import numpy as np, autodiff as ad
    >>> study = ad.step_size_study(ad.exp, 1.0, steps=[1e-1, 1e-5, 1e-13])
    >>> [bool(e[1] < e[0] and e[1] < e[2]) for e in study.errors.values()]
    [True, True, True, True]
    """
    from .functional import jacobian  # functional builds on the engine; import it when needed

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown finite-difference method(s) {unknown}; expected some of {METHODS}")
    point = _as_float_array(x)
    grid = np.logspace(-16, 0, 49) if steps is None else np.asarray(steps, dtype=float)
    if grid.ndim != 1 or grid.size == 0 or np.any(grid <= 0):
        raise ValueError("steps must be a non-empty 1-D sequence of positive step sizes")
    reference = np.asarray(jacobian(f)(point).data)
    errors = {}
    for method in methods:
        errors[method] = np.array([
            float(np.max(np.abs(numerical_jacobian(f, point, h, method) - reference), initial=0.0))
            for h in grid
        ])
    return StepStudy(grid, errors, reference)
