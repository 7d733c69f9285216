"""Taylor mode: push truncated power series ("jets") through a recorded graph, op by op.

The input's jet is ``[x₀, 1, 0, ...]`` (the Taylor coefficients of t ↦ x₀ + t); each op maps its
inputs' jets to its output's jet by the rule in its record (``Op.jet``, written with the arithmetic
of ``autodiff.ops.series``). Each op costs O(n²) array operations for n coefficients (Griewank &
Walther, *Evaluating Derivatives*, ch. 13), where nested reverse mode (grad of grad of ...) grows
exponentially in n. ``propagate`` raises ``NoJetRule`` for an op without a rule (a custom
``ad.Function`` has none); callers fall back to nested reverse mode.
"""

from __future__ import annotations

import numpy as np

from .ops.series import Jet, NoJetRule, constant
from .tensor import Tensor
from .trace import nodes_before

__all__ = ["Jet", "NoJetRule", "propagate"]


# ----------------------------------------------------------------------------- propagation
def propagate(out: Tensor, x: Tensor, order: int) -> Jet:
    """The jet of ``out`` (coefficients 0..order) along the scalar or array input ``x`` (direction 1)."""
    count = order + 1
    seed = np.zeros((count,) + x.shape, dtype=np.result_type(x.dtype, float))
    seed[0] = x.data
    if order >= 1:
        seed[1] = 1.0
    jets = {id(x): seed}
    nodes, _ = nodes_before([out], stop=[x])  # each after its inputs (the trace explain and jit read)
    for node in nodes:
        rule = getattr(node._op, "jet", None)
        if rule is None:
            raise NoJetRule(f"no Taylor-mode rule for the op {node._op.name!r}")
        inputs = [jets[id(a)] if isinstance(a, Tensor) and id(a) in jets
                  else None if a is None else constant(a, count) for a in node._inputs]
        jets[id(node)] = rule(node, *inputs, **node._params)
    if id(out) not in jets:
        return constant(out, count)
    return jets[id(out)]
