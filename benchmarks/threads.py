"""Fix the number of threads used by every library to the same value, before numpy is imported."""

from __future__ import annotations

import os
import sys
from typing import Any

ENV_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                 "NUMEXPR_NUM_THREADS")


def fix_environment(threads: int) -> list[str]:
    """Set the BLAS/OpenMP thread variables (and XLA's) to ``threads``; return warnings, if any."""
    warnings = []
    if "numpy" in sys.modules:
        warnings.append("numpy was imported before the thread count was fixed; relying on threadpoolctl")
    for name in ENV_VARIABLES:
        os.environ[name] = str(threads)
    if threads == 1:  # XLA's CPU backend: no Eigen thread pool for intra-op work
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_cpu_multi_thread_eigen" not in flags:
            os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                                       "intra_op_parallelism_threads=1").strip()
    return warnings


def limit_loaded_libraries(threads: int) -> dict[str, Any]:
    """Apply the limit to libraries already loaded (threadpoolctl, torch); describe what is in force."""
    settings: dict[str, Any] = {name: os.environ.get(name) for name in ENV_VARIABLES}
    settings["XLA_FLAGS"] = os.environ.get("XLA_FLAGS")
    try:
        import threadpoolctl
    except ImportError:
        settings["threadpoolctl"] = "not installed"
    else:
        threadpoolctl.threadpool_limits(threads)
        settings["threadpoolctl"] = [
            {"library": p["internal_api"], "version": p.get("version"), "num_threads": p["num_threads"]}
            for p in threadpoolctl.threadpool_info()
        ]
    torch = sys.modules.get("torch")  # only if the run imported it (peers on)
    if torch is not None:
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:  # only allowed before torch's first inter-op work
            pass
        settings["torch.get_num_threads"] = torch.get_num_threads()
        settings["torch.get_num_interop_threads"] = torch.get_num_interop_threads()
    return settings

