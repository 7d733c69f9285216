"""Side-by-side benchmarks: the engine against a hand-written numpy reference and its peers.

Run ``python -m benchmarks [--quick] [--only W1,W3] [--json FILE] [--threads N]``. Every workload
times the project and a hand-written numpy version of the same mathematics (the physical limit for an
engine on numpy) in the same process, round-robin, and reports the ratio; PyTorch (eager), JAX
(eager and jit) and HIPS autograd run too when they are installed (the ``bench`` extra).

This package must not import numpy at import time: the thread counts are fixed (environment
variables) before numpy loads, in ``__main__``.
"""
