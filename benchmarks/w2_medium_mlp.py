"""W2: one training step of a medium MLP, where matrix products dominate; and its peak memory.

Batch 128, 784→256→256→10 with ReLU, softmax cross-entropy, float32, plain SGD.
Targets: at most 1.10x the hand-written numpy step in time and 1.3x in peak memory (tracemalloc,
which sees numpy's buffers; PyTorch and JAX allocate outside it, so they get no memory figure).
"""

from __future__ import annotations

import numpy as np

from .config import NUMPY, OURS, OURS_JIT, Config
from .data import digits_like, mlp_parameters
from .mlp import autodiff_jit_step, autodiff_step, compare_frameworks, numpy_step
from .report import Result
from .timing import peak_python_memory

TIME_TARGET = 1.10
MEMORY_TARGET = 1.3


def run(config: Config) -> Result:
    result = Result("W2", "medium MLP step: batch 128, 784-256-256-10 ReLU, softmax CE, float32, SGD",
                    reference=NUMPY)
    x, labels = digits_like(128, 784, 10, seed=0)
    params = mlp_parameters([784, 256, 256, 10], np.float32, seed=1)
    compare_frameworks(result, config, params, x, labels, "relu", "cross_entropy", lr=0.01)
    args = (params, x, labels, "relu", "cross_entropy", 0.01)
    for name, build in ((NUMPY, numpy_step), (OURS, autodiff_step), (OURS_JIT, lambda *a: autodiff_jit_step(*a)[0])):
        step = build(*args)
        step()  # first step allocates gradients once; measure a steady-state step
        result.value(f"{name} peak memory", peak_python_memory(step) / 2**20, "MiB",
                     reference=f"{NUMPY} peak memory")
    result.target(f"{OURS} / {NUMPY} time <= {TIME_TARGET}", result.ratio(OURS, NUMPY, "ms"), TIME_TARGET)
    result.target(f"{OURS} / {NUMPY} peak memory <= {MEMORY_TARGET}",
                  result.ratio(f"{OURS} peak memory", f"{NUMPY} peak memory"), MEMORY_TARGET)
    result.target(f"{OURS_JIT} / {OURS} time <= 1.0 (jit no slower than eager)", result.ratio(OURS_JIT, OURS, "ms"),
                  1.0)
    trace = result.get("autodiff jit trace (once)")
    result.target("autodiff jit trace ms <= 50", trace and trace.stats["median"], 50.0)
    return result
