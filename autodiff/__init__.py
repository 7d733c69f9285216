"""autodiff: reverse-mode automatic differentiation on numpy, small enough to read in an afternoon.

>>> import autodiff as ad
>>> x = ad.tensor([1.0, 2.0], requires_grad=True)
>>> loss = (ad.tanh(x) ** 2).sum()
>>> loss.backward()
>>> x.grad.shape
(2,)
"""

from .tensor import Tensor  # first: everything else builds on it  # isort: skip
from . import ops
from .calculus import linearize, quadratic_approx, taylor, taylor_polynomial
from .compiler import jit
from .engine import gradients
from .errors import (
    AnomalyError,
    AutodiffError,
    ConcretizationError,
    DtypeError,
    GraphFreedError,
    InPlaceError,
    ShapeError,
    TracingError,
)
from .explanation import Explanation, explain
from .factories import (
    arange,
    eye,
    full,
    linspace,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .finite_diff import (
    CheckReport,
    GradcheckError,
    default_step,
    gradcheck,
    gradgradcheck,
    numerical_grad,
    numerical_hessian,
    numerical_jacobian,
    step_size_study,
)
from .function import Context, Function
from .functional import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .ops import *  # noqa: F403 (every public op, as its record names it)
from .page import graph_page  # one self-contained interactive HTML page of a graph and its derivative
from .uncertainty import propagate_uncertainty
from .viz import draw_graph, to_dot  # pictures (graphviz package; SVG without `dot` too)

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "full", "eye", "arange", "linspace", "zeros_like", "ones_like",
    "rand", "randn", "gradients", "Function", "Context", "no_grad", "enable_grad", "is_grad_enabled",
    "set_grad_enabled", "detect_anomaly", "AutodiffError", "ShapeError", "GraphFreedError",
    "InPlaceError", "AnomalyError", "DtypeError", "ops", "CheckReport", "GradcheckError", "default_step",
    "gradcheck", "gradgradcheck", "numerical_grad", "numerical_hessian", "numerical_jacobian",
    "step_size_study",
    "grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp",
    "taylor", "taylor_polynomial", "linearize", "quadratic_approx",
    "draw_graph", "to_dot", "graph_page", "ConcretizationError", "TracingError", "explain", "Explanation", "jit",
    "propagate_uncertainty",
] + ops.__all__
