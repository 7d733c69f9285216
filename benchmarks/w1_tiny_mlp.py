"""W1: one training step of a tiny MLP, where per-op overhead dominates.

200 two-moons points, 2→16→16→1 with tanh, mean squared error, float64, full batch, plain SGD.
Targets: at most 2.0x the hand-written numpy step; with ``ad.jit``, at most 1.0x, traced in under 50 ms.
"""

from __future__ import annotations

import numpy as np

from .config import NUMPY, OURS, OURS_JIT, Config
from .data import mlp_parameters, two_moons
from .mlp import compare_frameworks
from .report import Result

TARGET = 2.0
JIT_TARGET = 1.0  # jit: at or below numpy by hand
TRACE_TARGET_MS = 50.0


def run(config: Config) -> Result:
    result = Result("W1", "tiny MLP step: 200 moons, 2-16-16-1 tanh, MSE, float64, full-batch SGD",
                    reference=NUMPY)
    x, y = two_moons(200, seed=0)
    params = mlp_parameters([2, 16, 16, 1], np.float64, seed=1)
    compare_frameworks(result, config, params, x, y, "tanh", "mse", lr=0.1)
    result.target(f"{OURS} / {NUMPY} time <= {TARGET}", result.ratio(OURS, NUMPY), TARGET)
    result.target(f"{OURS_JIT} / {NUMPY} time <= {JIT_TARGET}", result.ratio(OURS_JIT, NUMPY), JIT_TARGET)
    trace = result.get("autodiff jit trace (once)")
    result.target(f"autodiff jit trace ms <= {TRACE_TARGET_MS:g}", trace and trace.stats["median"], TRACE_TARGET_MS)
    return result
